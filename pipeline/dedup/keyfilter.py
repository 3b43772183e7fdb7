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
"""
from __future__ import annotations

import mmap
from pathlib import Path

import numpy as np

BITS = 1 << 30


class KeyFilter:
    def __init__(self, path: str | Path, bits: int = BITS):
        self.path, self.bits = Path(path), bits
        size = bits // 8
        self.fresh = not (self.path.exists() and self.path.stat().st_size == size)
        with open(self.path, "w+b" if self.fresh else "r+b") as f:
            if self.fresh:
                f.truncate(size)  # sparse: disk and memory only for the pages bits land on
            self._mm = mmap.mmap(f.fileno(), size)
        self._bits = np.frombuffer(self._mm, dtype=np.uint8)

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
        """Every bit off: the file made sparse again (no page of it touched)."""
        self.close()
        self.path.unlink(missing_ok=True)
        self.__init__(self.path, self.bits)

    def close(self) -> None:
        del self._bits
        self._mm.close()
