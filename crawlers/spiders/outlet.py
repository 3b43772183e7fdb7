"""OutletSpider: discover one outlet's articles in a date window and fetch them.

Discovery runs from the outlet's feeds, sitemaps (indexes followed), section
pages and site search (both paginated); feeds and sitemaps are asked for conditionally
(``ConditionalGetMiddleware``). Links are canonicalised, filtered by the
outlet's article patterns and by the date window when the listing gives a
date, and each article URL is requested once. A URL an earlier crawl already
stored (``crawlers.state``) is not fetched again unless ``NEWSPIPE_REFETCH``
is set: it becomes a ``KnownPage`` pointing at the stored copy. Article
responses become ``RawPage`` items; nothing is extracted here, so the crawl
stays I/O bound.
"""
from __future__ import annotations

from datetime import datetime, timezone
from urllib.parse import quote, urlsplit

import scrapy
from scrapy.http import Response
from w3lib.url import safe_url_string

from crawlers.dates import as_utc
from crawlers.discovery import DiscoveryError, Link, parse_feed, parse_sitemap
from crawlers.items import KnownPage, RawPage
from crawlers.registry import Outlet, outlet_from_dict
from crawlers.state import CrawlState
from crawlers.urls import article_id, url_problem

_HTML_TYPES = (b"text/html", b"application/xhtml+xml")


class OutletSpider(scrapy.Spider):
    name = "outlet"

    def __init__(self, outlet: Outlet | dict, since: datetime | str, until: datetime | str, **kwargs):
        self.outlet = outlet if isinstance(outlet, Outlet) else outlet_from_dict(outlet)
        super().__init__(name=f"outlet-{self.outlet.name}", **kwargs)
        self.since = as_utc(since)
        self.until = as_utc(until)
        self.seen: set[str] = set()
        self.state: CrawlState | None = None
        self.shard = (0, 1)

    # -- discovery ---------------------------------------------------------
    async def start(self):
        i, n = self.settings.get("NEWSPIPE_SHARD", "0/1").split("/")
        self.shard = (int(i), int(n))
        root = self.settings.get("NEWSPIPE_WORK_DIR")
        if root and not self.settings.getbool("NEWSPIPE_REFETCH"):
            self.state = CrawlState(root, self.outlet.name, self.settings.get("NEWSPIPE_SHARED_ROOT") or None)
        conditional = {"conditional_get": True}
        for url in self.outlet.feeds:
            yield scrapy.Request(url, callback=self.parse_feed, errback=self.on_error,
                                 meta={"kind": "feed", **conditional}, dont_filter=True)
        for url in self.outlet.sitemaps:
            yield scrapy.Request(url, callback=self.parse_sitemap, errback=self.on_error,
                                 meta={"kind": "sitemap", **conditional}, dont_filter=True)
        for url in self.outlet.sections:
            yield scrapy.Request(url, callback=self.parse_section, errback=self.on_error, meta={"kind": "section", "page": 1})
        if self.outlet.search:  # the site's own search for the conflict's name, in each of the outlet's languages
            terms = self.settings.getdict("NEWSPIPE_SEARCH_TERMS")
            for term in sorted({terms[lang] for lang in self.outlet.languages if lang in terms}):
                url = self.outlet.search.replace("{query}", quote(term))
                yield scrapy.Request(url, callback=self.parse_section, errback=self.on_error,
                                     meta={"kind": "search", "page": 1})

    def _stat(self, key: str, n: int = 1) -> None:
        self.crawler.stats.inc_value(f"newspipe/{key}", n)

    def _in_window(self, date: datetime | None) -> bool:
        return date is None or self.since <= date < self.until

    def _bad_item(self, where: str, why: str) -> None:
        """A listing item that cannot be used: skipped and counted, the rest of the listing goes on."""
        self._stat("skipped/bad_item")
        self._fail("bad_item", where, why)

    def _may_follow(self, url: str, kind: str) -> bool:
        """Only http(s) URLs on the outlet's own hosts (its domains and the hosts of its
        configured entry points) are requested: a sitemap index or a "next page" link
        pointing at ``file://``, ``data:`` or another site is refused and counted."""
        try:
            parts = urlsplit(url)
            parts.port  # noqa: B018 - raises for a port out of range
        except ValueError as exc:
            self._bad_item(url[:200], f"unusable {kind} link: {exc}")
            return False
        if parts.scheme in ("http", "https") and parts.hostname and self.outlet.owns(url):
            return True
        self._stat(f"refused/offsite_{kind}")
        self.logger.warning("%s: %s link %s is not on the outlet's hosts; not followed", self.outlet.name, kind,
                            url[:200])
        return False

    def _article_requests(self, links: list[Link], via: str):
        for link in links:
            if link.problem:
                self._bad_item(via, link.problem)
                continue
            # an http(s) link that cannot be an address even repaired; other schemes are offsite links
            problem = url_problem(link.url) if link.url.lower().startswith(("http:", "https:")) else None
            if problem:
                self._bad_item(link.url[:200], f"unusable link: {problem}")
                continue
            try:
                # percent-encoded the way Scrapy sends it, so the URL we remember is the URL we fetched
                url = safe_url_string(self.outlet.canonical(link.url))
            except ValueError as exc:
                self._bad_item(link.url[:200], f"unusable link: {exc}")
                continue
            yield from self._article_request(url, link, via)

    def _article_request(self, url: str, link: Link, via: str):
        i, n = self.shard
        if n > 1 and int(article_id(url), 16) % n != i:
            return  # another crawl process's share
        self._stat("links_seen")
        if not self.outlet.is_article_url(url):
            self._stat("skipped/not_article")
            return
        if not self._in_window(link.date):
            self._stat("skipped/out_of_window")
            return
        if url in self.seen:
            self._stat("skipped/duplicate_link")
            return
        self.seen.add(url)
        stored = self.state.raw_file(url) if self.state is not None else None
        if stored is not None:
            self._stat("skipped/known")
            yield KnownPage(self.outlet.name, url, stored, via,
                            link.date.isoformat() if link.date else None, link.title)
            return
        yield scrapy.Request(url, callback=self.parse_article, errback=self.on_error, meta={
            "kind": "article", "via": via, "listed_at": link.date.isoformat() if link.date else None,
            "listed_title": link.title})

    def parse_feed(self, response: Response):
        if not self._check_ok(response, "feed"):
            return
        try:
            links = parse_feed(response.body)
        except DiscoveryError as exc:
            self._fail("feed", response.url, str(exc))
            return
        self._stat("feed/items", len(links))
        if not links:  # the sitemaps and sections still run: an empty feed is a warning, not a failure
            self._stat("feed/empty")
            self.logger.warning("%s: feed %s lists no items", self.outlet.name, response.url)
        yield from self._article_requests(links, "feed")

    def parse_sitemap(self, response: Response):
        if not self._check_ok(response, "sitemap"):
            return
        try:
            links = parse_sitemap(response.body)
        except DiscoveryError as exc:
            self._fail("sitemap", response.url, str(exc))
            return
        children = [lk for lk in links if lk.is_sitemap]
        for child in children:
            # a child sitemap last modified before the window cannot list articles inside it
            if child.date is not None and child.date < self.since:
                self._stat("skipped/sitemap_too_old")
                continue
            if not self._may_follow(child.url, "sitemap"):
                continue
            yield scrapy.Request(child.url, callback=self.parse_sitemap, errback=self.on_error,
                                 meta={"kind": "sitemap", "conditional_get": True})
        yield from self._article_requests([lk for lk in links if not lk.is_sitemap], "sitemap")

    def parse_section(self, response: Response):
        """A section, tag or search-result page: its links, then its next page (rel=next)."""
        kind = response.meta["kind"]
        if not self._check_ok(response, kind):
            return
        links = [_joined(response, h) for h in response.css("a::attr(href)").getall()]
        yield from self._article_requests(links, kind)
        page = response.meta["page"]
        href = response.css('a[rel="next"]::attr(href), link[rel="next"]::attr(href)').get()
        nxt = _joined(response, href) if href else Link("")
        if nxt.problem:
            self._bad_item(response.url, nxt.problem)
        elif nxt.url and page < self.settings.getint("NEWSPIPE_SECTION_PAGES", 5) and self._may_follow(nxt.url, kind):
            yield scrapy.Request(nxt.url, callback=self.parse_section, errback=self.on_error,
                                 meta={"kind": kind, "page": page + 1})

    # -- fetching ----------------------------------------------------------
    def parse_article(self, response: Response):
        if not self._check_ok(response, "article"):
            return
        ctype = response.headers.get(b"Content-Type", b"").split(b";")[0].strip().lower()
        if ctype and ctype not in _HTML_TYPES:
            self._fail("not_html", response.url, f"served as {ctype.decode('latin-1')}, not HTML; skipped")
            return
        self._stat("articles_fetched")
        yield RawPage(
            outlet=self.outlet.name,
            url=response.request.url if not response.meta.get("redirect_urls") else response.meta["redirect_urls"][0],
            final_url=response.url,
            status=response.status,
            headers={k.decode("latin-1"): b", ".join(v).decode("latin-1") for k, v in response.headers.items()},
            body=response.body,
            fetched_at=datetime.now(timezone.utc).isoformat(),
            discovered_via=response.meta.get("via", ""),
            listed_at=response.meta.get("listed_at"),
            listed_title=response.meta.get("listed_title"),
        )

    def _check_ok(self, response: Response, kind: str) -> bool:
        if response.status >= 400:
            self._fail(kind, response.url, f"HTTP {response.status}")
            return False
        return True

    def _fail(self, kind: str, url: str, why: str) -> None:
        self._stat(f"errors/{kind}")
        if self.crawler.stats.get_value("newspipe/first_error") is None:
            self.crawler.stats.set_value("newspipe/first_error", f"{kind} {url}: {why}")
        self.logger.error("%s: %s %s failed: %s", self.outlet.name, kind, url, why)

    def closed(self, reason):
        if self.state is not None:
            self.state.close()

    def on_error(self, failure):
        request = failure.request
        kind = request.meta.get("kind", "request")
        self._fail(kind, request.url, f"{failure.type.__name__}: {failure.getErrorMessage()}")


def _joined(response: Response, href: str) -> Link:
    """A link of a page made absolute; an href that is not a URL (``http://[::1``) becomes a problem."""
    try:
        return Link(response.urljoin(href))
    except ValueError as exc:
        return Link("", problem=f"unusable link {href[:100]!r}: {exc}")
