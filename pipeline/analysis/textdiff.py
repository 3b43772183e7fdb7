"""What a copy changed in its origin's text, passage by passage, with the standard library's
``difflib`` on words (whitespace kept with each word, so the passages read as written).

Word level, not characters: an analyst asks which sentences and phrases were dropped, added
or reworded, and a word diff keeps an Arabic or Cyrillic word whole. ``autojunk`` is off
because newswire texts repeat their commonest words often enough for difflib's heuristic
to treat them as junk and misalign the passages around them.
"""
from __future__ import annotations

import difflib
import re
from dataclasses import dataclass

_WORD = re.compile(r"\S+\s*|\s+")


@dataclass(frozen=True)
class Passage:
    """One stretch of the two texts: ``kind`` is equal, removed, added, changed, or moved (a
    passage removed in one place and added unchanged in another: reordered paragraphs)."""

    kind: str
    before: str   # the origin's words ("" for added)
    after: str    # the copy's words ("" for removed)


_KIND = {"equal": "equal", "delete": "removed", "insert": "added", "replace": "changed"}


def diff_passages(origin: str, copy: str) -> list[Passage]:
    """The two texts as a sequence of equal, removed, added, changed and moved passages."""
    a, b = _WORD.findall(origin or ""), _WORD.findall(copy or "")
    matcher = difflib.SequenceMatcher(None, [w.strip() for w in a], [w.strip() for w in b], autojunk=False)
    passages = [Passage(_KIND[tag], "".join(a[i1:i2]), "".join(b[j1:j2]))
                for tag, i1, i2, j1, j2 in matcher.get_opcodes()]
    moved = ({_norm(p.before) for p in passages if p.kind == "removed"}
             & {_norm(p.after) for p in passages if p.kind == "added"})
    return [Passage("moved", p.before, p.after) if p.kind in ("removed", "added")
            and _norm(p.before + p.after) in moved else p for p in passages]


def _norm(text: str) -> str:
    return " ".join(text.split())


def summarise(passages: list[Passage]) -> dict:
    """Passages for a DataFrame row: what was removed, added, changed and moved, and the share of
    the origin's words the copy kept (in place or moved)."""
    kept = sum(len(p.before.split()) for p in passages if p.kind in ("equal", "moved"))
    total = sum(len(p.before.split()) for p in passages)
    return {
        "kept_share": round(kept / total, 4) if total else 1.0,
        "removed": [p.before.strip() for p in passages if p.kind == "removed"],
        "added": [p.after.strip() for p in passages if p.kind == "added"],
        "changed": [{"from": p.before.strip(), "to": p.after.strip()} for p in passages if p.kind == "changed"],
        "moved": [p.before.strip() for p in passages if p.kind == "moved" and p.before],
    }
