"""Shingling: text -> sorted unique uint32 hashes of word n-grams.

``shingle_texts`` does a batch: texts go to the compiled loops of
``pipeline.dedup.kernels`` as one UTF-8 byte array, NFKC-normalised here where
they are not already. The kernel folds case and punctuation through a table of
what ``normalize`` does to each character (``fold_tables``); the rare text it
cannot fold (a capital sigma, characters beyond the Basic Multilingual Plane)
is folded here. The values are the same in every process (unlike ``hash()``),
for every batch a text is in, and equal to ``normalize``'s tokens.

Texts in scripts written without spaces (Chinese, Japanese, Thai, ...) have
few, very long "tokens"; they get character n-grams instead (numpy, here).
"""
from __future__ import annotations

import functools
import hashlib
import re
import unicodedata
from collections.abc import Sequence
from dataclasses import dataclass

import numpy as np

from pipeline.dedup.packed import Packed, as_texts, offsets, pack, utf8
from pipeline.dedup.tables import on_disk

_NO_SPACE_SCRIPTS = re.compile(r"[\u0E00-\u0E7F\u0E80-\u0EFF\u1000-\u109F\u1780-\u17FF\u3040-\u30FF\u3400-\u9FFF\uAC00-\uD7AF]")


_ASCII_PUNCT = bytes((c if (c >= 128 or chr(c).isalnum()) else 32) for c in range(256))
_PUNCT_CLASS = ("[\u00a0\u00ab\u00b7\u00bb\u00bf\u00a1\u00b4\u02bc\u2010-\u2027\u2030-\u205e"
                "\u3000-\u3003\u300a-\u3011\u060c\u061b\u061f\u066a-\u066d\u06d4]")
_UNICODE_PUNCT = re.compile(_PUNCT_CLASS + "+")


def normalize(text: str) -> str:
    """Lower-cased NFKC text with punctuation turned into single spaces: what shingles are made of.

    ASCII punctuation goes through ``bytes.translate`` and the common Unicode
    quotes, dashes and Arabic and CJK marks through one small regex, several
    times faster than a Unicode ``\\W`` regex over the whole text; rarer
    symbols stay glued to their word, the same way in every copy.
    """
    if not text.isascii():
        text = _UNICODE_PUNCT.sub(" ", unicodedata.normalize("NFKC", text))
    data = utf8(text.lower()).translate(_ASCII_PUNCT)
    return b" ".join(data.split()).decode("utf-8", "surrogatepass")


def _astral() -> range:
    """Emoji and the other symbols past Adlam: folded by the kernel, like the BMP."""
    from pipeline.dedup.utf8 import ASTRAL_CASED_HI, TABLE_END  # numba loads on first use
    return range(ASTRAL_CASED_HI, TABLE_END)


@on_disk("pipeline.dedup.utf8")
def fold_tables() -> tuple[np.ndarray, np.ndarray]:
    """What the tokenizer kernel makes of each character below ``TABLE_END``, the same as
    ``normalize`` does to an NFKC text: its ``str.lower`` (one character), a space for the
    Unicode punctuation, ``kernels.DOTTED_I`` for U+0130, and ``kernels.UNFOLDABLE`` where
    Python must do it (a lower case that is not one character or depends on the next, as the
    capital sigma's; surrogates; the cased planes from Deseret to Adlam). A character NFKC turns
    into punctuation only is a space too, so a text holding one needs no NFKC
    (``_spaces_under_nfkc``). Beside it, 1 for the scripts written without spaces
    (``uses_char_shingles``)."""
    from pipeline.dedup import kernels
    from pipeline.dedup.utf8 import TABLE_END, lower_table
    chars = "".join(map(chr, range(0x10000)))
    table = np.full(TABLE_END, kernels.UNFOLDABLE, dtype=np.int32)
    table[:0x10000] = lower_table()
    table[_astral().start:] = [ord(low) if len(low := chr(c).lower()) == 1 else kernels.UNFOLDABLE for c in _astral()]
    for pattern, value in ((_PUNCT_CLASS, 32), ("[\ud800-\udfff]", kernels.UNFOLDABLE)):
        table[[m.start() for m in re.finditer(pattern, chars)]] = value
    table[_spaces_under_nfkc()] = 32
    no_space = np.zeros(TABLE_END, dtype=np.uint8)
    no_space[[m.start() for m in _NO_SPACE_SCRIPTS.finditer(chars)]] = 1
    return table, no_space


@functools.cache
def _nfkc_changes() -> list[int]:
    """The characters the kernel folds (the Basic Multilingual Plane and ``_astral()``) that NFKC
    replaces (its quick check's No)."""
    return [c for c in (*range(0x10000), *_astral())
            if not 0xD800 <= c < 0xE000 and unicodedata.normalize("NFKC", chr(c)) != chr(c)]


@functools.cache
def _spaces_under_nfkc() -> list[int]:
    """Characters NFKC replaces by punctuation or spaces only (U+00A0, U+2026 '…', U+3000, the
    fullwidth comma, ...): a space to the tokenizer either way, so a text needs no NFKC for them.
    They and their replacements are starters that compose with nothing, so NFKC changes no
    neighbour of theirs."""
    punct = re.compile(_PUNCT_CLASS)
    return [c for c in _nfkc_changes() if not unicodedata.combining(chr(c))
            and all((x.isascii() and not x.isalnum()) or punct.fullmatch(x) for x in unicodedata.normalize("NFKC", chr(c)))]


@on_disk("pipeline.dedup.utf8")
def nfkc_tables() -> tuple[np.ndarray, np.ndarray]:
    """What the kernel's NFKC quick check reads (``unicodedata.is_normalized``'s algorithm,
    Unicode Standard Annex 15): 1 for a character NFKC replaces (but the spaces of
    ``_spaces_under_nfkc``) or may compose with the one before it (the second of a canonical
    pair: combining accents, Hangul vowels and final consonants, Indic vowel parts), and
    each character's canonical combining class, whose order NFKC restores."""
    from pipeline.dedup.utf8 import TABLE_END
    quick = np.zeros(TABLE_END, dtype=np.uint8)
    quick[_nfkc_changes()] = 1
    quick[_spaces_under_nfkc()] = 0
    for c in range(0x10000):  # (no pair's second is in ``_astral()``: ``tests/test_kernels.py``)
        parts = unicodedata.decomposition(chr(c)).split()
        if len(parts) == 2 and not parts[0].startswith("<"):
            second = int(parts[1], 16)
            if second < 0x10000:
                quick[second] = 1
    quick[0x1161:0x1176] = quick[0x11A8:0x11C3] = 1  # Hangul jamo, composed by rule, not by table
    ccc = np.zeros(TABLE_END, dtype=np.uint8)  # none in ``_astral()`` combines (``tests/test_kernels.py``)
    ccc[:0x10000] = np.fromiter((unicodedata.combining(chr(c)) for c in range(0x10000)), dtype=np.uint8, count=0x10000)
    return quick, ccc


def _python_folded(text: str) -> tuple[bytes, str | None]:
    """A text the kernel cannot fold, folded here: its bytes, and its normalised form when it
    takes character shingles (then no bytes)."""
    if _NO_SPACE_SCRIPTS.search(text) is None:
        return utf8(_UNICODE_PUNCT.sub(" ", text).lower()), None
    norm = normalize(text)
    return (b"", norm) if uses_char_shingles(norm) else (utf8(norm), None)


def _char_hashes(norm: str) -> np.ndarray:
    from pipeline.dedup.kernels import fmix64
    cps = np.frombuffer(norm.replace(" ", "").encode("utf-32-le", "surrogatepass"), dtype=np.uint32).astype(np.uint64)
    with np.errstate(over="ignore"):
        return fmix64(cps)  # the kernels' finaliser, run by numpy: the same values


def _combine(units: np.ndarray, n: int) -> np.ndarray:
    """uint32 hashes of every run of n consecutive units (or of all, if fewer)."""
    from pipeline.dedup.kernels import Q, fmix64
    if units.size == 0:
        return np.empty(0, dtype=np.uint32)
    n = min(n, units.size)
    count = units.size - n + 1
    with np.errstate(over="ignore"):
        acc = units[:count].copy()
        for k in range(1, n):
            acc = acc * Q + units[k: k + count]
        return (fmix64(acc) >> np.uint64(32)).astype(np.uint32)


def uses_char_shingles(norm: str) -> bool:
    """True for text in a script written without spaces between words."""
    sample = norm[:2000]
    if sample.isascii():  # none of those scripts is ASCII
        return False
    return len(_NO_SPACE_SCRIPTS.findall(sample)) > 0.3 * len(sample.replace(" ", ""))


def _char_shingles(norm: str, size: int) -> np.ndarray:
    return np.unique(_combine(_char_hashes(norm), size))


@dataclass
class ShingleBatch:
    """Shingles of a batch of texts, in input order.

    ``digests``: equal for texts whose normalised forms are equal (128-bit
    hashes of the token sequence, or of the text for character shingles);
    ``full``: sorted unique shingle hashes of the text; ``lead``: those of
    its first ``lead_words`` words (what a truncated copy keeps); ``short``: shorter
    shingles of the text (``short_size``), which survive a rewrite's word changes, in text
    order with repeats (MinHash needs no order; ``sorted_sets`` sorts those compared).
    """

    digests: list[int]
    full: list[np.ndarray]
    lead: list[np.ndarray]
    short: list[np.ndarray] | None = None


def sizes(arrays: list[np.ndarray]) -> np.ndarray:
    """The size of each array (int64), from ``Views``' bounds when it is one."""
    whole = getattr(arrays, "whole", None)
    if whole is not None:
        return np.diff(whole[1])
    return np.fromiter((a.size for a in arrays), dtype=np.int64, count=len(arrays))


class Views(list):
    """Per-document views of one flat array (a slice each: np.split is 10x slower here), which
    ``whole`` gives as (flat, bounds) to MinHash and overlaps until the list is changed in any
    way (then None)."""

    def __init__(self, flat: np.ndarray, bounds: np.ndarray):
        b = bounds.tolist()
        super().__init__(flat[b[i]:b[i + 1]] for i in range(len(b) - 1))
        self.whole: tuple[np.ndarray, np.ndarray] | None = (flat, bounds)


def sorted_sets(arrays: list[np.ndarray], pairs: np.ndarray) -> tuple[Views, np.ndarray]:
    """The sorted unique sets of the arrays that (i, j) ``pairs`` name, and the pairs numbered
    as positions among them, for ``overlap.overlaps``: only the texts compared are sorted."""
    from pipeline.dedup import sorting  # numba loads on first use
    used, local = np.unique(pairs, return_inverse=True)
    whole = getattr(arrays, "whole", None)
    if whole is None:  # a list: the texts named, end to end
        parts = [arrays[i] for i in used.tolist()]
        flat = np.concatenate(parts or [np.empty(0, np.uint32)]).astype(np.uint32, copy=False)
        whole, used = (flat, offsets((a.size for a in parts), len(parts))), np.arange(used.size)
    return Views(*sorting.sorted_sets(*whole, used.astype(np.int64))), local.reshape(pairs.shape)


def _forgetting(name: str):
    def change(self, *args):
        self.whole = None
        return getattr(list, name)(self, *args)
    return change


for _name in ("__setitem__", "__delitem__", "__iadd__", "__imul__", "append", "extend", "insert", "pop", "remove",
              "sort", "reverse", "clear"):
    setattr(Views, _name, _forgetting(_name))


def shingle_texts(texts: Sequence[str], size: int = 5, char_size: int = 5, lead_words: int = 60,
                  short_size: int = 0, packed: Packed | None = None) -> ShingleBatch:
    """Word ``size``-grams (character ``char_size``-grams for texts in scripts without
    spaces) of every text and of its lead, and word ``short_size``-grams when asked (the
    same tokens: the text is normalised once). A text shorter than one shingle yields
    one shingle of all its words; an empty text none. ``packed``: the texts' UTF-8, when
    the caller has it (then ``texts`` may hold ``packed.Deferred`` texts)."""
    from pipeline.dedup import kernels  # numba loads on first use, not with every import of the package

    texts = as_texts(texts)  # read as strings only where Python folds
    packed = packed or Packed.of(texts)
    ascii = kernels.ascii_docs(*packed)
    table, no_space = fold_tables()
    changed, plain = _normalized(texts, packed, ascii, table)
    chars: dict[int, str] = {}
    for i in np.flatnonzero(plain).tolist():  # the few texts Python folds: a capital sigma, a lone surrogate
        now = changed[i] if i in changed else packed.part(i)
        changed[i], norm = _python_folded(now.decode("utf-8", "surrogatepass"))
        if norm is not None:
            chars[i] = norm
    digests, char_docs, full, full_b, lead, lead_b, short, short_b = kernels.shingle_docs(
        *packed, *packed.overlay(changed), kernels.FOLD, table, plain, no_space, ascii | plain, size, lead_words,
        short_size)
    for i in np.flatnonzero(char_docs).tolist():
        chars[i] = normalize(texts[i])  # Chinese, Japanese, Thai: character shingles, below
    batch = ShingleBatch([a << 64 | b for a, b in digests.tolist()], Views(full, full_b), Views(lead, lead_b),
                         Views(short, short_b) if short_size else None)
    for i, norm in chars.items():
        batch.digests[i] = int.from_bytes(hashlib.blake2b(utf8(norm), digest_size=16).digest(), "big")
        batch.full[i] = _char_shingles(norm, char_size)
        batch.lead[i] = _char_shingles(norm.replace(" ", "")[: lead_words * 2], char_size)
        if short_size:
            batch.short[i] = _char_shingles(norm, max(2, char_size - size + short_size))
    return batch


def _normalized(texts: Sequence[str], packed: Packed, ascii: np.ndarray, table: np.ndarray
                ) -> tuple[dict[int, bytes], np.ndarray]:
    """(the texts NFKC changes, in NFKC; which texts Python folds): the kernel's quick check sends a text to
    ``unicodedata`` only where it may not be NFKC, as ``is_normalized`` would, without reading
    every text in Python, and then only the words around the characters it found."""
    from pipeline.dedup import kernels
    quick, ccc = nfkc_tables()
    state, spans = kernels.unfoldable(*packed, table, quick, ccc, ascii, True)
    flagged = np.flatnonzero(state).tolist()
    changed, read = {}, []  # ``read``: what of each flagged text NFKC may have changed
    for i in flagged:
        if state[i] == kernels.NFKC:  # none it cannot fold (else ``PYTHON``): only the words NFKC made
            data = packed.part(i)
            lo, hi, middle = _nfkc_words(data, *spans[i].tolist())
            changed[i] = data[:lo] + middle + data[hi:]
            read.append(middle)
        else:
            if not unicodedata.is_normalized("NFKC", texts[i]):
                changed[i] = utf8(unicodedata.normalize("NFKC", texts[i]))
            read.append(changed[i] if i in changed else packed.part(i))
    plain = np.zeros(len(texts), dtype=np.bool_)
    if flagged:  # the texts now NFKC: which of them hold a character the table cannot fold
        plain[flagged] = kernels.unfoldable(*pack(read), table, quick, ccc, np.zeros(len(flagged), dtype=np.bool_),
                                            False)[0] == kernels.PYTHON
    return changed, plain


def nfkc_between(data: bytes, start: int, stop: int) -> bytes:
    """UTF-8 ``data`` in NFKC, where only ``data[start:stop]`` may not be: NFKC of the words
    around it, the rest as it is. A space or a newline is a starter that composes with
    nothing, so NFKC never changes, moves or joins anything across one: the text's NFKC is
    its pieces' between them (``tests/test_kernels.py`` checks it)."""
    lo, hi, middle = _nfkc_words(data, start, stop)
    return data[:lo] + middle + data[hi:]


def _nfkc_words(data: bytes, start: int, stop: int) -> tuple[int, int, bytes]:
    """``nfkc_between``'s words around ``data[start:stop]``: where they start and end, in NFKC."""
    lo = max(data.rfind(b" ", 0, start), data.rfind(b"\n", 0, start)) + 1
    ends = [k for k in (data.find(b" ", stop), data.find(b"\n", stop)) if k >= 0]
    hi = min(ends) if ends else len(data)
    return lo, hi, utf8(unicodedata.normalize("NFKC", data[lo:hi].decode("utf-8", "surrogatepass")))


def shingle(text: str, size: int = 5, char_size: int = 5) -> np.ndarray:
    """Sorted unique uint32 shingle hashes of one text (see ``shingle_texts``)."""
    return shingle_texts([text], size, char_size).full[0]
