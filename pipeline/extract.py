"""extract(): HTML bytes + URL -> Document. The one extraction function used by
the crawl pipeline, re-extraction from raw pages, the harness and the tests.

trafilatura finds the main text. Metadata it gives only to the day (dates) or
not at all (time zones, several authors) is read first from the page's own
structured data: schema.org JSON-LD, Open Graph / article meta tags,
``<time datetime>`` and microdata, in that order, then from the date the feed
or sitemap listed, then htmldate's search of the text and the URL. Every date
records where it came from (``date_source``), so analysts can filter on it.
"""
from __future__ import annotations

import copy
import functools
import html
import json
import re
import unicodedata
from dataclasses import asdict, dataclass, field
from datetime import datetime, timezone
from urllib.parse import urlsplit

import trafilatura
from lxml import etree

from crawlers.discovery import parse_date
from crawlers.urls import canonicalize
from pipeline.settings import ExtractSettings
from pipeline.timelimit import TooSlow, time_limit
from pipeline.text_cleanup import clean_text, fold, page_links

ARTICLE_TYPES = {"newsarticle", "article", "reportagenewsarticle", "analysisnewsarticle", "blogposting",
                 "opinionnewsarticle", "backgroundnewsarticle", "report", "webpage"}
_META_PUBLISHED = ("article:published_time", "og:published_time", "datepublished", "pubdate", "publishdate",
                   "publish-date", "dc.date.issued", "dcterms.created", "sailthru.date", "parsely-pub-date", "date")
_META_MODIFIED = ("article:modified_time", "og:updated_time", "datemodified", "dcterms.modified", "last-modified")
_URL_DATE = re.compile(r"/((?:19|20)\d{2})[/-]?(0[1-9]|1[0-2])[/-]?(0[1-9]|[12]\d|3[01])(?:[/-]|$)")


@dataclass
class Document:
    """What we keep of one page. ``verdict`` is ``article`` or why it is not one."""

    url: str
    canonical_url: str
    title: str | None = None
    title_source: str = "none"
    title_variants: list[dict] = field(default_factory=list)
    authors: list[str] = field(default_factory=list)
    published_at: datetime | None = None
    date_source: str = "none"
    modified_at: datetime | None = None
    language: str | None = None
    site_name: str | None = None
    description: str | None = None
    text: str = ""
    verdict: str = "article"
    reason: str = ""

    def to_dict(self) -> dict:
        return asdict(self)


_CONTROL = bytes(b for b in range(32) if b < 9 or b > 13)


def _looks_binary(data: bytes) -> bool:
    head = data[:4096]
    if b"\x00" in head:
        return True
    if not head:
        return False
    ctrl = len(head) - len(head.translate(None, _CONTROL))
    return ctrl / len(head) > 0.1


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


def _ld_articles(tree) -> list[dict]:
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


def _names(value, depth: int = 0) -> list[str]:
    if depth > _MAX_LD_DEPTH:
        return []
    if isinstance(value, str):
        return [v.strip() for v in re.split(r"\s*(?:;|,| and | & )\s*", value) if v.strip()]
    if isinstance(value, dict):
        return _names(value.get("name", ""), depth + 1)
    if isinstance(value, list):
        return [n for v in value for n in _names(v, depth + 1)]
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


def _meta(metas: list[tuple[str, str]], names: tuple[str, ...]) -> str | None:
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


def _find_dates(tree, metas: list[tuple[str, str]], ld: list[dict], listed_at: datetime | None
                ) -> tuple[datetime | None, str, datetime | None]:
    """(published, source, modified) from the most reliable source present."""
    modified = None
    for art in ld:
        modified = modified or parse_date(str(art.get("dateModified") or ""))
        d = parse_date(str(art.get("datePublished") or art.get("dateCreated") or ""))
        if d:
            return d, "json-ld", modified
    raw = _meta(metas, _META_PUBLISHED)
    modified = modified or parse_date(_meta(metas, _META_MODIFIED) or "")
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


def _text_date(url: str, tree, titles: list[str]) -> tuple[datetime | None, str]:
    """A date closing the title, htmldate's search of the page text, then a date in the URL (day precision)."""
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


def _declared_language(tree, metas: list[tuple[str, str]], ld: list[dict]) -> str | None:
    candidates = [tree.get("lang"), tree.get("{http://www.w3.org/XML/1998/namespace}lang"),
                  _meta(metas, ("content-language", "og:locale", "language", "dc.language"))]
    candidates += [a.get("inLanguage") for a in ld if isinstance(a.get("inLanguage"), str)]
    for c in candidates:
        if c and re.match(r"^[A-Za-z]{2,3}([-_].*)?$", c.strip()):
            return c.strip()[:2].lower() if len(c.strip()) == 2 or c.strip()[2] in "-_" else c.strip()[:3].lower()
    return None


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
        "og": clean_title(_meta(metas, ("og:title", "twitter:title"))),
        "h1": clean_title(" ".join(h1_el.itertext())) if h1_el is not None else None,
        "title-tag": clean_title(title_el.text_content()) if title_el is not None else None,
    }
    return {k: v for k, v in found.items() if v}


def _site_names(url: str, ld: list[dict], metas: list[tuple[str, str]]) -> list[str]:
    host = (urlsplit(url).hostname or "").split(".")
    if len(host) >= 3 and len(host[-1]) == 2 and host[-2] in _SECOND_LEVEL:  # www.outlet.co.uk
        host = host[:-1]
    sites = [_meta(metas, ("og:site_name", "application-name")) or "", host[-2] if len(host) >= 2 else ""]
    return sites + [n for a in ld for n in _names(a.get("publisher"))]


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
    return choose_title(page_titles(title_candidates(tree, ld, metas), _site_names(url, ld, metas)), source)[0]


@functools.lru_cache(maxsize=8)
def _trafilatura_config(max_tree_size: int | None):
    config = trafilatura.settings.use_config()
    config.set("DEFAULT", "EXTRACTION_TIMEOUT", "0")  # signals do not work in worker threads
    if max_tree_size:
        config.set("DEFAULT", "MAX_TREE_SIZE", str(max_tree_size))
    return config


def normalize_text(text: str) -> str:
    """NFC, unified line endings, no trailing spaces or runs of blank lines."""
    text = unicodedata.normalize("NFC", text).replace("\r\n", "\n").replace("\r", "\n")
    lines = [re.sub(r"[ \t\u00a0]+", " ", ln).strip() for ln in text.split("\n")]
    return "\n".join(ln for ln in lines if ln)


def extract(html: bytes | str, url: str, *, listed_at: datetime | None = None,
            settings: ExtractSettings | None = None) -> Document:
    """Extract one page. Never raises: a non-article gets a verdict and a reason, a page that
    takes longer than ``settings.max_seconds`` is ``too_slow``, and any failure on a crafted
    page is that page's ``error`` (with the reason), never its batch's."""
    settings = settings or ExtractSettings()
    try:
        with time_limit(settings.max_seconds):
            return _extract(html, url, listed_at, settings)
    except TooSlow:
        return _failed(url, "too_slow", f"extraction took over max_seconds {settings.max_seconds}")
    except Exception as exc:  # noqa: BLE001 - one crafted page must not stop a batch
        return _failed(url, "error", f"{type(exc).__name__}: {str(exc)[:300]}")


def _failed(url: str, verdict: str, reason: str) -> Document:
    try:
        canonical = canonicalize(url)
    except ValueError:
        canonical = url
    return Document(url=url, canonical_url=canonical, verdict=verdict, reason=reason)


def _extract(html: bytes | str, url: str, listed_at: datetime | None, settings: ExtractSettings) -> Document:
    doc = Document(url=url, canonical_url=canonicalize(url))
    data = html.encode("utf-8") if isinstance(html, str) else (html or b"")
    if not data.strip():
        doc.verdict, doc.reason = "empty", "empty body"
        return doc
    if len(data) > settings.max_bytes:
        doc.verdict, doc.reason = "too_large", f"{len(data)} bytes > max_bytes {settings.max_bytes}"
        return doc
    if _looks_binary(data):
        doc.verdict, doc.reason = "not_html", "binary content"
        return doc
    try:
        tree = trafilatura.utils.load_html(data)
    except (ValueError, etree.ParserError) as exc:
        tree = None
        doc.reason = str(exc)
    if tree is None:
        doc.verdict, doc.reason = "not_html", doc.reason or "not parseable as HTML"
        return doc
    ld = _ld_articles(tree)
    for el in tree.xpath('//link[@rel="canonical"][@href]'):
        href = el.get("href").strip()
        if href.startswith(("http://", "https://")):
            try:
                doc.canonical_url = canonicalize(href)
                break
            except ValueError:  # "http://a:99999999/", "http://[::1": not a URL; the page's own stays
                continue
    metas = meta_tags(tree)
    doc.published_at, doc.date_source, doc.modified_at = _find_dates(tree, metas, ld, listed_at)
    titles = title_candidates(tree, ld, metas)
    if doc.published_at is None and settings.text_date_search:
        doc.published_at, doc.date_source = _text_date(url, tree, [titles.get("og", ""), titles.get("title-tag", "")])
    doc.language = _declared_language(tree, metas, ld)
    ld_authors = clean_authors([n for a in ld for n in _names(a.get("author"))])
    doc.title, doc.title_source, doc.title_variants = choose_title(
        page_titles(titles, _site_names(url, ld, metas)), settings.title_source)
    doc.authors = ld_authors or clean_authors(_markup_authors(tree, metas) or _byline_authors(tree))
    ld_site = next((_names(a.get("publisher"))[0] for a in ld if _names(a.get("publisher"))), None)
    signals = page_signals(tree, ld)
    links = page_links(tree) if settings.clean_text else {}  # before trafilatura prunes the tree
    try:
        result = trafilatura.bare_extraction(
            tree, url=url, with_metadata=False, include_comments=False, include_tables=settings.include_tables,
            favor_precision=settings.favor_precision, fast=settings.fast, deduplicate=False,
            config=_trafilatura_config(settings.max_tree_size))
    except Exception as exc:  # trafilatura can fail on pathological trees; the batch must go on
        doc.verdict, doc.reason = "error", f"trafilatura failed: {type(exc).__name__}: {exc}"
        return doc
    if result is None:
        doc.verdict, doc.reason = "no_text", "trafilatura found no main text"
        return doc
    doc.text = normalize_text(result.text or "")
    if settings.clean_text:
        headlines = [_meta(metas, ("og:title", "twitter:title"))] + [a.get("headline") for a in ld]
        doc.text = clean_text(doc.text, [h for h in headlines if isinstance(h, str)], links, settings.min_link_run)
    doc.site_name = ld_site or _meta(metas, ("og:site_name", "application-name"))
    doc.description = _meta(metas, ("description", "og:description", "twitter:description"))
    doc.language = doc.language or guess_language(doc.text)
    doc.verdict, doc.reason = page_verdict(signals, doc.text, settings)
    return doc


_LIST_TYPES = {"collectionpage", "itemlist", "searchresultspage", "profilepage"}
_ALL_TEXT = etree.XPath(".//text()", smart_strings=False)
_PAYWALL_MARKERS = re.compile(r"paywall|subscriber[-_ ]only|premium[-_ ]content|metered[-_ ]content|piano-?offer", re.I)


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


def _markup_authors(tree, metas: list[tuple[str, str]]) -> list[str]:
    """Authors from meta tags, microdata and rel=author links (JSON-LD is read first, elsewhere)."""
    raw = _meta(metas, _AUTHOR_META)
    if raw and not raw.startswith("http"):
        return _names(re.sub(r"^(by|von|par|de)\s+", "", raw, flags=re.I))
    found = []
    for el in tree.xpath('//*[@itemprop="author"] | //a[@rel="author"]'):
        name = (el.get("content") or " ".join(" ".join(el.itertext()).split())).strip()
        if name and len(name) < 80 and name not in found:
            found.append(name)
    return found


def _byline_authors(tree) -> list[str]:
    """trafilatura's byline search, only for pages whose markup names no author (it copies the tree)."""
    from trafilatura.metadata import extract_author
    try:
        found = extract_author(tree)
    except Exception:  # a heuristic on odd markup; authors are optional
        return []
    return [a.strip() for a in (found or "").split(";") if a.strip()]


@dataclass(frozen=True)
class PageSignals:
    """What the raw page says about its kind, read before trafilatura trims the tree."""

    list_type: str | None
    paywall: bool
    link_share: float


def page_signals(tree, ld: list[dict]) -> PageSignals:
    types = {str(t).lower() for node in tree.xpath('//script[@type="application/ld+json"]/text()')
             for t in re.findall(r'"@type"\s*:\s*"([^"]+)"', node)}
    listed = sorted(types & _LIST_TYPES) if not types & (ARTICLE_TYPES - {"webpage"}) else []
    # element walks, not XPath unions or `//a//text()`: libxml2 merges node sets with a
    # duplicate check per node, which made these two lines quadratic on link-heavy pages
    marks = "\n".join(v for el in tree.iter(etree.Element) for v in (el.get("class"), el.get("id")) if v)
    paywall = any(str(a.get("isAccessibleForFree")).lower() == "false" for a in ld if "isAccessibleForFree" in a) or \
        _PAYWALL_MARKERS.search(marks) is not None
    body = tree.find("body")
    share = 0.0
    if body is not None:
        total = len(" ".join(_ALL_TEXT(body)).split())
        linked = sum(len(" ".join(a.itertext()).split()) for a in body.iter("a"))
        share = linked / total if total > 200 else 0.0
    return PageSignals(listed[0] if listed else None, paywall, share)


def page_verdict(signals: PageSignals, text: str, settings: ExtractSettings) -> tuple[str, str]:
    """``article``, or why the page is not one: ``index`` (a list of links), ``paywalled``
    (a teaser behind a paywall), ``too_short``."""
    if signals.list_type:
        return "index", f"structured data says {signals.list_type}"
    if signals.paywall and len(text) < settings.paywall_chars:
        return "paywalled", f"behind a paywall, only {len(text)} characters visible"
    lines = [ln for ln in text.split("\n") if ln.strip()]
    if signals.link_share > settings.max_link_share and sum(map(len, lines)) / max(len(lines), 1) < 90:
        return "index", f"{signals.link_share:.0%} of the page's words are links"
    if len(text) < settings.min_chars:
        return "too_short", f"{len(text)} characters < min_chars {settings.min_chars}"
    return "article", ""
