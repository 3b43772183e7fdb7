"""Per-outlet boilerplate: paragraphs an outlet repeats across its articles
("Note to readers...", mission statements, copyright blocks). They are removed
from the stored text and before deduplication, and kept in their own column."""
from __future__ import annotations

from collections import Counter, defaultdict

from pipeline.settings import BoilerplateSettings


def _key(paragraph: str) -> str:
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
    return [[_key(p) for p in text.split("\n")] if irr else text.lower().split("\n")
            for text, irr in zip(texts, irregular.tolist())]


def _learn(docs: list[tuple[str, list[str]]], settings: BoilerplateSettings | None,
           known: dict[str, set[str]] | None) -> dict[str, set[str]]:
    """From (outlet, paragraph keys) pairs, the keys each outlet repeats."""
    settings = settings or BoilerplateSettings()
    per_outlet: dict[str, Counter] = defaultdict(Counter)
    pages: Counter = Counter()
    for outlet, keys in docs:
        pages[outlet] += 1
        per_outlet[outlet].update({k for k in keys if 0 < len(k) <= settings.max_chars})
    learned = {o: set(v) for o, v in (known or {}).items()}
    for outlet, counts in per_outlet.items():
        need = max(settings.min_pages, settings.min_share * pages[outlet])
        learned.setdefault(outlet, set()).update(k for k, c in counts.items() if c >= need)
    return learned


def _strip(text: str, keys: list[str], boilerplate: set[str]) -> tuple[str, list[str]]:
    if not boilerplate:
        return text, []
    kept, removed = [], []
    for p, k in zip(text.split("\n"), keys):
        (removed if k in boilerplate else kept).append(p)
    return "\n".join(kept), removed


def remove_boilerplate(docs: list[tuple[str, str]], settings: BoilerplateSettings | None = None,
                       known: dict[str, set[str]] | None = None
                       ) -> tuple[dict[str, set[str]], list[tuple[str, list[str]]]]:
    """Learn each outlet's boilerplate from (outlet, text) pairs and strip it from them:
    (what was learned, (text, removed paragraphs) per doc). Each paragraph is keyed once;
    paragraphs whose key is longer than ``max_chars`` are never boilerplate.

    ``known`` carries what earlier runs learned, so a day with few pages of an
    outlet still strips its boilerplate.
    """
    keyed = list(zip((outlet for outlet, _ in docs), _keys([text for _, text in docs])))
    learned = _learn(keyed, settings, known)
    return learned, [_strip(text, k, learned.get(outlet, set())) for (outlet, k), (_, text) in zip(keyed, docs)]
