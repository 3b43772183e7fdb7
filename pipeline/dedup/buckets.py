"""LSH buckets to candidate pairs in compiled code (numba).

Grouping equal band keys by sorting and turning each bucket into pairs took
numpy a sort, a mask and a temporary array per bucket size for every band;
this loop does a band in one sort and one pass, writing each pair as one
``i * n + j`` code (``np.unique`` of the codes then drops pairs found in
several bands).
"""
from __future__ import annotations

import numpy as np

from pipeline.dedup.jit import njit


@njit(cache=True)
def _bucket_ends(sorted_codes):
    """Where each run of equal values ends."""
    m = sorted_codes.size
    ends = np.empty(m, dtype=np.int64)
    k = 0
    for i in range(1, m + 1):
        if i == m or sorted_codes[i] != sorted_codes[i - 1]:
            ends[k] = i
            k += 1
    return ends[:k]


def bucket_pairs(codes: np.ndarray, per_doc: int, n_docs: int, max_bucket: int) -> np.ndarray:
    """Codes ``i * n_docs + j`` (i < j) of the documents that share a value of ``codes``.

    ``codes[c]`` belongs to document ``c // per_doc`` (each document's values side
    by side). A bucket of more than ``max_bucket`` values is joined as a star
    around its first document (enough to connect it, without its square).
    Repeats are not removed here. The sort is numpy's (SIMD, 3x numba's).
    """
    order = np.argsort(codes)
    return _pairs(codes[order], order, per_doc, n_docs, max_bucket)


@njit(cache=True)
def _pairs(sorted_codes, order, per_doc, n_docs, max_bucket):
    ends = _bucket_ends(sorted_codes)
    total, start = 0, 0
    for e in ends:
        z = e - start
        total += (z - 1) if z > max_bucket else z * (z - 1) // 2
        start = e
    out = np.empty(total, dtype=np.int64)
    w, start = 0, 0
    for e in ends:
        if e - start > max_bucket:  # a star around the bucket's first document
            first = start
            for a in range(start + 1, e):
                if order[a] < order[first]:
                    first = a
            order[start], order[first] = order[first], order[start]
        last = start + 1 if e - start > max_bucket else e
        for a in range(start, last):
            da = order[a] // per_doc
            for b in range(a + 1, e):
                db = order[b] // per_doc
                if da != db:
                    out[w] = min(da, db) * n_docs + max(da, db)
                    w += 1
        start = e
    return out[:w]
