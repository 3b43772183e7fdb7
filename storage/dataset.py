"""Parquet datasets under one data root, Hive-partitioned by day.

Layout::

    DATA/articles/date=2020-10-01/part-0.parquet
    DATA/signatures/date=2020-10-01/part-0.parquet
    DATA/crawl_stats/date=2020-10-01/part-0.parquet
    DATA/clusters/part-0.parquet          (one file: clusters span days)

A partition is replaced as a whole: the new one is written beside it under a
hidden name and swapped in with two renames. A crash between the renames
leaves a ``.old-`` directory that ``recover()`` (called by every writer and
reader) puts back, so readers always see a complete previous or new state.
Files are zstd-compressed and carry the schema version in their metadata.
"""
from __future__ import annotations

import os
import shutil
import uuid
import warnings
from datetime import date
from pathlib import Path

import pyarrow as pa
import pyarrow.parquet as pq

from storage.schema import SCHEMA_VERSION, TABLES

ROW_GROUP_SIZE = 64 * 1024


class StorageError(RuntimeError):
    """A dataset that cannot be read or written; the message names the file."""


def _with_meta(table: pa.Table, extra: dict[str, str] | None = None) -> pa.Table:
    meta = dict(table.schema.metadata or {})
    meta[b"newspipe.schema_version"] = SCHEMA_VERSION.encode()
    for k, v in (extra or {}).items():
        meta[k.encode()] = str(v).encode()
    return table.replace_schema_metadata(meta)


def to_table(name: str, rows: list[dict]) -> pa.Table:
    """Rows (dicts) to a table of the named schema; unknown keys are ignored."""
    schema = TABLES[name]
    return pa.Table.from_pylist([{f: r.get(f) for f in schema.names} for r in rows], schema=schema)


def write_file(table: pa.Table, path: Path, metadata: dict[str, str] | None = None) -> None:
    """Write one Parquet file atomically (temporary name, then rename)."""
    path.parent.mkdir(parents=True, exist_ok=True)
    tmp = path.with_name(f".tmp-{uuid.uuid4().hex}-{path.name}")
    pq.write_table(_with_meta(table, metadata), tmp, compression="zstd", row_group_size=ROW_GROUP_SIZE)
    os.replace(tmp, path)


def recover(table_dir: Path) -> None:
    """Finish or undo a partition swap that a crash interrupted."""
    if not table_dir.is_dir():
        return
    for old in table_dir.glob(".old-*"):
        live = table_dir / old.name.split("-", 2)[2]
        if live.exists():
            shutil.rmtree(old, ignore_errors=True)
        else:
            os.rename(old, live)
    for tmp in table_dir.glob(".new-*"):
        shutil.rmtree(tmp, ignore_errors=True)


def partition_name(day: date) -> str:
    return f"date={day.isoformat()}"


def replace_partitions(root: Path, name: str, tables: dict[date, pa.Table], days: list[date],
                       metadata: dict[str, str] | None = None) -> None:
    """Make each of ``days`` hold exactly ``tables[day]`` (or nothing), leaving other days alone."""
    table_dir = Path(root) / name
    table_dir.mkdir(parents=True, exist_ok=True)
    recover(table_dir)
    for day in sorted(set(days) | set(tables)):
        part = partition_name(day)
        live = table_dir / part
        token = uuid.uuid4().hex[:8]
        new = table_dir / f".new-{token}-{part}"
        table = tables.get(day)
        if table is not None and table.num_rows:
            new.mkdir()
            pq.write_table(_with_meta(table, metadata), new / "part-0.parquet", compression="zstd",
                           row_group_size=ROW_GROUP_SIZE)
        old = table_dir / f".old-{token}-{part}"
        if live.exists():
            os.rename(live, old)
        if new.exists():
            os.rename(new, live)
        shutil.rmtree(old, ignore_errors=True)


def partitions(root: Path, name: str) -> list[Path]:
    table_dir = Path(root) / name
    recover(table_dir)
    return sorted(p for p in table_dir.glob("date=*") if p.is_dir()) if table_dir.is_dir() else []


def read_table(root: Path, name: str, columns: list[str] | None = None, days: list[date] | None = None,
               strict: bool = False) -> pa.Table:
    """Read a partitioned table (all days or ``days``) with the published schema.

    A corrupted file is skipped and named in a warning (``strict=True``
    raises ``StorageError`` instead), so the rest of the dataset stays loadable.
    """
    schema = TABLES[name]
    wanted = {partition_name(d) for d in days} if days is not None else None
    tables = []
    for part in partitions(root, name):
        if wanted is not None and part.name not in wanted:
            continue
        for f in sorted(part.glob("*.parquet")):
            try:
                tables.append(read_file(f, schema, columns))
            except StorageError as exc:
                if strict:
                    raise
                warnings.warn(str(exc), stacklevel=2)
    cols = columns or schema.names
    if not tables:
        return pa.schema([schema.field(c) for c in cols]).empty_table()
    return pa.concat_tables(tables, promote_options="permissive")


def read_file(path: Path, schema: pa.Schema, columns: list[str] | None = None) -> pa.Table:
    """One file, with columns missing from an older schema version filled with nulls."""
    try:
        pf = pq.ParquetFile(path)
        present = [c for c in (columns or schema.names) if c in pf.schema_arrow.names]
        table = pf.read(columns=present)
    except (OSError, pa.ArrowInvalid) as exc:
        raise StorageError(f"{path}: unreadable Parquet file: {exc}") from None
    cols = columns or schema.names
    arrays = []
    for c in cols:
        field = schema.field(c)
        arrays.append(table.column(c).cast(field.type) if c in table.column_names
                      else pa.nulls(table.num_rows, field.type))
    return pa.Table.from_arrays(arrays, schema=pa.schema([schema.field(c) for c in cols]))


def file_metadata(path: Path) -> dict[str, str]:
    meta = pq.read_schema(path).metadata or {}
    return {k.decode(): v.decode() for k, v in meta.items()}
