"""Crawls over real HTTP against the replay server on 127.0.0.1."""
from __future__ import annotations

from datetime import datetime, timezone
from urllib.parse import quote

import pyarrow.parquet as pq

from crawlers.launcher import run_crawl
from crawlers.replay.site import demo_articles
from tests.conftest import write_sources

SINCE = datetime(2020, 10, 1, tzinfo=timezone.utc)
UNTIL = datetime(2020, 10, 8, tzinfo=timezone.utc)


def test_one_outlet_is_crawled_from_feed_and_sitemap_index(replay, tmp_path):
    sources = write_sources(replay, tmp_path / "s.yaml", ["idlib-monitor"])
    site = replay.sites["idlib-monitor"]
    site.hits.clear()
    [res] = run_crawl(sources, SINCE, UNTIL, tmp_path / "raw", politeness=False)
    expected = {a.path for a in demo_articles() if a.outlet == "idlib-monitor" and SINCE <= a.date < UNTIL}
    assert res.status == "ok", res.message
    assert res.articles_fetched == len(expected) == 9
    rows = pq.read_table(tmp_path / "raw" / "idlib-monitor").to_pylist()
    assert {r["url"].split(".test", 1)[1] for r in rows} == expected
    # each article once, though the feed, the sitemap index and its children all list it
    assert all(site.hits[p] == 1 for p in expected)
    # tracking parameters are stripped before fetching, AMP variants never fetched
    assert not any("utm_" in p or "amp=1" in p for p in site.hits)
    # the sitemap index's children were followed; the out-of-window story was not fetched
    assert site.hits["/sitemaps/ar.xml"] == 1
    out_of_window = [a.path for a in demo_articles() if a.outlet == "idlib-monitor" and a.date < SINCE]
    assert out_of_window and all(site.hits[p] == 0 for p in out_of_window)
    assert rows[0]["body"].startswith(b"<!DOCTYPE html>")
    assert res.stats["newspipe/skipped/out_of_window"] >= 1


def test_robots_txt_is_obeyed(fresh_replay, tmp_path):
    site = fresh_replay.sites["levant-wire"]
    robots = site.pages["/robots.txt"]
    site.pages["/robots.txt"] = type(robots)(b"User-agent: *\nDisallow: /en/news/2020/10/01/\n", "text/plain")
    sources = write_sources(fresh_replay, tmp_path / "s.yaml", ["levant-wire"])
    [res] = run_crawl(sources, SINCE, UNTIL, tmp_path / "raw", politeness=False)
    assert res.articles_fetched == 6  # three of nine are on the disallowed day
    assert not any(p.startswith("/en/news/2020/10/01/") for p in site.hits)
    assert res.stats.get("robotstxt/forbidden", 0) >= 3


def test_site_search_with_pagination_and_an_empty_feed(fresh_replay, tmp_path):
    """Discovery from the outlet's own search (asked for in its language, paginated), while its
    valid but empty feed is a warning and not a failure."""
    from crawlers.replay.site import Page
    site = fresh_replay.sites["levant-wire"]
    arts = sorted(a.path for a in demo_articles() if a.outlet == "levant-wire" and SINCE <= a.date < UNTIL)
    links = lambda paths: "".join(f'<li><a href="{p}">story</a></li>' for p in paths)  # noqa: E731
    site.pages["/find?q=Idlib"] = Page(f'<html><body><ul>{links(arts[:5])}</ul>'
                                       f'<a rel="next" href="/find?q=Idlib&amp;page=2">more</a></body></html>'.encode())
    site.pages["/find?page=2&q=Idlib"] = Page(f"<html><body><ul>{links(arts[5:])}</ul></body></html>".encode())
    site.pages["/find?q=Idlib&page=2"] = site.pages["/find?page=2&q=Idlib"]
    arabic = "/find?q=" + quote("إدلب")  # the outlet also writes in Arabic: asked in Arabic too, no results
    site.pages[arabic] = Page(b"<html><body><p>No results</p></body></html>")
    site.pages["/feed/"] = Page(b'<?xml version="1.0"?><rss version="2.0"><channel><title>x</title></channel></rss>',
                                "application/rss+xml")
    config = fresh_replay.config("levant-wire")
    config.update(sitemaps=[], search=site.base + "/find?q={query}")
    sources = tmp_path / "s.yaml"
    sources.write_text(__import__("yaml").safe_dump({"outlets": [config]}), encoding="utf-8")
    [res] = run_crawl(sources, SINCE, UNTIL, tmp_path / "raw", politeness=False)
    assert res.status == "ok", res.message
    assert res.articles_fetched == len(arts) == 9 and res.stats["newspipe/feed/empty"] == 1
    rows = pq.read_table(tmp_path / "raw" / "levant-wire").to_pylist()
    assert {r["discovered_via"] for r in rows} == {"search"}
    assert {r["url"].split(".test", 1)[1] for r in rows} == set(arts)
    assert site.hits[arabic] == 1


def test_an_empty_feed_falls_back_to_the_sitemap(fresh_replay, tmp_path):
    from crawlers.replay.site import Page
    site = fresh_replay.sites["levant-wire"]
    site.pages["/feed/"] = Page(b'<?xml version="1.0"?><rss version="2.0"><channel><title>x</title></channel></rss>',
                                "application/rss+xml")
    sources = write_sources(fresh_replay, tmp_path / "s.yaml", ["levant-wire"])
    [res] = run_crawl(sources, SINCE, UNTIL, tmp_path / "raw", politeness=False)
    assert res.status == "ok" and res.articles_fetched == 9 and res.stats["newspipe/feed/empty"] == 1
    rows = pq.read_table(tmp_path / "raw" / "levant-wire").to_pylist()
    assert {r["discovered_via"] for r in rows} == {"sitemap"}
