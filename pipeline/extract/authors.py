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


# a credit that is no person's name: a domain ("mdr.de", "www.dw.com"), an e-mail address
_NOT_A_NAME = re.compile(r"^\(?(?:www\.)?[\w-]+(?:\.[\w-]+)*\.[a-z]{2,}\)?$|@", re.I)
_MAX_NAME_WORDS = 6  # longer credits are a description ("professor at the faculty of ..."), not a name


def _outlet_names(ld: list[dict], metas: list[tuple[str, str]]) -> set[str]:
    """The site's own names (JSON-LD publisher, og:site_name, application name), folded."""
    names = [n for a in ld for n in ld_names(a.get("publisher"))]
    names += [v for k, v in metas if k in ("og:site_name", "application-name", "twitter:site")]
    return {fold(n.lstrip("@")) for n in names if n.strip()}


def _credits(names: list[str]) -> list[str]:
    """The credits that read as names: not a domain, an e-mail address or a phrase."""
    return [n for n in names if not _NOT_A_NAME.search(n.strip()) and len(n.split()) <= _MAX_NAME_WORDS]


def page_authors(tree, ld: list[dict], metas: list[tuple[str, str]]) -> list[str]:
    """The page's authors from the most reliable source that names any (JSON-LD, then markup), less
    the credits that are no names. When that source names no one but the outlet (or only a domain or
    an e-mail address), the byline is read for a person; failing one, the outlet's credit stays (an
    outlet credits desk and agency copy to itself)."""
    outlet = _outlet_names(ld, metas)
    first = clean_authors([n for a in ld for n in ld_names(a.get("author"))]) or clean_authors(markup_authors(tree, metas))
    names = _credits(first)
    if any(fold(n) not in outlet for n in names):
        return names
    byline = _credits(clean_authors(byline_authors(tree)))
    if any(fold(n) not in outlet for n in byline):
        return byline
    return first or byline
