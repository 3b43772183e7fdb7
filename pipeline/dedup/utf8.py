"""UTF-8 read in compiled code (numba), for the tokenizer of ``pipeline.dedup.kernels``:
a code point from its bytes, which documents are ASCII, which hold a character the fold
table cannot fold (Python folds those), and, for the attribution pre-filter, some
documents with each character replaced through a table.
"""
from __future__ import annotations

import numpy as np

from pipeline.dedup.jit import njit
from pipeline.dedup.tables import on_disk

# ``fold_tables`` values beyond a code point: no single character stands for it (a text holding one
# is normalised in Python), and U+0130, which lower-cases to "i" and U+0307
UNFOLDABLE, DOTTED_I = -1, -2
# code points beyond the Basic Multilingual Plane that ``str.lower`` may change lie in
# [ASTRAL_CASED_LO, ASTRAL_CASED_HI) (Deseret to Adlam; ``tests/test_kernels.py`` checks it). The
# tokenizer's tables reach TABLE_END: the emoji and other symbols past Adlam fold there like the
# Basic Multilingual Plane, the rest of the planes beyond it in Python (``shingles.fold_tables``)
ASTRAL_CASED_LO, ASTRAL_CASED_HI, TABLE_END = 0x10400, 0x1E960, 0x20000


@njit(cache=True, inline="always")
def decode(buf, i, end):
    """(code point, length) of the UTF-8 sequence at buf[i]; (-1, 1) for a malformed one. Each
    length written out, not a loop over the continuation bytes: the NFKC check ran 1.9x faster
    under numba's JIT, the command 1.03x on the sentences bench."""
    b = np.int64(buf[i])
    if b < 0xC0:
        return -1, 1
    if b < 0xE0:
        return (((b & 0x1F) << 6) | (np.int64(buf[i + 1]) & 0x3F), 2) if i + 2 <= end else (-1, 1)
    if b < 0xF0:
        if i + 3 > end:
            return -1, 1
        return ((b & 0x0F) << 12) | ((np.int64(buf[i + 1]) & 0x3F) << 6) | (np.int64(buf[i + 2]) & 0x3F), 3
    if i + 4 > end:
        return -1, 1
    return (((b & 0x07) << 18) | ((np.int64(buf[i + 1]) & 0x3F) << 12) | ((np.int64(buf[i + 2]) & 0x3F) << 6)
            | (np.int64(buf[i + 3]) & 0x3F)), 4


FOLDS, PYTHON, NFKC = 0, 1, 2  # ``unfoldable``'s answers


@on_disk()
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
    else ``FOLDS``. Documents to ``skip`` (ASCII) are not read. Beside it, for ``NFKC``, the
    bytes from the first such character to the end of the last (offsets in the document):
    only the words around them need ``unicodedata``."""
    out = np.zeros(bounds.size - 1, dtype=np.uint8)
    spans = np.zeros((bounds.size - 1, 2), dtype=np.int64)
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
                    if out[d] != NFKC:
                        out[d], spans[d, 0] = NFKC, i - bounds[d]
                    spans[d, 1] = i + n - bounds[d]
                last = c
            i += n
    return out, spans


@njit(cache=True)
def ascii_docs(buf, bounds):
    """Which UTF-8 documents are ASCII (``str.isascii``), from their bytes: OR-ed together 512
    at a time, which the compiler turns into SIMD (a test and a branch per byte: 0.07 s for
    100 MB of ASCII; this 0.02 s); a document stops at its first block beyond ASCII."""
    out = np.ones(bounds.size - 1, dtype=np.bool_)
    for d in range(bounds.size - 1):
        doc = buf[bounds[d]:bounds[d + 1]]  # indexed from 0: no negative-index check in the loop
        for start in range(0, doc.size, 512):
            block, acc = doc[start:start + 512], np.uint8(0)
            for i in range(block.size):
                acc |= block[i]
            if acc >= 128:
                out[d] = False
                break
    return out


@njit(cache=True)
def replace_chars(buf, bounds, docs, slot, parts, part_bounds, lower):
    """Documents ``docs`` with each character beyond ASCII replaced by ``parts[part_bounds[k]:
    part_bounds[k + 1]]``, k = ``slot[code point]`` (a malformed byte dropped), ASCII kept
    (lower-cased, with ``lower``). Returns the bytes and each document's bounds in them."""
    longest = 1
    for k in range(part_bounds.size - 1):
        longest = max(longest, part_bounds[k + 1] - part_bounds[k])
    size = 0
    for d in docs:
        size += bounds[d + 1] - bounds[d]
    out = np.empty(size * longest, dtype=np.uint8)  # pages are touched only as they are written
    out_bounds = np.zeros(docs.size + 1, dtype=np.int64)
    ascii = np.arange(128).astype(np.uint8)
    for b in range(65, 91):
        ascii[b] += 32 if lower else 0
    o = 0
    for j in range(docs.size):
        i, end = bounds[docs[j]], bounds[docs[j] + 1]
        while i < end:
            while i < end:  # an ASCII run through one table, with no branch but its end (1.2x)
                b = buf[i]
                if b >= 128:
                    break
                out[o] = ascii[b]
                o, i = o + 1, i + 1
            if i == end:
                break
            cp, n = decode(buf, i, end)
            i += n
            if 0 <= cp < slot.size:
                k = slot[cp]
                for x in range(part_bounds[k], part_bounds[k + 1]):
                    out[o] = parts[x]
                    o += 1
        out_bounds[j + 1] = o
    return out, out_bounds
