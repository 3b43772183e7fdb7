"""A generated replay outlet of N article pages, and a crawl benchmark against it.

The pages are small, distinct articles listed in one sitemap; the crawl runs
with politeness off (no delay, no AutoThrottle, 64 requests per domain shared
by the crawl processes) in its own processes, the way every newspipe crawl runs, so the figure includes
Scrapy's start-up and the Parquet writes of the raw pages.
"""
from __future__ import annotations

import resource
import tempfile
import time
from datetime import datetime, timedelta, timezone
from pathlib import Path

import yaml

from crawlers.replay.server import ReplayServer
from crawlers.replay.site import Page

NAME = "bench-outlet"
T0 = datetime(2020, 10, 1, tzinfo=timezone.utc)


def bench_pages(n: int, base: str) -> dict[str, Page]:
    words = "convoy shelling border camp winter aid highway patrol ceasefire talks drone market water school".split()
    pages: dict[str, Page] = {}
    rows = []
    for i in range(n):
        path = f"/news/{i:06d}.html"
        when = T0 + timedelta(seconds=i * 10)
        body = " ".join(words[(i * 7 + k) % len(words)] for k in range(300))
        html = (f"<!DOCTYPE html><html lang='en'><head><meta charset='utf-8'><title>Story {i}</title>"
                f"<meta property='article:published_time' content='{when.isoformat()}'></head><body>"
                f"<nav><a href='/'>Home</a></nav><article><h1>Story {i}</h1><p>{body}</p></article>"
                f"<footer>Bench outlet footer</footer></body></html>")
        pages[path] = Page(html.encode())
        rows.append(f"<url><loc>{base}{path}</loc><lastmod>{when.isoformat()}</lastmod></url>")
    pages["/sitemap.xml"] = Page(('<?xml version="1.0" encoding="UTF-8"?><urlset xmlns="http://www.sitemaps.org/'
                                  'schemas/sitemap/0.9">' + "".join(rows) + "</urlset>").encode(), "application/xml")
    pages["/robots.txt"] = Page(b"User-agent: *\nAllow: /\n", "text/plain")
    return pages


def crawl_benchmark(n: int = 5000, processes: int = 1) -> dict:
    from crawlers.launcher import run_crawl
    with ReplayServer(outlets=["levant-wire"]) as server, tempfile.TemporaryDirectory() as tmp:
        site = server.add_site(NAME, {})
        site.pages = bench_pages(n, site.base)
        outlet = {"name": NAME, "domains": [site.host], "languages": ["en"], "sitemaps": [site.base + "/sitemap.xml"],
                  "article_patterns": [r"^/news/\d+\.html$"], "proxy": server.address,
                  "politeness": {"download_delay": 0, "concurrency": 64, "page_budget": n + 10}}
        sources = Path(tmp) / "sources.yaml"
        sources.write_text(yaml.safe_dump({"outlets": [outlet]}), encoding="utf-8")
        t = time.perf_counter()
        [res] = run_crawl(sources, T0, T0 + timedelta(days=30), Path(tmp) / "raw", politeness=False,
                          processes=processes)
        seconds = time.perf_counter() - t
    peak = resource.getrusage(resource.RUSAGE_CHILDREN).ru_maxrss / 1024
    return {"pages": res.articles_fetched, "seconds": seconds, "pages_per_s": res.articles_fetched / seconds,
            "peak_rss_mb": peak, "status": res.status}
