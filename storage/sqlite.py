"""The SQLite files several processes open at once: crawl state, archive checkpoints,
the boilerplate memory and the persistent dedup index.

Two crawl shards of one outlet, or two backfill tasks of one archive, open the
same new file at the same moment. Switching a new file to WAL needs an exclusive
lock, and SQLite answers a connection that holds a shared lock and asks for more
with "database is locked" at once (its busy handler is skipped to avoid a
deadlock), so ``open_wal`` does the waiting.
"""
from __future__ import annotations

import sqlite3
import time
from pathlib import Path

WAIT = 60.0  # seconds a connection waits on another process's lock


def open_wal(path: str | Path, script: str, **connect_args) -> sqlite3.Connection:
    """``path`` opened in WAL mode with ``script`` run (pragmas, tables), retried while another
    process sets up the same file; any other error names the file. ``connect_args`` go to
    ``sqlite3.connect`` (``isolation_level``, ``check_same_thread``)."""
    deadline, pause = time.monotonic() + WAIT, 0.01
    while True:
        db = None
        try:
            db = sqlite3.connect(path, timeout=WAIT, **connect_args)
            db.executescript("PRAGMA journal_mode=WAL;" + script)
            return db
        except sqlite3.OperationalError as exc:
            if db is not None:
                db.close()
            busy = "locked" in str(exc) or "busy" in str(exc)
            if not busy or time.monotonic() > deadline:
                raise sqlite3.OperationalError(f"{path}: {exc}") from exc
        except BaseException:
            if db is not None:
                db.close()
            raise
        time.sleep(pause)
        pause = min(pause * 2, 0.5)
