"""One page fetched politely outside a crawl (``newspipe extract URL``), behind the same guard.

The name is resolved once; every address it gives must be globally routable
(``crawlers.middlewares.blocked_ip``) unless ``allow_private``, a failed lookup
refuses (fail closed), and the connection goes to the address that was
checked (pinned; TLS still verifies the host name). robots.txt is obeyed with
the crawler's User-Agent, redirects are followed only through the same
checks, and the body is cut at the politeness default's ``max_page_bytes``.
"""
from __future__ import annotations

import http.client
import socket
import ssl
import urllib.robotparser
from ipaddress import ip_address
from urllib.parse import urljoin, urlsplit

from w3lib.url import safe_url_string

from crawlers import settings as crawl_settings
from crawlers.errors import FetchError  # noqa: F401 (raised here, caught by the callers)
from crawlers.middlewares import blocked_ip
from crawlers.registry import Politeness


MAX_BYTES = Politeness().max_page_bytes  # the crawl's default page limit


def _address(host: str, port: int, allow_private: bool) -> str:
    try:
        infos = socket.getaddrinfo(host, port, type=socket.SOCK_STREAM)
    except OSError as exc:
        raise FetchError(f"{host} could not be resolved: {exc}") from None
    addresses = [info[4][0] for info in infos]
    for a in addresses:
        why = None if allow_private else blocked_ip(ip_address(a))
        if why:
            raise FetchError(f"{host} resolves to {a}, a {why}: refused")
    return addresses[0]


def _get(url: str, allow_private: bool, timeout: float, proxy: str = "") -> tuple[int, dict[str, str], bytes]:
    """One GET to the checked address, or through ``proxy`` (an outlet's configured HTTP proxy,
    trusted as configured; it resolves the host); (status, headers, body cut at max_page_bytes)."""
    url = safe_url_string(url)  # percent-encoded as a crawl sends it (non-ASCII paths)
    parts = urlsplit(url)
    if parts.scheme not in ("http", "https") or not parts.hostname:
        raise FetchError(f"{url}: only http(s) URLs are fetched")
    port = parts.port or (443 if parts.scheme == "https" else 80)
    if proxy and parts.scheme == "http":
        via = urlsplit(proxy)
        conn = http.client.HTTPConnection(via.hostname, via.port or 80, timeout=timeout)
        target = url
    else:
        sock = socket.create_connection((_address(parts.hostname, port, allow_private), port), timeout=timeout)
        if parts.scheme == "https":
            sock = ssl.create_default_context().wrap_socket(sock, server_hostname=parts.hostname)
        conn = http.client.HTTPConnection(parts.hostname, port, timeout=timeout)
        conn.sock = sock  # pinned: no second lookup
        target = (parts.path or "/") + (f"?{parts.query}" if parts.query else "")
    try:
        conn.request("GET", target, headers={"User-Agent": crawl_settings.USER_AGENT, "Host": parts.netloc})
        resp = conn.getresponse()
        body = resp.read(MAX_BYTES + 1)
        return resp.status, {k.lower(): v for k, v in resp.getheaders()}, body
    except (OSError, http.client.HTTPException) as exc:
        raise FetchError(f"{url}: {type(exc).__name__}: {exc}") from None
    finally:
        conn.close()


def robots_allow(url: str, allow_private: bool = False, timeout: float = 30.0, proxy: str = "") -> bool:
    """Does the host's robots.txt let the crawler's User-Agent fetch ``url``?"""
    robots = urljoin(url, "/robots.txt")
    try:
        status, _, body = _get(robots, allow_private, timeout, proxy)
    except FetchError:
        return True  # no robots.txt to be had: allowed, as Scrapy's RobotsTxtMiddleware does
    parser = urllib.robotparser.RobotFileParser()
    parser.parse(body.decode("utf-8", "replace").splitlines() if status == 200 else [])
    return parser.can_fetch(crawl_settings.USER_AGENT, url)


def fetch_page(url: str, allow_private: bool = False, timeout: float = 30.0, proxy: str = "") -> tuple[str, bytes]:
    """(final URL, body) of one page: guarded, robots.txt obeyed, at most 5 redirects."""
    for _ in range(crawl_settings.REDIRECT_MAX_TIMES + 1):
        if not robots_allow(url, allow_private, timeout, proxy):
            raise FetchError(f"{url}: disallowed by robots.txt")
        status, headers, body = _get(url, allow_private, timeout, proxy)
        if status in (301, 302, 303, 307, 308) and headers.get("location"):
            url = urljoin(url, headers["location"])
            continue
        if status >= 400:
            raise FetchError(f"{url}: HTTP {status}")
        if len(body) > MAX_BYTES:
            raise FetchError(f"{url}: larger than {MAX_BYTES} bytes")
        return url, body
    raise FetchError(f"{url}: more than {crawl_settings.REDIRECT_MAX_TIMES} redirects")
