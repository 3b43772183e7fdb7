"""Candidate generation with datasketch's MinHashLSH, behind one small interface.

The index lives in memory by default or in Redis through datasketch's
storage backend (``storage_config={"type": "redis", "redis": {...}}``), so
several workers can share one index. Bands and rows are chosen by datasketch
for the threshold and recorded in ``params`` so a run can report them.
"""
from __future__ import annotations

from collections.abc import Iterable

import numpy as np
from datasketch import LeanMinHash, MinHashLSH
from datasketch.lsh import _optimal_param

from pipeline.minhash import SCHEME


def lsh_params(threshold: float, num_perm: int) -> tuple[int, int]:
    """(bands, rows) minimising false positives plus false negatives at ``threshold``."""
    return _optimal_param(threshold, num_perm, 0.5, 0.5)


class CandidateIndex:
    """Find keys whose signatures probably have Jaccard >= ``threshold`` with a query.

    ``threshold`` trades recall for verification work: a lower one proposes
    more pairs (each checked exactly later), a higher one misses more copies.
    """

    def __init__(self, threshold: float, num_perm: int, seed: int = 1, storage_config: dict | None = None,
                 basename: bytes | None = None):
        self.params = lsh_params(threshold, num_perm)
        self.seed = seed
        config = dict(storage_config or {"type": "dict"})
        if basename is not None and config.get("type") == "redis":
            config["basename"] = basename
        self.lsh = MinHashLSH(num_perm=num_perm, params=self.params, storage_config=config)

    def _mh(self, signature: np.ndarray) -> LeanMinHash:
        return LeanMinHash(seed=self.seed, hashvalues=signature, scheme=SCHEME)

    def insert_many(self, keys: Iterable[str], signatures: np.ndarray) -> None:
        with self.lsh.insertion_session(buffer_size=10_000) as session:
            for key, sig in zip(keys, signatures):
                if key not in self.lsh:
                    session.insert(key, self._mh(sig), check_duplication=False)

    def query(self, signature: np.ndarray) -> list[str]:
        return list(self.lsh.query(self._mh(signature)))

    def pairs(self, keys: list[str], signatures: np.ndarray) -> set[tuple[str, str]]:
        """Every candidate pair (a < b) among ``keys``, plus any already in the index."""
        self.insert_many(keys, signatures)
        out: set[tuple[str, str]] = set()
        for key, sig in zip(keys, signatures):
            for other in self.query(sig):
                if other != key:
                    out.add((key, other) if key < other else (other, key))
        return out
