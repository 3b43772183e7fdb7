"""The crawler against a hostile replay outlet: what was fetched, skipped and why, per case."""
from __future__ import annotations

from datetime import timedelta

import pyarrow.parquet as pq
import pytest
import yaml

from crawlers.launcher import run_crawl
from crawlers.replay.hostile import CASES, T0, hostile_site
from pipeline.extract.core import extract
from pipeline.settings import ExtractSettings


def test_hostile_outlet(fresh_replay, tmp_path):
    site = fresh_replay.add_site("hostile", {})
    local = tmp_path / "local-sitemap.xml"  # a file on this machine: the crawler must never read it
    local.write_text(f'<urlset xmlns="http://www.sitemaps.org/schemas/sitemap/0.9"><url><loc>{site.base}/a/from-file'
                     "</loc></url></urlset>")
    site.pages, site.special = hostile_site(site.base, str(local))
    outlet = {"name": "hostile", "domains": [site.host], "languages": ["en", "ar"],
              "feeds": [site.base + "/feed/", site.base + "/feed.json"], "sections": [site.base + "/section/"],
              "sitemaps": [site.base + "/sitemap.xml", site.base + "/sitemap-bomb.xml", site.base + "/sitemap-index.xml"],
              "article_patterns": ["^/a/", "^/blocked/"], "proxy": fresh_replay.address,
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
    # the JSON feed's poisoned items (not an object, a port over 65535, a URL that is a number) and the
    # section's unparseable link were skipped and counted; their neighbours were fetched all the same
    assert stats["newspipe/skipped/bad_item"] == 4 and stats["newspipe/errors/bad_item"] == 4
    # file:// and data: children of the sitemap index, and a file:// "next page", were never followed
    assert stats["newspipe/refused/offsite_sitemap"] == 2 and stats["newspipe/refused/offsite_section"] == 1
    assert site.hits["/a/from-file"] == 0 and site.hits["/a/from-data"] == 0
    # every stored page extracts without raising, the crafted one as an article
    docs = {r["url"].rsplit("/", 1)[1]: extract(r["body"], r["url"], settings=ExtractSettings(max_seconds=60))
            for r in rows}
    assert docs["crafted"].verdict == "article" and docs["crafted"].title == "Crafted"
    assert docs["link-heavy"].verdict == "article"  # its one paragraph, read in linear time


def test_a_redirect_to_a_name_that_resolves_inside_is_refused(fresh_replay, tmp_path):
    """A local outlet (its own 127.0.0.1:port allowed) redirects to this machine's host name, which
    resolves to a loopback address: refused after resolution, before any connection."""
    import socket
    from ipaddress import ip_address

    from crawlers.replay.site import Page
    name = socket.gethostname().lower()
    try:
        resolved = socket.gethostbyname(name)
    except OSError:
        pytest.skip(f"this machine's host name {name!r} does not resolve")
    if not ip_address(resolved).is_loopback or "." in name:
        pytest.skip(f"host name {name!r} resolves to {resolved}, not to a loopback address: not safe to test")
    port = fresh_replay.address.rsplit(":", 1)[1]
    base = f"http://127.0.0.1:{port}"
    site = fresh_replay.add_site("inside", {
        "/sitemap.xml": Page(f'<?xml version="1.0"?><urlset xmlns="http://www.sitemaps.org/schemas/sitemap/0.9">'
                             f'<url><loc>{base}/a/good-1</loc></url><url><loc>{base}/a/to-name</loc></url>'
                             f'</urlset>'.encode(), "application/xml"),
        "/a/good-1": Page(b"<html><body><article><p>" + b"Shelling near Saraqib. " * 20 + b"</p></article></body></html>"),
        "/a/to-name": Page(b"", None, status=302, headers={"Location": f"http://{name}:{port}/a/secret"}),
        "/a/secret": Page(b"<html><body>internal</body></html>"),
    })
    fresh_replay.sites_by_host["127.0.0.1"] = fresh_replay.sites_by_host[name] = site
    outlet = {"name": "inside", "domains": [f"127.0.0.1:{port}"], "languages": ["en"], "local": True,
              "sitemaps": [base + "/sitemap.xml"], "politeness": {"download_delay": 0}}
    sources = tmp_path / "s.yaml"
    sources.write_text(yaml.safe_dump({"outlets": [outlet]}))
    [res] = run_crawl(sources, T0, T0 + timedelta(days=1), tmp_path / "raw", politeness=False, timeout=120)
    assert res.articles_fetched == 1 and site.hits["/a/good-1"] == 1
    assert site.hits["/a/secret"] == 0 and res.stats["newspipe/refused/private_address"] == 1
