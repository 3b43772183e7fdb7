"""The registry against real article URLs of its outlets (../shared/registry/real-article-urls.tsv,
found in peers' public data): every article row accepted by its outlet, every not-article row refused."""
from __future__ import annotations

import csv

import pytest

from crawlers.registry import load_sources
from tests.conftest import need_shared

pytestmark = pytest.mark.shared


def test_every_real_article_url_is_accepted_and_every_other_page_refused():
    path = need_shared("registry", "real-article-urls.tsv")
    outlets = {o.name: o for o in load_sources()}
    with open(path, encoding="utf-8") as f:
        rows = list(csv.DictReader(f, delimiter="\t"))
    assert len(rows) > 100
    unknown = sorted({r["outlet"] for r in rows} - set(outlets))
    assert unknown == [], f"outlets of the file missing from the registry: {unknown}"
    refused = [(r["outlet"], r["url"]) for r in rows if r["expect"] == "article" and not outlets[r["outlet"]].is_article_url(r["url"])]
    accepted = [(r["outlet"], r["url"]) for r in rows if r["expect"] == "not-article" and outlets[r["outlet"]].is_article_url(r["url"])]
    assert refused == [] and accepted == []


def test_the_registry_keeps_apart_the_pages_that_are_not_articles():
    """Section, tag, video and search pages of the outlets whose patterns were widened."""
    outlets = {o.name: o for o in load_sources()}
    for name, url in [("bbc-en", "https://www.bbc.com/news/videos/cn85xx2ly9ro"),
                      ("bbc-en", "https://www.bbc.com/news/world/middle_east"),
                      ("dailysabah", "https://www.dailysabah.com/world/mid-east"),
                      ("anadolu-en", "https://www.aa.com.tr/en/middle-east"),
                      ("lemonde", "https://www.lemonde.fr/international/"),
                      ("guardian", "https://www.theguardian.com/world/syria"),
                      ("reuters", "https://www.reuters.com/world/middle-east/"),
                      ("sana-en", "https://sana.sy/en/syria/"),
                      ("aljazeera-en", "https://www.aljazeera.com/where/syria/")]:
        assert not outlets[name].is_article_url(url), (name, url)
    assert all(not o.search or "aljazeera" not in o.search for o in outlets.values())  # robots.txt disallows it
