"""Per-outlet knowledge in the registry (``author_xpath``, ``title_source``) proven on a page in
each outlet's layout (crawlers/fixtures: our own demo texts), as fundus keeps a regression page
beside each publisher's parser."""
from __future__ import annotations

import json
from pathlib import Path

import pytest

from crawlers.registry import SourcesError, load_sources, parse_sources
from pipeline.articles.build import extract_settings_by_outlet
from pipeline.extract.core import extract

FIXTURES = Path(__file__).resolve().parents[1] / "crawlers" / "fixtures"
CASES = sorted(FIXTURES.glob("*.json"))


@pytest.mark.parametrize("case", CASES, ids=[c.stem for c in CASES])
def test_each_outlet_fixture_extracts_as_expected_with_its_registry_settings(case):
    spec = json.loads(case.read_text(encoding="utf-8"))
    settings = extract_settings_by_outlet(load_sources())
    assert spec["outlet"] in settings, f"{case.name}: {spec['outlet']} has no per-outlet settings to prove"
    doc = extract(case.with_suffix(".html").read_bytes(), spec["url"], settings=settings[spec["outlet"]])
    want = spec["expect"]
    assert (doc.title, doc.authors, doc.verdict) == (want["title"], want["authors"], want["verdict"]), case.name
    assert doc.published_at.date().isoformat() == want["published_day"], case.name
    # the settings are what give them: the defaults do not
    plain = extract(case.with_suffix(".html").read_bytes(), spec["url"])
    assert (plain.title, plain.authors) != (want["title"], want["authors"]), f"{case.name}: the settings change nothing"


def test_every_outlet_with_extraction_settings_has_a_fixture():
    named = {json.loads(c.read_text(encoding="utf-8"))["outlet"] for c in CASES}
    # json-ld is the default rule's first choice: a fixture proves only the settings that change it
    with_settings = {o.name for o in load_sources() if o.author_xpath or o.title_source not in ("auto", "json-ld")}
    missing = sorted(with_settings - named)
    # outlets sharing a site share a layout: one fixture may stand for its siblings on the same domains
    siblings = {o.name for o in load_sources() if any(set(o.domains) & set(p.domains) for p in load_sources()
                                                      if p.name in named)}
    assert set(missing) <= siblings, f"extraction settings without a fixture in crawlers/fixtures: {missing}"


@pytest.mark.parametrize("xpath", ["//span[", "//span/@@class", ["//span"]])
def test_a_bad_author_xpath_is_refused_naming_the_outlet(xpath):
    raw = {"name": "demo-wire", "domains": ["demowire.test"], "languages": ["en"],
           "feeds": ["https://demowire.test/feed"], "author_xpath": xpath}
    with pytest.raises(SourcesError, match=r"demo-wire.*author_xpath"):
        parse_sources({"outlets": [raw]}, "s.yaml")


def test_an_author_xpath_that_counts_gives_no_names():
    from lxml import html

    from pipeline.extract.authors import xpath_authors
    from pipeline.settings import ExtractSettings
    page = (FIXTURES / "anadolu-tr.html").read_bytes()
    # the expression is valid XPath but names nobody: no names from it, and the page extracts as before
    assert xpath_authors(html.fromstring(page), "count(//span)") == []
    doc = extract(page, "https://demo.test/a", settings=ExtractSettings(author_xpath="count(//span)"))
    assert doc.verdict == "article" and all(isinstance(a, str) for a in doc.authors)
    assert doc.authors == extract(page, "https://demo.test/a").authors


def test_the_trigger_forms_names_are_read_without_the_xpath_compiler(tmp_path):
    """The DAG files list the outlets while the scheduler parses them: the names come from the
    file alone, and a bad ``author_xpath`` is the plan task's error, naming the outlet."""
    from crawlers.registry import outlet_names
    path = tmp_path / "s.yaml"
    path.write_text("outlets:\n- {name: demo-wire, domains: [demowire.test], languages: [en],\n"
                    "   feeds: ['https://demowire.test/feed'], author_xpath: '//span['}\n", encoding="utf-8")
    assert outlet_names(path) == ["demo-wire"]
    with pytest.raises(SourcesError, match="demo-wire.*author_xpath"):
        load_sources(path)
