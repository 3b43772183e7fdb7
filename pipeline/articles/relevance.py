"""Is an article about the Idlib conflict? A multilingual, weighted term score.

Each term family lists one concept's spellings across Latin, Arabic, Turkish
and Cyrillic scripts and common transliterations. An article's score sums,
per matched family, ``weight * (1 + 0.5 * (min(count, 4) - 1))`` plus a title
bonus, so one passing mention of Idlib in a story about something else stays
below the default threshold while a report from Saraqib that never says
"Idlib" still passes.
"""
from __future__ import annotations

import re
import unicodedata
from dataclasses import dataclass

from crawlers.terms import TERMS
from pipeline.settings import RelevanceSettings

_AR_PREFIX = "(?:[وبلفك]|ال)?"


def _compile(spelling: str) -> re.Pattern:
    if re.search(r"[\u0600-\u06FF]", spelling):
        return re.compile(r"(?<![\w])" + _AR_PREFIX + spelling + r"(?![\w])")
    if re.search(r"[\u0400-\u04FF]", spelling) and not spelling.endswith("*"):
        # Russian declines place names: Идлиб, Идлиба, Идлибе, Идлибом
        return re.compile(r"(?<![\w])" + spelling + r"\w{0,3}(?![\w])", re.IGNORECASE)
    return re.compile(r"(?<![\w])" + spelling + r"(?![\w])", re.IGNORECASE)


_PATTERNS = {name: (w, [_compile(s) for s in spellings]) for name, (w, spellings) in TERMS.items()}


def _norm(text: str) -> str:
    text = unicodedata.normalize("NFKC", text or "")
    # Turkish dotted capital I lower-cases to i + combining dot; fold it so "İdlib" matches "idlib"
    return text.replace("İ", "I").replace("\u0307", "").replace("’", "'")


@dataclass(frozen=True)
class Relevance:
    score: float
    relevant: bool
    matched_terms: list[str]


def score_relevance(text: str, title: str | None = None, settings: RelevanceSettings | None = None) -> Relevance:
    """Score an article; ``matched_terms`` lists the term families found, strongest first."""
    settings = settings or RelevanceSettings()
    body, head = _norm(text), _norm(title or "")
    total = 0.0
    matched: list[tuple[float, str]] = []
    for name, (weight, patterns) in _PATTERNS.items():
        count = sum(len(p.findall(body)) for p in patterns)
        in_title = any(p.search(head) for p in patterns)
        if not count and not in_title:
            continue
        part = weight * (1 + 0.5 * (min(max(count, 1), 4) - 1)) + (settings.title_bonus * weight if in_title else 0.0)
        total += part
        matched.append((part, name))
    matched.sort(key=lambda t: (-t[0], t[1]))
    return Relevance(round(total, 3), total >= settings.threshold, [n for _, n in matched])
