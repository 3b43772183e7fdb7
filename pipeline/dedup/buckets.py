"""LSH band hashes and buckets to candidate pairs in compiled code (numba).

Grouping equal band keys by sorting and turning each bucket into pairs took
numpy a sort, a mask and a temporary array per bucket size for every band;
this does a band in one radix sort and one pass, writing each pair as one
``i * n + j`` code (``np.unique`` of the codes then drops pairs found in
several bands).
"""
from __future__ import annotations

import numpy as np

from pipeline.dedup.jit import njit


@njit(cache=True)
def band_hashes(sigs, bands, rows, mix):
    """(n, bands) uint64: the ``rows`` values of each band of each signature mixed into one hash
    (``h = (h ^ value) * mix[k]; h ^= h >> 29`` for the k-th): numpy made a uint64 copy of the
    signatures and a pass over all of them per row (three tiers of 20,000 texts: 0.025 s once
    its memory is warm, more in a new process; this 0.013 s)."""
    n = sigs.shape[0]
    out = np.empty((n, bands), dtype=np.uint64)
    for i in range(n):
        for band in range(bands):
            h = np.uint64(0)
            for k in range(rows):
                h = (h ^ np.uint64(sigs[i, band * rows + k])) * mix[k % mix.size]
                h ^= h >> np.uint64(29)
            out[i, band] = h
    return out


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
    Repeats are not removed here.
    """
    return _pairs(*_radix_sort(np.ascontiguousarray(codes).view(np.uint64)), per_doc, n_docs, max_bucket)


@njit(cache=True)
def _radix_sort(keys):
    """(keys grouped: equal ones side by side, where each came from). A least-significant-digit
    radix sort of their low four bytes, a byte a pass; a run of equal low bytes that holds
    different keys (two keys in 2^32 do) is then sorted whole. Grouping 1.7 million tier keys
    took numpy's ``argsort`` 0.17 s, eight passes 0.07 s, these four 0.044 s."""
    n = keys.size
    cur, spare = keys.copy(), np.empty(n, dtype=np.uint64)
    order, spare_order = np.arange(n), np.empty(n, dtype=np.int64)
    counts = np.zeros((4, 256), dtype=np.int64)
    for i in range(n):
        for p in range(4):
            counts[p, (cur[i] >> np.uint64(8 * p)) & np.uint64(255)] += 1
    for p in range(4):
        total = 0
        for j in range(256):
            total, counts[p, j] = total + counts[p, j], total
        shift = np.uint64(8 * p)
        for i in range(n):  # ``digit``, not ``j``: one name for uint64 and int64 types as float64, by chance
            digit = np.int64((cur[i] >> shift) & np.uint64(255))
            at = counts[p, digit]
            spare[at], spare_order[at], counts[p, digit] = cur[i], order[i], at + 1
        cur, spare, order, spare_order = spare, cur, spare_order, order
    _sort_mixed_runs(cur, order)
    return cur, order


@njit(cache=True)
def _sort_mixed_runs(cur, order):
    """Sorts (insertion, with ``order``) each run of equal low four bytes that holds different keys."""
    low, start = np.uint64(0xFFFFFFFF), 0
    for end in range(1, cur.size + 1):
        if end < cur.size and (cur[end] & low) == (cur[start] & low):
            continue
        for k in range(start + 1, end):
            v, o, at = cur[k], order[k], k
            while at > start and cur[at - 1] > v:
                cur[at], order[at] = cur[at - 1], order[at - 1]
                at -= 1
            cur[at], order[at] = v, o
        start = end


@njit(cache=True)
def _pairs(sorted_codes, order, per_doc, n_docs, max_bucket):
    """``bucket_pairs`` once the codes are sorted (``order``: where each came from)."""
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
