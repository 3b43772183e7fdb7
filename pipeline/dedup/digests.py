"""Digests and roundups: a page holding the lead paragraphs of several stories.

Its sentences are in each story, so containment or sentence alignment would
call it a copy of one of them and, through it, join stories that have
nothing in common. A page is a digest when other outlets' texts each hold a
part of its paragraphs, none of them half of it, and two of those texts share
no paragraph at all (two different stories). It then keeps its own cluster
and lists what it quotes (``ClusterRow.quotes``).

Paragraph keys are the 64-bit hashes of a paragraph's words folded to lower case
(``pipeline.articles.paragraphs``: no punctuation folding, a digest quotes verbatim)
that boilerplate learning counts, with the lowest bit set
so that they never equal a band key (``lsh.band_keys`` clears it) in the
one key column of the persistent index. An outlet's own roundup of its own
stories is not recognised: its footers and standard lines repeat across its
pages, and looking within one outlet would tie every page to every other.
"""
from __future__ import annotations

from dataclasses import dataclass
from itertools import combinations
from typing import Callable

import numpy as np

from pipeline.articles.paragraphs import ParagraphKeys, paragraph_keys

MIN_WORDS = 8  # shorter paragraphs (datelines, bylines, "Read more") are not evidence


Para = tuple[frozenset[int], int]  # (paragraph keys, the lead's key or 0)


def as_para(keys: np.ndarray) -> Para:
    return frozenset(keys.tolist()), (int(keys[0]) if keys.size else 0)


@dataclass(frozen=True)
class LongParagraphs:
    """The keys (lowest bit set) of many texts' paragraphs of at least ``MIN_WORDS`` words,
    flat, each text's in its order: text ``i``'s are ``keys[bounds[i]:bounds[i + 1]]``, its
    lead the first. Two arrays made in one numpy pass over all the paragraphs; a set per text
    (``para``) is made only for the texts a step asks about (a digest's candidates, what they
    may quote), not for every text. ``stored``: BLAKE2b keys, which the index holds, or the
    run's own (``paragraphs.paragraph_keys``), which only compare with one another."""

    keys: np.ndarray
    bounds: np.ndarray
    stored: bool = True

    @classmethod
    def of(cls, paragraphs: ParagraphKeys) -> LongParagraphs:
        """From the texts' ``paragraphs.paragraph_keys``."""
        long = paragraphs.kept(paragraphs.words >= MIN_WORDS)
        return cls(long.keys | 1, long.bounds, paragraphs.stored)

    @classmethod
    def of_texts(cls, texts: list[str]) -> LongParagraphs:
        return cls.of(paragraph_keys(texts))

    def _of(self, i: int) -> np.ndarray:
        return self.keys[int(self.bounds[i]):int(self.bounds[i + 1])]

    def para(self, i: int) -> Para:
        """(paragraph keys, lead key) of text ``i``: a set and a lead are all a corpus compares."""
        return as_para(self._of(i))

    def digest_keys(self, i: int) -> np.ndarray:
        """Text ``i``'s keys as the persistent index stores them: the lead's first, then the
        others sorted (a digest quotes a story's lead)."""
        found = self._of(i)
        if not found.size:
            return np.empty(0, dtype=np.int64)
        rest = np.unique(found[1:])
        return np.concatenate([found[:1], rest[rest != found[0]]])

    def leads(self) -> np.ndarray:
        """Each text's lead key, 0 (which no key is) for a text without one."""
        out = np.zeros(self.bounds.size - 1, dtype=np.int64)
        has = self.bounds[1:] > self.bounds[:-1]
        out[has] = self.keys[self.bounds[:-1][has]]
        return out


def texts_digest_keys(texts: list[str]) -> list[np.ndarray]:
    """``LongParagraphs.digest_keys`` of each text (what the persistent index stores)."""
    long = LongParagraphs.of_texts(texts)
    return [long.digest_keys(i) for i in range(len(texts))]


def quoted(own: frozenset[int], outlet: str, sources: list[tuple[str, str, Para]]) -> list[str]:
    """The ids a digest quotes, or [] when the page is not a digest. ``own``: its paragraph
    keys; ``sources``: (id, outlet, (paragraph keys, lead key)) of the texts sharing one
    with it. Only texts whose lead the page holds count as quoted."""
    shared = [(sid, own & p, p) for sid, o, (p, lead) in sources if o != outlet and lead in own]
    if len(own) < 3 or len(shared) < 2 or any(2 * len(s) >= len(own) for _, s, _ in shared):
        return []
    for (_, sa, pa), (_, sb, pb) in combinations(shared, 2):
        if not (sa & sb) and not (pa & pb):
            return sorted(sid for sid, _, _ in shared)
    return []


Sources = Callable[[int], list[tuple[str, str, Para]]]  # text -> (id, outlet, paragraphs) it may quote


class LocalSources:
    """(id, outlet, paragraph keys) of the corpus' texts whose lead paragraph text ``i`` holds:
    ``quoted`` counts no other. ``candidates``: the texts holding the leads of two other texts
    with different leads, the only ones that can be digests here (most texts hold none; a copy,
    only its original's, which is its own); numpy finds them, not a set per text."""

    def __init__(self, c):
        self.c = c
        n, long = len(c.docs), c.long_paragraphs()
        keys, holder, leads = long.keys, np.repeat(np.arange(n), np.diff(long.bounds)), long.leads()
        # how many texts each lead leads (0, which no paragraph key is, keeps the array from being empty)
        lead_keys, counts = np.unique(np.append(leads[leads != 0], 0), return_counts=True)
        at = np.searchsorted(lead_keys, keys).clip(max=lead_keys.size - 1)
        others = np.where(lead_keys[at] == keys, counts[at], 0) - (keys == leads[holder])  # texts other than the holder
        held = np.unique(np.stack([holder[others > 0], keys[others > 0]], axis=1), axis=0)  # each text's keys once
        self.candidates = np.flatnonzero(np.bincount(held[:, 0], minlength=n) >= 2).tolist()
        led = np.flatnonzero(leads)
        self._led = led[np.argsort(leads[led], kind="stable")]  # the texts with a lead, by lead
        self._leads = leads[self._led]

    def __call__(self, i: int) -> list[tuple[str, str, Para]]:
        own = np.fromiter(self.c.paragraphs(i)[0], dtype=np.int64)
        at = zip(np.searchsorted(self._leads, own).tolist(), np.searchsorted(self._leads, own, "right").tolist())
        near = sorted({k for a, b in at for k in self._led[a:b].tolist() if k != i})
        return [(self.c.docs[k].article_id, self.c.docs[k].outlet, self.c.paragraphs(k)) for k in near]


def digests(c, sources: Sources | None = None) -> dict[int, list[str]]:
    """{digest: the ids it quotes} among the texts of corpus ``c``. ``sources``: default, the
    texts of ``c``; the incremental sync adds the index's others."""
    sources = sources or LocalSources(c)
    out = {}
    for k in sources.candidates if isinstance(sources, LocalSources) else range(len(c.docs)):
        own = c.paragraphs(k)[0]
        if len(own) >= 3:
            q = quoted(own, c.docs[k].outlet, sources(k))
            if q:
                out[k] = q
    return out
