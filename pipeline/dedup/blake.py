"""BLAKE2b with an 8-byte digest in compiled code (numba), equal to
``hashlib.blake2b(data, digest_size=8)``.

Paragraph keys (the boilerplate memory's and the digests') are that hash of a
paragraph's folded UTF-8 bytes. Hundreds of thousands of paragraphs a run made
one ``hashlib`` call each from Python; the compiled scan of
``pipeline.dedup.paragraph_scan`` hashes them where it folds them, with the same
values, so nothing stored changes. RFC 7693; ``tests/test_kernels.py`` checks it
against ``hashlib``.
"""
from __future__ import annotations

import numpy as np

from pipeline.dedup.jit import njit

_IV = np.array([0x6A09E667F3BCC908, 0xBB67AE8584CAA73B, 0x3C6EF372FE94F82B, 0xA54FF53A5F1D36F1,
                0x510E527FADE682D1, 0x9B05688C2B3E6C1F, 0x1F83D9ABFB41BD6B, 0x5BE0CD19137E2179], dtype=np.uint64)
_SIGMA = np.array([
    [0, 1, 2, 3, 4, 5, 6, 7, 8, 9, 10, 11, 12, 13, 14, 15],
    [14, 10, 4, 8, 9, 15, 13, 6, 1, 12, 0, 2, 11, 7, 5, 3],
    [11, 8, 12, 0, 5, 2, 15, 13, 10, 14, 3, 6, 7, 1, 9, 4],
    [7, 9, 3, 1, 13, 12, 11, 14, 2, 6, 5, 10, 4, 0, 15, 8],
    [9, 0, 5, 7, 2, 4, 10, 15, 14, 1, 11, 12, 6, 8, 3, 13],
    [2, 12, 6, 10, 0, 11, 8, 3, 4, 13, 7, 5, 15, 14, 1, 9],
    [12, 5, 1, 15, 14, 13, 4, 10, 0, 7, 6, 3, 9, 2, 8, 11],
    [13, 11, 7, 14, 12, 1, 3, 9, 5, 0, 15, 4, 8, 6, 2, 10],
    [6, 15, 14, 9, 11, 3, 0, 8, 12, 2, 13, 7, 1, 4, 10, 5],
    [10, 2, 8, 4, 7, 6, 1, 5, 15, 11, 9, 14, 3, 12, 13, 0]], dtype=np.int64)
_PARAMS = np.uint64(0x01010008)  # digest length 8, no key, fan-out 1, depth 1


@njit(cache=True, inline="always")
def _rotr(x, n):
    return (x >> np.uint64(n)) | (x << np.uint64(64 - n))


@njit(cache=True, inline="always")
def _g(a, b, c, d, x, y):
    a = a + b + x
    d = _rotr(d ^ a, 32)
    c = c + d
    b = _rotr(b ^ c, 24)
    a = a + b + y
    d = _rotr(d ^ a, 16)
    c = c + d
    b = _rotr(b ^ c, 63)
    return a, b, c, d


@njit(cache=True)
def _compress(h, m, counter, last):
    """One block: the working vector in sixteen locals (registers), not an array."""
    v0, v1, v2, v3, v4, v5, v6, v7 = h[0], h[1], h[2], h[3], h[4], h[5], h[6], h[7]
    v8, v9, v10, v11, v12, v13, v14, v15 = _IV[0], _IV[1], _IV[2], _IV[3], _IV[4], _IV[5], _IV[6], _IV[7]
    v12 ^= np.uint64(counter)
    if last:
        v14 = ~v14
    for r in range(12):
        s = _SIGMA[r % 10]
        v0, v4, v8, v12 = _g(v0, v4, v8, v12, m[s[0]], m[s[1]])
        v1, v5, v9, v13 = _g(v1, v5, v9, v13, m[s[2]], m[s[3]])
        v2, v6, v10, v14 = _g(v2, v6, v10, v14, m[s[4]], m[s[5]])
        v3, v7, v11, v15 = _g(v3, v7, v11, v15, m[s[6]], m[s[7]])
        v0, v5, v10, v15 = _g(v0, v5, v10, v15, m[s[8]], m[s[9]])
        v1, v6, v11, v12 = _g(v1, v6, v11, v12, m[s[10]], m[s[11]])
        v2, v7, v8, v13 = _g(v2, v7, v8, v13, m[s[12]], m[s[13]])
        v3, v4, v9, v14 = _g(v3, v4, v9, v14, m[s[14]], m[s[15]])
    h[0] ^= v0 ^ v8
    h[1] ^= v1 ^ v9
    h[2] ^= v2 ^ v10
    h[3] ^= v3 ^ v11
    h[4] ^= v4 ^ v12
    h[5] ^= v5 ^ v13
    h[6] ^= v6 ^ v14
    h[7] ^= v7 ^ v15


@njit(cache=True)
def blake2b64(data, start, end, h, m):
    """``int.from_bytes(blake2b(data[start:end], digest_size=8).digest(), "big", signed=True)``.
    ``h`` (8) and ``m`` (16) are uint64 scratch arrays the caller keeps."""
    for k in range(8):
        h[k] = _IV[k]
    h[0] ^= _PARAMS
    n = end - start
    done = 0
    while True:
        block = min(128, n - done)
        for k in range(16):
            m[k] = 0
        for k in range(block):
            m[k >> 3] |= np.uint64(data[start + done + k]) << np.uint64(8 * (k & 7))
        done += block
        last = done >= n
        _compress(h, m, done, last)
        if last:
            break
    out = np.uint64(0)
    x = h[0]
    for k in range(8):  # the digest's bytes are h[0] little-endian; read them big-endian
        out = (out << np.uint64(8)) | ((x >> np.uint64(8 * k)) & np.uint64(0xFF))
    return np.int64(out)
