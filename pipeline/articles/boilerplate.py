"""Per-outlet boilerplate: paragraphs an outlet repeats across its articles
("Note to readers...", mission statements, copyright blocks). They are removed
from the stored text and before deduplication, and kept in their own column."""
from __future__ import annotations

from collections import Counter, defaultdict
from typing import NamedTuple

import numpy as np

from pipeline.articles.boilerplate_memory import BoilerplateMemory
from pipeline.articles.paragraphs import ParagraphKeys, fold_paragraph, key_hash, paragraph_keys
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
    """A text without its outlet's boilerplate, and the paragraphs removed."""

    text: str
    removed: list[str]


def _strip(text: str, keys: list[int], boilerplate: set[int], keep: np.ndarray) -> Stripped:
    """``text`` without its paragraphs (keys ``keys``) in ``boilerplate``, each kept one marked in
    ``keep``; a text with none is passed on as given (a ``packed.Deferred`` stays undecoded)."""
    if boilerplate.isdisjoint(keys):
        return Stripped(text, [])
    kept, removed = [], []
    for n, (p, k) in enumerate(zip(str(text).split("\n"), keys)):
        if k in boilerplate:
            removed.append(p)
            keep[n] = False
        else:
            kept.append(p)
    return Stripped("\n".join(kept), removed)


class Boilerplate(NamedTuple):
    """What ``remove_boilerplate`` gives: what was learned, as folded paragraphs; a ``Stripped``
    per text; the keys of the paragraphs kept, which digests compare (not computed twice)."""

    learned: dict[str, set[str]]
    texts: list[Stripped]
    paragraphs: ParagraphKeys


def remove_boilerplate(docs: list[tuple[str, str]], settings: BoilerplateSettings | None = None,
                       known: dict[str, set[str]] | None = None, *, days: list[str] | None = None,
                       memory: BoilerplateMemory | None = None, skip_days: set[str] = frozenset(),
                       packed: Packed | None = None, stored_keys: bool = True) -> Boilerplate:
    """Learn each outlet's boilerplate from (outlet, text) pairs and strip it from them (a text
    may be a ``packed.Deferred``, with ``packed``); what was learned includes ``known``. Each
    paragraph is keyed once; paragraphs longer than ``max_chars`` are never boilerplate.

    ``known`` carries what earlier runs learned; ``days`` (each doc's day) and ``memory``
    count the pages of earlier days too, so a footer too rare in one day is learned over
    several (``pipeline.articles.boilerplate_memory``). ``packed``: the texts' UTF-8, when the
    caller has it (``pipeline.dedup.packed``). ``stored_keys=False``: keys of this run only,
    cheaper (``paragraphs.paragraph_keys``), for a caller that stores none; not with ``known``
    or ``memory``, which hold stored keys.
    """
    if not stored_keys and (known or memory is not None):
        raise ValueError("boilerplate learned earlier is keyed by stored keys: stored_keys=False cannot use it")
    settings = settings or BoilerplateSettings()
    keys = paragraph_keys([text for _, text in docs], packed, stored_keys)
    outlets = [outlet for outlet, _ in docs]
    candidates = keys.short(settings.max_chars)
    if memory is None:  # nothing to add from earlier days: a key on fewer than min_pages pages is no candidate
        number: dict[str, int] = {}  # an id per outlet (sorting 20,000 strings as objects cost 10 ms)
        group = np.fromiter((number.setdefault(o, len(number)) for o in outlets), dtype=np.int64, count=len(outlets))
        candidates = keys.repeated(candidates, group, settings.min_pages)
    triples = list(zip(outlets, keys.key_sets(candidates), days or [""] * len(docs)))
    hashed = {o: {key_hash(k) for k in v} for o, v in (known or {}).items()}
    learned = _learn(triples, settings, hashed, memory, skip_days)
    keep, b = np.ones(keys.keys.size, dtype=np.bool_), keys.bounds.tolist()
    stripped = [Stripped(text, []) if outlet not in learned else  # an outlet with nothing learned: no key read
                _strip(text, keys.keys[b[i]:b[i + 1]].tolist(), learned[outlet], keep[b[i]:b[i + 1]])
                for i, (outlet, text) in enumerate(docs)]
    named = {o: set(v) for o, v in (known or {}).items()}
    for outlet, s in zip(outlets, stripped):
        if s.removed:
            named.setdefault(outlet, set()).update(fold_paragraph(p) for p in s.removed)
    return Boilerplate(named, stripped, keys.kept(keep))
