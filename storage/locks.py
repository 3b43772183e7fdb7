"""Locks that keep concurrent runs from corrupting a dataset.

A run holds one lock per day of its window for as long as it publishes, and
a second run for any of those days is refused at once with a message naming
the day and the holder; runs for other days go ahead in parallel. Reclustering
the whole history is serialised with a blocking lock, so the last run to
publish always reclusters with every published day in view.

``fcntl.flock`` locks are released by the kernel when a process dies, so a
crashed run never leaves a stale lock behind.
"""
from __future__ import annotations

import fcntl
import os
from contextlib import contextmanager
from pathlib import Path
from typing import Iterator

from storage.layout import lock_file


class LockedError(RuntimeError):
    """Another run holds the lock; the message names the partition and the holder."""


def _open(path: Path):
    path.parent.mkdir(parents=True, exist_ok=True)
    return open(path, "a+", encoding="utf-8")


@contextmanager
def partition_locks(data: Path, names: list[str], holder: str) -> Iterator[None]:
    """Hold a non-blocking lock on each named partition, or raise ``LockedError``."""
    handles = []
    try:
        for name in sorted(set(names)):
            fh = _open(lock_file(data, name))
            try:
                fcntl.flock(fh, fcntl.LOCK_EX | fcntl.LOCK_NB)
            except BlockingIOError:
                fh.seek(0)
                other = fh.read().strip() or "another run"
                fh.close()
                raise LockedError(f"partition {name} of {data} is being written by {other}; "
                                  "wait for it to finish or run a different window") from None
            fh.seek(0)
            fh.truncate()
            fh.write(f"{holder} (pid {os.getpid()})")
            fh.flush()
            handles.append(fh)
        yield
    finally:
        for fh in handles:
            fcntl.flock(fh, fcntl.LOCK_UN)
            fh.close()


def ensure_unlocked(data: Path, names: list[str]) -> None:
    """Raise ``LockedError`` if another run holds one of the named partition locks (checked, not kept)."""
    with partition_locks(data, names, "a check"):
        pass


@contextmanager
def exclusive(data: Path, name: str) -> Iterator[None]:
    """A blocking lock, for work that must not run twice at once (reclustering)."""
    fh = _open(lock_file(data, name))
    try:
        fcntl.flock(fh, fcntl.LOCK_EX)
        yield
    finally:
        fcntl.flock(fh, fcntl.LOCK_UN)
        fh.close()
