"""``newspipe dataset info``: what a data root holds."""
from __future__ import annotations

import json
from pathlib import Path

import pyarrow.parquet as pq

from storage.dataset import partition_files
from storage.fs import Root, open_root, work_dir
from storage.schema import TABLES


def dataset_info(data: str | Path | Root) -> str:
    root = open_root(data)
    lines = [f"dataset {root.display(root.base)}"]
    for name in TABLES:
        parts = partition_files(root, name)
        single = root.path(name, "part-0.parquet")
        files = [f for fs in parts.values() for f in fs] or ([single] if root.exists(single) else [])
        if not files:
            continue
        footers = {f: pq.read_metadata(f, filesystem=root.fs) for f in files}  # each footer read once
        rows = sum(m.num_rows for m in footers.values())
        size = sum(root.info(f).size for f in files)
        versions = sorted({(m.metadata or {}).get(b"newspipe.schema_version", b"?").decode() for m in footers.values()})
        lines.append(f"{name}: {len(parts) or 1} partition(s), {len(files)} file(s), {rows} rows, "
                     f"{size / 1024:.1f} KiB, schema v{','.join(versions)}")
        if name == "articles":
            for part, pfiles in parts.items():
                runs = [r for f in pfiles for r in pq.read_table(f, filesystem=root.fs, columns=["run_id"])
                        .column("run_id").unique().to_pylist() if r]
                n = sum(footers[f].num_rows for f in pfiles)
                lines.append(f"  {part}: {n} rows, last run {max(runs) if runs else '-'}")
    runs = sorted((work_dir(root) / "_state" / "runs").glob("*.json"))
    if runs:
        last = json.loads(runs[-1].read_text(encoding="utf-8"))
        lines.append(f"last run: {last['run_id']} ({last['since']} .. {last['until']})")
    return "\n".join(lines)
