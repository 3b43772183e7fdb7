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

from collections import defaultdict
from itertools import chain, combinations
from typing import Callable

import numpy as np

from pipeline.articles.paragraphs import paragraph_keys
from pipeline.dedup.packed import offsets

MIN_WORDS = 8  # shorter paragraphs (datelines, bylines, "Read more") are not evidence


def _long(keys: np.ndarray, words: np.ndarray) -> np.ndarray:
    """The keys (lowest bit set) of the paragraphs of at least ``MIN_WORDS`` words, in text order."""
    return keys[words >= MIN_WORDS] | 1


def digest_keys(keys: np.ndarray, words: np.ndarray) -> np.ndarray:
    """int64 keys (lowest bit 1) of a text's paragraphs of at least ``MIN_WORDS`` words, from
    their ``paragraphs.paragraph_keys`` and word counts: the lead's first, then the others
    sorted (a digest quotes a story's lead)."""
    found = _long(keys, words)
    if not found.size:
        return np.empty(0, dtype=np.int64)
    rest = np.unique(found[1:])
    return np.concatenate([found[:1], rest[rest != found[0]]])


Para = tuple[frozenset[int], int]  # (paragraph keys, the lead's key or 0)


def as_para(keys: np.ndarray) -> Para:
    return frozenset(keys.tolist()), (int(keys[0]) if keys.size else 0)


def paras_of(keys: list[np.ndarray], words: list[np.ndarray]) -> list[Para]:
    """(paragraph keys, lead key) of each text, from its paragraphs' keys and word counts: a
    set and a lead are all a corpus compares (``digest_keys`` without sorting), in one numpy
    pass over all the texts' paragraphs, not a few small ones per text."""
    if not keys:
        return []
    long = np.concatenate(words) >= MIN_WORDS
    found = (np.concatenate(keys)[long] | 1).tolist()
    at = np.concatenate([[0], np.cumsum(long)])[offsets((k.size for k in keys), len(keys))].tolist()
    return [(frozenset(found[a:b]), found[a] if b > a else 0) for a, b in zip(at, at[1:])]


def _per_text(texts: list[str], make: Callable[[np.ndarray, np.ndarray], object]) -> list:
    keys = paragraph_keys(texts)
    return [make(keys.keys[keys.of(i)], keys.words[keys.of(i)]) for i in range(len(texts))]


def texts_digest_keys(texts: list[str]) -> list[np.ndarray]:
    """``digest_keys`` of each text (what the persistent index stores)."""
    return _per_text(texts, digest_keys)


def texts_paras(texts: list[str]) -> list[Para]:
    """``paras_of`` the texts."""
    keys = paragraph_keys(texts)
    rows = [keys.of(i) for i in range(len(texts))]
    return paras_of([keys.keys[r] for r in rows], [keys.words[r] for r in rows])


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
        n = len(c.docs)
        self.own = [c.paragraphs(k)[0] for k in range(n)]
        leads = np.fromiter((c.paragraphs(k)[1] for k in range(n)), dtype=np.int64, count=n)
        sizes = [len(p) for p in self.own]
        keys = np.fromiter(chain.from_iterable(self.own), dtype=np.int64, count=sum(sizes))
        holder = np.repeat(np.arange(n), sizes)
        # how many texts each lead leads (0, which no paragraph key is, keeps the array from being empty)
        lead_keys, counts = np.unique(np.append(leads[leads != 0], 0), return_counts=True)
        at = np.searchsorted(lead_keys, keys).clip(max=lead_keys.size - 1)
        others = np.where(lead_keys[at] == keys, counts[at], 0) - (keys == leads[holder])  # texts other than the holder
        self.candidates = np.flatnonzero(np.bincount(holder[others > 0], minlength=n) >= 2).tolist()
        self.where: dict[int, list[int]] = defaultdict(list)  # lead -> the texts it leads
        for k, lead in enumerate(leads.tolist()):
            if lead:
                self.where[lead].append(k)

    def __call__(self, i: int) -> list[tuple[str, str, Para]]:
        where, docs = self.where, self.c.docs
        near = sorted({k for key in self.own[i] if key in where for k in where[key] if k != i})
        return [(docs[k].article_id, docs[k].outlet, self.c.paragraphs(k)) for k in near]


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
