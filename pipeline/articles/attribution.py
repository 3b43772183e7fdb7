"""Attribution lines: where an article says it came from.

Wires and aggregators say it in a few fixed ways: a dateline credit
("IDLIB (Reuters) -"), a closing line ("This article was originally published
on X."), a source line at the top ("Source: X", "نقلا عن X"), or a byline that
names another outlet. ``find_attributions`` returns the normalised names so
that the deduplicator can match them against the outlets of a cluster.
"""
from __future__ import annotations

import functools
import re
import unicodedata

import numpy as np

from pipeline.dedup.packed import Packed, pack
from pipeline.dedup.tables import on_disk

# (cheap keywords, pattern, anchored): a pattern is tried only where its keywords are, Python's
# re being slow to scan (20-40 ns a position): an anchored one at the start of each line holding
# one, the others where one starts (each of their alternatives begins with a keyword)
_PATTERNS = [
    # "... originally published on/by/in/at X." / "first appeared on X"
    (("originally", "first"), re.compile(
        r"(?:originally|first)\s+(?:published|appeared|posted)\s+(?:on|by|in|at)\s+(?:the\s+)?([^.\n]{2,60})", re.I),
     False),
    # "Source: X" / "Via: X" / "Courtesy of X" at the start of a line
    (("source", "via", "courtesy", "republished", "reprinted"), re.compile(
        r"(?:source|sources|via|courtesy of|republished from|reprinted from)\s*[:\-–]?\s*([^.\n]{2,60})", re.I),
     True),
    # dateline credit: "CITY, Country (X) -"; Arabic "(X) -" credits
    (("(",), re.compile(r"[A-ZÀ-Ý' ,.\-]{2,60}\((?!AFP\)|AP\))?([^()\n]{2,40})\)\s*[-–—]"), True),
    (("(",), re.compile(r"[^\n()]{0,40}\(([^()\n]{2,40})\)\s*[-–—]"), True),
    # Arabic: "نقلا عن X" / "المصدر: X"
    (("نقلا", "نقلاً", "المصدر"), re.compile(r"(?:نقلا عن|نقلاً عن|المصدر\s*:)\s*([^.\n،]{2,60})"), False),
    # French, Turkish, Russian
    (("publié", "source"), re.compile(r"(?:publié initialement (?:sur|par)|source\s*:)\s*([^.\n]{2,60})", re.I), False),
    (("kaynak", "ilk olarak"), re.compile(r"(?:kaynak\s*:|ilk olarak)\s*([^.\n]{2,60})", re.I), False),
    (("источник", "впервые"), re.compile(r"(?:источник\s*:|впервые опубликован[ао]? (?:на|в))\s*([^.\n]{2,60})", re.I),
     False),
]

_KEYWORDS = sorted({k for keywords, _, _ in _PATTERNS for k in keywords})
_ASCII_KEYWORDS = [k for k in _KEYWORDS if k.isascii()]  # all a text without other characters can hold


@functools.lru_cache(maxsize=4096)  # outlet names, asked for every member of every cluster
def normalize_name(name: str) -> str:
    """Lower-case, accents and punctuation folded: 'Levant-Wire' == 'levant wire'."""
    name = unicodedata.normalize("NFKD", name or "")
    name = "".join(c for c in name if not unicodedata.combining(c)).casefold()
    name = re.sub(r"[\W_]+", " ", name).strip()
    return re.sub(r"^(the|al) ", "", name)


def find_attributions(text: str, authors: list[str] | None = None) -> list[str]:
    """Normalised names an article credits as its source, in order of appearance.

    Only the first three and the last twelve paragraphs are searched: credits sit
    at the top or the bottom (above a republisher's own disclaimers), and a
    quote in the middle ("... first published in 1998") must not count.
    """
    paras = [p for p in (text or "").split("\n") if p.strip()]
    window = "\n".join(paras if len(paras) <= 15 else paras[:3] + paras[-12:])
    found: list[str] = []
    lower = window.replace("\u0130", "i").lower()  # İ, the one character whose lower case is longer: as re.I reads it
    present = {k for k in (_ASCII_KEYWORDS if lower.isascii() else _KEYWORDS) if k in lower}
    lines = list(zip(window.split("\n"), lower.split("\n")))
    for keywords, rx, anchored in _PATTERNS:
        if present.isdisjoint(keywords):
            continue
        matches = (rx.match(line) for line, low in lines if any(k in low for k in keywords)) if anchored \
            else _at_keywords(rx, window, lower, keywords)
        for m in matches:
            name = normalize_name(m.group(1)) if m else ""
            if name and name not in found:
                found.append(name)
    for a in authors or []:
        name = normalize_name(a)
        if name and name not in found:
            found.append(name)
    return found


def _at_keywords(rx: re.Pattern, window: str, lower: str, keywords: tuple[str, ...]):
    """``rx.finditer(window)``, tried only where a keyword starts in ``lower``, its lower case of
    the same length."""
    starts = sorted({i for k in keywords for i in _positions(lower, k)})
    end = 0
    for i in starts:
        m = rx.match(window, i) if i >= end else None
        if m:
            end = m.end()
            yield m


def _positions(text: str, word: str):
    i = text.find(word)
    while i >= 0:
        yield i
        i = text.find(word, i + 1)


def folded_ascii(text: str) -> bytes:
    """The ASCII characters of ``text`` after NFKD and case folding, in order: what
    ``normalize_name`` makes of it, but with everything else dropped (``could_name``). After
    NFKD, only ß and ẞ fold to ASCII other than by ASCII's own lower case (``str.casefold``
    costs as much as NFKD)."""
    if text.isascii():
        return text.lower().encode()
    nfkd = unicodedata.normalize("NFKD", text).replace("ß", "ss").replace("ẞ", "ss")
    return nfkd.encode("ascii", "ignore").lower()


@on_disk()
def ascii_folds() -> tuple[np.ndarray, np.ndarray, np.ndarray]:
    """``folded_ascii`` of every code point as ``utf8.replace_chars`` reads it: each one's slot
    (uint16: 372 distinct folds under Unicode 14) and the folds' bytes with their bounds. 0.2 s
    to build, then kept on disk: a batch no longer collects its distinct characters first."""
    folds: dict[bytes, int] = {}
    slot = np.fromiter((folds.setdefault(folded_ascii(chr(c)), len(folds)) for c in range(0x110000)),
                       dtype=np.uint16, count=0x110000)
    return (slot, *(np.array(a) for a in pack(list(folds))))  # writable, as they load from disk


def folded_ascii_of(packed: Packed, docs: list[int]) -> list[bytes]:
    """``folded_ascii`` of texts ``docs`` of ``packed``, in compiled code: as far as their ASCII
    goes, NFKD and case folding act on each character alone (the marks they reorder fold to
    nothing), so each character's fold comes from a table (``ascii_folds``) and the texts are
    not folded in Python. An ASCII text is ``bytes.lower``'s (0.14 -> 0.04 s for 10,000 ASCII
    texts of 5 KB)."""
    from pipeline.dedup.utf8 import ascii_docs, replace_chars
    ascii = ascii_docs(*packed)[docs].tolist() if docs else []
    found = {i: packed.part(i).lower() for i, a in zip(docs, ascii) if a}  # bytes.lower: ASCII at C speed
    rows = np.array([i for i in docs if i not in found], dtype=np.int64)
    out, bounds = replace_chars(*packed, rows, *ascii_folds(), True)
    b = bounds.tolist()
    found.update((i, out[b[k]:b[k + 1]].tobytes()) for k, i in enumerate(rows.tolist()))
    return [found[i] for i in docs]


@functools.lru_cache(maxsize=1024)
def _key_words(names: tuple[str, ...]) -> tuple[tuple[bytes, ...], ...] | None:
    """The words of each name's ``normalize_name`` key in ASCII (empty keys and repeats
    dropped), None when a key goes beyond ASCII."""
    keys = {normalize_name(n) for n in names} - {""}
    if not all(k.isascii() for k in keys):
        return None
    return tuple(tuple(w.encode() for w in k.split(" ")) for k in sorted(keys))


def could_name(folded: bytes, outlet_names: list[str]) -> bool:
    """False only where ``credits_outlet`` must be False for the attributions of a text whose
    ``folded_ascii`` is ``folded`` (authors aside): a name credited is a substring of the
    text's ``normalize_name``, so each word of an ASCII name's key is one of ``folded`` (the
    characters ``normalize_name`` strips or turns into spaces lie around a word, not in it:
    ``tests/test_attribution.py`` checks every code point). A name beyond ASCII: True."""
    keys = _key_words(tuple(outlet_names))
    if keys is None:
        return True
    for words in keys:
        for w in words:
            if w not in folded:
                break
        else:
            return True
    return False


def credits_outlet(attributions: list[str], outlet_names: list[str]) -> bool:
    """Does any attribution name this outlet (by its id or any of its titles)?"""
    keys = {normalize_name(n) for n in outlet_names if n}
    return any(a in keys or any(k and (a.startswith(k + " ") or a.endswith(" " + k)) for k in keys) for a in attributions)
