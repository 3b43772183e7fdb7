"""Authors: JSON-LD first, then meta tags, microdata and rel=author links, then trafilatura's
byline search; each name once, cleaned."""
from __future__ import annotations

import re

from pipeline.extract.cleanup import fold
from pipeline.extract.metadata import ld_names, meta_value

_BY = re.compile(r"^(?:by|von|par|de|por)\s+", re.I)
_AND = re.compile(r"\s+(?:und|and)\s+")  # "et" measured: the corpus keeps "Le Figaro et AFP" whole
_INITIALS = re.compile(r"\s*\([^()\s]{1,5}\)$")  # "Elena Muster (emu)": the byline's short code


def clean_authors(names: list[str]) -> list[str]:
    """Names once each, "By " dropped, "A und B" split, a trailing short code cut. An
    outlet credited as its own author stays: outlets credit desk and agency copy that way."""
    out: list[str] = []
    seen: set[str] = set()
    for raw in names:
        for name in _AND.split(_BY.sub("", raw.strip())):
            name = _INITIALS.sub("", name).strip()
            if name and fold(name) not in seen:
                seen.add(fold(name))
                out.append(name)
    return out


_AUTHOR_META = ("author", "article:author", "parsely-author", "dc.creator", "byl", "sailthru.author")


def markup_authors(tree, metas: list[tuple[str, str]]) -> list[str]:
    """Authors from meta tags, microdata and rel=author links (JSON-LD is read first, elsewhere)."""
    raw = meta_value(metas, _AUTHOR_META)
    if raw and not raw.startswith("http"):
        return ld_names(re.sub(r"^(by|von|par|de)\s+", "", raw, flags=re.I))
    found = []
    for el in tree.xpath('//*[@itemprop="author"] | //a[@rel="author"]'):
        name = (el.get("content") or " ".join(" ".join(el.itertext()).split())).strip()
        if name and len(name) < 80 and name not in found:
            found.append(name)
    return found


def byline_authors(tree) -> list[str]:
    """trafilatura's byline search, only for pages whose markup names no author (it copies the tree)."""
    from trafilatura.metadata import extract_author
    try:
        found = extract_author(tree)
    except Exception:  # a heuristic on odd markup; authors are optional
        return []
    return [a.strip() for a in (found or "").split(";") if a.strip()]


def page_authors(tree, ld: list[dict], metas: list[tuple[str, str]]) -> list[str]:
    """The page's authors from the most reliable source that names any."""
    from_ld = clean_authors([n for a in ld for n in ld_names(a.get("author"))])
    return from_ld or clean_authors(markup_authors(tree, metas) or byline_authors(tree))
