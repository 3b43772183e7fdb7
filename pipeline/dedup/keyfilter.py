"""A Bloom filter over every key of the persistent index, so a lookup asks SQLite only
about keys that may be there.

A daily run looks up about 190 keys for each of its 2,000 articles, and almost none
of them is stored (a new story shares no band with the history); each lookup is a
B-tree seek in a file of gigabytes at a million articles. One bit per key, at the
key's low bits (keys are already uniform 64-bit hashes): 2^30 bits (128 MiB, a
sparse memory-mapped file beside the index) answer "absent" for about 90% of
absent keys at 110 million stored keys, and never for a stored one. Bits are set
and flushed before the index's transaction commits, so a crash can only leave bits
for keys that are not stored (a wasted probe), never the reverse. Removed keys keep
their bits until the next rebuild.

Every process maps the same file, so one's bits are seen by all. A missing filter,
or one of another size, is made again from the stored keys in a temporary file that
replaces it only when complete, under a lock beside it: two processes opening a new
index at once both map the one finished file (one of them once truncated the file the
other had just sized), and a crash mid-way never leaves a filter that lacks keys.
"""
from __future__ import annotations

import fcntl
import mmap
import os
from pathlib import Path
from typing import Callable, Iterable

import numpy as np

BITS = 1 << 30


class KeyFilter:
    """``stored``: the keys already in the index, read only when the filter is made again."""

    def __init__(self, path: str | Path, bits: int = BITS,
                 stored: Callable[[], Iterable[np.ndarray]] | None = None):
        self.path, self.bits = Path(path), bits
        size = bits // 8
        with open(self.path.with_name(self.path.name + ".lock"), "a+b") as lock:
            fcntl.flock(lock, fcntl.LOCK_EX)  # released when the file closes, or the process dies
            self.fresh = not (self.path.exists() and self.path.stat().st_size == size)
            target = self.path.with_name(self.path.name + ".tmp") if self.fresh else self.path
            with open(target, "w+b" if self.fresh else "r+b") as f:
                if self.fresh:
                    f.truncate(size)  # sparse: disk and memory only for the pages bits land on
                self._mm = mmap.mmap(f.fileno(), size)
            self._bits = np.frombuffer(self._mm, dtype=np.uint8)
            if self.fresh:
                try:
                    for keys in (stored() if stored is not None else ()):
                        self.add(keys)
                except BaseException:  # the keys unreadable: the caller names the index; no mapping left open
                    self.close()
                    raise
                self.flush()
                os.replace(target, self.path)

    def _where(self, keys: np.ndarray) -> tuple[np.ndarray, np.ndarray]:
        idx = np.asarray(keys, dtype=np.int64).view(np.uint64) & np.uint64(self.bits - 1)
        return (idx >> np.uint64(3)).astype(np.int64), (np.uint8(1) << (idx & np.uint64(7)).astype(np.uint8))

    def maybe(self, keys: np.ndarray) -> np.ndarray:
        """False where a key is certainly not stored."""
        byte, bit = self._where(keys)
        return (self._bits[byte] & bit) != 0

    def add(self, keys: np.ndarray) -> None:
        byte, bit = self._where(keys)
        np.bitwise_or.at(self._bits, byte, bit)

    def flush(self) -> None:
        self._mm.flush()

    def clear(self) -> None:
        """Every bit off, in place (the pages given back where the file system can punch holes),
        so other processes mapping the file see it cleared too."""
        try:
            self._mm.madvise(mmap.MADV_REMOVE)
        except (AttributeError, OSError):  # no hole punching here: zeros written instead
            self._bits.fill(0)
        self.flush()

    def close(self) -> None:
        del self._bits
        self._mm.close()
