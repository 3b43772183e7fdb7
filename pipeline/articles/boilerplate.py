"""Per-outlet boilerplate: paragraphs an outlet repeats across its articles
("Note to readers...", mission statements, copyright blocks). They are removed
from the stored text and before deduplication, and kept in their own column."""
from __future__ import annotations

from collections import Counter, defaultdict
from typing import NamedTuple

from pipeline.articles.boilerplate_memory import BoilerplateMemory
from pipeline.settings import BoilerplateSettings


def fold_paragraph(paragraph: str) -> str:
    """Boilerplate repeats verbatim: case and spacing are all that need folding, cheaply.

    Most paragraphs have no spacing to fold: a printable string (every
    whitespace but the plain space is unprintable) without double, leading or
    trailing spaces is its own key, which skips building a word list.
    """
    low = paragraph.lower()
    if low.isprintable() and "  " not in low and low[:1] != " " and low[-1:] != " ":
        return low
    return " ".join(low.split())


def _keys(texts: list[str]) -> list[list[str]]:
    """The key of every paragraph (``text.split("\\n")``) of every text.

    Most texts need no folding beyond case: a compiled scan of their bytes
    says so, and one ``lower()`` of the whole text gives every key
    (lower-casing never crosses a newline, so each piece equals its
    paragraph's ``lower()``).
    """
    from pipeline.dedup import kernels  # numba loads on first use

    irregular = kernels.irregular_spacing(*kernels.pack([t.encode("utf-8", "surrogatepass") for t in texts]))
    return [[fold_paragraph(p) for p in text.split("\n")] if irr else text.lower().split("\n")
            for text, irr in zip(texts, irregular.tolist())]


def _learn(docs: list[tuple[str, list[str], str]], settings: BoilerplateSettings | None,
           known: dict[str, set[str]] | None, memory: BoilerplateMemory | None = None,
           skip_days: set[str] = frozenset()) -> dict[str, set[str]]:
    """From (outlet, paragraph keys, day) triples, the keys each outlet repeats: on at least
    ``min_pages`` pages and ``min_share`` of its pages on the days the key appears, counting
    the days ``memory`` remembers (other than ``skip_days``, the window's own)."""
    settings = settings or BoilerplateSettings()
    pages: Counter = Counter()
    seen: dict[str, dict[str, Counter]] = defaultdict(lambda: defaultdict(Counter))
    uniq = [(outlet, {k for k in keys if 0 < len(k) <= settings.max_chars}, day) for outlet, keys, day in docs]
    if memory is None:  # nothing to add from earlier days: a key on fewer than min_pages pages is no candidate
        counts = Counter((outlet, k) for outlet, keys, _ in uniq for k in keys)
        uniq = [(o, {k for k in keys if counts[o, k] >= settings.min_pages}, day) for o, keys, day in uniq]
    for outlet, keys, day in uniq:
        pages[outlet, day] += 1
        for k in keys:
            seen[outlet][k][day] += 1
    learned = {o: set(v) for o, v in (known or {}).items()}
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
    """A text without its outlet's boilerplate, the paragraphs removed, and the folded keys of
    the paragraphs kept (``fold_paragraph``: what digests hash, without folding them again)."""

    text: str
    removed: list[str]
    keys: list[str]


def _strip(text: str, keys: list[str], boilerplate: set[str]) -> Stripped:
    if not boilerplate:
        return Stripped(text, [], keys)
    kept, removed, kept_keys = [], [], []
    for p, k in zip(text.split("\n"), keys):
        if k in boilerplate:
            removed.append(p)
        else:
            kept.append(p)
            kept_keys.append(k)
    return Stripped("\n".join(kept), removed, kept_keys)


def remove_boilerplate(docs: list[tuple[str, str]], settings: BoilerplateSettings | None = None,
                       known: dict[str, set[str]] | None = None, *, days: list[str] | None = None,
                       memory: BoilerplateMemory | None = None, skip_days: set[str] = frozenset()
                       ) -> tuple[dict[str, set[str]], list[Stripped]]:
    """Learn each outlet's boilerplate from (outlet, text) pairs and strip it from them:
    (what was learned, (text, removed paragraphs, kept paragraphs' keys) per doc). Each paragraph is keyed once;
    paragraphs whose key is longer than ``max_chars`` are never boilerplate.

    ``known`` carries what earlier runs learned; ``days`` (each doc's day) and ``memory``
    count the pages of earlier days too, so a footer too rare in one day is learned over
    several (``pipeline.articles.boilerplate_memory``).
    """
    keyed = list(zip((outlet for outlet, _ in docs), _keys([text for _, text in docs])))
    learned = _learn([(o, k, d) for (o, k), d in zip(keyed, days or [""] * len(docs))], settings, known, memory,
                     skip_days)
    return learned, [_strip(text, k, learned.get(outlet, set())) for (outlet, k), (_, text) in zip(keyed, docs)]


def paragraph_keys(texts: list[str]) -> list[list[str]]:
    """The boilerplate key of every paragraph of each text (what the memory counts)."""
    return _keys(texts)
