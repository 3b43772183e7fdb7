"""Paragraph keys in compiled code (numba): every paragraph of every text folded
as ``pipeline.articles.paragraphs.fold_paragraph`` folds it (``str.lower``, runs of
whitespace one space, none at the ends) and hashed in one pass over the texts' UTF-8
bytes, with no Python string made per paragraph: by ``blake.blake2b64`` where the
keys are stored, or by ``run_key`` where they live only in the run.
"""
from __future__ import annotations

import numpy as np

from pipeline.dedup.blake import blake2b64, le64
from pipeline.dedup.jit import njit
# a text holding a character in [ASTRAL_CASED_LO, ASTRAL_CASED_HI), one ``str.lower`` may change, is folded in Python
from pipeline.dedup.utf8 import ASTRAL_CASED_HI, ASTRAL_CASED_LO, DOTTED_I, UNFOLDABLE, decode
# each ASCII byte's lower case, whitespace (``str.isspace``: tab to carriage return, the separators
# 28 to 31, space) a space, the newline ``_NEWLINE``: it ends a paragraph
_NEWLINE = 255
_ASCII = np.array([_NEWLINE if b == 10 else 32 if chr(b).isspace() else ord(chr(b).lower()) for b in range(128)],
                  dtype=np.uint8)


@njit(cache=True, inline="always")
def _put(out, o, c):
    """Writes the UTF-8 bytes of code point ``c`` at ``out[o]``; the next free index."""
    if c < 0x80:
        out[o] = c
        return o + 1
    if c < 0x800:
        out[o], out[o + 1] = 0xC0 | (c >> 6), 0x80 | (c & 0x3F)
        return o + 2
    if c < 0x10000:
        out[o], out[o + 1], out[o + 2] = 0xE0 | (c >> 12), 0x80 | ((c >> 6) & 0x3F), 0x80 | (c & 0x3F)
        return o + 3
    out[o], out[o + 1] = 0xF0 | (c >> 18), 0x80 | ((c >> 12) & 0x3F)
    out[o + 2], out[o + 3] = 0x80 | ((c >> 6) & 0x3F), 0x80 | (c & 0x3F)
    return o + 4


_R1, _R2 = np.uint64(0x9E3779B185EBCA87), np.uint64(0xC2B2AE3D27D4EB4F)  # xxHash64's primes 1 and 2


@njit(cache=True)
def run_key(data, n):
    """A 64-bit hash of ``data[:n]`` for keys that never leave the run (a batch's boilerplate and
    digests, none stored): xxHash64's round on eight bytes at a time, finalised by MurmurHash3's
    mixer. 0.1 s less than BLAKE2b for 100 MB of paragraphs; on the bench's 20,000 texts it
    splits their 200,000 paragraphs into the same classes. Its values are not BLAKE2b's: a
    store never sees one (``ParagraphKeys.stored``)."""
    h, k = np.uint64(n) * _R1, 0
    while k < n:
        w = np.uint64(0)
        if k + 8 <= n:
            w = le64(data, k)
        else:
            for j in range(n - k):
                w |= np.uint64(data[k + j]) << np.uint64(8 * j)
        h = h + w * _R2
        h = ((h << np.uint64(31)) | (h >> np.uint64(33))) * _R1
        k += 8
    h = (h ^ (h >> np.uint64(33))) * np.uint64(0xFF51AFD7ED558CCD)
    h = (h ^ (h >> np.uint64(33))) * np.uint64(0xC4CEB9FE1A85EC53)
    return np.int64(h ^ (h >> np.uint64(33)))


@njit(cache=True)
def _paragraph_bounds(buf, bounds):
    """Where each text's paragraphs start among all texts' (a newline ends one). Each text is a
    slice indexed from 0: numba then drops its negative-index check and the compiler vectorises
    the count (4x: 0.055 -> 0.014 s for 100 MB)."""
    out = np.zeros(bounds.size, dtype=np.int64)
    for d in range(bounds.size - 1):
        text, count = buf[bounds[d]:bounds[d + 1]], 1
        for k in range(text.size):
            count += text[k] == 10
        out[d + 1] = out[d] + count
    return out


@njit(cache=True, inline="always")
def _spaces(out, o):
    n = 0
    for k in range(o):
        n += out[k] == 32
    return n


@njit(cache=True)
def scan(buf, bounds, case, stored):
    """For UTF-8 texts (``Packed``): (key, characters, words) of every folded paragraph (split at
    each newline), where each text's paragraphs start, and which texts Python must fold (a capital
    sigma, a cased character beyond the BMP: rows left unset). ``case``: ``str.lower`` of each BMP
    character, 32 where ``str.isspace`` (``UNFOLDABLE``, ``DOTTED_I``); ``stored``: BLAKE2b keys,
    else ``run_key``'s. A paragraph is folded into
    ``out`` and hashed there; its characters and words are counted from what was written (bytes
    less those beyond one a character; spaces), not in the loop: ASCII runs copy through one table
    with no branch but the run's end (0.13 s less for 100 MB)."""
    para = _paragraph_bounds(buf, bounds)
    keys = np.zeros(para[-1], dtype=np.int64)
    chars, words = np.zeros(para[-1], dtype=np.int32), np.ones(para[-1], dtype=np.int32)
    python = np.zeros(bounds.size - 1, dtype=np.bool_)
    longest = np.max(bounds[1:] - bounds[:-1]) if bounds.size > 1 else 0
    out = np.empty(3 * longest // 2 + 8, dtype=np.uint8)  # a lower case takes at most 1.5x the bytes
    h, m = np.zeros(8, dtype=np.uint64), np.zeros(16, dtype=np.uint64)
    for d in range(bounds.size - 1):
        i, end, p = bounds[d], bounds[d + 1], para[d]
        o, extra, gap = 0, 0, True  # gap: nothing written yet, or a space last (a run of them is one)
        while True:
            while i < end:  # ASCII: a space is written, then kept only after something else
                b = buf[i]
                c = _ASCII[b & 127]
                if b >= 128 or c == _NEWLINE:
                    break
                out[o] = c
                white = c == 32
                o += 0 if white and gap else 1
                gap, i = white, i + 1
            if i == end or buf[i] == 10:
                o -= 1 if gap and o > 0 else 0  # none at the end
                keys[p] = blake2b64(out, 0, o, h, m) if stored else run_key(out, o)
                chars[p], words[p] = o - extra, _spaces(out, o) + 1
                p, o, extra, gap = p + 1, 0, 0, True
                if i == end:
                    break
                i += 1
                continue
            cp, n = decode(buf, i, end)  # the character, folded, inline: a helper returning it ran 4x slower
            i += n
            if cp < 0 or ASTRAL_CASED_LO <= cp < ASTRAL_CASED_HI:
                python[d] = True
                break
            c = cp if cp >= 0x10000 else np.int64(case[cp])
            if c == 32:
                out[o] = 32
                o += 0 if gap else 1
                gap = True
                continue
            if c == UNFOLDABLE:
                python[d] = True
                break
            gap = False
            if c == DOTTED_I:  # "i" and U+0307
                out[o], out[o + 1], out[o + 2] = 0x69, 0xCC, 0x87
                o, extra = o + 3, extra + 1
            else:
                at = _put(out, o, c)
                o, extra = at, extra + at - o - 1
    return keys, chars, words, para, python
