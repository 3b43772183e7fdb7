"""URLs as archives, aggregators and social shares write them: repaired, unwrapped and
canonicalised to one, or refused with a reason. The pairs are facts about URLs (the kinds
of case mediacloud's metadata-lib and courlan test), written out here by us."""
from __future__ import annotations

import pytest

from crawlers.registry import load_sources
from crawlers.urls import canonicalize, url_problem

PAIRS = [
    # a mangled scheme
    ("http://http://www.al-monitor.com/pulse", "http://www.al-monitor.com/pulse"),
    ("http://http//www.al-monitor.com/pulse", "http://www.al-monitor.com/pulse"),
    ("https://https://example.org/a", "https://example.org/a"),
    ("http:/www.mysite.com/", "http://www.mysite.com/"),
    ("http:\\\\www.mysite.com/", "http://www.mysite.com/"),
    ("  HTTP://WWW.MySite.com/Page  ", "http://www.mysite.com/Page"),
    # AMP caches and viewers unwrapped to the page they hold
    ("https://www-example-com.cdn.ampproject.org/c/www.example.com/amp/doc.html", "http://www.example.com/amp/doc.html"),
    ("https://www-example-com.cdn.ampproject.org/c/s/www.example.com/news/doc", "https://www.example.com/news/doc"),
    ("https://www.google.com/amp/s/www.example.com/news/doc", "https://www.example.com/news/doc"),
    # the usual: default ports, fragments, tracking parameters, sorted query, AMP suffixes, mobile hosts
    ("https://example.com:443/a?b=2&a=1&utm_source=tw#top", "https://example.com/a?a=1&b=2"),
    ("http://m.example.com/story/amp", "http://example.com/story"),
    ("https://example.com/story.amp.html", "https://example.com/story.html"),
    ("https://example.com/a?fbclid=x&gclid=y", "https://example.com/a"),
    # the same URL twice is left alone
    ("https://example.com/a", "https://example.com/a"),
    ("http://http-news.example/a", "http://http-news.example/a"),
]


@pytest.mark.parametrize(("raw", "want"), PAIRS)
def test_urls_are_repaired_and_canonicalised(raw, want):
    assert canonicalize(raw) == want
    assert canonicalize(want) == want and url_problem(raw) is None


@pytest.mark.parametrize(("raw", "why"), [
    ("javascript:void(0)", "scheme"), ("mailto:desk@example.com", "scheme"), ("ftp://example.com/f", "scheme"),
    ("http://", "no host"), ("http://localhost/a", "no host"), ("http://example.com:99999/", "does not parse"),
])
def test_urls_that_cannot_be_an_article_are_refused_with_a_reason(raw, why):
    assert why in (url_problem(raw) or "")


def test_an_outlets_own_amp_form_and_parameters_are_one_url():
    outlets = {o.name: o for o in load_sources()}
    aj, reuters = outlets["aljazeera-en"], outlets["reuters"]
    page = "https://www.aljazeera.com/news/2020/2/3/turkish-soldiers-killed-in-idlib"
    assert aj.canonical("https://www.aljazeera.com/amp/news/2020/2/3/turkish-soldiers-killed-in-idlib") == page
    assert aj.is_article_url(aj.canonical("https://www.aljazeera.com/amp/news/2020/2/3/turkish-soldiers-killed-in-idlib"))
    assert reuters.canonical("https://www.reuters.com/article/us-syria-security-idUSKBN20B0XZ?il=0") == \
        "https://www.reuters.com/article/us-syria-security-idUSKBN20B0XZ"
    # the generic rules do not know an outlet's forms
    assert canonicalize("https://www.aljazeera.com/amp/news/2020/2/3/x").startswith("https://www.aljazeera.com/amp/")


def test_a_bad_amp_prefix_in_a_sources_file_names_the_outlet_and_field():
    from crawlers.registry import SourcesError, outlet_from_dict
    with pytest.raises(SourcesError, match="outlet 'x1': field 'amp_prefix'"):
        outlet_from_dict({"name": "x1", "domains": ["x.org"], "languages": ["en"], "feeds": ["https://x.org/f"],
                          "amp_prefix": "amp"})
    with pytest.raises(SourcesError, match="field 'drop_params'"):
        outlet_from_dict({"name": "x1", "domains": ["x.org"], "languages": ["en"], "feeds": ["https://x.org/f"],
                          "drop_params": [3]})


def test_the_backfills_host_test_is_a_suffix_match_on_the_repaired_host():
    from pipeline.backfill.run import on_hosts
    domains = {"bbc.com", "bbc.co.uk", "sana.sy"}
    assert on_hosts("https://www.bbc.com/news/articles/x", domains)
    assert on_hosts("http://http://www.bbc.com/news", domains) and on_hosts("https://sana.sy./en/?p=1", domains)
    assert on_hosts("https://www-bbc-com.cdn.ampproject.org/c/s/www.bbc.com/news/x", domains)
    assert not on_hosts("https://evilbbc.com/x", domains) and not on_hosts("https://bbc.com.evil.net/x", domains)
    assert not on_hosts("http://[::1", domains)
