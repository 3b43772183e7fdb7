"""A local replay web server for the mock outlets, on 127.0.0.1 only.

One server on a free port answers for every mock outlet as an HTTP proxy
would: the crawler sends ``GET http://levant-wire.test/feed/`` to it (the
outlet's ``proxy`` setting) and the server picks the outlet by host name.
Outlets keep stable addresses under the reserved ``.test`` domain, so article
ids do not change from one demo run to the next, and every byte still goes
to 127.0.0.1. Plain requests with a ``Host`` header work too.

    with ReplayServer() as server:
        sources = server.sources_dict()   # a sources document pointing at it
"""
from __future__ import annotations

import threading
import time
from collections import Counter
from email.utils import parsedate_to_datetime
from http.server import BaseHTTPRequestHandler, ThreadingHTTPServer
from typing import Callable
from urllib.parse import unquote, urlsplit


from .site import OUTLETS, Page, build_site, demo_articles, outlet_config

Handler = Callable[[BaseHTTPRequestHandler, str], bool]
DOMAIN = "test"


class _Server(ThreadingHTTPServer):
    daemon_threads = True
    allow_reuse_address = True
    request_queue_size = 128


class OutletSite:
    """One outlet's pages, its fault hooks and a count of hits per path."""

    def __init__(self, name: str, pages: dict[str, Page] | None = None):
        self.name = name
        self.host = f"{name}.{DOMAIN}"
        self.base = f"http://{self.host}"
        self.pages: dict[str, Page] = pages if pages is not None else {}
        self.special: list[Handler] = []  # fault injection: handler(request, path) -> handled?
        self.hits: Counter[str] = Counter()
        self.not_modified: Counter[str] = Counter()   # conditional GETs answered 304
        self.hit_times: list[tuple[float, str]] = []  # (monotonic time, path) of every request


def _not_modified(page: Page, headers) -> bool:
    """RFC 9110 conditional GET: If-None-Match wins over If-Modified-Since."""
    etag, modified = page.headers.get("ETag"), page.headers.get("Last-Modified")
    if headers.get("If-None-Match") is not None:
        return etag is not None and headers["If-None-Match"] == etag
    since = headers.get("If-Modified-Since")
    if since and modified:
        try:
            return parsedate_to_datetime(modified) <= parsedate_to_datetime(since)
        except (TypeError, ValueError):
            return False
    return False


def _make_handler(server: "ReplayServer"):
    class H(BaseHTTPRequestHandler):
        protocol_version = "HTTP/1.1"

        def log_message(self, *args):  # keep test output quiet
            pass

        def do_GET(self):  # noqa: N802 - http.server API
            parts = urlsplit(self.path)
            host = (parts.hostname or self.headers.get("Host", "").split(":")[0]).lower()
            path = unquote(parts.path or "/") + (f"?{parts.query}" if parts.query else "")
            site = server.sites_by_host.get(host)
            if site is None:
                self.send_page(Page(b"unknown host", "text/plain", status=502))
                return
            site.hits[path] += 1
            site.hit_times.append((time.monotonic(), path))
            for special in site.special:
                if special(self, path):
                    return
            page = site.pages.get(path)
            if page is None:
                self.send_page(Page(b"<html><body>Not found</body></html>", status=404))
                return
            if _not_modified(page, self.headers):
                site.not_modified[path] += 1
                self.send_page(Page(b"", None, status=304, headers={
                    k: v for k, v in page.headers.items() if k in ("ETag", "Last-Modified")}))
                return
            self.send_page(page)

        def send_page(self, page: Page) -> None:
            self.send_response(page.status)
            if page.content_type:
                self.send_header("Content-Type", page.content_type)
            for k, v in page.headers.items():
                self.send_header(k, v)
            self.send_header("Content-Length", str(len(page.body)))
            self.end_headers()
            self.wfile.write(page.body)

    return H


class ReplayServer:
    """Serve the bundled mock outlets (all of them by default) on 127.0.0.1."""

    def __init__(self, outlets: list[str] | None = None, port: int = 0):
        names = outlets or list(OUTLETS)
        articles = demo_articles()
        self.sites: dict[str, OutletSite] = {}
        for n in names:
            site = OutletSite(n)
            site.pages = build_site(n, site.base, articles)
            self.sites[n] = site
        self.sites_by_host = {s.host: s for s in self.sites.values()}
        self.httpd = _Server(("127.0.0.1", port), _make_handler(self))
        self.address = f"http://127.0.0.1:{self.httpd.server_address[1]}"
        self.thread = threading.Thread(target=self.httpd.serve_forever, name="replay", daemon=True)

    def add_site(self, name: str, pages: dict[str, Page]) -> OutletSite:
        """Serve an extra outlet (tests build hostile ones)."""
        site = OutletSite(name, pages)
        self.sites[name] = site
        self.sites_by_host[site.host] = site
        return site

    def start(self) -> "ReplayServer":
        self.thread.start()
        return self

    def stop(self) -> None:
        self.httpd.shutdown()
        self.httpd.server_close()

    def __enter__(self) -> "ReplayServer":
        return self.start()

    def __exit__(self, *exc) -> None:
        self.stop()

    def config(self, name: str) -> dict:
        """The sources-file entry of one served outlet."""
        return dict(outlet_config(name, self.sites[name].base), proxy=self.address)

    def sources_dict(self, names: list[str] | None = None) -> dict:
        return {"outlets": [self.config(n) for n in (names or [n for n in self.sites if n in OUTLETS])]}
