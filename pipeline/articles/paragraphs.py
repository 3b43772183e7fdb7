"""Paragraph keys: what boilerplate learning counts and digests compare.

A paragraph's key is its text folded for case and spacing (``fold_paragraph``:
boilerplate repeats verbatim, so nothing more needs folding), hashed to 64 bits
(``key_hash``, BLAKE2b). The boilerplate memory stores those hashes, and a
digest's paragraph keys are the same hashes with the lowest bit set
(``pipeline.dedup.digests``). A batch whose keys are never stored nor compared
with stored ones (``newspipe dedup`` on a file) takes a cheaper hash instead
(``paragraph_scan.run_key``, 0.1 s less for 100 MB): equal for equal paragraphs
like BLAKE2b, other values. ``paragraph_keys`` computes them for many texts
in one compiled pass (``pipeline.dedup.paragraph_scan``); the rare text the pass
cannot fold (a capital sigma, whose lower case depends on the next letter) is
folded here with the same result.
"""
from __future__ import annotations

import hashlib
from dataclasses import dataclass

import numpy as np

from pipeline.dedup.packed import Packed
from pipeline.dedup.tables import on_disk


def fold_paragraph(paragraph: str) -> str:
    """Case folded, runs of whitespace one space, none at the ends."""
    low = paragraph.lower()
    if low.isprintable() and "  " not in low and low[:1] != " " and low[-1:] != " ":
        return low
    return " ".join(low.split())


def key_hash(key: str) -> int:
    """The 64-bit key of a folded paragraph (signed, as SQLite stores it)."""
    return int.from_bytes(hashlib.blake2b(key.encode("utf-8", "surrogatepass"), digest_size=8).digest(), "big",
                          signed=True)


def _run_key(key: str) -> int:
    """``paragraph_scan.run_key`` of a folded paragraph (the texts the compiled pass leaves to Python)."""
    from pipeline.dedup.paragraph_scan import run_key
    data = np.frombuffer(key.encode("utf-8", "surrogatepass"), dtype=np.uint8)
    return int(run_key(data, data.size))


@dataclass(frozen=True)
class ParagraphKeys:
    """The paragraphs (``text.split("\\n")``) of a batch of texts: text ``i``'s are rows
    ``bounds[i]:bounds[i + 1]``. ``keys``: ``key_hash(fold_paragraph(p))`` (``stored``), else
    ``run_key`` of it; ``chars``: the folded paragraph's length in characters; ``words``: its
    words (1 for an empty one)."""

    keys: np.ndarray
    chars: np.ndarray
    words: np.ndarray
    bounds: np.ndarray
    stored: bool = True

    def of(self, i: int) -> slice:
        return slice(int(self.bounds[i]), int(self.bounds[i + 1]))

    def short(self, max_chars: int) -> np.ndarray:
        """Which paragraphs are not empty and at most ``max_chars`` long (what boilerplate may be)."""
        return (self.chars > 0) & (self.chars <= max_chars)

    def repeated(self, mask: np.ndarray, group: np.ndarray, min_pages: int) -> np.ndarray:
        """Which paragraphs of ``mask`` have a key that ``min_pages`` texts or more of the same
        ``group`` (one id per text: its outlet) hold, by sorting, without a Python set per text.
        Only keys held ``min_pages`` times in all are sorted by group and text: most are held once."""
        rows = np.flatnonzero(mask)
        _, at, counts = np.unique(self.keys[rows], return_inverse=True, return_counts=True)
        rows = rows[counts[at] >= min_pages]
        text = np.searchsorted(self.bounds, rows, side="right") - 1
        key, grp = self.keys[rows], group[text]
        order = np.lexsort((text, key, grp))
        text, key, grp = text[order], key[order], grp[order]
        run = np.r_[True, (grp[1:] != grp[:-1]) | (key[1:] != key[:-1])]
        run_id = np.cumsum(run) - 1
        pages = np.bincount(run_id, weights=run | np.r_[True, text[1:] != text[:-1]])
        out = np.zeros(mask.size, dtype=np.bool_)
        out[rows[order]] = pages[run_id] >= min_pages
        return out

    def kept(self, mask: np.ndarray) -> ParagraphKeys:
        """Only the paragraphs where ``mask`` holds, each text's in their order."""
        at = np.concatenate([[0], np.cumsum(mask)])[self.bounds]
        return ParagraphKeys(self.keys[mask], self.chars[mask], self.words[mask], at, self.stored)

    def key_sets(self, mask: np.ndarray) -> list[set[int]]:
        """Per text, the set of its paragraphs' keys where ``mask`` holds."""
        kept = self.kept(mask)
        at, keys = kept.bounds.tolist(), kept.keys.tolist()
        return [set(keys[a:b]) for a, b in zip(at, at[1:])]


@on_disk("pipeline.dedup.utf8")
def _tables() -> np.ndarray:
    """``str.lower`` of each character of the Basic Multilingual Plane, 32 (a space) where
    ``str.isspace``, as ``paragraph_scan.scan`` reads it."""
    from pipeline.dedup.utf8 import lower_table
    table = lower_table().copy()  # the cached one is shared
    table[np.fromiter((chr(c).isspace() for c in range(0x10000)), dtype=np.bool_, count=0x10000)] = 32
    return table


def paragraph_keys(texts: list[str], packed: Packed | None = None, stored: bool = True) -> ParagraphKeys:
    """The key, length and word count of every paragraph of every text (``packed``: the texts'
    UTF-8, when the caller has it); ``stored``: BLAKE2b keys (``key_hash``), else the run's own."""
    from pipeline.dedup.paragraph_scan import scan
    *arrays, python = scan(*(packed or Packed.of(texts)), _tables(), stored)
    out = ParagraphKeys(*arrays, stored)
    for i in np.flatnonzero(python).tolist():
        folded = [fold_paragraph(p) for p in str(texts[i]).split("\n")]  # str: a ``packed.Deferred`` too
        out.keys[out.of(i)] = [key_hash(k) if stored else _run_key(k) for k in folded]
        out.chars[out.of(i)] = [len(k) for k in folded]
        out.words[out.of(i)] = [k.count(" ") + 1 for k in folded]
    return out
