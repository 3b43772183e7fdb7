"""Candidate generation: which signatures probably have Jaccard >= a threshold.

Two indexes with one interface, ``pairs(keys, signatures) -> (m, 2) int array``
of row positions ``i < j``:

- ``BandIndex``: in memory, all bands of all documents at once with numpy
  (a band's rows are hashed to 64 bits, equal hashes are grouped by sorting).
  Fast; the default for one machine.
- ``SharedIndex``: datasketch's ``MinHashLSH`` with any of its storage
  backends (``storage_config={"type": "redis", "redis": {...}}``), so workers
  on several machines share one index and a run sees what others inserted.

Both use the bands and rows datasketch chooses for the threshold (recorded in
``params``) and propose the same pairs for the same signatures; the exact
verification that follows removes any chance collision.
"""
from __future__ import annotations

from functools import lru_cache
from typing import TYPE_CHECKING

import numpy as np

from pipeline.dedup.minhash import to_datasketch

if TYPE_CHECKING:
    from datasketch import LeanMinHash

_MIX = np.array([0x9E3779B97F4A7C15, 0xC2B2AE3D27D4EB4F, 0x165667B19E3779F9, 0xD6E8FEB86659FD93,
                 0xFF51AFD7ED558CCD, 0xC4CEB9FE1A85EC53, 0x94D049BB133111EB, 0xBF58476D1CE4E5B9],
                dtype=np.uint64)


# datasketch's choices for the thresholds and permutation counts in use (``tests/test_kernels.py``
# checks them against it): importing datasketch pulls in scipy, half a second of every process
KNOWN_PARAMS = {(0.25, 64): (18, 2), (0.25, 128): (42, 3), (0.25, 256): (64, 3), (0.3, 64): (21, 3),
                (0.3, 128): (37, 3), (0.3, 256): (64, 4), (0.5, 64): (14, 4), (0.5, 128): (25, 5),
                (0.5, 256): (42, 6)}


@lru_cache(maxsize=64)
def lsh_params(threshold: float, num_perm: int) -> tuple[int, int]:
    """(bands, rows) minimising false positives plus false negatives at ``threshold``, as
    datasketch's ``MinHashLSH`` chooses them (it integrates numerically: cached, it is asked
    for on every batch)."""
    if (threshold, num_perm) in KNOWN_PARAMS:
        return KNOWN_PARAMS[threshold, num_perm]
    from datasketch import MinHashLSH
    lsh = MinHashLSH(threshold=threshold, num_perm=num_perm)
    return lsh.b, lsh.r


def _band_hashes(sigs: np.ndarray, bands: int, rows: int) -> np.ndarray:
    """(n, bands) uint64: each band's ``rows`` values mixed into one 64-bit hash."""
    n = sigs.shape[0]
    cube = sigs[:, : bands * rows].reshape(n, bands, rows).astype(np.uint64)
    h = np.zeros((n, bands), dtype=np.uint64)
    with np.errstate(over="ignore"):
        for k in range(rows):
            h = (h ^ cube[:, :, k]) * _MIX[k % len(_MIX)]
            h ^= h >> np.uint64(29)
    return h


def _pairs_from_groups(codes: np.ndarray, max_bucket: int) -> np.ndarray:
    """Pairs (i < j) of positions sharing a code; a bucket larger than ``max_bucket``
    is joined as a star around its first member (enough to connect it)."""
    order = np.argsort(codes)  # not stable, 1.6x faster: each bucket's members are sorted below
    sorted_codes = codes[order]
    starts = np.flatnonzero(np.r_[True, sorted_codes[1:] != sorted_codes[:-1]])
    sizes = np.diff(np.r_[starts, len(codes)])
    out = [np.empty((0, 2), dtype=order.dtype)]
    # buckets of one size at a time, all of them in one (buckets, size) array: no loop per bucket
    for z in np.unique(sizes[sizes >= 2]):
        first = starts[sizes == z]
        members = np.sort(order[first[:, None] + np.arange(z)], axis=1)
        if z > max_bucket:
            out.append(np.column_stack([np.repeat(members[:, 0], z - 1), members[:, 1:].ravel()]))
        else:
            i, j = np.triu_indices(z, 1)
            out.append(np.column_stack([members[:, i].ravel(), members[:, j].ravel()]))
    return np.concatenate(out)


def band_keys(sigs: np.ndarray, params: tuple[int, int], salt: int) -> np.ndarray:
    """(n, bands) int64 keys of a persistent index: each band's hash mixed with its band
    number and ``salt`` (one per index kind), so that one key column holds every band of
    every kind and equal keys mean the same band of the same kind (or a 2^-64 collision,
    which verification removes)."""
    bands, rows = params
    h = _band_hashes(sigs, bands, rows)
    tag = (np.arange(bands, dtype=np.uint64) + np.uint64(salt << 16)) * _MIX[3]
    with np.errstate(over="ignore"):
        h = (h ^ tag) * _MIX[4]
        h ^= h >> np.uint64(31)
    return (h & ~np.uint64(1)).view(np.int64)  # lowest bit 0: never equal to a paragraph key


def pairs_sharing(keys: np.ndarray) -> np.ndarray:
    """(m, 2) pairs ``i < j`` of rows of ``keys`` (n, k) that share at least one key: the
    candidate relation of the persistent index, with no cap on a bucket's size."""
    n, k = keys.shape
    if n < 2 or k == 0:
        return np.empty((0, 2), dtype=np.int64)
    rows = np.repeat(np.arange(n, dtype=np.int64), k)
    found = _pairs_from_groups(keys.ravel(), max_bucket=n + 1)
    if not len(found):
        return np.empty((0, 2), dtype=np.int64)
    a, b = rows[found[:, 0]], rows[found[:, 1]]
    keep = a != b
    lo, hi = np.minimum(a, b)[keep], np.maximum(a, b)[keep]
    codes = np.unique(lo * np.int64(n) + hi)
    return np.column_stack([codes // n, codes % n])


class BandIndex:
    """In-memory LSH over a batch of signatures.

    ``threshold`` trades recall for verification work: a lower one proposes
    more pairs (each checked exactly later), a higher one misses more copies.
    """

    def __init__(self, threshold: float, num_perm: int, max_bucket: int = 500):
        self.params = lsh_params(threshold, num_perm)
        self.max_bucket = max_bucket

    def pairs(self, keys: list[str], signatures: np.ndarray) -> np.ndarray:
        if len(keys) < 2:
            return np.empty((0, 2), dtype=np.int64)
        bands, rows = self.params
        hashes = _band_hashes(signatures, bands, rows)
        found = [_pairs_from_groups(hashes[:, b], self.max_bucket) for b in range(bands)]
        allp = np.concatenate(found).astype(np.int64)
        if not len(allp):
            return allp.reshape(0, 2)
        n = np.int64(len(keys))
        codes = np.unique(allp[:, 0] * n + allp[:, 1])
        return np.column_stack([codes // n, codes % n])


class SharedIndex:
    """datasketch ``MinHashLSH`` behind the same interface, for shared storage backends."""

    def __init__(self, threshold: float, num_perm: int, seed: int = 1, storage_config: dict | None = None,
                 basename: bytes | None = None, suffix: bytes = b""):
        self.params = lsh_params(threshold, num_perm)
        self.seed = seed
        config = dict(storage_config or {"type": "dict"})
        if config.get("type") == "redis":  # one key prefix per index: full-text and lead indexes must not mix
            config["basename"] = (basename or config.get("basename") or b"newspipe") + suffix
        from datasketch import MinHashLSH
        self.lsh = MinHashLSH(num_perm=num_perm, params=self.params, storage_config=config)

    def _mh(self, signature: np.ndarray) -> "LeanMinHash":
        return to_datasketch(signature, self.seed)

    def insert_many(self, keys: list[str], signatures: np.ndarray) -> None:
        with self.lsh.insertion_session(buffer_size=10_000) as session:
            for key, sig in zip(keys, signatures):
                if key not in self.lsh:
                    session.insert(key, self._mh(sig), check_duplication=False)

    def query(self, signature: np.ndarray) -> list[str]:
        return list(self.lsh.query(self._mh(signature)))

    def pairs(self, keys: list[str], signatures: np.ndarray) -> np.ndarray:
        """Candidate pairs among ``keys`` (keys inserted earlier by other runs are ignored here)."""
        self.insert_many(keys, signatures)
        pos = {k: i for i, k in enumerate(keys)}
        out = set()
        for i, sig in enumerate(signatures):
            for other in self.query(sig):
                j = pos.get(other)
                if j is not None and j != i:
                    out.add((min(i, j), max(i, j)))
        return np.array(sorted(out), dtype=np.int64).reshape(-1, 2)
