"""``newspipe dataset info``: what a data root holds."""
from __future__ import annotations

import json
from pathlib import Path

import pyarrow.parquet as pq

from storage.dataset import file_metadata, partitions
from storage.schema import TABLES


def dataset_info(data: str | Path) -> str:
    data = Path(data)
    lines = [f"dataset {data.resolve()}"]
    for name in TABLES:
        parts = partitions(data, name)
        files = [f for p in parts for f in p.glob("*.parquet")] or sorted((data / name).glob("*.parquet"))
        if not files:
            continue
        rows = sum(pq.ParquetFile(f).metadata.num_rows for f in files)
        size = sum(f.stat().st_size for f in files)
        versions = sorted({file_metadata(f).get("newspipe.schema_version", "?") for f in files})
        lines.append(f"{name}: {len(parts) or 1} partition(s), {rows} rows, {size / 1024:.1f} KiB, schema v{','.join(versions)}")
        if name == "articles":
            for p in parts:
                runs = pq.read_table(p, columns=["run_id"]).column("run_id").unique().to_pylist()
                n = sum(pq.ParquetFile(f).metadata.num_rows for f in p.glob("*.parquet"))
                lines.append(f"  {p.name}: {n} rows, last run {max(runs) if runs else '-'}")
    runs = sorted((data / "_state" / "runs").glob("*.json"))
    if runs:
        last = json.loads(runs[-1].read_text(encoding="utf-8"))
        lines.append(f"last run: {last['run_id']} ({last['since']} .. {last['until']})")
    return "\n".join(lines)
