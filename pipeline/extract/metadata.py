"""Metadata read from a page's own structured data, before trafilatura runs.

Dates come first from schema.org JSON-LD, then Open Graph / article meta tags,
microdata and ``<time datetime>``, then the date the feed or sitemap listed,
then a date closing the title, htmldate's search of the text and the URL;
each records where it came from (``date_source``). The language is the one
the page declares, else a cheap guess from the text.
"""
from __future__ import annotations

import copy
import json
import re
from datetime import datetime, timezone

from lxml import etree

from crawlers.dates import parse_date
from pipeline.extract.arabic_dates import arabic_date

ARTICLE_TYPES = {"newsarticle", "article", "reportagenewsarticle", "analysisnewsarticle", "blogposting",
                 "opinionnewsarticle", "backgroundnewsarticle", "report", "webpage"}
_META_PUBLISHED = ("article:published_time", "og:published_time", "datepublished", "pubdate", "publishdate",
                   "publish-date", "dc.date.issued", "dcterms.created", "sailthru.date", "parsely-pub-date", "date")
_META_MODIFIED = ("article:modified_time", "og:updated_time", "datemodified", "dcterms.modified", "last-modified")
_URL_DATE = re.compile(r"/((?:19|20)\d{2})[/-]?(0[1-9]|1[0-2])[/-]?(0[1-9]|[12]\d|3[01])(?:[/-]|$)")

_MAX_LD_DEPTH = 16  # JSON-LD nests a few levels; a page nesting hundreds is hostile, not richer


def _walk_ld(node, out: list[dict], depth: int = 0) -> None:
    if depth > _MAX_LD_DEPTH:
        return
    if isinstance(node, list):
        for n in node:
            _walk_ld(n, out, depth + 1)
    elif isinstance(node, dict):
        types = node.get("@type", [])
        types = [types] if isinstance(types, str) else types if isinstance(types, list) else []
        if any(isinstance(t, str) and t.lower() in ARTICLE_TYPES for t in types):
            out.append(node)
        for key in ("@graph", "mainEntity", "itemListElement"):
            if key in node:
                _walk_ld(node[key], out, depth + 1)


def ld_articles(tree) -> list[dict]:
    found: list[dict] = []
    for script in tree.xpath('//script[@type="application/ld+json"]'):
        raw = (script.text or "").strip()
        if not raw:
            continue
        try:
            _walk_ld(json.loads(raw), found)
        except (ValueError, RecursionError):
            continue  # invalid JSON-LD is common; the other sources still apply
    # prefer news types over a generic WebPage
    found.sort(key=lambda d: str(d.get("@type", "")).lower() == "webpage")
    return found


def ld_names(value, depth: int = 0) -> list[str]:
    if depth > _MAX_LD_DEPTH:
        return []
    if isinstance(value, str):
        return [v.strip() for v in re.split(r"\s*(?:;|,| and | & )\s*", value) if v.strip()]
    if isinstance(value, dict):
        return ld_names(value.get("name", ""), depth + 1)
    if isinstance(value, list):
        return [n for v in value for n in ld_names(v, depth + 1)]
    return []


_META_TAGS = etree.XPath("//meta[@content]")


def meta_tags(tree) -> list[tuple[str, str]]:
    """(name, content) of the page's meta tags in document order, read once per page."""
    out = []
    for el in _META_TAGS(tree):
        key = (el.get("property") or el.get("name") or el.get("itemprop") or "").strip().lower()
        content = el.get("content", "").strip()
        if key and content:
            out.append((key, content))
    return out


def meta_value(metas: list[tuple[str, str]], names: tuple[str, ...]) -> str | None:
    """The first meta tag with one of ``names``."""
    return next((content for key, content in metas if key in names), None)


def _pubdate_compact(value: str) -> datetime | None:
    m = re.fullmatch(r"(\d{4})(\d{2})(\d{2})(\d{2})?(\d{2})?", value.strip())
    if not m:
        return None
    y, mo, d, h, mi = (int(x) if x else 0 for x in m.groups())
    try:
        return datetime(y, mo, d, h, mi, tzinfo=timezone.utc)
    except ValueError:
        return None


def find_dates(tree, metas: list[tuple[str, str]], ld: list[dict], listed_at: datetime | None
                ) -> tuple[datetime | None, str, datetime | None]:
    """(published, source, modified) from the most reliable source present."""
    modified = None
    for art in ld:
        modified = modified or parse_date(str(art.get("dateModified") or ""))
        d = parse_date(str(art.get("datePublished") or art.get("dateCreated") or ""))
        if d:
            return d, "json-ld", modified
    raw = meta_value(metas, _META_PUBLISHED)
    modified = modified or parse_date(meta_value(metas, _META_MODIFIED) or "")
    if raw:
        d = parse_date(raw) or _pubdate_compact(raw)
        if d:
            return d, "meta", modified
    for el in tree.xpath('//*[@itemprop="datePublished"][@content or @datetime]'):
        d = parse_date(el.get("content") or el.get("datetime"))
        if d:
            return d, "microdata", modified
    for el in tree.xpath("//article//time[@datetime] | //time[@datetime]"):
        d = parse_date(el.get("datetime"))
        if d:
            return d, "time-tag", modified
    if listed_at is not None:
        return listed_at, "listing", modified
    return None, "none", modified


# a full date closing a title: "Headline | DW | 28.04.2023", "Headline - 2023-04-28"
_TITLE_DATE = re.compile(r"\s[|\-–—]\s*(?:(\d{1,2})\.(\d{1,2})\.((?:19|20)\d{2})|((?:19|20)\d{2})-(\d{2})-(\d{2}))\s*$")


def _title_date(titles: list[str]) -> datetime | None:
    """The date an outlet appends to its headline in og:title or <title>: it is the day
    it published, where the text often shows related stories' dates first."""
    for title in titles:
        m = _TITLE_DATE.search(title)
        if m:
            day, month, year = (m[1], m[2], m[3]) if m[1] else (m[6], m[5], m[4])
            try:
                return datetime(int(year), int(month), int(day), tzinfo=timezone.utc)
            except ValueError:
                continue
    return None


def text_date(url: str, tree, titles: list[str]) -> tuple[datetime | None, str]:
    """A date closing the title, htmldate's search of the page text, a Gregorian date written in Arabic
    (``arabic_dates``), then a date in the URL (day precision)."""
    from htmldate import find_date

    in_title = _title_date(titles)
    if in_title:
        return in_title, "title"

    def search(extensive: bool) -> str | None:
        try:
            return find_date(copy.deepcopy(tree), extensive_search=extensive, original_date=True, url=url,
                             outputformat="%Y-%m-%d %H:%M")
        except Exception:  # htmldate raises many kinds on odd pages; a date is optional
            return None

    found = search(True)
    # the extensive search turns a lone year (a copyright line) or month into the 1st: a day it
    # did not read. Such a date stands only if the strict search finds it too.
    if found and found.endswith("-01 00:00") and search(False) != found:
        found = None
    if found:
        d = parse_date(found.replace(" ", "T"))
        if d:
            return d, "text"
    in_arabic = arabic_date(" ".join(tree.itertext())[:20000]) if tree is not None else None
    if in_arabic:
        return in_arabic, "text"
    m = _URL_DATE.search(url)
    if m:
        try:
            return datetime(int(m[1]), int(m[2]), int(m[3]), tzinfo=timezone.utc), "url"
        except ValueError:
            pass
    return None, "none"


_SCRIPT_LANG = [
    (re.compile(r"[\u0600-\u06FF]"), "ar"),
    (re.compile(r"[\u0400-\u04FF]"), "ru"),
    (re.compile(r"[\u0590-\u05FF]"), "he"),
    (re.compile(r"[\u4E00-\u9FFF]"), "zh"),
    (re.compile(r"[\u3040-\u30FF]"), "ja"),
    (re.compile(r"[\uAC00-\uD7AF]"), "ko"),
]


def guess_language(text: str) -> str | None:
    """A cheap script and stop-word guess, used only when the page declares no language."""
    sample = text[:3000]
    if not sample.strip():
        return None
    for rx, lang in _SCRIPT_LANG:
        if len(rx.findall(sample)) > len(sample) * 0.2:
            if lang == "ar" and re.search(r"[پچژگ]", sample):
                return "fa"
            return lang
    words = re.findall(r"\w+", sample.lower())
    scores = {
        "en": sum(w in {"the", "and", "of", "to", "in", "said", "is", "was"} for w in words),
        "fr": sum(w in {"le", "la", "les", "des", "et", "est", "dans", "une"} for w in words),
        "tr": sum(w in {"ve", "bir", "bu", "ile", "için", "olarak", "da", "de"} for w in words),
        "de": sum(w in {"der", "die", "das", "und", "ist", "nicht", "mit", "ein"} for w in words),
        "es": sum(w in {"el", "los", "las", "y", "que", "en", "por", "una"} for w in words),
    }
    best = max(scores, key=scores.get)
    return best if scores[best] >= 3 else None


def declared_language(tree, metas: list[tuple[str, str]], ld: list[dict]) -> str | None:
    candidates = [tree.get("lang"), tree.get("{http://www.w3.org/XML/1998/namespace}lang"),
                  meta_value(metas, ("content-language", "og:locale", "language", "dc.language"))]
    candidates += [a.get("inLanguage") for a in ld if isinstance(a.get("inLanguage"), str)]
    for c in candidates:
        if c and re.match(r"^[A-Za-z]{2,3}([-_].*)?$", c.strip()):
            return c.strip()[:2].lower() if len(c.strip()) == 2 or c.strip()[2] in "-_" else c.strip()[:3].lower()
    return None
