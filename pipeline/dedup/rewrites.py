"""Rewrites: a wire story retyped with a tenth of its words changed, its sentences reordered
and some dropped. Word 5-gram Jaccard falls to 0.25-0.4 and containment under the
truncated-copy bar, yet sentence after sentence of the shorter text is still there.

Candidates come from a third LSH tier over shorter shingles (``rewrite_shingle_size``
words, which survive word changes more often); a candidate pair is a rewrite when
sentences holding at least ``rewrite_min_aligned`` of the shorter text's words each
align with a sentence of the longer one (word-set Jaccard of at least
``sentence_match``), and at least ``rewrite_min_sentences`` of them do. Two stories on
one event share words and phrases, rarely whole sentences; a follow-up that reuses a
lead aligns one paragraph of several.
"""
from __future__ import annotations

import re
from collections import defaultdict

from pipeline.dedup.shingles import normalize

_SENTENCE_END = re.compile(r"(?<=[.!?\u061f\u3002\u06d4])\s+|\n+")
MIN_WORDS = 4  # shorter sentences (datelines, bylines) are not counted either way


_BREAK = " zqxsentencebreakzqx "  # survives ``normalize`` (lower-case ASCII letters): one pass per text


def sentences(text: str) -> list[frozenset[str]]:
    """The word sets of a text's sentences of at least ``MIN_WORDS`` words."""
    out = []
    for s in normalize(_SENTENCE_END.sub(_BREAK, text)).split(_BREAK.strip()):
        words = s.split()
        if len(words) >= MIN_WORDS:
            out.append(frozenset(words))
    return out


def aligned(short: list[frozenset[str]], long: list[frozenset[str]], match: float) -> tuple[float, int]:
    """(share of ``short``'s words in sentences that align with one of ``long``, sentences aligned)."""
    total = sum(len(s) for s in short)
    if not total or not long:
        return 0.0, 0
    where: dict[str, list[int]] = defaultdict(list)
    for k, t in enumerate(long):
        for w in t:
            where[w].append(k)
    words = count = 0
    for s in short:
        shared: dict[int, int] = defaultdict(int)
        for w in s:
            for k in where.get(w, ()):
                shared[k] += 1
        if any(n / (len(s) + len(long[k]) - n) >= match for k, n in shared.items()):
            words += len(s)
            count += 1
    return words / total, count
