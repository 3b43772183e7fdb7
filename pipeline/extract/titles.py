"""Titles: a page's headlines by source (JSON-LD, og:title, h1, ``<title>``), the site's
name cut off each, and the one an outlet treats as its title."""
from __future__ import annotations

import html
import re
from urllib.parse import urlsplit

from pipeline.extract.cleanup import fold
from pipeline.extract.metadata import ld_names, meta_tags, meta_value

def clean_title(value: str | None) -> str | None:
    """Entities decoded (sites often escape twice), soft hyphens dropped, spaces folded."""
    if not value or not isinstance(value, str):
        return None
    value = html.unescape(html.unescape(value)).replace("\u00ad", "")
    return re.sub(r"\s+", " ", value).strip() or None


_SUFFIX = re.compile(r"^(.{8,}?)\s+[|\-–—:]\s+([^|]{2,60})$")
# what stands before a site name written without spaces: "Headline-Section|" (Korean outlets
# write "…-정치ㅣ한국일보")
_TIGHT_HEAD = re.compile(r"^(.{8,}?)\s*[|\-–—ㅣ]\s*(?:[^\s|\-–—ㅣ]{1,12}[|ㅣ])?\s*$")
_SECOND_LEVEL = {"co", "com", "org", "net", "ac", "gov", "edu", "or", "ne", "go"}


def _names_site(tail: str, key: str) -> bool:
    """Does a title's tail name the site? Whole words only: 'co' must not match 'could'."""
    if len(key) < 3:
        return False
    return tail == key or f" {key} " in f" {tail} " or f" {tail} " in f" {key} "


def _strip_site_suffix(title: str, h1: str | None, sites: list[str]) -> str:
    """'Headline | Site' -> 'Headline' when the tail names the site (or the page's h1 is the head)."""
    if h1:
        ft, fh = fold(title), fold(h1)
        if ft != fh and ft.startswith(fh) and len(fh) >= 0.4 * len(ft):
            return h1
    stripped = title.rstrip()
    for site in sites:
        if site and len(site) >= 3 and stripped[-len(site):].lower() == site.lower():
            m = _TIGHT_HEAD.match(stripped[:-len(site)])
            if m:
                return m.group(1).strip()
    keys = {fold(s) for s in sites if s}
    for _ in range(2):  # "Headline | DW | 28.04.2023"
        m = _SUFFIX.match(title)
        if not m:
            break
        tail = fold(m.group(2))
        if re.fullmatch(r"[\d .]+", tail) or any(_names_site(tail, k) for k in keys):
            title = m.group(1).strip()
        else:
            break
    return title


def title_candidates(tree, ld: list[dict], metas: list[tuple[str, str]]) -> dict[str, str]:
    """The page's headlines by source, in the order ``auto`` prefers them. Outlets give
    different ones different jobs (an SEO headline in JSON-LD, a social one in og:title,
    the printed one in the h1), so which is *the* title is an outlet's choice."""
    h1_el = (tree.xpath("//article//h1 | //main//h1") or tree.xpath("//h1") or [None])[0]
    title_el = tree.find(".//title")
    found = {
        "json-ld": next((clean_title(a.get("headline")) for a in ld if clean_title(a.get("headline"))), None),
        "og": clean_title(meta_value(metas, ("og:title", "twitter:title"))),
        "h1": clean_title(" ".join(h1_el.itertext())) if h1_el is not None else None,
        "title-tag": clean_title(title_el.text_content()) if title_el is not None else None,
    }
    return {k: v for k, v in found.items() if v}


def site_names(url: str, ld: list[dict], metas: list[tuple[str, str]]) -> list[str]:
    host = (urlsplit(url).hostname or "").split(".")
    if len(host) >= 3 and len(host[-1]) == 2 and host[-2] in _SECOND_LEVEL:  # www.outlet.co.uk
        host = host[:-1]
    sites = [meta_value(metas, ("og:site_name", "application-name")) or "", host[-2] if len(host) >= 2 else ""]
    return sites + [n for a in ld for n in ld_names(a.get("publisher"))]


def page_titles(candidates: dict[str, str], sites: list[str]) -> dict[str, str]:
    """Each source's headline with the site's name appended to it cut off, in ``auto``'s order."""
    return {s: _strip_site_suffix(t, candidates.get("h1"), sites) for s, t in candidates.items()}


def choose_title(titles: dict[str, str], source: str = "auto") -> tuple[str | None, str, list[dict]]:
    """(title, the source it came from, variants). ``source`` is an outlet's ``title_source``;
    when its page lacks that headline, or for ``auto``, the first of ``titles`` is taken.
    The variants are the other sources' headlines whose wording differs from the title:
    analysts compare how an outlet re-headlined a story for search and social media."""
    if source not in titles:
        source = next(iter(titles), "none")
    title = titles.get(source)
    key = fold(title or "")
    return title, source, [{"source": s, "title": t} for s, t in titles.items() if t and fold(t) != key]


def find_title(tree, ld: list[dict], url: str, metas: list[tuple[str, str]] | None = None,
               source: str = "auto") -> str | None:
    """The page's title (see ``choose_title``; measured in ``newspipe eval metadata``)."""
    metas = meta_tags(tree) if metas is None else metas
    return choose_title(page_titles(title_candidates(tree, ld, metas), site_names(url, ld, metas)), source)[0]
