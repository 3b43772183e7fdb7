"""Raw pages -> articles: extraction in parallel, boilerplate removal, relevance.

Extraction runs in worker processes, outside the crawl, so the crawl stays
I/O bound and extraction scales with cores. Each stage is a plain function
over plain records; ``build_articles`` chains them.
"""
from __future__ import annotations

import os
from collections.abc import Iterable
from concurrent.futures import ProcessPoolExecutor
from dataclasses import dataclass, field, replace
from datetime import datetime
from urllib.parse import urlsplit

from crawlers.registry import Outlet
from crawlers.urls import article_id, canonicalize
from pipeline.articles.boilerplate import remove_boilerplate
from pipeline.articles.boilerplate_memory import BoilerplateMemory
from pipeline.dedup.cluster import content_hash
from pipeline.extract.core import Document, extract
from pipeline.articles.relevance import score_relevance
from pipeline.settings import BoilerplateSettings, ExtractSettings, RelevanceSettings


@dataclass
class Article:
    """One row of the ``articles`` table."""

    article_id: str
    url: str
    canonical_url: str
    outlet: str
    title: str | None
    title_source: str
    authors: list[str]
    published_at: datetime | None
    date_source: str
    modified_at: datetime | None
    language: str | None
    site_name: str | None
    description: str | None
    text: str
    boilerplate: list[str]
    relevant: bool
    relevance: float
    matched_terms: list[str]
    fetched_at: datetime | None
    content_hash: str
    run_id: str
    discovered_via: str = ""
    title_variants: list[dict] = field(default_factory=list)
    paywalled: bool = False


@dataclass(frozen=True)
class Rejected:
    outlet: str
    url: str
    verdict: str
    reason: str


OutletSettings = dict[str, ExtractSettings]


def extract_settings_by_outlet(outlets: Iterable[Outlet], base: ExtractSettings | None = None) -> OutletSettings:
    """Extraction settings of the registry's outlets that differ from ``base`` (their ``title_source``
    and ``author_xpath``)."""
    base = base or ExtractSettings()
    return {o.name: replace(base, title_source=o.title_source, author_xpath=o.author_xpath or base.author_xpath)
            for o in outlets if o.title_source != base.title_source or o.author_xpath}


def _extract_one(page: dict, settings: ExtractSettings, per_outlet: OutletSettings) -> Document:
    settings = per_outlet.get(page.get("outlet") or "", settings)
    return extract(page["body"], page["final_url"] or page["url"], listed_at=page.get("listed_at"), settings=settings)


def _extract_chunk(args: tuple[list[dict], ExtractSettings, OutletSettings]) -> list[Document]:
    pages, settings, per_outlet = args
    return [_extract_one(p, settings, per_outlet) for p in pages]


def extract_pages(pages: list[dict], settings: ExtractSettings | None = None, workers: int | None = None,
                  per_outlet: OutletSettings | None = None) -> list[Document]:
    """Extract raw page records (``body``, ``url``, ``final_url``, ``listed_at``, ``outlet``) in
    parallel, in input order; a page of an outlet in ``per_outlet`` gets that outlet's settings."""
    settings, per_outlet = settings or ExtractSettings(), per_outlet or {}
    workers = workers or os.cpu_count() or 1
    if workers == 1 or len(pages) < 40:
        return [_extract_one(p, settings, per_outlet) for p in pages]
    size = max(8, len(pages) // (workers * 4))
    chunks = [(pages[i:i + size], settings, per_outlet) for i in range(0, len(pages), size)]
    with ProcessPoolExecutor(max_workers=workers) as pool:
        return [doc for part in pool.map(_extract_chunk, chunks) for doc in part]


def _own_canonical(doc: Document, page_url: str) -> str:
    """The page's canonical URL when it stays on the page's host; a canonical link to
    another site is a credit (handled by dedup), not this article's identity."""
    own = canonicalize(page_url)
    if urlsplit(doc.canonical_url).netloc == urlsplit(own).netloc:
        return doc.canonical_url
    return own


def _seconds(value: datetime | None) -> float:
    return value.timestamp() if value else 0.0


def build_articles(pages: list[dict], run_id: str, *, known_boilerplate: dict[str, set[str]] | None = None,
                   extract_settings: ExtractSettings | None = None,
                   boilerplate_settings: BoilerplateSettings | None = None,
                   relevance_settings: RelevanceSettings | None = None,
                   per_outlet: OutletSettings | None = None, workers: int | None = None,
                   boilerplate_memory: BoilerplateMemory | None = None, day_of=None,
                   skip_days: set[str] = frozenset()) -> tuple[list[Article], list[Rejected], dict[str, set[str]]]:
    """(articles, rejected pages, boilerplate learned per outlet) from raw page records.
    ``boilerplate_memory``, ``day_of`` (publication time -> the day it is stored under) and
    ``skip_days`` (the days being replaced): boilerplate counted over earlier days too."""
    docs = extract_pages(pages, extract_settings, workers, per_outlet)
    kept: list[tuple[dict, Document]] = []
    rejected: list[Rejected] = []
    for page, doc in zip(pages, docs):
        if doc.verdict == "article":
            kept.append((page, doc))
        else:
            rejected.append(Rejected(page["outlet"], page["url"], doc.verdict, doc.reason))
    boiler, stripped, _ = remove_boilerplate([(p["outlet"], d.text) for p, d in kept], boilerplate_settings,
                                          known_boilerplate, memory=boilerplate_memory, skip_days=skip_days,
                                          days=[day_of(d.published_at) for _, d in kept] if day_of else None)
    by_id: dict[str, Article] = {}
    for (page, doc), (text, removed) in zip(kept, stripped):
        rel = score_relevance(text, doc.title, relevance_settings)
        canonical = _own_canonical(doc, page["final_url"] or page["url"])
        art = Article(
            article_id=article_id(canonical), url=page["url"], canonical_url=canonical, outlet=page["outlet"],
            title=doc.title, title_source=doc.title_source, title_variants=doc.title_variants, authors=doc.authors,
            published_at=doc.published_at, date_source=doc.date_source,
            modified_at=doc.modified_at, language=doc.language, site_name=doc.site_name,
            description=doc.description, text=text, boilerplate=removed, relevant=rel.relevant,
            relevance=rel.score, matched_terms=rel.matched_terms, fetched_at=page.get("fetched_at"),
            content_hash=content_hash(text), run_id=run_id, discovered_via=page.get("discovered_via") or "",
            paywalled=doc.paywalled)
        prev = by_id.get(art.article_id)
        # the same story reached under two URLs: keep the later fetch
        if prev is None or _seconds(art.fetched_at) >= _seconds(prev.fetched_at):
            by_id[art.article_id] = art
    return sorted(by_id.values(), key=lambda a: a.article_id), rejected, boiler
