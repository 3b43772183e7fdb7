"""extract(): HTML bytes + URL -> Document. The one extraction function used by
the crawl pipeline, re-extraction from raw pages, the harness and the tests.

trafilatura finds the main text. Metadata it gives only to the day (dates) or
not at all (time zones, several authors) is read first from the page's own
structured data: schema.org JSON-LD, Open Graph / article meta tags,
``<time datetime>`` and microdata, in that order, then from the date the feed
or sitemap listed, then htmldate's search of the text and the URL. Every date
records where it came from (``date_source``), so analysts can filter on it.

The parts: ``metadata`` (structured data, dates, language), ``titles``,
``authors``, ``cleanup`` (what trafilatura's text still carries), ``verdict``
(is it an article), ``splitbody`` (a body cut into chunks, joined before
trafilatura reads it), ``cards`` (hover cards inside sentences, removed before
it reads the page), ``embedded`` (a body a script carries), ``timelimit``.
"""
from __future__ import annotations

import functools
import re
import unicodedata
from dataclasses import dataclass, field
from datetime import datetime

import trafilatura
from lxml import etree

from crawlers.urls import canonicalize
from pipeline.extract.authors import page_authors
from pipeline.extract.cards import drop_hover_cards
from pipeline.extract.cleanup import clean_text, page_links
from pipeline.extract.embedded import embedded_body
from pipeline.extract.metadata import (declared_language, find_dates, guess_language, ld_articles, ld_names, meta_tags,
                                       meta_value, text_date)
from pipeline.extract.splitbody import join_split_body
from pipeline.extract.timelimit import TooSlow, time_limit
from pipeline.extract.titles import choose_title, page_titles, site_names, title_candidates
from pipeline.extract.verdict import looks_binary, page_signals, page_verdict
from pipeline.settings import ExtractSettings


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
    paywalled: bool = False  # behind a paywall: the text is what the page shows of the article
    verdict: str = "article"
    reason: str = ""


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


def _parse(html: bytes | str, settings: ExtractSettings, doc: Document):
    """The page's tree, or None with ``doc``'s verdict saying why there is none."""
    data = html.encode("utf-8") if isinstance(html, str) else (html or b"")
    if not data.strip():
        doc.verdict, doc.reason = "empty", "empty body"
    elif len(data) > settings.max_bytes:
        doc.verdict, doc.reason = "too_large", f"{len(data)} bytes > max_bytes {settings.max_bytes}"
    elif looks_binary(data):
        doc.verdict, doc.reason = "not_html", "binary content"
    else:
        try:
            tree = trafilatura.utils.load_html(data)
        except (ValueError, etree.ParserError) as exc:
            tree, doc.reason = None, str(exc)
        if tree is not None:
            return tree
        doc.verdict, doc.reason = "not_html", doc.reason or "not parseable as HTML"
    return None


def _read_metadata(doc: Document, tree, ld: list[dict], metas: list[tuple[str, str]], listed_at: datetime | None,
                   settings: ExtractSettings) -> None:
    """Canonical URL, dates, language, title and authors from the page's own markup."""
    for el in tree.xpath('//link[@rel="canonical"][@href]'):
        href = el.get("href").strip()
        if href.startswith(("http://", "https://")):
            try:
                doc.canonical_url = canonicalize(href)
                break
            except ValueError:  # "http://a:99999999/", "http://[::1": not a URL; the page's own stays
                continue
    doc.published_at, doc.date_source, doc.modified_at = find_dates(tree, metas, ld, listed_at)
    titles = title_candidates(tree, ld, metas)
    if doc.published_at is None and settings.text_date_search:
        doc.published_at, doc.date_source = text_date(doc.url, tree, [titles.get("og", ""), titles.get("title-tag", "")])
    doc.language = declared_language(tree, metas, ld)
    sites = site_names(doc.url, ld, metas)
    doc.title, doc.title_source, doc.title_variants = choose_title(page_titles(titles, sites), settings.title_source)
    doc.authors = page_authors(tree, ld, metas, sites, settings.author_xpath)
    ld_site = next((ld_names(a.get("publisher"))[0] for a in ld if ld_names(a.get("publisher"))), None)
    doc.site_name = ld_site or meta_value(metas, ("og:site_name", "application-name"))
    doc.description = meta_value(metas, ("description", "og:description", "twitter:description"))


def _main_text(tree, url: str, settings: ExtractSettings, fast: bool):
    """trafilatura's main text of a parsed page (it prunes the tree as it reads)."""
    if tree is None:
        return None
    join_split_body(tree)
    drop_hover_cards(tree)
    return trafilatura.bare_extraction(
        tree, url=url, with_metadata=False, include_comments=False, include_tables=settings.include_tables,
        favor_precision=settings.favor_precision, fast=fast, deduplicate=False,
        config=_trafilatura_config(settings.max_tree_size))


def _embedded_text(html: bytes | str, url: str, settings: ExtractSettings, result):
    """The body a script carries (``pipeline.extract.embedded``), when it is longer than what the
    markup gave: pages drawn in the browser serve an empty main element."""
    fresh = _parse(html, settings, Document(url=url, canonical_url=url))
    body = embedded_body(fresh) if fresh is not None else None
    if body is None:
        return result
    inner = _main_text(_parse(body, settings, Document(url=url, canonical_url=url)), url, settings, False)
    shown = len((result.text or "") if result else "")
    return inner if inner is not None and len(inner.text or "") > shown else result


def _extract(html: bytes | str, url: str, listed_at: datetime | None, settings: ExtractSettings) -> Document:
    doc = Document(url=url, canonical_url=canonicalize(url))
    tree = _parse(html, settings, doc)
    if tree is None:
        return doc
    ld, metas = ld_articles(tree), meta_tags(tree)
    _read_metadata(doc, tree, ld, metas, listed_at, settings)
    signals = page_signals(tree, ld)
    links = page_links(tree) if settings.clean_text else {}  # before trafilatura prunes the tree
    try:
        result = _main_text(tree, url, settings, settings.fast)
        if settings.fast and len((result.text or "") if result else "") < settings.min_chars * 2:
            # the fast path misses some layouts whole (a lead kept, the body lost): trafilatura's
            # fallback extractors, on the few pages whose text came out short (a fresh tree: the
            # first pass pruned this one)
            fuller = _main_text(_parse(html, settings, Document(url=url, canonical_url=url)), url, settings, False)
            if fuller is not None and len(fuller.text or "") > 1.5 * len((result.text or "") if result else ""):
                result = fuller
        if len((result.text or "") if result else "") < settings.min_chars:
            result = _embedded_text(html, url, settings, result)
    except Exception as exc:  # trafilatura can fail on pathological trees; the batch must go on
        doc.verdict, doc.reason = "error", f"trafilatura failed: {type(exc).__name__}: {exc}"
        return doc
    if result is None:
        doc.verdict, doc.reason = "no_text", "trafilatura found no main text"
        return doc
    doc.text = normalize_text(result.text or "")
    if settings.clean_text:
        headlines = [meta_value(metas, ("og:title", "twitter:title"))] + [a.get("headline") for a in ld]
        doc.text = clean_text(doc.text, [h for h in headlines if isinstance(h, str)], links, settings.min_link_run)
    doc.language = doc.language or guess_language(doc.text)
    doc.verdict, doc.reason = page_verdict(signals, doc.text, settings)
    doc.paywalled = signals.paywall
    return doc
