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


@njit(cache=True, inline="always")
def _round(v, m, s0, s1, s2, s3, s4, s5, s6, s7, s8, s9, s10, s11, s12, s13, s14, s15):
    """One round over the working vector ``v`` (sixteen values), the message words taken in the
    order ``s0..s15`` (a row of RFC 7693's SIGMA): constants where it is inlined, so the
    compiler addresses ``m`` directly (a SIGMA table read at run time made BLAKE2b 15-20% slower)."""
    v0, v1, v2, v3, v4, v5, v6, v7, v8, v9, v10, v11, v12, v13, v14, v15 = v
    v0, v4, v8, v12 = _g(v0, v4, v8, v12, m[s0], m[s1])
    v1, v5, v9, v13 = _g(v1, v5, v9, v13, m[s2], m[s3])
    v2, v6, v10, v14 = _g(v2, v6, v10, v14, m[s4], m[s5])
    v3, v7, v11, v15 = _g(v3, v7, v11, v15, m[s6], m[s7])
    v0, v5, v10, v15 = _g(v0, v5, v10, v15, m[s8], m[s9])
    v1, v6, v11, v12 = _g(v1, v6, v11, v12, m[s10], m[s11])
    v2, v7, v8, v13 = _g(v2, v7, v8, v13, m[s12], m[s13])
    v3, v4, v9, v14 = _g(v3, v4, v9, v14, m[s14], m[s15])
    return v0, v1, v2, v3, v4, v5, v6, v7, v8, v9, v10, v11, v12, v13, v14, v15


@njit(cache=True)
def _compress(h, m, counter, last):
    """One block: the working vector in sixteen locals (registers), not an array; twelve rounds,
    the last two repeating SIGMA's first two rows."""
    v = (h[0], h[1], h[2], h[3], h[4], h[5], h[6], h[7], _IV[0], _IV[1], _IV[2], _IV[3],
         _IV[4] ^ np.uint64(counter), _IV[5], ~_IV[6] if last else _IV[6], _IV[7])
    v = _round(v, m, 0, 1, 2, 3, 4, 5, 6, 7, 8, 9, 10, 11, 12, 13, 14, 15)
    v = _round(v, m, 14, 10, 4, 8, 9, 15, 13, 6, 1, 12, 0, 2, 11, 7, 5, 3)
    v = _round(v, m, 11, 8, 12, 0, 5, 2, 15, 13, 10, 14, 3, 6, 7, 1, 9, 4)
    v = _round(v, m, 7, 9, 3, 1, 13, 12, 11, 14, 2, 6, 5, 10, 4, 0, 15, 8)
    v = _round(v, m, 9, 0, 5, 7, 2, 4, 10, 15, 14, 1, 11, 12, 6, 8, 3, 13)
    v = _round(v, m, 2, 12, 6, 10, 0, 11, 8, 3, 4, 13, 7, 5, 15, 14, 1, 9)
    v = _round(v, m, 12, 5, 1, 15, 14, 13, 4, 10, 0, 7, 6, 3, 9, 2, 8, 11)
    v = _round(v, m, 13, 11, 7, 14, 12, 1, 3, 9, 5, 0, 15, 4, 8, 6, 2, 10)
    v = _round(v, m, 6, 15, 14, 9, 11, 3, 0, 8, 12, 2, 13, 7, 1, 4, 10, 5)
    v = _round(v, m, 10, 2, 8, 4, 7, 6, 1, 5, 15, 11, 9, 14, 3, 12, 13, 0)
    v = _round(v, m, 0, 1, 2, 3, 4, 5, 6, 7, 8, 9, 10, 11, 12, 13, 14, 15)
    v = _round(v, m, 14, 10, 4, 8, 9, 15, 13, 6, 1, 12, 0, 2, 11, 7, 5, 3)
    for k in range(8):
        h[k] ^= v[k] ^ v[k + 8]


@njit(cache=True, inline="always")
def le64(data, i):
    """The little-endian 64-bit word of ``data[i:i + 8]``."""
    return (np.uint64(data[i]) | np.uint64(data[i + 1]) << np.uint64(8) | np.uint64(data[i + 2]) << np.uint64(16)
            | np.uint64(data[i + 3]) << np.uint64(24) | np.uint64(data[i + 4]) << np.uint64(32)
            | np.uint64(data[i + 5]) << np.uint64(40) | np.uint64(data[i + 6]) << np.uint64(48)
            | np.uint64(data[i + 7]) << np.uint64(56))


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
        if block == 128:  # eight bytes a word, which the compiler reads as one load
            for k in range(16):
                m[k] = le64(data, start + done + 8 * k)
        else:
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
