"""UTF-8 read in compiled code (numba), for the tokenizer of ``pipeline.dedup.kernels``:
a code point from its bytes, which documents hold a character the fold table cannot
fold (Python folds those), and which take character shingles.
"""
from __future__ import annotations

import functools

import numpy as np

from pipeline.dedup.jit import njit

# ``fold_tables`` values beyond a code point: no single character stands for it (a text holding one
# is normalised in Python), and U+0130, which lower-cases to "i" and U+0307
UNFOLDABLE, DOTTED_I = -1, -2


@njit(cache=True, inline="always")
def decode(buf, i, end):
    """(code point, length) of the UTF-8 sequence at buf[i]; (-1, 1) for a malformed one."""
    b = np.int64(buf[i])
    if b < 0xC0:
        return -1, 1
    n, cp = (2, b & 0x1F) if b < 0xE0 else ((3, b & 0x0F) if b < 0xF0 else (4, b & 0x07))
    if i + n > end:
        return -1, 1
    for k in range(1, n):
        cp = (cp << 6) | (np.int64(buf[i + k]) & 0x3F)
    return cp, n


FOLDS, PYTHON, NFKC = 0, 1, 2  # ``unfoldable``'s answers


@functools.cache
def lower_table() -> np.ndarray:
    """``str.lower`` of each character of the Basic Multilingual Plane as one code point (int32):
    ``DOTTED_I`` for U+0130, ``UNFOLDABLE`` where it is not one character or depends on the
    neighbours (the capital sigma's). The tokenizer's table and the paragraph keys' start here."""
    table = np.fromiter((ord(low) if len(low := chr(c).lower()) == 1 else UNFOLDABLE for c in range(0x10000)),
                        dtype=np.int32, count=0x10000)
    table[0x130], table[0x3A3] = DOTTED_I, UNFOLDABLE
    return table


@njit(cache=True)
def unfoldable(buf, bounds, table, quick, ccc, skip, check_nfkc):
    """For each UTF-8 document: ``PYTHON`` when it holds a character ``table`` cannot fold (or one
    beyond the Basic Multilingual Plane, or a malformed sequence), ``NFKC`` when, with
    ``check_nfkc``, it may not be in NFKC (``unicodedata.is_normalized``'s quick check: a
    character whose ``quick`` value is 1, or combining marks out of canonical order by ``ccc``),
    else ``FOLDS``. Documents to ``skip`` (ASCII) are not read."""
    out = np.zeros(bounds.size - 1, dtype=np.uint8)
    for d in range(bounds.size - 1):
        if skip[d]:
            continue
        i, end, last = bounds[d], bounds[d + 1], 0
        while i < end:
            if buf[i] < 128:
                i += 1
                last = 0
                continue
            cp, n = decode(buf, i, end)
            if cp < 0 or cp >= table.size or table[cp] == UNFOLDABLE:
                out[d] = PYTHON
                break
            if check_nfkc:
                c = ccc[cp]
                if quick[cp] or (c != 0 and last > c):
                    out[d] = NFKC
                    break
                last = c
            i += n
    return out


_SAMPLE = 2000  # characters of the normalised text that decide word or character shingles


@njit(cache=True)
def char_docs(buf, bounds, fold, table, no_space, skip):
    """For each UTF-8 document not to ``skip``: does it take character shingles? The share of
    characters of scripts written without spaces (``no_space``) among the letters of the first
    ``_SAMPLE`` characters of its normalised text, counted as ``shingles.uses_char_shingles``
    counts them, characters folded as ``tokenize`` folds them."""
    out = np.zeros(bounds.size - 1, dtype=np.bool_)
    for d in range(bounds.size - 1):
        if skip[d]:
            continue
        seen, letters, cjk, gap = 0, 0, 0, False
        i, end = bounds[d], bounds[d + 1]
        while i < end and seen < _SAMPLE:
            if buf[i] < 128:
                c, cp, n = np.int64(fold[buf[i]]), 0, 1
            else:
                cp, n = decode(buf, i, end)
                c = np.int64(table[cp])
            i += n
            if c == 32:
                gap = True
                continue
            if gap and seen > 0:
                seen += 1  # the one space between two tokens
            gap = False
            for _ in range(2 if c == DOTTED_I else 1):
                if seen < _SAMPLE:
                    seen += 1
                    letters += 1
                    cjk += no_space[cp]
        out[d] = cjk > 0.3 * letters
    return out
