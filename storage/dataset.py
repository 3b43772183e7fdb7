"""Parquet datasets under one data root, Hive-partitioned by day.

Layout (the root is a local directory or a filesystem URI, see ``storage.fs``)::

    DATA/articles/date=2020-10-01/part-0.parquet
    DATA/signatures/date=2020-10-01/part-0.parquet
    DATA/crawl_stats/date=2020-10-01/part-0.parquet
    DATA/clusters/date=YYYY-MM-DD/...     (each article's row in its article's day)

A partition is one file. A run's partitions are replaced together: the new
files are written (and synced) under hidden staging names, a journal listing
the swap is written (the commit point), then each staged file is moved over
its live one. Moving one file over another is atomic on a local disk and on
object stores (a copy replaces an object whole), so a reader sees each day
old or new, never half written. A crash before the journal leaves the
previous state; after it, ``recover()`` (called by every writer and reader)
finishes the swap. Files are zstd-compressed and carry the schema version in
their metadata.
"""
from __future__ import annotations

import fcntl
import json
import os
import signal
import time
import uuid
import warnings
from contextlib import contextmanager
from datetime import date
from pathlib import Path
from typing import Iterator

import pyarrow as pa
import pyarrow.fs as pafs
import pyarrow.parquet as pq

from storage.errors import StorageError
from storage.fs import Root, open_root, stale_seconds
from storage.layout import PART_FILE, journal_steps, partition_day, partition_name
from storage.locks import check_fences
from storage.schema import SCHEMA_VERSION, TABLES

ROW_GROUP_SIZE = 64 * 1024


class StorageWarning(UserWarning):
    """A file a reader passed over (unreadable, or not part of the table's layout); the rest was read."""


def warn(message: str) -> None:
    warnings.warn(message, StorageWarning, stacklevel=3)


def read_journal(root: Root, path: str) -> list[dict] | None:
    """A swap journal's steps; None (with a warning naming it) when it is corrupt or invalid."""
    try:
        raw = root.read_bytes(path)
    except OSError:
        if not root.exists(path):  # finished and removed meanwhile (object stores say OSError)
            raise FileNotFoundError(path) from None
        raise
    try:
        return journal_steps(raw)
    except (ValueError, RecursionError) as exc:
        warn(f"{root.display(path)}: corrupt swap journal ({exc}); its swap is left as it is: "
             "remove the file and its .new-* directories to keep the previous state")
        return None


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


def _failpoint(table: str, point: str) -> None:
    """Die here, as a crash would, when NEWSPIPE_FAILPOINT names this table and point (tests only)."""
    if os.environ.get("NEWSPIPE_FAILPOINT") == f"{table}:{point}":
        os.kill(os.getpid(), signal.SIGKILL)


def _write_parquet(root: Root, table: pa.Table, path: str) -> None:
    """Write a Parquet file; on a local disk also sync it, so a commit never points at unsynced data."""
    _make_dir(root, path.rsplit("/", 1)[0])
    pq.write_table(table, path, filesystem=root.fs, compression="zstd", row_group_size=ROW_GROUP_SIZE)
    if root.local:
        _fsync(path)


def _make_dir(root: Root, path: str) -> None:
    """Directories exist only on a local disk; on an object store creating one is a wasted request."""
    if root.local:
        root.fs.create_dir(path, recursive=True)


def _fsync(path: str) -> None:
    fd = os.open(path, os.O_RDONLY)
    try:
        os.fsync(fd)
    finally:
        os.close(fd)


def write_file(root: str | Path | Root, rel: str, table: pa.Table, metadata: dict[str, str] | None = None) -> None:
    """Write one Parquet file of the root atomically (staged, then moved over the live one)."""
    root = open_root(root)
    path = root.path(rel)
    parent, name = path.rsplit("/", 1)
    tmp = f"{parent}/.tmp-{uuid.uuid4().hex}-{name}"
    _write_parquet(root, _with_meta(table, metadata), tmp)
    root.fs.move(tmp, path)
    _remove_stale_temp(root, root.listdir(parent))


# -- the swap ------------------------------------------------------------------
def _staged(table_dir: str, token: str, part: str) -> str:
    return f"{table_dir}/.new-{token}-{part}/{PART_FILE}"


def _roll_forward(root: Root, table_dir: str, token: str, steps: list[dict]) -> None:
    """Carry out a committed swap; safe to repeat after a crash at any point of it."""
    name = table_dir.rsplit("/", 1)[-1]
    for i, step in enumerate(steps):
        live_dir = f"{table_dir}/{step['part']}"
        staged = _staged(table_dir, token, step["part"])
        if step["new"]:
            if root.exists(staged):  # not moved yet
                _make_dir(root, live_dir)
                _failpoint(name, "swapping")
                root.fs.move(staged, f"{live_dir}/{PART_FILE}")
            for extra in step.get("drop", []):  # other files the partition held (compaction)
                root.delete_file(f"{live_dir}/{extra}")
        else:  # the day becomes empty
            root.delete_dir(live_dir)
        if i == 0:
            _failpoint(name, "swapped-one")
    _failpoint(name, "swapped")
    for step in steps:
        root.delete_dir(f"{table_dir}/.new-{token}-{step['part']}")
    root.delete_file(f"{table_dir}/.swap-{token}.json")  # a no-op when it is already gone


def _token(name: str) -> str:
    """The writer token in ``.new-TOKEN-…``, ``.swap-TOKEN.json|lock``."""
    return name.split("-", 2)[1].split(".", 1)[0]


@contextmanager
def _writer_gone(root: Root, table_dir: str, token: str) -> Iterator[bool]:
    """Yield whether the writer of ``token`` is gone: its lock is free (local disk), or its
    files have not changed for NEWSPIPE_SWAP_STALE_SECONDS (object stores, which have no locks)."""
    if root.local:
        lock = Path(table_dir) / f".swap-{token}.lock"
        with open(lock, "a+") as fh:
            try:
                fcntl.flock(fh, fcntl.LOCK_EX | fcntl.LOCK_NB)
            except BlockingIOError:
                yield False
                return
            yield True
            lock.unlink(missing_ok=True)
        return
    infos = []
    for entry in root.listdir(table_dir):
        if token in entry.base_name:  # object stores date files only, not "directories"
            infos += root.listdir(entry.path) if entry.type == pafs.FileType.Directory else [entry]
    stamps = [i.mtime.timestamp() for i in infos if i.mtime is not None]
    yield bool(stamps) and time.time() - max(stamps) > stale_seconds()


def recover(root: str | Path | Root, name: str) -> list[pafs.FileInfo]:
    """Finish the committed swaps and undo the uncommitted ones that crashed writers left;
    return the table directory's entries as they are afterwards.

    A writer holds ``.swap-TOKEN.lock`` for as long as it writes, so a swap
    still under way is never touched. The journal ``.swap-TOKEN.json`` is the
    commit point: with it the swap is rolled forward, without it the staged
    ``.new-TOKEN-*`` files are dropped and the previous state stays. A swap
    whose journal was deleted after some days were moved in (an emptied
    staging directory shows it, on a local disk) is finished from what is
    left, with a warning. A corrupt journal is named in a warning and its swap
    left alone. Temporary files older than ``NEWSPIPE_SWAP_STALE_SECONDS`` are removed.
    """
    root = open_root(root)
    table_dir = root.path(name)
    entries = root.listdir(table_dir)
    names = [i.base_name for i in entries]
    tokens = sorted({_token(n) for n in names if n.startswith((".new-", ".swap-"))})
    changed = _remove_stale_temp(root, entries)
    for token in tokens:
        with _writer_gone(root, table_dir, token) as gone:
            if not gone:
                continue
            journal = f"{table_dir}/.swap-{token}.json"
            staged = [n for n in names if n.startswith(f".new-{token}-")]
            if root.exists(journal):
                steps = read_journal(root, journal)
                if steps is None:
                    continue
                _roll_forward(root, table_dir, token, steps)
            elif root.local and any(not root.exists(f"{table_dir}/{n}/{PART_FILE}") for n in staged):
                _finish_orphan(root, table_dir, token, staged)
            changed = True
            for n in staged:
                root.delete_dir(f"{table_dir}/{n}")
    return root.listdir(table_dir) if changed else entries


def _finish_orphan(root: Root, table_dir: str, token: str, staged: list[str]) -> None:
    """Move in what a swap whose journal was deleted mid-way had still to move."""
    prefix = f".new-{token}-"
    parts = [n[len(prefix):] for n in staged if partition_day(n[len(prefix):]) is not None]
    _roll_forward(root, table_dir, token, [{"part": p, "new": True} for p in parts
                                           if root.exists(_staged(table_dir, token, p))])
    warn(f"{root.display(table_dir)}: swap {token} lost its journal after it had begun; finished it from its "
         f"staged files ({', '.join(parts) or 'none left'}); days it was to empty were left as they are")


def _remove_stale_temp(root: Root, entries: list[pafs.FileInfo]) -> bool:
    """Remove ``.tmp-*`` files that crashed writers left (untouched for ``NEWSPIPE_SWAP_STALE_SECONDS``)."""
    oldest, removed = time.time() - stale_seconds(), False
    for i in entries:
        if i.base_name.startswith(".tmp-") and i.type == pafs.FileType.File and i.mtime is not None \
                and i.mtime.timestamp() < oldest:
            root.delete_file(i.path)
            removed = True
    return removed


def replace_partitions(root: str | Path | Root, name: str, tables: dict[date, pa.Table], days: list[date],
                       metadata: dict[str, str] | None = None) -> None:
    """Make each of ``days`` hold exactly ``tables[day]`` (or nothing), leaving other days alone.

    All the days change together: the new partitions are written under
    staging names, a journal listing the swap is written (the commit point),
    then each one is moved in. A crash before the journal leaves every day as
    it was; after it, the next reader or writer finishes the swap.
    """
    root = open_root(root)
    table_dir = root.path(name)
    _make_dir(root, table_dir)
    recover(root, name)
    token = uuid.uuid4().hex[:12]
    with _held_swap_lock(root, table_dir, token):
        steps = []
        for day in sorted(set(days) | set(tables)):
            part = partition_name(day)
            table = tables.get(day)
            has_rows = table is not None and table.num_rows > 0
            if has_rows:
                _write_parquet(root, _with_meta(table, metadata), _staged(table_dir, token, part))
            live = [i.base_name for i in root.listdir(f"{table_dir}/{part}") if i.base_name != PART_FILE]
            steps.append({"part": part, "new": has_rows, "drop": live})
        _failpoint(name, "written")
        check_fences()  # a writer whose day locks expired must not commit over a newer run's days
        journal = f"{table_dir}/.swap-{token}.json"
        tmp = f"{table_dir}/.tmp-{token}.json"
        root.write_bytes(tmp, json.dumps(steps).encode())
        if root.local:
            _fsync(tmp)
        root.fs.move(tmp, journal)
        if root.local:
            _fsync(table_dir)
        _failpoint(name, "committed")
        _roll_forward(root, table_dir, token, steps)


@contextmanager
def _held_swap_lock(root: Root, table_dir: str, token: str) -> Iterator[None]:
    """On a local disk, hold ``.swap-TOKEN.lock`` while writing; it is created under
    another name and renamed once held, so whoever sees the token finds it held."""
    if not root.local:
        yield
        return
    lock, unnamed = Path(table_dir) / f".swap-{token}.lock", Path(table_dir) / f".tmp-{token}.lock"
    with open(unnamed, "a+") as held:
        fcntl.flock(held, fcntl.LOCK_EX)
        os.rename(unnamed, lock)
        yield
        lock.unlink(missing_ok=True)


# -- reading -------------------------------------------------------------------
def partition_files(root: str | Path | Root, name: str, days: list[date] | None = None,
                    first: date | None = None, last: date | None = None) -> dict[str, list[str]]:
    """``{"date=…": [file paths]}`` of a partitioned table, after recovery: all days, or
    ``days``, or those from ``first`` to ``last`` (both included). One listing of the table
    directory, then one of each wanted partition only.

    A committed swap still being carried out (by a live writer, or by a dead
    one on an object store before it is stale) is read as if finished, so a
    reader never sees some of a run's days new and others old.
    """
    root = open_root(root)
    wanted = {partition_name(d) for d in days} if days is not None else None
    out: dict[str, list[str]] = {}
    for part, where in _partitions(root, name).items():
        day = partition_day(part)
        if (wanted is not None and part not in wanted) or (first and day < first) or (last and day > last):
            continue  # never listed: a one-month query does not touch the other days
        files = [where] if isinstance(where, str) else [
            i.path for i in root.listdir(where.path) if i.type == pafs.FileType.File and i.base_name.endswith(".parquet")]
        if files:
            out[part] = files
    return out


def _partitions(root: Root, name: str) -> dict[str, pafs.FileInfo | str]:
    """``{"date=…": live directory, or the staged file of a committed swap}``, sorted, after recovery."""
    table_dir = root.path(name)
    entries = recover(root, name)
    out: dict[str, pafs.FileInfo | str] = {}
    for i in entries:
        if i.type != pafs.FileType.Directory or i.base_name.startswith("."):
            continue
        if partition_day(i.base_name) is None:
            warn(f"{root.display(i.path)}: not a partition of {name} (expected date=YYYY-MM-DD); ignored")
        else:
            out[i.base_name] = i
    for journal in (i for i in entries if i.base_name.startswith(".swap-") and i.base_name.endswith(".json")):
        try:
            steps = read_journal(root, journal.path)
        except FileNotFoundError:  # finished and removed meanwhile
            continue
        if steps is None:
            continue
        token = _token(journal.base_name)
        for step in steps:
            staged = _staged(table_dir, token, step["part"])
            if not step["new"]:
                out.pop(step["part"], None)
            elif root.exists(staged):
                out[step["part"]] = staged
    return dict(sorted(out.items()))


def read_table(root: str | Path | Root, name: str, columns: list[str] | None = None, days: list[date] | None = None,
               strict: bool = False) -> pa.Table:
    """Read a partitioned table (all days or ``days``) with the published schema.

    A corrupted file is skipped and named in a warning (``strict=True``
    raises ``StorageError`` instead), so the rest of the dataset stays loadable.
    """
    root = open_root(root)
    schema = TABLES[name]
    tables = []
    for files in partition_files(root, name, days).values():
        for f in files:
            try:
                tables.append(read_file(f, schema, columns, root))
            except StorageError as exc:
                if strict:
                    raise
                warn(str(exc))
    cols = columns or schema.names
    if not tables:
        return pa.schema([schema.field(c) for c in cols]).empty_table()
    return pa.concat_tables(tables, promote_options="permissive")


def read_file(path: str | Path, schema: pa.Schema, columns: list[str] | None = None,
              root: str | Path | Root | None = None) -> pa.Table:
    """One file, with columns missing from an older schema version filled with nulls."""
    root = open_root(root) if root is not None else None
    try:
        pf = pq.ParquetFile(str(path), filesystem=root.fs if root else None)
        present = [c for c in (columns or schema.names) if c in pf.schema_arrow.names]
        table = pf.read(columns=present)
    except (OSError, pa.ArrowInvalid) as exc:
        raise StorageError(f"{root.display(str(path)) if root else path}: unreadable Parquet file: {exc}") from None
    cols = columns or schema.names
    arrays = []
    for c in cols:
        field = schema.field(c)
        arrays.append(table.column(c).cast(field.type) if c in table.column_names
                      else pa.nulls(table.num_rows, field.type))
    return pa.Table.from_arrays(arrays, schema=pa.schema([schema.field(c) for c in cols]))


def file_metadata(path: str | Path) -> dict[str, str]:
    meta = pq.read_schema(str(path)).metadata or {}
    return {k.decode(): v.decode() for k, v in meta.items()}
