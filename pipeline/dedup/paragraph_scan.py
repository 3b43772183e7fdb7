"""Paragraph keys in compiled code (numba): every paragraph of every text folded
as ``pipeline.articles.paragraphs.fold_paragraph`` folds it (``str.lower``, runs of
whitespace one space, none at the ends) and hashed (``blake.blake2b64``) in one
pass over the texts' UTF-8 bytes, with no Python string made per paragraph.
"""
from __future__ import annotations

import numpy as np

from pipeline.dedup.blake import blake2b64
from pipeline.dedup.jit import njit
# a text holding a character in [ASTRAL_CASED_LO, ASTRAL_CASED_HI), one ``str.lower`` may change, is folded in Python
from pipeline.dedup.utf8 import ASTRAL_CASED_HI, ASTRAL_CASED_LO, DOTTED_I, UNFOLDABLE, decode
# each ASCII byte's lower case, ``_WHITE`` for whitespace (``str.isspace``: tab to carriage return,
# the separators 28 to 31, space)
_WHITE = 255
_ASCII = np.array([_WHITE if chr(b).isspace() else ord(chr(b).lower()) for b in range(128)], dtype=np.uint8)


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


@njit(cache=True)
def _paragraph_bounds(buf, bounds):
    out = np.zeros(bounds.size, dtype=np.int64)
    for d in range(bounds.size - 1):
        count = 1
        for i in range(bounds[d], bounds[d + 1]):
            count += buf[i] == 10
        out[d + 1] = out[d] + count
    return out


@njit(cache=True)
def scan(buf, bounds, case, space):
    """For UTF-8 texts (``Packed``): (key, characters, words) of every folded paragraph (split at
    each newline), where each text's paragraphs start, and which texts Python must fold (a capital
    sigma, a cased character beyond the BMP: rows left unset). ``case``: ``str.lower`` of each BMP
    character (``UNFOLDABLE``, ``DOTTED_I``); ``space``: 1 where ``str.isspace``."""
    para = _paragraph_bounds(buf, bounds)
    keys = np.zeros(para[-1], dtype=np.int64)
    chars, words = np.zeros(para[-1], dtype=np.int32), np.ones(para[-1], dtype=np.int32)
    python = np.zeros(bounds.size - 1, dtype=np.bool_)
    longest = np.max(bounds[1:] - bounds[:-1]) if bounds.size > 1 else 0
    out = np.empty(3 * longest // 2 + 8, dtype=np.uint8)  # a lower case takes at most 1.5x the bytes
    h, m = np.zeros(8, dtype=np.uint64), np.zeros(16, dtype=np.uint64)
    for d in range(bounds.size - 1):
        i, end, p = bounds[d], bounds[d + 1], para[d]
        o, n_chars, n_words, gap = 0, 0, 1, False
        while True:
            if i < end and buf[i] < 128 and buf[i] != 10:  # ASCII: one table lookup, no decode
                c, i = _ASCII[buf[i]], i + 1
                if c == _WHITE:
                    gap = o > 0
                    continue
                if gap:
                    out[o], o, n_chars, n_words, gap = 32, o + 1, n_chars + 1, n_words + 1, False
                out[o], o, n_chars = c, o + 1, n_chars + 1
                continue
            if i == end or buf[i] == 10:
                keys[p], chars[p], words[p] = blake2b64(out, 0, o, h, m), n_chars, n_words
                p, o, n_chars, n_words, gap = p + 1, 0, 0, 1, False
                if i == end:
                    break
                i += 1
                continue
            c = np.int64(buf[i])  # the character, folded, inline: a helper returning it ran 4x slower
            if c < 128:
                white = c == 32 or 9 <= c <= 13 or 28 <= c <= 31
                c, i = c + 32 if 65 <= c <= 90 else c, i + 1
            else:
                cp, n = decode(buf, i, end)
                i += n
                if cp < 0 or ASTRAL_CASED_LO <= cp < ASTRAL_CASED_HI:
                    c, white = UNFOLDABLE, False
                elif cp >= 0x10000:
                    c, white = cp, False
                else:
                    c, white = np.int64(case[cp]), space[cp] == 1
            if white:
                gap = o > 0
                continue
            if c == UNFOLDABLE:
                python[d] = True
                break
            if gap:
                out[o] = 32
                o, n_chars, n_words, gap = o + 1, n_chars + 1, n_words + 1, False
            if c == DOTTED_I:  # "i" and U+0307
                out[o], out[o + 1], out[o + 2] = 0x69, 0xCC, 0x87
                o, n_chars = o + 3, n_chars + 2
            else:
                o, n_chars = _put(out, o, c), n_chars + 1
    return keys, chars, words, para, python
