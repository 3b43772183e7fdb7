"""``newspipe sources doctor``: is each outlet of the registry still crawlable, checked live.

For each entry point (feeds, sitemaps, section pages), robots.txt first: the items it lists,
how many of them the outlet's article patterns accept, and a redirect to a host the outlet
does not own (a moved site). Then a sample of accepted articles: verdict, title, date and its
source, text length and relevance, from the same extraction as a run. An outlet is
``healthy``, ``degraded`` (some entry point failed, is disallowed or lists nothing accepted)
or ``broken`` (no entry point gives an accepted article URL, or no sampled page is an
article). Polite (the outlet's delay between requests, a small budget) and read-only: it
never writes to a dataset.
"""
from __future__ import annotations

import time
from dataclasses import asdict, dataclass, field
from urllib.parse import urljoin, urlsplit

from lxml import html as lxml_html

from crawlers.discovery import DiscoveryError, parse_feed, parse_sitemap
from crawlers.fetch import FetchError, fetch_page, robots_allow
from crawlers.registry import Outlet
from pipeline.articles.relevance import score_relevance
from pipeline.extract.core import extract


@dataclass
class EntryCheck:
    url: str
    kind: str                  # feed | sitemap | section
    status: str                # ok | disallowed | failed | moved | empty
    items: int = 0
    accepted: int = 0
    message: str = ""


@dataclass
class ArticleCheck:
    url: str
    verdict: str
    title: str = ""
    published_at: str = ""
    date_source: str = ""
    chars: int = 0
    relevant: bool = False


@dataclass
class OutletHealth:
    outlet: str
    status: str                # healthy | degraded | broken
    why: list[str] = field(default_factory=list)
    entries: list[EntryCheck] = field(default_factory=list)
    articles: list[ArticleCheck] = field(default_factory=list)

    def line(self) -> str:
        return f"{self.outlet:24} {self.status:9} {'; '.join(self.why) or 'every entry point lists accepted articles'}"

    def to_dict(self) -> dict:
        return asdict(self)


def check_outlet(outlet: Outlet, sample: int = 3, timeout: float = 30.0) -> OutletHealth:
    """The outlet's health, from its entry points and a sample of its articles."""
    pace = _Pacer(outlet.politeness.download_delay)
    entries, accepted = [], []
    for kind, url in [("feed", u) for u in outlet.feeds] + [("sitemap", u) for u in outlet.sitemaps] + [
            ("section", u) for u in outlet.sections]:
        check, urls = _entry(outlet, kind, url, timeout, pace)
        entries.append(check)
        accepted += [u for u in urls if u not in accepted]
    articles = [_article(outlet, u, timeout, pace) for u in accepted[:sample]]
    return OutletHealth(outlet.name, *_verdict(entries, articles), entries=entries, articles=articles)


def _verdict(entries: list[EntryCheck], articles: list[ArticleCheck]) -> tuple[str, list[str]]:
    why = [f"{e.kind} {e.url}: {e.status}{' (' + e.message + ')' if e.message else ''}"
           for e in entries if e.status != "ok"]
    if not any(e.accepted for e in entries):
        return "broken", why or ["no entry point lists an article URL the patterns accept"]
    if articles and not any(a.verdict == "article" for a in articles):
        return "broken", why + [f"none of the {len(articles)} sampled pages is an article"]
    return ("degraded" if why else "healthy"), why


class _Pacer:
    """The outlet's delay between two requests of the doctor's."""

    def __init__(self, delay: float):
        self.delay, self.last = delay, 0.0

    def __call__(self) -> None:
        wait = self.last + self.delay - time.monotonic()
        if wait > 0:
            time.sleep(wait)
        self.last = time.monotonic()


def _entry(outlet: Outlet, kind: str, url: str, timeout: float, pace) -> tuple[EntryCheck, list[str]]:
    allow = outlet.local
    pace()
    if not robots_allow(url, allow, timeout, outlet.proxy):
        return EntryCheck(url, kind, "disallowed", message="robots.txt disallows it"), []
    try:
        pace()
        final, body = fetch_page(url, allow, timeout, outlet.proxy)
    except FetchError as exc:
        return EntryCheck(url, kind, "failed", message=str(exc)), []
    if not outlet.owns(final):
        return EntryCheck(url, kind, "moved", message=f"redirected to {urlsplit(final).netloc}"), []
    try:
        links = _links(kind, body, final)
        if kind == "sitemap" and links and all(child for _, child in links):  # an index: its first children
            children = [u for u, _ in links][:2]
            links = []
            for child in children:
                pace()
                links += _links(kind, fetch_page(child, allow, timeout, outlet.proxy)[1], child)
    except (DiscoveryError, FetchError) as exc:
        return EntryCheck(url, kind, "failed", message=str(exc)), []
    links = [u for u, child in links if not child]
    urls = list(dict.fromkeys(outlet.canonical(u) for u in links))
    ok = [u for u in urls if outlet.is_article_url(u)]
    status = "ok" if ok else "empty"
    message = "" if ok else f"none of its {len(urls)} item(s) is an article URL the patterns accept"
    return EntryCheck(url, kind, status, len(urls), len(ok), message), ok


def _links(kind: str, body: bytes, base: str) -> list[tuple[str, bool]]:
    """(URL, is a child sitemap) of the items an entry point lists."""
    if kind == "feed":
        return [(link.url, False) for link in parse_feed(body) if not link.problem]
    if kind == "sitemap":
        return [(link.url, link.is_sitemap) for link in parse_sitemap(body)]
    doc = lxml_html.fromstring(body or b"<html/>")
    return [(urljoin(base, href), False) for href in doc.xpath("//a/@href")]


def _article(outlet: Outlet, url: str, timeout: float, pace) -> ArticleCheck:
    try:
        pace()
        final, body = fetch_page(url, outlet.local, timeout, outlet.proxy)
    except FetchError as exc:
        return ArticleCheck(url, f"fetch failed: {exc}")
    doc = extract(body, final)  # bytes: the page's own charset decides
    rel = score_relevance(doc.text or "", doc.title)
    return ArticleCheck(url, doc.verdict, doc.title or "", doc.published_at.isoformat() if doc.published_at else "",
                        doc.date_source or "", len(doc.text or ""), rel.relevant)
