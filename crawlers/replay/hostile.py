"""A hostile replay outlet: every way a real site breaks a crawl, on 127.0.0.1.

``hostile_site(base)`` returns the pages and the fault handlers of one outlet
whose feed is malformed (the sitemap must take over), whose robots.txt closes
a section, and whose articles include: a 503 with Retry-After that recovers,
a permanent 500, a page that never finishes (slow drip), a connection reset, a
redirect loop, redirects to private and link-local addresses, a 50 MB page, a
gzip bomb, a windows-1256 page without a charset, a 429 asking to come back
tomorrow, and a second sitemap that is an XML entity bomb. A JSON feed holds
poisoned items (not an object, a port over 65535, a year-1 date with an
offset) among good ones; a sitemap index and a section's "next page" link
point at ``file://`` and ``data:`` URLs; one article is crafted to make an
extractor raise (dates out of range, canonical links that are not URLs,
JSON-LD nested 600 deep) and one is a 1.9 MB page of links. ``CASES`` says
what the crawler must do with each.
"""
from __future__ import annotations

import base64
import gzip
import json
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
    "/a/poison-neighbour": "fetched",     # listed in the JSON feed beside poisoned items
    "/a/crafted": "fetched",              # made extract() raise: out-of-range dates, broken canonical links
    "/a/link-heavy": "fetched",           # 1.9 MB of links: extraction must stay linear and bounded
    "/a/from-file": "not listed",         # listed only in a local file a sitemap index points at
    "/a/from-data": "not listed",         # listed only in a data: URL a sitemap index points at
}
POISONED_ITEMS = 3  # items of the JSON feed that must be skipped and counted

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


def _crafted_page() -> Page:
    """An article whose metadata once made extract() raise."""
    ld = {"@type": "NewsArticle", "datePublished": "0001-01-01T00:30+05:00", "headline": "Crafted",
          "author": json.loads("[" * 600 + '"Deep Author"' + "]" * 600)}
    head = (f'<script type="application/ld+json">{json.dumps(ld)}</script>'
            '<meta property="article:published_time" content="9999-12-31T23:30-05:00">'
            '<link rel="canonical" href="http://a:99999999/"><link rel="canonical" href="http://[::1">')
    return Page(f"<html lang='en'><head><title>Crafted</title>{head}</head><body><article><h1>Crafted</h1>"
                f"<time datetime='0001-01-01T00:30+05:00'>then</time><p>{_TEXT}</p></article></body></html>".encode())


def link_heavy_page(size: int = 1900 * 1024) -> Page:
    """A page that is almost all links, ``size`` bytes: a site's archive or tag cloud."""
    parts, n = [f"<html lang='en'><head><title>Archive</title></head><body><article><h1>Archive</h1><p>{_TEXT}</p>"], 0
    while sum(map(len, parts)) < size:
        parts.append("".join(f'<li><a href="/a/story-{n + i}">Story number {n + i} from the region</a></li>'
                             for i in range(100)))
        n += 100
    return Page(("".join(parts) + "</article></body></html>").encode())


def hostile_site(base: str, local_file: str = "/etc/hostname") -> tuple[dict[str, Page], list]:
    """``local_file``: a file on this machine the hostile sitemap index points at (``file://``)."""
    pages = {path: _page(path.rsplit("/", 1)[1]) for path, what in CASES.items() if what == "fetched"}
    pages["/a/arabic-1256"] = _arabic_page()
    pages["/a/crafted"] = _crafted_page()
    pages["/a/link-heavy"] = link_heavy_page()
    listed = [p for p in CASES if CASES[p] != "not listed" and p != "/a/poison-neighbour"]
    rows = "".join(f"<url><loc>{base}{p}</loc><lastmod>{(T0 + timedelta(minutes=i)).isoformat()}</lastmod></url>"
                   for i, p in enumerate(listed))
    pages["/sitemap.xml"] = Page(f'<?xml version="1.0"?><urlset xmlns="http://www.sitemaps.org/schemas/sitemap/0.9">'
                                 f"{rows}</urlset>".encode(), "application/xml")
    lol = "".join(f'<!ENTITY lol{i} "{f"&lol{i - 1};" * 10}">' for i in range(1, 10))
    pages["/sitemap-bomb.xml"] = Page((f'<?xml version="1.0"?><!DOCTYPE urlset [<!ENTITY lol0 "lol">{lol}]>'
                                       f'<urlset xmlns="http://www.sitemaps.org/schemas/sitemap/0.9"><url><loc>'
                                       f'{base}/a/bombed</loc><lastmod>&lol9;</lastmod></url></urlset>').encode(),
                                      "application/xml")
    pages["/feed/"] = Page(b"<?xml version='1.0'?><rss><channel><item><title>broken", "application/rss+xml")
    items = [1, {"url": f"http://{base.split('//')[1]}:99999999/a/x"},
             {"url": f"{base}/a/poison-neighbour", "date_published": "0001-01-01T00:30+05:00"}, {"url": 5}]
    pages["/feed.json"] = Page(json.dumps({"version": "https://jsonfeed.org/version/1.1", "items": items}).encode(),
                               "application/feed+json")
    data_child = "data:text/xml;base64," + base64.b64encode(
        f'<urlset xmlns="http://www.sitemaps.org/schemas/sitemap/0.9"><url><loc>{base}/a/from-data</loc></url>'
        "</urlset>".encode()).decode()
    pages["/sitemap-index.xml"] = Page(('<?xml version="1.0"?><sitemapindex xmlns="http://www.sitemaps.org/schemas/'
                                        f'sitemap/0.9"><sitemap><loc>file://{local_file}</loc></sitemap>'
                                        f"<sitemap><loc>{data_child}</loc></sitemap></sitemapindex>").encode(),
                                       "application/xml")
    pages["/section/"] = Page(f'<html><body><a href="/a/good-1">Good</a><a href="http://[::1">broken</a>'
                              f'<a rel="next" href="file://{local_file}">next</a></body></html>'.encode())
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
