"""Sorting in compiled code (numba): each text's shingle hashes in order with repeats dropped,
the sets verification merges (``kernels.common_above``) and MinHash reads.
"""
from __future__ import annotations

import numpy as np

from pipeline.dedup.jit import njit

SORT_COUNTS = (1 << 16) + 1  # the scratch ``_sort_unique`` counts buckets in
_MOST_A_BUCKET = 32  # values that one bucket may hold before a text is radix-sorted instead


@njit(cache=True)
def _sort_unique(arr, start, stop, tmp, counts):
    """Sorts arr[start:stop] in place and drops repeats; returns the new stop. ``tmp``: scratch
    of the values' size; ``counts``: int64 scratch of ``SORT_COUNTS``.

    The values are hashes, spread evenly: one pass counts them into 2n to 4n buckets by their
    top bits, one puts each in its bucket, and an insertion sort orders the few of each bucket
    (2x faster than the LSD radix sort of ``_radix_sort_unique``, four passes, on a text's
    hundreds of shingles). Values that crowd into one bucket (not spread: an input made to
    collide) are radix-sorted instead, so no text costs the square of its size.
    """
    n = stop - start
    if n < 2:
        return stop
    bits = 2
    while (1 << (bits - 1)) <= n and bits < 16:
        bits += 1
    shift, buckets = np.uint32(32 - bits), 1 << bits
    c = counts[:buckets + 1]
    c[:] = 0
    src, dst = arr[start:stop], tmp[:n]
    for k in range(n):
        c[(src[k] >> shift) + 1] += 1
    crowded = False
    for j in range(buckets):
        crowded |= c[j + 1] > _MOST_A_BUCKET
        c[j + 1] += c[j]
    if crowded:
        return _radix_sort_unique(arr, start, stop, tmp, counts[:1024].reshape(4, 256))
    for k in range(n):
        v = src[k]
        b = v >> shift
        dst[c[b]] = v
        c[b] += 1
    for k in range(1, n):  # only the values of one bucket are out of order
        v, j = dst[k], k
        while j > 0 and dst[j - 1] > v:
            dst[j] = dst[j - 1]
            j -= 1
        dst[j] = v
    src[0], w = dst[0], 1
    for k in range(1, n):
        if dst[k] != src[w - 1]:
            src[w] = dst[k]
            w += 1
    return start + w


@njit(cache=True)
def _radix_sort_unique(arr, start, stop, tmp, counts):
    """``_sort_unique`` by an LSD radix sort, byte by byte (``counts``: (4, 256) scratch)."""
    n = stop - start
    counts[:] = 0
    for k in range(start, stop):
        v = arr[k]
        counts[0, v & 255] += 1
        counts[1, (v >> 8) & 255] += 1
        counts[2, (v >> 16) & 255] += 1
        counts[3, v >> 24] += 1
    src = arr[start:stop]
    dst = tmp[:n]
    for p in range(4):
        shift = 8 * p
        total = 0
        for j in range(256):
            c = counts[p, j]
            counts[p, j] = total
            total += c
        for k in range(n):
            v = src[k]
            j = (v >> shift) & 255
            dst[counts[p, j]] = v
            counts[p, j] += 1
        src, dst = dst, src  # an even number of passes ends in arr
    w = start + 1
    for k in range(start + 1, stop):
        if arr[k] != arr[w - 1]:
            arr[w] = arr[k]
            w += 1
    return w


@njit(cache=True)
def sorted_sets(flat, bounds, rows):
    """Documents ``rows`` of ``flat`` (``bounds`` as ``shingle_docs`` gives them), each sorted
    with repeats dropped, in a new flat array: (values, bounds)."""
    size, longest = 0, 1
    for d in rows:
        size += bounds[d + 1] - bounds[d]
        longest = max(longest, bounds[d + 1] - bounds[d])
    out, out_b = np.empty(size, dtype=flat.dtype), np.zeros(rows.size + 1, dtype=np.int64)
    tmp, counts = np.empty(longest, dtype=flat.dtype), np.zeros(SORT_COUNTS, dtype=np.int64)
    w = 0
    for k in range(rows.size):
        start, stop = bounds[rows[k]], bounds[rows[k] + 1]
        out[w:w + stop - start] = flat[start:stop]
        w = _sort_unique(out, w, w + stop - start, tmp, counts)
        out_b[k + 1] = w
    return out[:w], out_b
