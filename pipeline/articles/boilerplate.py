"""Per-outlet boilerplate: paragraphs an outlet repeats across its articles
("Note to readers...", mission statements, copyright blocks). They are removed
from the stored text and before deduplication, and kept in their own column."""
from __future__ import annotations

from collections import Counter, defaultdict
from typing import NamedTuple

import numpy as np

from pipeline.articles.boilerplate_memory import BoilerplateMemory
from pipeline.articles.paragraphs import fold_paragraph, key_hash, paragraph_keys
from pipeline.dedup.packed import Packed
from pipeline.settings import BoilerplateSettings


def _learn(docs: list[tuple[str, set[int], str]], settings: BoilerplateSettings,
           known: dict[str, set[int]], memory: BoilerplateMemory | None = None,
           skip_days: set[str] = frozenset()) -> dict[str, set[int]]:
    """From (outlet, paragraph keys no longer than ``max_chars``, day) triples, the keys each
    outlet repeats: on at least ``min_pages`` pages and ``min_share`` of its pages on the days
    the key appears, counting the days ``memory`` remembers (other than ``skip_days``, the
    window's own). ``known``: what earlier runs learned, kept."""
    pages: Counter = Counter()
    seen: dict[str, dict[int, Counter]] = defaultdict(lambda: defaultdict(Counter))
    for outlet, keys, day in docs:
        pages[outlet, day] += 1
        for k in keys:
            seen[outlet][k][day] += 1
    learned = {o: set(v) for o, v in known.items()}
    for outlet, by_key in seen.items():
        earlier = memory.history(outlet, by_key, skip_days) if memory else {}
        for k, days in by_key.items():
            count, on_days = earlier.get(k, (0, 0))
            count += sum(days.values())
            on_days += sum(pages[outlet, d] for d in days)
            if count >= settings.min_pages and count >= settings.min_share * on_days:
                learned.setdefault(outlet, set()).add(k)
    return learned


class Stripped(NamedTuple):
    """A text without its outlet's boilerplate, the paragraphs removed, and the keys and word
    counts of the paragraphs kept (``paragraphs.paragraph_keys``: what digests hash, not
    computed twice)."""

    text: str
    removed: list[str]
    keys: np.ndarray
    words: np.ndarray


def _strip(text: str, keys: np.ndarray, words: np.ndarray, boilerplate: set[int]) -> Stripped:
    """``text`` without its paragraphs in ``boilerplate``; a text with none is passed on as given
    (a ``packed.Deferred`` stays undecoded)."""
    if not boilerplate or boilerplate.isdisjoint(listed := keys.tolist()):
        return Stripped(text, [], keys, words)
    kept, removed, keep = [], [], np.zeros(keys.size, dtype=np.bool_)
    for n, (p, k) in enumerate(zip(str(text).split("\n"), listed)):
        if k in boilerplate:
            removed.append(p)
        else:
            kept.append(p)
            keep[n] = True
    return Stripped("\n".join(kept), removed, keys[keep], words[keep])


def remove_boilerplate(docs: list[tuple[str, str]], settings: BoilerplateSettings | None = None,
                       known: dict[str, set[str]] | None = None, *, days: list[str] | None = None,
                       memory: BoilerplateMemory | None = None, skip_days: set[str] = frozenset(),
                       packed: Packed | None = None) -> tuple[dict[str, set[str]], list[Stripped]]:
    """Learn each outlet's boilerplate from (outlet, text) pairs and strip it from them (a text
    may be a ``packed.Deferred``, with ``packed``):
    (what was learned, as folded paragraphs, ``known`` included; a ``Stripped`` per doc).
    Each paragraph is keyed once; paragraphs longer than ``max_chars`` are never boilerplate.

    ``known`` carries what earlier runs learned; ``days`` (each doc's day) and ``memory``
    count the pages of earlier days too, so a footer too rare in one day is learned over
    several (``pipeline.articles.boilerplate_memory``). ``packed``: the texts' UTF-8, when the
    caller has it (``pipeline.dedup.packed``).
    """
    settings = settings or BoilerplateSettings()
    keys = paragraph_keys([text for _, text in docs], packed)
    outlets = [outlet for outlet, _ in docs]
    candidates = keys.short(settings.max_chars)
    if memory is None:  # nothing to add from earlier days: a key on fewer than min_pages pages is no candidate
        number: dict[str, int] = {}  # an id per outlet (sorting 20,000 strings as objects cost 10 ms)
        group = np.fromiter((number.setdefault(o, len(number)) for o in outlets), dtype=np.int64, count=len(outlets))
        candidates = keys.repeated(candidates, group, settings.min_pages)
    triples = list(zip(outlets, keys.key_sets(candidates), days or [""] * len(docs)))
    hashed = {o: {key_hash(k) for k in v} for o, v in (known or {}).items()}
    learned = _learn(triples, settings, hashed, memory, skip_days)
    stripped = [_strip(text, keys.keys[keys.of(i)], keys.words[keys.of(i)], learned.get(outlet, set()))
                for i, (outlet, text) in enumerate(docs)]
    named = {o: set(v) for o, v in (known or {}).items()}
    for outlet, s in zip(outlets, stripped):
        if s.removed:
            named.setdefault(outlet, set()).update(fold_paragraph(p) for p in s.removed)
    return named, stripped
