"""The crawler against a hostile replay outlet: what was fetched, skipped and why, per case."""
from __future__ import annotations

from datetime import timedelta

import pyarrow.parquet as pq
import yaml

from crawlers.crawl import run_crawl
from crawlers.replay.hostile import CASES, T0, hostile_site
from pipeline.extract import extract


def test_hostile_outlet(fresh_replay, tmp_path):
    site = fresh_replay.add_site("hostile", {})
    site.pages, site.special = hostile_site(site.base)
    outlet = {"name": "hostile", "domains": [site.host], "languages": ["en", "ar"], "feeds": [site.base + "/feed/"],
              "sitemaps": [site.base + "/sitemap.xml", site.base + "/sitemap-bomb.xml"], "article_patterns": ["^/a/", "^/blocked/"],
              "proxy": fresh_replay.address,
              "politeness": {"download_delay": 0, "concurrency": 8, "timeout": 3, "max_page_bytes": 2 * 1024 * 1024}}
    sources = tmp_path / "s.yaml"
    sources.write_text(yaml.safe_dump({"outlets": [outlet]}))
    # bounded: a crawl that hung would raise TimeoutExpired here
    [res] = run_crawl(sources, T0, T0 + timedelta(days=1), tmp_path / "raw", politeness=False, timeout=300)
    stats = res.stats
    rows = pq.read_table(tmp_path / "raw" / "hostile").to_pylist()
    fetched = {r["url"].split(".test", 1)[1] for r in rows}
    assert fetched == {p for p, what in CASES.items() if what == "fetched"}, stats
    assert res.status == "degraded"  # some articles failed, the outlet as a whole did not
    # the malformed feed is an error of its own; the sitemap carried the crawl
    assert stats["newspipe/errors/feed"] == 1
    # 503 + Retry-After: 1 was retried until it worked, each time after the second asked for
    assert site.hits["/a/retry-after"] == 3
    hits = [t for t, path in site.hit_times if path == "/a/retry-after"]
    assert min(b - a for a, b in zip(hits, hits[1:])) >= 0.9
    assert stats["newspipe/retry_after/waited"] == 2
    # a 429 asking to come back in a day is not waited for: given up for this run, asked once
    assert site.hits["/a/retry-tomorrow"] == 1 and stats["newspipe/retry_after/too_long"] == 1
    # the entity-bomb sitemap is an error of its own and expands nothing
    assert stats["newspipe/errors/sitemap"] == 1 and site.hits["/a/bombed"] == 0
    # private, loopback and link-local redirect targets were refused before any connection
    assert stats["newspipe/refused/private_address"] == 3
    # robots.txt kept us out of /blocked/
    assert site.hits["/blocked/secret"] == 0 and stats["robotstxt/forbidden"] == 1
    # the slow drip was cut by the timeout, the reset and the loop failed, the 500 was given up on
    exc = {k.rsplit("/", 1)[1]: v for k, v in stats.items() if k.startswith("downloader/exception_type_count/")}
    assert any("TimeoutError" in k for k in exc), exc
    assert stats.get("retry/max_reached", 0) >= 2
    # the 50 MB page and the gzip bomb were cut at max_page_bytes, never stored
    assert not any(r["url"].endswith(("/a/huge", "/a/gzip-bomb")) for r in rows)
    assert all(len(r["body"]) <= 2 * 1024 * 1024 for r in rows)
    # the windows-1256 page without a charset decodes to Arabic
    arabic = next(r for r in rows if r["url"].endswith("/a/arabic-1256"))
    doc = extract(arabic["body"], arabic["url"])
    assert "سراقب" in doc.text and doc.language == "ar"
