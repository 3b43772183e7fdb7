"""Downloader middlewares: transport concerns only."""
from __future__ import annotations

import ipaddress
from urllib.parse import urlsplit

from scrapy.exceptions import IgnoreRequest


def _blocked_address(host: str) -> str | None:
    """Why a host must not be reached from a public outlet, or None."""
    if host in ("localhost", "localhost.localdomain") or host.endswith(".localhost"):
        return "loopback host name"
    try:
        ip = ipaddress.ip_address(host.strip("[]"))
    except ValueError:
        return None
    if ip.is_loopback:
        return "loopback address"
    if ip.is_link_local:
        return "link-local address"
    if ip.is_private or ip.is_reserved or ip.is_multicast or ip.is_unspecified:
        return "private or reserved address"
    return None


class AddressGuardMiddleware:
    """Refuse requests (redirects included) to loopback, private and link-local
    addresses, so a hostile link or redirect cannot make us reach internal
    services. An outlet marked ``local`` may reach exactly its own configured
    host:port and nothing else private."""

    def __init__(self, crawler):
        self.crawler = crawler
        self.stats = crawler.stats

    @classmethod
    def from_crawler(cls, crawler):
        return cls(crawler)

    def process_request(self, request, spider=None):
        spider = spider or getattr(self.crawler, "spider", None)
        parts = urlsplit(request.url)
        host = (parts.hostname or "").lower()
        why = _blocked_address(host)
        if why is None:
            return None
        outlet = getattr(spider, "outlet", None) if spider is not None else None
        if outlet is not None and outlet.local and any(parts.netloc.lower() == d for d in outlet.domains):
            return None
        if self.stats is not None:
            self.stats.inc_value("newspipe/refused/private_address")
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
