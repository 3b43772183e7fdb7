"""``newspipe dataset info``: what a data root holds, per table, day and outlet.

A file that cannot be read is named on a line of its own and left out of the
counts; the rest of the dataset is still described.
"""
from __future__ import annotations

from collections import Counter
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


def _columns(root: Root, path: str, columns: list[str]) -> pa.Table | None:
    try:
        return pq.read_table(path, filesystem=root.fs, columns=columns)
    except (OSError, pa.ArrowInvalid):
        return None


def _article_lines(root: Root, parts: dict[str, list[str]], footers: dict) -> list[str]:
    """Per day (rows, relevant, last run) and per outlet (rows, relevant), from three columns."""
    lines, outlets = [], Counter()
    relevant_by_outlet = Counter()
    for part, pfiles in parts.items():
        tables = [t for f in pfiles if f in footers and (t := _columns(root, f, ["outlet", "relevant", "run_id"]))]
        rows = sum(t.num_rows for t in tables)
        relevant = sum(sum(1 for v in t.column("relevant").to_pylist() if v) for t in tables)
        runs = [r for t in tables for r in t.column("run_id").to_pylist() if r]
        lines.append(f"  {part}: {rows} rows, {relevant} relevant, last run {max(runs) if runs else '-'}"
                     + ("" if len(tables) == len(pfiles) else f", {len(pfiles) - len(tables)} unreadable file(s)"))
        for t in tables:
            for outlet, rel in zip(t.column("outlet").to_pylist(), t.column("relevant").to_pylist()):
                outlets[outlet] += 1
                relevant_by_outlet[outlet] += bool(rel)
    lines.append("  by outlet: " + ", ".join(f"{o} {n} ({relevant_by_outlet[o]} relevant)"
                                             for o, n in sorted(outlets.items())))
    return lines


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
            lines += _article_lines(root, parts, footers)
    return "\n".join(lines)
