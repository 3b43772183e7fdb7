"""Downloader middlewares: transport concerns only (address guard, proxy, conditional GET, Retry-After, meta refresh)."""
from __future__ import annotations

import ipaddress
import re
import socket
from datetime import datetime, timezone
from urllib.parse import urlsplit

from scrapy import signals
from scrapy.downloadermiddlewares.redirect import MetaRefreshMiddleware as _ScrapyMetaRefresh
from scrapy.downloadermiddlewares.retry import RetryMiddleware
from scrapy.exceptions import IgnoreRequest, NotConfigured
from scrapy.utils.asyncio import sleep
from scrapy.utils.defer import maybe_deferred_to_future
from scrapy.utils.response import response_status_message

from crawlers.dates import parse_date
from crawlers.state import CrawlState


_LEGACY_IPV4 = re.compile(r"(?:0x[0-9a-f]+|[0-9]+)(?:\.(?:0x[0-9a-f]+|[0-9]+)){0,3}", re.I)


def _ip(host: str) -> ipaddress.IPv4Address | ipaddress.IPv6Address | None:
    """The address a host names literally, in any form a resolver accepts: ``127.0.0.1``,
    ``[::1]``, and the legacy IPv4 forms ``2130706433``, ``0x7f000001``, ``127.1``, ``0``."""
    host = host.strip("[]").rstrip(".")
    try:
        return ipaddress.ip_address(host)
    except ValueError:
        pass
    if _LEGACY_IPV4.fullmatch(host):
        try:
            return ipaddress.IPv4Address(socket.inet_aton(host))
        except OSError:
            return None
    return None


def blocked_ip(ip: ipaddress.IPv4Address | ipaddress.IPv6Address) -> str | None:
    """Why an address must not be reached from a public outlet, or None: everything that is
    not globally routable, and IPv6 forms that tunnel to an IPv4 address (6to4, Teredo,
    IPv4-mapped) unless that address is itself global."""
    if isinstance(ip, ipaddress.IPv6Address):
        if ip.sixtofour is not None or ip.teredo is not None:
            return "6to4 or Teredo tunnel address"
        if ip.ipv4_mapped is not None:
            return blocked_ip(ip.ipv4_mapped)
    if ip.is_loopback:
        return "loopback address"
    if ip.is_link_local:
        return "link-local address"
    if not ip.is_global or ip.is_multicast:
        return "address that is not globally routable"
    return None


def blocked_address(host: str) -> str | None:
    """Why a host must not be reached from a public outlet, or None (a name that is not an address)."""
    name = host.lower().rstrip(".")
    if name in ("localhost", "localhost.localdomain") or name.endswith(".localhost"):
        return "loopback host name"
    ip = _ip(name)
    return None if ip is None else blocked_ip(ip)


class AddressGuardMiddleware:
    """Refuse requests (redirects included) that are not http(s) or that go to an address
    that is not globally routable (loopback, private, carrier-grade NAT, link-local,
    reserved), so a hostile link or redirect cannot make us reach internal services or
    local files. An outlet marked ``local`` may reach exactly its own configured
    host:port and nothing else private.

    A host name is resolved first (through Scrapy's caching resolver, the one the
    download then uses) and refused if it resolves to such an address or cannot be
    resolved (fail closed). ``crawlers.resolver.GuardedResolver`` checks again at
    connection time, so the connection goes to the address that was checked.
    Requests sent through an outlet's proxy are resolved by the proxy: for them
    every literal form of an address is checked here."""

    def __init__(self, crawler):
        self.crawler = crawler
        self.stats = crawler.stats

    @classmethod
    def from_crawler(cls, crawler):
        return cls(crawler)

    def process_request(self, request, spider=None):
        spider = spider or getattr(self.crawler, "spider", None)
        parts = urlsplit(request.url)
        if parts.scheme not in ("http", "https"):
            self._refuse(request, f"{parts.scheme or 'no'} scheme, not http(s)", "scheme")
        host = (parts.hostname or "").lower()
        if not host:
            self._refuse(request, "no host", "scheme")
        outlet = getattr(spider, "outlet", None) if spider is not None else None
        if outlet is not None and outlet.local and any(parts.netloc.lower() == d for d in outlet.domains):
            return None
        why = blocked_address(host)
        if why is not None:
            self._refuse(request, why)
        if _ip(host) is None and not (outlet is not None and outlet.proxy) and "proxy" not in request.meta:
            return self._check_resolved(request, host)  # Scrapy awaits what a middleware returns
        return None

    async def _check_resolved(self, request, host: str) -> None:
        from twisted.internet import reactor
        resolver = reactor.resolver  # the guarded one: its unguarded lookup, so refusals are counted here
        lookup = getattr(resolver, "lookup", resolver.getHostByName)
        try:
            address = await maybe_deferred_to_future(lookup(host))
        except Exception as exc:  # noqa: BLE001 - fail closed: an unresolved name is not reached
            self._refuse(request, f"{host} could not be resolved ({type(exc).__name__})", "unresolved")
        why = blocked_address(address)
        if why is not None:
            self._refuse(request, f"{host} resolves to {address}, a {why}")
        return None

    def _refuse(self, request, why: str, stat: str = "private_address"):
        if self.stats is not None:
            self.stats.inc_value(f"newspipe/refused/{stat}")
        raise IgnoreRequest(f"refused {request.url}: {why}")


class OutletProxyMiddleware:
    """Send an outlet's requests (robots.txt included) through its configured
    proxy. Runs before Scrapy's HttpProxyMiddleware, which does the rest."""

    def __init__(self, crawler):
        self.crawler = crawler

    @classmethod
    def from_crawler(cls, crawler):
        return cls(crawler)

    def process_request(self, request, spider=None):
        spider = spider or getattr(self.crawler, "spider", None)
        outlet = getattr(spider, "outlet", None)
        if outlet is not None and outlet.proxy and "proxy" not in request.meta:
            request.meta["proxy"] = outlet.proxy
        return None


class ConditionalGetMiddleware:
    """Ask for feeds and sitemaps (requests with ``meta["conditional_get"]``) with the
    ETag and Last-Modified of the outlet's last copy, and answer a ``304 Not
    Modified`` from that copy, so an unchanged listing costs one small response
    and discovery still sees every link. Needs NEWSPIPE_WORK_DIR (the state lives
    with the data); without it the middleware is off."""

    def __init__(self, crawler, work_dir: str):
        self.crawler = crawler
        self.work_dir = work_dir
        self.state: CrawlState | None = None  # a crawler runs one spider, so one outlet
        crawler.signals.connect(self.spider_closed, signal=signals.spider_closed)

    @classmethod
    def from_crawler(cls, crawler):
        root = crawler.settings.get("NEWSPIPE_WORK_DIR")
        if not root:
            raise NotConfigured("no NEWSPIPE_WORK_DIR: no crawl state")
        return cls(crawler, root)

    def _state(self) -> CrawlState | None:
        outlet = getattr(getattr(self.crawler, "spider", None), "outlet", None)
        if self.state is None and outlet is not None:
            self.state = CrawlState(self.work_dir, outlet.name)
        return self.state

    def process_request(self, request, spider=None):
        if not request.meta.get("conditional_get") or "If-None-Match" in request.headers:
            return None
        state = self._state()
        known = state.validators(request.url) if state else None
        if known is not None:
            if known.etag:
                request.headers["If-None-Match"] = known.etag
            if known.last_modified:
                request.headers["If-Modified-Since"] = known.last_modified
        return None

    def process_response(self, request, response, spider=None):
        if not request.meta.get("conditional_get"):
            return response
        state = self._state()
        if state is None:
            return response
        stats = self.crawler.stats
        if response.status == 304:
            known = state.validators(request.url)
            if known is None:  # a 304 we did not ask for: nothing to answer it with
                return response
            stats.inc_value("newspipe/conditional/not_modified")
            return response.replace(status=200, body=known.body, flags=response.flags + ["not-modified"])
        etag = _header(response, b"ETag")
        modified = _header(response, b"Last-Modified")
        if response.status == 200 and (etag or modified):
            state.save_validators(request.url, etag, modified, response.body, datetime.now(timezone.utc).isoformat())
            stats.inc_value("newspipe/conditional/stored")
        return response

    def spider_closed(self, spider=None):
        if self.state is not None:
            self.state.close()


def _header(response, name: bytes) -> str | None:
    value = response.headers.get(name)
    return value.decode("latin-1") if value else None


def retry_after_seconds(value: str | None, now: datetime | None = None) -> float | None:
    """Seconds a Retry-After header asks for (delta-seconds or an HTTP date); None if absent or unreadable."""
    if not value:
        return None
    value = value.strip()
    if value.isdigit():
        return float(value)
    when = parse_date(value)
    return None if when is None else max(0.0, (when - (now or datetime.now(timezone.utc))).total_seconds())


class RetryAfterMiddleware(RetryMiddleware):
    """Scrapy's RetryMiddleware, but a 429 or 503 with ``Retry-After`` is retried only
    after the wait the server asked for. A wait over NEWSPIPE_MAX_RETRY_AFTER
    seconds is not waited for: the page is given up for this run (stat
    ``newspipe/retry_after/too_long``) and a later run fetches it."""

    def __init__(self, settings):
        super().__init__(settings)
        self.max_wait = settings.getfloat("NEWSPIPE_MAX_RETRY_AFTER", 120.0)

    def process_response(self, request, response, spider=None):
        wait = retry_after_seconds(_header(response, b"Retry-After")) if response.status in (429, 503) else None
        if wait is None or request.meta.get("dont_retry", False):
            return super().process_response(request, response)
        stats = self.crawler.stats
        if wait > self.max_wait:
            stats.inc_value("newspipe/retry_after/too_long")
            return response
        retry = self._retry(request, response_status_message(response.status))
        if retry is None:
            return response
        stats.inc_value("newspipe/retry_after/waited")
        stats.inc_value("newspipe/retry_after/seconds", wait)
        return self._after(wait, retry)  # Scrapy awaits what a middleware returns

    @staticmethod
    async def _after(wait: float, retry):
        await sleep(wait)
        return retry


class MetaRefreshMiddleware(_ScrapyMetaRefresh):
    """Scrapy's MetaRefreshMiddleware with a bytes pre-check: Scrapy decodes every page
    (charset detection included) to look for a ``<meta http-equiv="refresh">`` that
    almost no article page has, which cost ~10% of the crawl's CPU in `make bench`."""

    def process_response(self, request, response, spider=None):
        if b"refresh" not in response.body[:16384].lower():  # Scrapy reads the first 4,096 characters
            return response
        return super().process_response(request, response)
