"""``newspipe dataset compact``: one well-formed file per partition.

newspipe itself writes one file per partition, but partitions gain files
from other writers (a Spark job, a hand-made fix, an older newspipe), and old
files carry an older schema version. Compaction rewrites a partition into
one file of the current schema, with full row groups, through the same
atomic swap as a run, under the same per-day lock (a day a run is writing is
skipped, not waited for). A partition whose files disagree on their newspipe
metadata (signatures made with two MinHash schemes) or that holds an
unreadable file is reported and left as it is.
"""
from __future__ import annotations

from pathlib import Path

import pyarrow as pa
import pyarrow.parquet as pq

from storage.dataset import ROW_GROUP_SIZE, StorageError, partition_files, read_file, replace_partitions
from storage.fs import Root, open_root, work_dir
from storage.layout import partition_day
from storage.locks import LockedError, partition_locks
from storage.schema import SCHEMA_VERSION, TABLES

PARTITIONED = ("articles", "signatures", "crawl_stats")


def _reasons(footers: list[pq.FileMetaData], min_rows_per_group: int) -> list[str]:
    reasons = []
    if len(footers) > 1:
        reasons.append(f"{len(footers)} files")
    groups = sum(m.num_row_groups for m in footers)
    rows = sum(m.num_rows for m in footers)
    if groups > 1 and rows / groups < min_rows_per_group:
        reasons.append(f"{groups} row groups of {rows // groups} rows on average")
    versions = {_newspipe_meta(m).get("newspipe.schema_version") for m in footers}
    if versions != {SCHEMA_VERSION}:
        reasons.append(f"schema version {', '.join(sorted(v or 'none' for v in versions))}")
    return reasons


def _newspipe_meta(footer: pq.FileMetaData) -> dict[str, str]:
    return {k.decode(): v.decode() for k, v in (footer.metadata or {}).items() if k.startswith(b"newspipe.")}


def _shared_metadata(root: Root, files: list[str], footers: list[pq.FileMetaData]) -> dict[str, str]:
    """The newspipe metadata every file agrees on (schema version aside); a disagreement is an error."""
    metas = [{k: v for k, v in _newspipe_meta(m).items() if k != "newspipe.schema_version"} for m in footers]
    for f, m in zip(files[1:], metas[1:]):
        if m != metas[0]:
            raise StorageError(f"{root.display(f)}: metadata {m} differs from {root.display(files[0])}'s "
                               f"{metas[0]}; these files cannot be merged")
    return metas[0]


def compact(data: str | Path | Root, tables: list[str] | None = None,
            min_rows_per_group: int = ROW_GROUP_SIZE // 8) -> list[str]:
    """Compact the partitions that need it; one line per partition compacted, skipped or refused."""
    root = open_root(data)
    report = []
    for name in tables or PARTITIONED:
        if name not in PARTITIONED:
            raise StorageError(f"table {name!r} is not partitioned (known: {', '.join(PARTITIONED)})")
        for part, files in partition_files(root, name).items():
            try:
                footers = [pq.read_metadata(f, filesystem=root.fs) for f in files]  # each footer read once
                reasons = _reasons(footers, min_rows_per_group)
                if not reasons:
                    continue
                meta = _shared_metadata(root, files, footers)
                table = pa.concat_tables([read_file(f, TABLES[name], None, root) for f in files])
            except (StorageError, OSError, pa.ArrowInvalid) as exc:
                report.append(f"{name}/{part}: left as it is: {exc}")
                continue
            day = partition_day(part)
            try:
                with partition_locks(work_dir(root), [part], f"compaction of {name}", root.uri):
                    replace_partitions(root, name, {day: table}, [day], meta)
            except LockedError as exc:
                report.append(f"{name}/{part}: skipped: {exc}")
                continue
            report.append(f"{name}/{part}: {table.num_rows} rows into one file ({'; '.join(reasons)})")
    return report
