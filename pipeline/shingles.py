"""Shingling: text -> sorted unique uint32 hashes of word n-grams.

Hashing is vectorised with numpy: the normalised text is one UTF-8 byte
array, each token's hash is a polynomial over its bytes read off a prefix sum
(odd multipliers are invertible modulo 2**64, so a substring's hash is a
difference times an inverse power), and n-gram hashes combine token hashes
with a second polynomial. No Python loop runs per token or per shingle, and
the values are the same in every process (unlike ``hash()``).

Texts in scripts written without spaces (Chinese, Japanese, Thai, ...) have
few, very long "tokens"; they get character n-grams instead.
"""
from __future__ import annotations

import re
import unicodedata

import numpy as np

_NO_SPACE_SCRIPTS = re.compile(r"[\u0E00-\u0E7F\u0E80-\u0EFF\u1000-\u109F\u1780-\u17FF\u3040-\u30FF\u3400-\u9FFF\uAC00-\uD7AF]")

_P = np.uint64(0x100000001B3)       # odd: invertible modulo 2**64
_P_INV = np.uint64(pow(0x100000001B3, -1, 1 << 64))
_Q = np.uint64(0x9E3779B97F4A7C15)  # combines token hashes into n-gram hashes
_M1, _M2 = np.uint64(0xFF51AFD7ED558CCD), np.uint64(0xC4CEB9FE1A85EC53)
_S33 = np.uint64(33)
_pow_cache: list[np.ndarray] = [np.ones(1, dtype=np.uint64), np.ones(1, dtype=np.uint64)]


def _powers(n: int) -> tuple[np.ndarray, np.ndarray]:
    """p**i and p**-i modulo 2**64 for i < n (cached, grown by doubling)."""
    if len(_pow_cache[0]) < n:
        size = max(n, 2 * len(_pow_cache[0]))
        with np.errstate(over="ignore"):
            fwd = np.empty(size, dtype=np.uint64)
            inv = np.empty(size, dtype=np.uint64)
            fwd[0] = inv[0] = 1
            # repeated doubling keeps this vectorised: powers[k:2k] = powers[:k] * p**k
            k = 1
            while k < size:
                m = min(k, size - k)
                fwd[k:k + m] = fwd[:m] * fwd[k - 1] * _P
                inv[k:k + m] = inv[:m] * inv[k - 1] * _P_INV
                k += m
        _pow_cache[0], _pow_cache[1] = fwd, inv
    return _pow_cache[0][:n], _pow_cache[1][:n]


def _fmix64(h: np.ndarray) -> np.ndarray:
    with np.errstate(over="ignore"):
        h = h ^ (h >> _S33)
        h = h * _M1
        h = h ^ (h >> _S33)
        h = h * _M2
        return h ^ (h >> _S33)


_ASCII_PUNCT = bytes((c if (c >= 128 or chr(c).isalnum()) else 32) for c in range(256))
_UNICODE_PUNCT = re.compile("[\u00a0\u00ab\u00b7\u00bb\u00bf\u00a1\u00b4\u02bc\u2010-\u2027\u2030-\u205e"
                            "\u3000-\u3003\u300a-\u3011\u060c\u061b\u061f\u066a-\u066d\u06d4]+")


def normalize(text: str) -> str:
    """Lower-cased NFKC text with punctuation turned into single spaces: what shingles are made of.

    ASCII punctuation goes through ``bytes.translate`` and the common Unicode
    quotes, dashes and Arabic and CJK marks through one small regex, several
    times faster than a Unicode ``\\W`` regex over the whole text; rarer
    symbols stay glued to their word, the same way in every copy.
    """
    if not text.isascii():
        text = _UNICODE_PUNCT.sub(" ", unicodedata.normalize("NFKC", text))
    data = text.lower().encode("utf-8").translate(_ASCII_PUNCT)
    return b" ".join(data.split()).decode("utf-8")


def _token_hashes(norm: str) -> np.ndarray:
    data = np.frombuffer(norm.encode("utf-8"), dtype=np.uint8)
    if data.size == 0:
        return np.empty(0, dtype=np.uint64)
    spaces = np.flatnonzero(data == 32)
    starts = np.concatenate(([0], spaces + 1))
    ends = np.concatenate((spaces, [data.size]))
    fwd, inv = _powers(data.size + 1)
    with np.errstate(over="ignore"):
        prefix = np.zeros(data.size + 1, dtype=np.uint64)
        np.cumsum(data.astype(np.uint64) * fwd[: data.size], out=prefix[1:])
        tok = (prefix[ends] - prefix[starts]) * inv[starts] + (ends - starts).astype(np.uint64)
    return _fmix64(tok)


def _char_hashes(norm: str) -> np.ndarray:
    cps = np.frombuffer(norm.replace(" ", "").encode("utf-32-le"), dtype=np.uint32).astype(np.uint64)
    return _fmix64(cps)


def _combine(units: np.ndarray, n: int) -> np.ndarray:
    """uint32 hashes of every run of n consecutive units (or of all, if fewer)."""
    if units.size == 0:
        return np.empty(0, dtype=np.uint32)
    n = min(n, units.size)
    count = units.size - n + 1
    with np.errstate(over="ignore"):
        acc = units[:count].copy()
        for k in range(1, n):
            acc = acc * _Q + units[k: k + count]
    return (_fmix64(acc) >> np.uint64(32)).astype(np.uint32)


def uses_char_shingles(norm: str) -> bool:
    """True for text in a script written without spaces between words."""
    sample = norm[:2000]
    if sample.isascii():  # none of those scripts is ASCII
        return False
    return len(_NO_SPACE_SCRIPTS.findall(sample)) > 0.3 * len(sample.replace(" ", ""))


def shingle(text: str, size: int = 5, char_size: int = 5, normalized: bool = False) -> np.ndarray:
    """Sorted unique uint32 shingle hashes of ``text``.

    Word ``size``-grams; character ``char_size``-grams for texts in scripts
    without spaces. A text shorter than one shingle yields one shingle of all
    its tokens; an empty text yields none.
    """
    norm = text if normalized else normalize(text)
    if uses_char_shingles(norm):
        return np.unique(_combine(_char_hashes(norm), char_size))
    return np.unique(_combine(_token_hashes(norm), size))


def lead(text: str, words: int, normalized: bool = False) -> str:
    """The first ``words`` normalised words: the part a truncated copy keeps."""
    norm = text if normalized else normalize(text)
    if uses_char_shingles(norm):
        return norm.replace(" ", "")[: words * 2]
    return " ".join(norm.split(" ", words)[:words])


def _word_shingles_batch(norms: list[str], size: int) -> list[np.ndarray]:
    """``shingle`` for many space-separated texts in one pass of numpy calls.

    Token hashes do not depend on a token's position, so the texts are hashed
    as one string; n-grams that would cross from one text into the next are
    dropped, and one sort of (text, shingle) keys makes every text's set unique.
    """
    tok = _token_hashes(" ".join(norms))
    counts = np.fromiter((n.count(" ") + 1 for n in norms), dtype=np.int64, count=len(norms))
    starts = np.cumsum(counts) - counts
    per_doc = np.maximum(counts - size + 1, 1)  # a text shorter than one shingle still gives one
    combined = _combine(tok, size) if tok.size >= size else np.empty(0, dtype=np.uint32)
    total = int(per_doc.sum())
    doc = np.repeat(np.arange(len(norms), dtype=np.uint64), per_doc)
    pos = np.repeat(starts, per_doc) + (np.arange(total) - np.repeat(np.cumsum(per_doc) - per_doc, per_doc))
    long_enough = np.repeat(counts >= size, per_doc)
    values = np.empty(total, dtype=np.uint32)
    values[long_enough] = combined[pos[long_enough]]
    for i in np.flatnonzero(counts < size):  # rare: texts of fewer than ``size`` words
        values[np.flatnonzero(doc == i)] = _combine(tok[starts[i]: starts[i] + counts[i]], size)
    keys = np.sort((doc << np.uint64(32)) | values.astype(np.uint64))
    keys = keys[np.r_[True, keys[1:] != keys[:-1]]]  # faster than np.unique's hash table here
    bounds = np.searchsorted(keys >> np.uint64(32), np.arange(len(norms) + 1, dtype=np.uint64))
    low = (keys & np.uint64(0xFFFFFFFF)).astype(np.uint32)
    return [low[bounds[i]: bounds[i + 1]] for i in range(len(norms))]


def shingle_batch(norms: list[str], size: int = 5, char_size: int = 5, chunk: int = 1000) -> list[np.ndarray]:
    """``shingle(n, size, char_size, normalized=True)`` for every normalised text, batched."""
    out: list[np.ndarray] = [np.empty(0, dtype=np.uint32)] * len(norms)
    words = []
    for i, n in enumerate(norms):
        if not n:
            continue
        if uses_char_shingles(n):
            out[i] = shingle(n, size, char_size, normalized=True)
        else:
            words.append(i)
    for k in range(0, len(words), chunk):
        part = words[k:k + chunk]
        for i, s in zip(part, _word_shingles_batch([norms[i] for i in part], size)):
            out[i] = s
    return out
