"""Locks that keep concurrent runs from corrupting a dataset.

A run holds one lock per day of its window for as long as it publishes, and
a second run for any of those days is refused at once with a message naming
the day and the holder; runs for other days go ahead in parallel. Bringing the
clusters up to date is serialised with a blocking lock, so the last run to
publish always syncs with every published day in view.

``fcntl.flock`` locks are released by the kernel when a process dies, so a
crashed run never leaves a stale lock behind. They hold on one machine only:
for workers on several machines sharing a data root, ``NEWSPIPE_LOCKS``
names a Redis server (``storage.locks_redis``: expiry and fencing).
"""
from __future__ import annotations

import fcntl
import os
import time
from contextlib import contextmanager
from contextvars import ContextVar
from pathlib import Path
from typing import Callable, Iterator

from storage.layout import lock_file


class LockedError(RuntimeError):
    """Another run holds the lock; the message names the partition and the holder (``holder``:
    the name the holder gave, with its process, where the refusal knows it)."""

    def __init__(self, message: str, holder: str = ""):
        super().__init__(message)
        self.holder = holder


CHECK = "a check"  # the holder name of ``ensure_unlocked``, which holds a lock only for an instant


_FENCES: ContextVar[tuple[Callable[[], None], ...]] = ContextVar("newspipe_fences", default=())


@contextmanager
def fencing(check: Callable[[], None]) -> Iterator[None]:
    """While held, ``check_fences`` (called at every commit point) runs ``check`` too."""
    reset = _FENCES.set(_FENCES.get() + (check,))
    try:
        yield
    finally:
        _FENCES.reset(reset)


def check_fences() -> None:
    """Raise ``LockedError`` if a lock this writer relies on was lost (only with ``NEWSPIPE_LOCKS``)."""
    for check in _FENCES.get():
        check()


def _remote(scope: str | None):
    """The Redis lock backend when ``NEWSPIPE_LOCKS`` names one, else None (local files)."""
    url = os.environ.get("NEWSPIPE_LOCKS", "")
    if not url:
        return None
    from storage.locks_redis import RedisLocks
    return RedisLocks(url, scope or "default")


def _open(path: Path):
    path.parent.mkdir(parents=True, exist_ok=True)
    return open(path, "a+", encoding="utf-8")


def _holder(fh) -> str:
    """The name the holder wrote into its lock file; it writes it just after taking the lock,
    so a refusal in between waits a moment for it rather than naming nobody."""
    for _ in range(40):
        fh.seek(0)
        name = fh.read().strip()
        if name:
            return name
        time.sleep(0.05)
    return "another run"


@contextmanager
def partition_locks(data: Path, names: list[str], holder: str, scope: str | None = None) -> Iterator[None]:
    """Hold a non-blocking lock on each named partition, or raise ``LockedError``. ``scope``:
    the data root's URI, which names the locks in Redis (``NEWSPIPE_LOCKS``)."""
    remote = _remote(scope or str(data))
    if remote is not None:
        with remote.partitions(names, holder):
            yield
        return
    handles = []
    try:
        for name in sorted(set(names)):
            fh = _open(lock_file(data, name))
            try:
                fcntl.flock(fh, fcntl.LOCK_EX | fcntl.LOCK_NB)
            except BlockingIOError:
                other = _holder(fh)
                fh.close()
                raise LockedError(f"partition {name} of {data} is being written by {other}; "
                                  "wait for it to finish or run a different window", other) from None
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


def ensure_unlocked(data: Path, names: list[str], scope: str | None = None, wait: float = 10.0) -> None:
    """Raise ``LockedError`` if another run holds one of the named partition locks (checked, not kept).

    The check takes the locks for an instant, so two checks at once (the mapped crawl tasks of
    one run start together) can meet: a lock held by another check is no writer, and is looked
    at again (for up to ``wait`` seconds) instead of refusing the task."""
    deadline = time.monotonic() + wait
    while True:
        try:
            with partition_locks(data, names, CHECK, scope):
                return
        except LockedError as exc:
            if not exc.holder.startswith(CHECK) or time.monotonic() > deadline:
                raise
        time.sleep(0.05)


@contextmanager
def exclusive(data: Path, name: str, scope: str | None = None) -> Iterator[None]:
    """A blocking lock, for work that must not run twice at once (the clusters' sync)."""
    remote = _remote(scope or str(data))
    if remote is not None:
        with remote.exclusive(name):
            yield
        return
    fh = _open(lock_file(data, name))
    try:
        fcntl.flock(fh, fcntl.LOCK_EX)
        yield
    finally:
        fcntl.flock(fh, fcntl.LOCK_UN)
        fh.close()
