"""``newspipe dataset info``: what a data root holds.

A file that cannot be read is named on a line of its own and left out of the
counts; the rest of the dataset is still described.
"""
from __future__ import annotations

from pathlib import Path

import pyarrow as pa
import pyarrow.parquet as pq

from storage.dataset import partition_files
from storage.fs import Root, open_root
from storage.layout import PART_FILE
from storage.schema import TABLES


def _footers(root: Root, files: list[str], problems: list[str]) -> dict[str, pq.FileMetaData]:
    """Each readable file's footer (read once); the others named in ``problems``."""
    out = {}
    for f in files:
        try:
            out[f] = pq.read_metadata(f, filesystem=root.fs)
        except (OSError, pa.ArrowInvalid) as exc:
            problems.append(f"  unreadable: {root.display(f)}: {str(exc).splitlines()[0]}")
    return out


def _run_ids(root: Root, path: str) -> list[str]:
    try:
        return pq.read_table(path, filesystem=root.fs, columns=["run_id"]).column("run_id").unique().to_pylist()
    except (OSError, pa.ArrowInvalid):
        return []


def dataset_info(data: str | Path | Root) -> str:
    root = open_root(data)
    lines = [f"dataset {root.display(root.base)}"]
    for name in TABLES:
        parts = partition_files(root, name)
        single = root.path(name, PART_FILE)
        files = [f for fs in parts.values() for f in fs] or ([single] if root.exists(single) else [])
        if not files:
            continue
        problems: list[str] = []
        footers = _footers(root, files, problems)
        rows = sum(m.num_rows for m in footers.values())
        size = sum(root.info(f).size for f in files)
        versions = sorted({(m.metadata or {}).get(b"newspipe.schema_version", b"?").decode() for m in footers.values()})
        lines.append(f"{name}: {len(parts) or 1} partition(s), {len(files)} file(s), {rows} rows, "
                     f"{size / 1024:.1f} KiB, schema v{','.join(versions) or '?'}")
        lines += problems
        if name == "articles":
            for part, pfiles in parts.items():
                readable = [f for f in pfiles if f in footers]
                runs = [r for f in readable for r in _run_ids(root, f) if r]
                n = sum(footers[f].num_rows for f in readable)
                lines.append(f"  {part}: {n} rows, last run {max(runs) if runs else '-'}"
                             + ("" if len(readable) == len(pfiles) else f", {len(pfiles) - len(readable)} unreadable file(s)"))
    return "\n".join(lines)
