"""Compiled loops for the dedup hot path (numba): tokens, word shingles, MinHash.

numpy does each step as a pass over a temporary array (the MinHash of 20,000
articles alone fills ~2 billion cells); these loops make one pass over each
document's bytes, and take each permutation's minimum over a document's
hashed shingles in SIMD registers (``make bench`` has the figures).

The values are fixed, not an implementation detail: token hashes are the
polynomial ``sum(byte_i * P**i) + length`` modulo 2**64 through MurmurHash3's
64-bit finalizer, n-grams combine token hashes with a second polynomial
(``SignatureScheme.shingle_hash`` names this ``newspipe-poly64-fmix-v1``),
and MinHash is datasketch's ``affine32`` scheme. ``tests/test_kernels.py``
checks them against plain Python and datasketch.

``make setup`` builds them once (``python -m pipeline.dedup.aot``, see ``jit``), so runs only
load them.
"""
from __future__ import annotations

import numpy as np

from pipeline.dedup.jit import njit
from pipeline.dedup.packed import Packed, pack
from pipeline.dedup.sorting import SORT_COUNTS, _sort_unique, sorted_sets
from pipeline.dedup.utf8 import (DOTTED_I, NFKC, PYTHON, TABLE_END, UNFOLDABLE, ascii_docs, decode,  # noqa: F401
                                 replace_chars, unfoldable)

_P = np.uint64(0x100000001B3)
Q = _Q = np.uint64(0x9E3779B97F4A7C15)  # the multiplier that chains units into n-gram hashes
_M1, _M2 = np.uint64(0xFF51AFD7ED558CCD), np.uint64(0xC4CEB9FE1A85EC53)
_D1, _D2 = np.uint64(0xC2B2AE3D27D4EB4F), np.uint64(0x165667B19E3779F9)  # token-sequence digests
_SPACE = np.uint8(32)

# bytes as shingles see them: ASCII lower-cased, ASCII punctuation a space, UTF-8 bytes kept
FOLD = np.array([(ord(chr(c).lower()) if chr(c).isalnum() else 32) if c < 128 else c for c in range(256)],
                dtype=np.uint8)


def fmix64(h):
    """MurmurHash3's 64-bit finaliser, of a uint64 or (with numpy) of a uint64 array."""
    h = h ^ (h >> np.uint64(33))
    h = h * _M1
    h = h ^ (h >> np.uint64(33))
    h = h * _M2
    return h ^ (h >> np.uint64(33))


_fmix64 = njit(cache=True, inline="always")(fmix64)


@njit(cache=True, inline="always")
def _fmix32(h):
    h = np.uint32(h ^ (h >> np.uint32(16)))
    h = np.uint32(h * np.uint32(0x85EBCA6B))
    h = np.uint32(h ^ (h >> np.uint32(13)))
    h = np.uint32(h * np.uint32(0xC2B2AE35))
    return np.uint32(h ^ (h >> np.uint32(16)))


@njit(cache=True, inline="always")
def _end_token(h, length, tok, t, d1, d2):
    v = _fmix64(h + np.uint64(length))
    tok[t] = v
    return d1 * _D1 + v, (d2 ^ v) * _D2


@njit(cache=True, inline="always")
def _feed(h, pw, byte):
    return h + np.uint64(byte) * pw, pw * _P


@njit(cache=True, inline="always")
def _feed_char(c):
    """How many bytes ``_feed_utf8`` feeds for ``c`` (a ``table`` value, not a space)."""
    return 4 if c >= 0x10000 else (3 if c == DOTTED_I or c >= 0x800 else (1 if c < 128 else 2))


@njit(cache=True, inline="always")
def _feed_utf8(h, pw, c):
    """Feeds the UTF-8 bytes of ``c`` (``DOTTED_I``: "i" and U+0307)."""
    if c == DOTTED_I:
        for byte in (0x69, 0xCC, 0x87):
            h, pw = _feed(h, pw, byte)
    elif c < 128:
        h, pw = _feed(h, pw, c)
    elif c < 0x800:
        h, pw = _feed(h, pw, 0xC0 | (c >> 6))
        h, pw = _feed(h, pw, 0x80 | (c & 0x3F))
    elif c < 0x10000:
        h, pw = _feed(h, pw, 0xE0 | (c >> 12))
        h, pw = _feed(h, pw, 0x80 | ((c >> 6) & 0x3F))
        h, pw = _feed(h, pw, 0x80 | (c & 0x3F))
    else:
        h, pw = _feed(h, pw, 0xF0 | (c >> 18))
        h, pw = _feed(h, pw, 0x80 | ((c >> 12) & 0x3F))
        h, pw = _feed(h, pw, 0x80 | ((c >> 6) & 0x3F))
        h, pw = _feed(h, pw, 0x80 | (c & 0x3F))
    return h, pw


_SAMPLE = 2000  # characters of the normalised text that decide word or character shingles


@njit(cache=True, inline="always")
def _count(c, cp, seen, letters, cjk, gap, no_space):
    """One more character of a document's sample (``c``: its ``table`` value, or its folded
    byte, with ``cp`` 0): counted as ``shingles.uses_char_shingles`` counts the normalised
    text, a run of spaces as one. Returns the counts after it."""
    if c == 32:
        return seen, letters, cjk, True
    if gap and seen > 0:
        seen += 1  # the one space between two tokens
    for _ in range(2 if c == DOTTED_I else 1):
        if seen < _SAMPLE:
            seen += 1
            letters += 1
            cjk += no_space[cp]
    return seen, letters, cjk, False


@njit(cache=True)
def _tokens(buf, i, end, raw, count, fold, table, no_space, tok):
    """The tokens of one document, ``buf[i:end]`` in UTF-8: runs of characters that do not
    fold to a space, their hashes written to ``tok``.

    ASCII bytes fold through ``fold``; other characters through ``table`` (lower case, Unicode
    punctuation a space: ``shingles.fold_tables``), re-encoded in UTF-8, the bytes that Python's
    ``str.lower`` would give (the tables reach ``utf8.TABLE_END``: ``unfoldable`` sends a
    document holding a character beyond to Python). A ``raw`` document was folded in Python
    already: its bytes beyond ASCII are taken as they are. Returns (token count, the two
    halves of the digest of the token sequence: equal for equal normalised texts, the exact
    layer; whether it takes character shingles: with ``count``, over 30% of the letters of its
    first ``_SAMPLE`` characters of scripts without spaces, ``no_space``).
    """
    t, h, pw, length = 0, np.uint64(0), np.uint64(1), 0
    d1, d2 = np.uint64(1), np.uint64(2)
    seen, letters, cjk, gap = 0, 0, 0, False
    while i < end:
        b = buf[i]
        if b < 128 or raw:  # one byte, as it is or through ``fold``
            c = np.int64(fold[b])
            i += 1
            if count and seen < _SAMPLE:
                seen, letters, cjk, gap = _count(c, 0, seen, letters, cjk, gap, no_space)
            if c != _SPACE:
                h, pw = _feed(h, pw, c)
                length += 1
                continue
        else:  # one character, through ``table``
            cp, n = decode(buf, i, end)
            c = np.int64(table[cp])
            i += n
            if count and seen < _SAMPLE:
                seen, letters, cjk, gap = _count(c, cp, seen, letters, cjk, gap, no_space)
            if 0 <= c < 128:
                c = np.int64(fold[c])
            if c != 32:
                length += _feed_char(c)
                h, pw = _feed_utf8(h, pw, c)
                continue
        if length:  # a space ends the token
            d1, d2 = _end_token(h, length, tok, t, d1, d2)
            t += 1
            h, pw, length = np.uint64(0), np.uint64(1), 0
    if length:
        d1, d2 = _end_token(h, length, tok, t, d1, d2)
        t += 1
    return t, _fmix64(d1 + np.uint64(t)), _fmix64(d2), count and cjk > 0.3 * letters


@njit(cache=True)
def _grams(units, start, stop, size, out, w, acc):
    """Writes the uint32 hashes of every ``size``-gram of units[start:stop] (one of all, if fewer).
    The grams' polynomials grow a column at a time in ``acc`` (uint64 scratch, one a gram): each
    pass is a loop without a carried dependence, which the compiler vectorises (4x faster than a
    gram at a time, whose inner loop of ``size`` steps it could not)."""
    count = stop - start
    if count == 0:
        return w
    n = min(size, count)
    m = count - n + 1
    u, a, o = units[start:stop], acc[:m], out[w:w + m]  # slices indexed from 0: no negative-index check
    for k in range(m):
        a[k] = u[k]
    for j in range(1, n):
        uj = u[j:j + m]
        for k in range(m):
            a[k] = a[k] * _Q + uj[k]
    for k in range(m):
        o[k] = np.uint32(_fmix64(a[k]) >> np.uint64(32))
    return w + m


@njit(cache=True)
def shingle_docs(buf, bounds, alt, alt_bounds, alt_of, fold, table, plain, no_space, skip, size, lead_words,
                 short_size):
    """Sorted unique word ``size``-gram hashes of every document, of its first ``lead_words``
    tokens, and (``short_size`` > 0) its ``short_size``-grams, these in text order, repeats and
    all (``sorted_sets`` sorts those of the documents a step compares); documents as ``_tokens`` reads
    them (``plain``: its ``raw``; ``skip``: not counted for character shingles), document d
    from ``alt`` where ``alt_of[d]`` >= 0 (``Packed.overlay``: its text changed). A document of
    fewer tokens than a gram has one gram of all of them. Each document's tokens stay in a
    buffer of its own size, not in an array of the batch's (120 MB to write and read again
    for 20,000 articles). Returns (digests (documents, 2), which take character shingles,
    shingles, bounds, lead shingles, lead bounds, short shingles, short bounds).
    """
    n_docs = bounds.size - 1
    longest = max(np.max(bounds[1:] - bounds[:-1]) if n_docs else 0,
                  np.max(alt_bounds[1:] - alt_bounds[:-1]) if alt_bounds.size > 1 else 0)
    tok = np.empty(longest // 2 + 1, dtype=np.uint64)  # at most one token per two bytes, + the last
    tmp, acc = np.empty(longest // 2 + 1, dtype=np.uint32), np.empty(longest // 2 + 1, dtype=np.uint64)
    counts = np.zeros(SORT_COUNTS, dtype=np.int64)
    most = (buf.size + alt.size) // 2 + n_docs  # pages are touched only as they are written
    full = np.empty(most, dtype=np.uint32)
    lead = np.empty(min(most, n_docs * (lead_words + 1)), dtype=np.uint32)
    short = np.empty(most if short_size else 0, dtype=np.uint32)
    full_b = np.zeros(n_docs + 1, dtype=np.int64)
    lead_b, short_b = np.zeros_like(full_b), np.zeros_like(full_b)
    digests = np.empty((n_docs, 2), dtype=np.uint64)
    chars = np.zeros(n_docs, dtype=np.bool_)
    wf = wl = ws = 0
    for d in range(n_docs):
        k = alt_of[d]
        if k >= 0:
            t, digests[d, 0], digests[d, 1], chars[d] = _tokens(alt, alt_bounds[k], alt_bounds[k + 1], plain[d],
                                                                 not skip[d], fold, table, no_space, tok)
        else:
            t, digests[d, 0], digests[d, 1], chars[d] = _tokens(buf, bounds[d], bounds[d + 1], plain[d], not skip[d],
                                                                 fold, table, no_space, tok)
        wf = _sort_unique(full, wf, _grams(tok, 0, t, size, full, wf, acc), tmp, counts)
        wl = _sort_unique(lead, wl, _grams(tok, 0, min(t, lead_words), size, lead, wl, acc), tmp, counts)
        if short_size:  # as they come: MinHash needs no order, and few are compared (``sorted_sets``)
            ws = _grams(tok, 0, t, short_size, short, ws, acc)
        full_b[d + 1], lead_b[d + 1], short_b[d + 1] = wf, wl, ws
    return digests, chars, full[:wf], full_b, lead[:wl], lead_b, short[:ws], short_b


@njit(cache=True)
def minhash(shingles, bounds, a, b):
    """(documents, len(a)) uint32: per permutation, min over shingles of a * fmix32(s) + b (mod 2**32).

    An empty document's row is all 0xFFFFFFFF, as datasketch leaves it. The
    loop runs per permutation over a document's hashed shingles, a reduction
    the compiler turns into SIMD; indexing a slice from 0 spares it numba's
    negative-index check, which otherwise keeps the loop scalar (9x slower).
    """
    n_docs = bounds.size - 1
    num_perm = a.size
    out = np.empty((n_docs, num_perm), dtype=np.uint32)
    longest = 1
    for d in range(n_docs):
        longest = max(longest, bounds[d + 1] - bounds[d])
    hv = np.empty(longest, dtype=np.uint32)
    for d in range(n_docs):
        doc = shingles[bounds[d]:bounds[d + 1]]
        for k in range(doc.size):
            hv[k] = _fmix32(doc[k])
        seg = hv[:doc.size]
        for p in range(num_perm):
            ap, bp = a[p], b[p]
            m = np.uint32(0xFFFFFFFF)
            for k in range(seg.size):
                m = min(m, np.uint32(ap * seg[k] + bp))
            out[d, p] = m
    return out


@njit(cache=True)
def common(a, b):
    """How many values two sorted arrays of unique values share (a merge: no temporary arrays,
    unlike ``np.intersect1d``, which sorts their concatenation)."""
    return common_above(a, b, 0.0)


@njit(cache=True)
def common_above(a, b, floor):
    """``common(a, b)``, or -1 as soon as the count certainly falls below ``floor`` times the
    smaller set's size (the containment no verdict can pass under), checked every 64 steps:
    most candidates LSH proposes share almost nothing, and their merge stops early (a count-down
    in the merge's loop: a block of 64 steps as an inner loop ran 35% slower on a full merge)."""
    small, i, j, n, check = min(a.size, b.size), 0, 0, 0, 64
    while i < a.size and j < b.size:  # without branches, a merge's being unpredictable: 1.9x faster
        x, y = a[i], b[j]
        n += x == y
        i += x <= y
        j += y <= x
        check -= 1
        if check == 0:
            check = 64
            if (n + min(a.size - i, b.size - j)) / small < floor:  # the callers' test, on the most still possible
                return -1
    return n


@njit(cache=True)
def common_pairs(flat, bounds, pairs, floor):
    """``common_above`` of documents i and j of ``flat`` (``bounds`` as ``shingle_docs`` gives
    them) for every row (i, j) of ``pairs``, in one call instead of a call from Python per pair."""
    out = np.empty(pairs.shape[0], dtype=np.int64)
    for k in range(pairs.shape[0]):
        i, j = pairs[k, 0], pairs[k, 1]
        out[k] = common_above(flat[bounds[i]:bounds[i + 1]], flat[bounds[j]:bounds[j + 1]], floor)
    return out


def warm() -> None:
    """Compile (or load) every kernel once, on a tiny input: the texts' bytes both writable and
    read-only (a Parquet column's own buffer), two types to numba; build the Unicode tables."""
    from pipeline.articles.attribution import ascii_folds
    from pipeline.articles.paragraphs import _tables
    from pipeline.dedup.buckets import band_hashes, bucket_pairs
    from pipeline.dedup.lsh import _MIX
    from pipeline.dedup.paragraph_scan import run_key, scan
    from pipeline.dedup.shingles import fold_tables, nfkc_tables
    _tables(), fold_tables(), nfkc_tables(), ascii_folds()  # kept on disk too (``tables``)
    packed, bounds = pack([b"one two three four five six"])
    table, no = np.full(TABLE_END, UNFOLDABLE, dtype=np.int32), np.zeros(1, dtype=np.bool_)
    small = np.zeros(TABLE_END, dtype=np.uint8)
    for buf in (packed, packed.copy()):  # pack gives read-only bytes
        ascii_docs(buf, bounds)
        replace_chars(buf, bounds, np.zeros(1, dtype=np.int64), *ascii_folds(), True)
        unfoldable(buf, bounds, table, small, small, no, True)
        alt, alt_bounds, alt_of = Packed(buf, bounds).overlay({0: b"six"})
        _, _, full, full_b, _, _, _, _ = shingle_docs(buf, bounds, alt, alt_bounds, alt_of, FOLD, table, no, small, no,
                                                      5, 60, 3)
        for stored in (True, False):
            scan(buf, bounds, np.zeros(0x10000, dtype=np.int32), stored)
        run_key(buf, 3)
    sig = minhash(full, full_b, np.ones(4, dtype=np.uint32), np.ones(4, dtype=np.uint32))
    band_hashes(sig, 2, 2, _MIX)
    common(full, full)
    sorted_sets(full, full_b, np.zeros(1, dtype=np.int64))
    common_pairs(full, full_b, np.zeros((1, 2), dtype=np.int64), 0.5)
    for codes in (np.zeros(2, dtype=np.int64), np.zeros(2, dtype=np.uint64)):  # tiers' keys, band hashes
        bucket_pairs(codes, 1, 2, 3)

