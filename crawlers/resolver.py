"""The DNS resolver every connection of a crawl goes through, with the address guard inside.

``AddressGuardMiddleware`` resolves a host before its request is sent; a
resolver that answers differently the second time (DNS rebinding, or a
failed first lookup) could still send the connection inside. This resolver
checks the address the connection will actually use, so the check and the
connection cannot disagree. Hosts in ``NEWSPIPE_PRIVATE_HOSTS`` (the hosts of
``local`` outlets and of outlet proxies, set by ``crawlers.launcher``) may be
private; nothing else may.
"""
from __future__ import annotations

from scrapy.resolver import CachingThreadedResolver
from twisted.internet.error import DNSLookupError

from crawlers.middlewares import blocked_address


class GuardedResolver(CachingThreadedResolver):
    """Scrapy's caching resolver, refusing names that resolve to addresses not globally routable."""

    def __init__(self, reactor, cache_size: int, timeout: float, private_hosts: frozenset[str] = frozenset()):
        super().__init__(reactor, cache_size, timeout)
        self.private_hosts = private_hosts

    @classmethod
    def from_crawler(cls, crawler, reactor):
        resolver = super().from_crawler(crawler, reactor)
        resolver.private_hosts = frozenset(h.lower() for h in crawler.settings.getlist("NEWSPIPE_PRIVATE_HOSTS"))
        return resolver

    def lookup(self, name: str, timeout=()):
        """The upstream lookup (Scrapy's cache, then the system resolver)."""
        return super().getHostByName(name, timeout)

    def getHostByName(self, name: str, timeout=()):  # noqa: N802 - Twisted's interface
        d = self.lookup(name, timeout)
        d.addCallback(self._checked, name)
        return d

    def _checked(self, address: str, name: str) -> str:
        if name.lower().rstrip(".") in self.private_hosts:
            return address
        why = blocked_address(address) or blocked_address(name)
        if why is not None:
            raise DNSLookupError(f"{name} resolves to {address}, a {why}: refused")
        return address
