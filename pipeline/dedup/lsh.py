"""Candidate generation: which signatures probably have Jaccard >= a threshold.

Two indexes with one interface, ``pairs(keys, signatures) -> (m, 2) int array``
of row positions ``i < j``:

- ``BandIndex``: in memory, all bands of all documents at once in compiled code
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
    """(n, bands) uint64: each band's ``rows`` values mixed into one 64-bit hash
    (``buckets.band_hashes``)."""
    from pipeline.dedup.buckets import band_hashes  # numba loads on first use
    if sigs.ndim != 2 or sigs.shape[1] < bands * rows:
        raise ValueError(f"signatures of shape {sigs.shape} hold fewer than {bands} bands of {rows} values")
    return band_hashes(np.ascontiguousarray(sigs), bands, rows, _MIX)


def _pairs_of(codes: np.ndarray, n: int) -> np.ndarray:
    """(m, 2) pairs from ``buckets.bucket_pairs``' codes ``i * n + j``, each once, in order."""
    codes = np.unique(codes)
    return np.column_stack([codes // n, codes % n])


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
    from pipeline.dedup.buckets import bucket_pairs  # numba loads on first use
    return _pairs_of(bucket_pairs(np.ascontiguousarray(keys).ravel(), k, n, n + 1), n)


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
        from pipeline.dedup.buckets import bucket_pairs
        hashes = _band_hashes(signatures, *self.params).T.copy()  # a band's hashes side by side
        n = len(keys)
        return _pairs_of(np.concatenate([bucket_pairs(band, 1, n, self.max_bucket) for band in hashes]), n)


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
