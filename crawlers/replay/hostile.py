"""A hostile replay outlet: every way a real site breaks a crawl, on 127.0.0.1.

``hostile_site(base)`` returns the pages and the fault handlers of one outlet
whose feed is malformed (the sitemap must take over), whose robots.txt closes
a section, and whose articles include: a 503 with Retry-After that recovers,
a permanent 500, a page that never finishes (slow drip), a connection reset, a
redirect loop, redirects to private and link-local addresses, a 50 MB page, a
gzip bomb, a windows-1256 page without a charset, a 429 asking to come back
tomorrow, and a second sitemap that is an XML entity bomb. ``CASES`` says
what the crawler must do with each.
"""
from __future__ import annotations

import gzip
import socket
import time
from datetime import datetime, timedelta, timezone

from .site import Page

T0 = datetime(2020, 10, 1, 8, tzinfo=timezone.utc)

CASES = {
    "/a/good-1": "fetched",
    "/a/good-2": "fetched",
    "/a/retry-after": "fetched",          # 503 twice with Retry-After: 1, then 200
    "/a/retry-tomorrow": "error",         # 429 with Retry-After a day ahead: given up for this run
    "/a/server-error": "error",           # 500 every time
    "/a/slow-drip": "error",              # a byte a second: the download timeout cuts it
    "/a/reset": "error",                  # connection reset mid-response
    "/a/loop": "error",                   # redirect loop
    "/a/to-private": "refused",           # redirect to 10.0.0.1
    "/a/to-loopback2": "refused",         # redirect to 127.0.0.2
    "/a/to-metadata": "refused",          # redirect to 169.254.169.254
    "/a/huge": "error",                   # 50 MB, over max_page_bytes
    "/a/gzip-bomb": "error",              # 1 GB once decompressed
    "/a/arabic-1256": "fetched",          # windows-1256, no charset anywhere in the headers
    "/blocked/secret": "robots",          # disallowed by robots.txt
    "/a/bombed": "not listed",            # listed only in a sitemap that is an XML entity bomb
}

_ARTICLE = ("<!DOCTYPE html><html lang='en'><head><title>{title}</title></head><body><article><h1>{title}</h1>"
            "<p>{body}</p></article></body></html>")
_TEXT = ("Rescue workers in Idlib province said shelling hit the outskirts of Saraqib overnight, and families "
         "moved north towards the camps near the border. ") * 4


def _page(title: str) -> Page:
    return Page(_ARTICLE.format(title=title, body=_TEXT).encode())


def _arabic_page() -> Page:
    body = ("قال عمال الإنقاذ في محافظة إدلب إن القصف طال أطراف سراقب ليلا ونزحت عائلات نحو المخيمات. " * 6)
    html = (f"<html lang='ar' dir='rtl'><head><title>قصف على سراقب</title></head><body><article><h1>قصف على سراقب</h1>"
            f"<p>{body}</p></article></body></html>")
    return Page(html.encode("cp1256"), content_type="text/html")  # no charset parameter


def hostile_site(base: str) -> tuple[dict[str, Page], list]:
    pages = {path: _page(path.rsplit("/", 1)[1]) for path, what in CASES.items() if what == "fetched"}
    pages["/a/arabic-1256"] = _arabic_page()
    rows = "".join(f"<url><loc>{base}{p}</loc><lastmod>{(T0 + timedelta(minutes=i)).isoformat()}</lastmod></url>"
                   for i, p in enumerate(CASES) if CASES[p] != "not listed")
    pages["/sitemap.xml"] = Page(f'<?xml version="1.0"?><urlset xmlns="http://www.sitemaps.org/schemas/sitemap/0.9">'
                                 f"{rows}</urlset>".encode(), "application/xml")
    lol = "".join(f'<!ENTITY lol{i} "{f"&lol{i - 1};" * 10}">' for i in range(1, 10))
    pages["/sitemap-bomb.xml"] = Page((f'<?xml version="1.0"?><!DOCTYPE urlset [<!ENTITY lol0 "lol">{lol}]>'
                                       f'<urlset xmlns="http://www.sitemaps.org/schemas/sitemap/0.9"><url><loc>'
                                       f'{base}/a/bombed</loc><lastmod>&lol9;</lastmod></url></urlset>').encode(),
                                      "application/xml")
    pages["/feed/"] = Page(b"<?xml version='1.0'?><rss><channel><item><title>broken", "application/rss+xml")
    pages["/robots.txt"] = Page(b"User-agent: *\nDisallow: /blocked/\n", "text/plain")
    bomb = gzip.compress(b"\0" * (64 * 1024 * 1024))
    state = {"retry-after": 0}

    def faults(h, path: str) -> bool:
        if path == "/a/retry-after" and state["retry-after"] < 2:
            state["retry-after"] += 1
            h.send_page(Page(b"busy", "text/plain", status=503, headers={"Retry-After": "1"}))
            return True
        if path == "/a/retry-tomorrow":
            h.send_page(Page(b"slow down", "text/plain", status=429, headers={"Retry-After": "86400"}))
            return True
        if path == "/a/server-error":
            h.send_page(Page(b"boom", "text/plain", status=500))
            return True
        if path == "/a/slow-drip":
            h.send_response(200)
            h.send_header("Content-Type", "text/html")
            h.send_header("Content-Length", "100000")
            h.end_headers()
            try:
                for _ in range(30):  # bounded: gives up after 30 s whatever the client does
                    h.wfile.write(b" ")
                    h.wfile.flush()
                    time.sleep(1)
            except OSError:
                pass
            return True
        if path == "/a/reset":
            h.send_response(200)
            h.send_header("Content-Length", "5000")
            h.end_headers()
            h.wfile.write(b"<html><body>partial")
            h.wfile.flush()
            h.connection.setsockopt(socket.SOL_SOCKET, socket.SO_LINGER, b"\x01\x00\x00\x00\x00\x00\x00\x00")
            h.connection.close()
            h.close_connection = True
            return True
        redirects = {"/a/loop": "/a/loop-2", "/a/loop-2": "/a/loop", "/a/to-private": "http://10.0.0.1/latest/",
                     "/a/to-loopback2": "http://127.0.0.2/admin", "/a/to-metadata": "http://169.254.169.254/latest/meta-data/"}
        if path in redirects:
            h.send_page(Page(b"", None, status=302, headers={"Location": redirects[path]}))
            return True
        if path == "/a/huge":
            size = 50 * 1024 * 1024
            h.send_response(200)
            h.send_header("Content-Type", "text/html")
            h.send_header("Content-Length", str(size))
            h.end_headers()
            chunk = b"<p>" + b"x" * 65530 + b"</p>"
            try:
                for _ in range(size // len(chunk)):
                    h.wfile.write(chunk)
            except OSError:
                pass
            return True
        if path == "/a/gzip-bomb":
            h.send_page(Page(bomb, "text/html", headers={"Content-Encoding": "gzip"}))
            return True
        return False

    return pages, [faults]
