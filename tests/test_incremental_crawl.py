"""Incremental crawling: stored pages are not fetched again, feeds and sitemaps are asked for
conditionally, the state survives a killed crawl, and robots.txt Crawl-delay is honoured."""
from __future__ import annotations

import os
import signal
import sqlite3
import subprocess
import sys
import time
from datetime import datetime, timezone
from pathlib import Path

from crawlers.launcher import run_crawl
from crawlers.replay.site import Page, demo_articles
from pipeline.run.stages import crawl_stage, publish_stage, raw_dir_for
from storage.raw import read_raw_pages
from storage.dataset import read_table
from storage.layout import crawl_state_file
from tests.conftest import write_sources

SINCE = datetime(2020, 10, 1, tzinfo=timezone.utc)
UNTIL = datetime(2020, 10, 8, tzinfo=timezone.utc)
ROOT = Path(__file__).resolve().parents[1]


def _expected(outlet: str) -> set[str]:
    return {a.path for a in demo_articles() if a.outlet == outlet and SINCE <= a.date < UNTIL}


def test_second_crawl_fetches_nothing_known_and_publishes_the_same(fresh_replay, tmp_path):
    sources = write_sources(fresh_replay, tmp_path / "s.yaml", ["idlib-monitor"])
    site, data = fresh_replay.sites["idlib-monitor"], tmp_path / "data"
    expected = _expected("idlib-monitor")
    [first] = crawl_stage(sources, SINCE, UNTIL, data, politeness=False)
    assert first.articles_fetched == len(expected) == 9 and first.articles_known == 0
    before = publish_stage(sources, SINCE, UNTIL, data)
    rows_before = read_table(data, "articles", ["article_id", "content_hash"]).to_pylist()

    [second] = crawl_stage(sources, SINCE, UNTIL, data, politeness=False)
    # every article was listed again, none fetched again
    assert second.status == "ok" and second.articles_fetched == 0 and second.articles_known == 9
    assert all(site.hits[p] == 1 for p in expected)
    # feed (ETag), sitemap index and its children (Last-Modified) were answered 304 from the stored copy
    assert site.not_modified["/feed/"] == 1 and site.not_modified["/sitemap.xml"] == 1
    assert second.stats["newspipe/conditional/not_modified"] == 4
    # the window still reads as all its pages: the publish is the same as the first
    assert len(read_raw_pages(raw_dir_for(data, SINCE, UNTIL) / "idlib-monitor", data)) == 9
    after = publish_stage(sources, SINCE, UNTIL, data)
    assert after.kept == before.kept
    assert sorted(read_table(data, "articles", ["article_id", "content_hash"]).to_pylist(),
                  key=lambda r: r["article_id"]) == sorted(rows_before, key=lambda r: r["article_id"])

    # --refetch fetches every page again; the window still holds one record per URL
    [third] = crawl_stage(sources, SINCE, UNTIL, data, politeness=False, refetch=True)
    assert third.articles_fetched == 9 and all(site.hits[p] == 2 for p in expected)
    assert len(read_raw_pages(raw_dir_for(data, SINCE, UNTIL) / "idlib-monitor", data)) == 9


def test_a_page_stored_by_another_window_is_not_fetched_again(fresh_replay, tmp_path):
    sources = write_sources(fresh_replay, tmp_path / "s.yaml", ["idlib-monitor"])
    site, data = fresh_replay.sites["idlib-monitor"], tmp_path / "data"
    mid = datetime(2020, 10, 4, tzinfo=timezone.utc)
    crawl_stage(sources, SINCE, UNTIL, data, politeness=False)
    [part] = crawl_stage(sources, SINCE, mid, data, politeness=False)
    assert part.articles_fetched == 0 and part.articles_known > 0
    pages = read_raw_pages(raw_dir_for(data, SINCE, mid) / "idlib-monitor", data)
    assert len(pages) == part.articles_known and all(p["body"] for p in pages)
    # a stored file that has gone missing means the page is fetched again, not silently dropped
    for f in (raw_dir_for(data, SINCE, UNTIL) / "idlib-monitor").glob("part-*.parquet"):
        f.unlink()
    [again] = crawl_stage(sources, SINCE, mid, data, politeness=False)
    assert again.articles_fetched == part.articles_known and again.articles_known == 0
    assert max(site.hits[p] for p in _expected("idlib-monitor")) == 2


def _stalled_site(articles: set[str], stall_after: int):
    """Article pages after the first ``stall_after`` hang (bounded) until the test kills the crawl."""
    served: list[str] = []

    def stall(h, path: str) -> bool:
        if path in articles and path not in served:
            if len(served) >= stall_after:
                time.sleep(20)
                h.send_page(Page(b"late", "text/plain", status=503))
                return True
            served.append(path)
        return False
    return stall


def test_state_survives_a_killed_crawl(fresh_replay, tmp_path):
    sources = write_sources(fresh_replay, tmp_path / "s.yaml", ["levant-wire"])
    site, data = fresh_replay.sites["levant-wire"], tmp_path / "data"
    articles = _expected("levant-wire")
    site.special.append(_stalled_site(articles, stall_after=4))
    raw = raw_dir_for(data, SINCE, UNTIL)
    cmd = [sys.executable, "-m", "crawlers.launcher", "--sources", str(sources), "--since", SINCE.isoformat(),
           "--until", UNTIL.isoformat(), "--raw-dir", str(raw), "--outlets", "levant-wire", "--no-politeness",
           "--work-dir", str(data), "-s", "NEWSPIPE_RAW_BATCH=2", "-s", "CONCURRENT_REQUESTS_PER_DOMAIN=1"]
    proc = subprocess.Popen(cmd, cwd=ROOT, env=dict(os.environ, PYTHONPATH=str(ROOT)))
    ledger = data / "_state" / "crawl" / "levant-wire.sqlite"
    deadline = time.monotonic() + 60
    stored = 0
    while time.monotonic() < deadline and stored < 4:
        time.sleep(0.2)
        if ledger.exists():
            try:
                with sqlite3.connect(ledger) as db:
                    stored = db.execute("SELECT count(*) FROM fetched").fetchone()[0]
            except sqlite3.OperationalError:  # the crawl is still creating its tables
                pass
    proc.send_signal(signal.SIGKILL)  # a crash: no close_spider, no flush, no stats
    proc.wait(timeout=30)
    assert stored == 4, "the crawl did not store its first two batches in time"
    site.special.clear()
    first_hits = {p: n for p, n in site.hits.items() if p in articles and n}
    # the retry keeps the killed attempt's files and fetches only what they do not hold
    [res] = crawl_stage(sources, SINCE, UNTIL, data, politeness=False)
    assert res.status == "ok" and res.articles_known == 4 and res.articles_fetched == 9 - 4
    assert sum(1 for p, n in first_hits.items() if site.hits[p] == n) >= 4
    pages = read_raw_pages(raw / "levant-wire", data)
    assert {p["url"].split(".test", 1)[1] for p in pages} == articles


def test_robots_crawl_delay_is_honoured(fresh_replay, tmp_path):
    site = fresh_replay.sites["levant-wire"]
    site.pages["/robots.txt"] = Page(b"User-agent: *\nCrawl-delay: 1\nAllow: /\n", "text/plain")
    sources = write_sources(fresh_replay, tmp_path / "s.yaml", ["levant-wire"])
    day = datetime(2020, 10, 2, tzinfo=timezone.utc)
    # politeness on; the outlet itself asks for no delay, so every pause comes from robots.txt
    [res] = run_crawl(sources, SINCE, day, tmp_path / "raw", politeness=True, timeout=120)
    assert res.status == "ok" and res.articles_fetched == 3
    assert res.stats["newspipe/robots/crawl_delay"] == 1.0
    times = [t for t, path in site.hit_times if path != "/robots.txt"]
    gaps = [b - a for a, b in zip(times, times[1:])]
    assert len(times) >= 5 and min(gaps) >= 0.9, gaps


def test_crawl_delay_is_capped_and_off_without_politeness(fresh_replay, tmp_path):
    site = fresh_replay.sites["levant-wire"]
    site.pages["/robots.txt"] = Page(b"User-agent: *\nCrawl-delay: 3600\n", "text/plain")
    sources = write_sources(fresh_replay, tmp_path / "s.yaml", ["levant-wire"])
    [res] = run_crawl(sources, SINCE, UNTIL, tmp_path / "raw", politeness=True, timeout=120,
                      settings={"NEWSPIPE_MAX_CRAWL_DELAY": 0.2})
    assert res.articles_fetched == 9 and res.stats["newspipe/robots/crawl_delay"] == 0.2
    [res] = run_crawl(sources, SINCE, UNTIL, tmp_path / "raw2", politeness=False, timeout=120)
    assert res.articles_fetched == 9 and "newspipe/robots/crawl_delay" not in res.stats


def test_two_crawl_processes_share_an_outlet(fresh_replay, tmp_path):
    sources = write_sources(fresh_replay, tmp_path / "s.yaml", ["idlib-monitor"])
    site, data = fresh_replay.sites["idlib-monitor"], tmp_path / "data"
    [res] = crawl_stage(sources, SINCE, UNTIL, data, politeness=False, processes=2)
    expected = _expected("idlib-monitor")
    # each article fetched once, by one of the two processes; the stats add up to one crawl's
    assert res.status == "ok" and res.articles_fetched == len(expected) == 9
    assert all(site.hits[p] == 1 for p in expected)
    assert res.stats["newspipe/feed/items"] == 10  # both read the feed: counted once
    parts = {f.name.split("-")[1] for f in (raw_dir_for(data, SINCE, UNTIL) / "idlib-monitor").glob("part-*")}
    assert len(parts) == 2
    [again] = crawl_stage(sources, SINCE, UNTIL, data, politeness=False, processes=2)
    assert again.articles_fetched == 0 and again.articles_known == 9
    assert len(read_raw_pages(raw_dir_for(data, SINCE, UNTIL) / "idlib-monitor", data)) == 9


def test_non_ascii_urls_are_known_on_the_second_crawl(fresh_replay, tmp_path):
    """The Turkish outlet's URLs have non-ASCII paths: remembered as fetched (percent-encoded)."""
    sources = write_sources(fresh_replay, tmp_path / "s.yaml", ["anatolia-post"])
    data = tmp_path / "data"
    [first] = crawl_stage(sources, SINCE, UNTIL, data, politeness=False)
    assert first.articles_fetched > 0
    assert any(not p.isascii() for p in fresh_replay.sites["anatolia-post"].hits)  # hits are unquoted
    [second] = crawl_stage(sources, SINCE, UNTIL, data, politeness=False)
    assert second.articles_fetched == 0 and second.articles_known == first.articles_fetched


def test_a_shard_whose_start_fails_makes_the_outlet_fail_with_the_error_named(fresh_replay, tmp_path):
    """A spider that dies in its start (here: its state file cannot be opened) fetched nothing:
    the outlet is reported failed with the exception, not ok with what the other shard found."""
    sources = write_sources(fresh_replay, tmp_path / "s.yaml", ["idlib-monitor"])
    work = tmp_path / "work"
    crawl_state_file(work, "idlib-monitor").mkdir(parents=True)  # a directory where the database should be
    [res] = run_crawl(sources, SINCE, UNTIL, tmp_path / "raw", politeness=False, work_dir=work, processes=2)
    assert res.status == "failed" and res.articles_fetched == 0
    assert res.stats["finish_reason"] == "start_error" and res.stats["newspipe/errors/stopped"] == 2
    assert "stopped before it found an article" in res.message
    assert "start: OperationalError" in res.message and "idlib-monitor.sqlite" in res.message
