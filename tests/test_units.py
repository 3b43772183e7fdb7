"""Small pure functions: URL canonicalisation, discovery parsing, the registry, relevance, extraction verdicts."""
from __future__ import annotations

import json

import pytest

from crawlers.discovery import DiscoveryError, parse_feed, parse_sitemap
from crawlers.registry import SourcesError, load_sources, parse_sources
from crawlers.urls import article_id, canonicalize
from pipeline.extract.core import extract
from pipeline.articles.relevance import score_relevance


def test_canonicalize():
    assert canonicalize("HTTPS://M.Example.com:443/a/b/amp/?utm_source=x&b=2&a=1#frag") == "https://example.com/a/b?a=1&b=2"
    assert article_id(canonicalize("http://x.test/a?fbclid=1")) == article_id("http://x.test/a")


def test_registry_has_the_real_outlets():
    outlets = load_sources()
    assert len(outlets) >= 30
    langs = {lang for o in outlets for lang in o.languages}
    assert {"ar", "tr", "en", "ru", "fr"} <= langs
    names = {o.name for o in outlets}
    assert {"sana-en", "tass-en", "anadolu-en", "enabbaladi-en", "sohr-en", "globalresearch"} <= names
    assert all(all("." in d and len(d) > 3 for d in o.domains) for o in outlets)


@pytest.mark.parametrize("raw, message", [
    ({"outlets": []}, "the 'outlets:' list is empty"),
    ([1, 2], "expected a mapping with an 'outlets:' list"),
    ({"outlets": [{"name": "a!"}]}, "field 'name'"),
    ({"outlets": [{"name": "ok", "domains": ["a.test"], "languages": ["en"]}]}, "needs at least one of feeds"),
    ({"outlets": [{"name": "ok", "domains": ["a.test"], "languages": ["en"], "feeds": ["ftp://x"]}]}, "is not an http(s) URL"),
    ({"outlets": [{"name": "ok", "domains": ["a.test"], "languages": ["en"], "feeds": ["http://a.test/f"],
                   "article_patterns": ["("]}]}, "is not a valid regular expression"),
    ({"outlets": [{"name": "ok", "domains": ["a.test"], "languages": ["en"], "feeds": ["http://a.test/f"],
                   "politeness": {"speed": 1}}]}, "politeness.speed"),
])
def test_registry_validation_names_the_field(raw, message):
    with pytest.raises(SourcesError, match=message.replace("(", r"\(").replace(")", r"\)")):
        parse_sources(raw, "f.yaml")


def test_entity_bomb_and_malformed_feeds_are_errors_not_outages():
    bomb = b'<?xml version="1.0"?><!DOCTYPE lolz [<!ENTITY lol "lol"><!ENTITY lol2 "&lol;&lol;&lol;&lol;">]>' \
           b'<urlset><url><loc>&lol2;</loc></url><url><loc>http://a.test/ok</loc></url></urlset>'
    # the entity is never expanded: its <loc> reads as empty and is skipped, the next one is read
    assert [lk.url for lk in parse_sitemap(bomb)] == ["http://a.test/ok"]
    with pytest.raises(DiscoveryError, match="malformed feed XML"):
        parse_feed(b"<rss><channel><item><link>http://a</link>")
    with pytest.raises(DiscoveryError, match="malformed JSON feed"):
        parse_feed(b"{not json")


def test_feed_formats():
    atom = b'<feed xmlns="http://www.w3.org/2005/Atom"><entry><link rel="alternate" href="http://a.test/1"/>' \
           b'<published>2020-10-01T10:00:00+03:00</published></entry></feed>'
    [link] = parse_feed(atom)
    assert link.url == "http://a.test/1" and link.date.hour == 7
    jf = json.dumps({"items": [{"url": "http://a.test/2", "date_published": "2020-10-02T00:00:00Z"}]}).encode()
    assert parse_feed(jf)[0].url == "http://a.test/2"


@pytest.mark.parametrize("text, title, relevant", [
    ("Shelling hit Idlib and Saraqib overnight, and the M4 highway was closed.", None, True),
    ("قصفت قوات النظام مدينة إدلب وبلدة سراقب", None, True),
    ("İdlib'de Cilvegözü sınır kapısından yardım tırları geçti, İdlib kırsalında", None, True),
    ("Российский центр по примирению сообщил об обстрелах в Идлибе и Серакибе", None, True),
    ("A charity match in Gaziantep raised money; one player was born in Idlib.", None, False),
    ("Lebanese pound falls as banks tighten limits.", None, False),
])
def test_relevance(text, title, relevant):
    r = score_relevance(text, title)
    assert r.relevant is relevant, r
    if relevant:
        assert r.matched_terms


def _page(body: str, head: str = "") -> bytes:
    return f"<html><head>{head}</head><body><article>{body}</article></body></html>".encode()


LONG = "<p>" + "The convoy crossed the border at dawn and moved south along the highway towards the town. " * 6 + "</p>"


@pytest.mark.parametrize("data, verdict", [
    (b"", "empty"),
    (b"\x00\x01\x02\x89PNG\r\n" * 100, "not_html"),
    (_page("<p>Too short.</p>"), "too_short"),
    (_page(LONG, '<script type="application/ld+json">{"@type": "NewsArticle", "datePublished": </script>'), "article"),
    (b"<html><body>" + b"<table><tr><td>" * 3000 + b"x" + b"</td></tr></table>" * 3000 + b"</body></html>", None),
])
def test_extraction_verdicts_never_crash(data, verdict):
    doc = extract(data, "http://a.test/x")
    if verdict:
        assert doc.verdict == verdict, doc.reason
    else:
        assert doc.verdict != "article" and doc.reason


def test_extraction_reads_charset_less_windows_1256():
    text = "قصفت قوات النظام مدينة إدلب وبلدة سراقب في ريف إدلب الجنوبي ليلة أمس. " * 8
    html = f'<html lang="ar"><head><meta http-equiv="Content-Type" content="text/html; charset=windows-1256"></head>' \
           f"<body><article><h1>إدلب</h1><p>{text}</p></article></body></html>"
    doc = extract(html.encode("cp1256"), "http://a.test/ar/1")
    assert doc.verdict == "article" and "سراقب" in doc.text and doc.language == "ar"


def test_index_pages_and_paywall_stubs_are_not_articles_a_paywalled_lead_is():
    links = "".join(f"<li><a href='/news/{i}'>Headline number {i} about the war in the north</a></li>" for i in range(60))
    index = f"<html><body><h1>Latest</h1><ul>{links}</ul><p>Short intro.</p></body></html>".encode()
    doc = extract(index, "http://a.test/latest")
    assert doc.verdict == "index" and "links" in doc.reason
    ld = '<script type="application/ld+json">{"@type": "CollectionPage", "name": "Idlib"}</script>'
    assert extract(_page(LONG, ld), "http://a.test/tag/idlib").verdict == "index"
    teaser = _page("<p>" + "Subscribers can read how the convoy crossed the border at dawn. " * 5 + "</p>"
                   "<div class='paywall-offer'>Subscribe to read more</div>")
    doc = extract(teaser, "http://a.test/premium")
    # the lead an outlet shows above its paywall is its coverage of the story: kept, and marked
    assert (doc.verdict, doc.paywalled) == ("article", True), doc.reason
    stub = _page("<p>Subscribers can read how the convoy crossed the border at dawn.</p>"
                 "<div class='paywall-offer'>Subscribe to read more</div>")
    assert extract(stub, "http://a.test/premium-2").verdict == "paywalled"
    doc = extract(_page(LONG), "http://a.test/x")
    assert (doc.verdict, doc.paywalled) == ("article", False)


def test_meta_refresh_still_followed_with_the_bytes_precheck():
    from scrapy.http import HtmlResponse, Request
    from scrapy.utils.test import get_crawler

    from crawlers.middlewares import MetaRefreshMiddleware
    mw = MetaRefreshMiddleware.from_crawler(get_crawler())
    req = Request("http://outlet.test/a")
    moved = HtmlResponse(req.url, request=req, body=b'<html><head><meta http-equiv="Refresh" content="0; url=/b">')
    assert mw.process_response(req, moved).url == "http://outlet.test/b"
    plain = HtmlResponse(req.url, request=req, body=b"<html><head></head><body><p>text</p></body></html>")
    assert mw.process_response(req, plain) is plain


def test_retry_after_values():
    from datetime import datetime, timezone

    from crawlers.middlewares import retry_after_seconds
    now = datetime(2020, 10, 1, 12, tzinfo=timezone.utc)
    assert retry_after_seconds("120") == 120.0
    assert retry_after_seconds("Thu, 01 Oct 2020 12:00:30 GMT", now) == 30.0
    assert retry_after_seconds("Thu, 01 Oct 2020 11:00:00 GMT", now) == 0.0
    assert retry_after_seconds("soon") is None and retry_after_seconds(None) is None


def test_boilerplate_key_fast_path_folds_like_split_join():
    import sys

    from pipeline.articles.paragraphs import fold_paragraph
    for w in (chr(c) for c in range(sys.maxunicode + 1) if chr(c).isspace()):
        for text in (f"A{w}b", f"{w}a", f"a{w}", f"a {w}B", f"a{w}{w}b"):
            assert fold_paragraph(text) == " ".join(text.lower().split()), hex(ord(w))
    assert fold_paragraph("Support Our Work") == "support our work" and fold_paragraph("") == ""


def test_boilerplate_with_the_runs_own_keys_strips_the_same_and_refuses_stored_knowledge():
    """``stored_keys=False`` (``newspipe dedup``: nothing stored) learns and strips what the stored
    keys do, keeps the same paragraphs' keys for the digests, and refuses boilerplate learned
    earlier, which is keyed by stored keys."""
    from pipeline.articles.boilerplate import remove_boilerplate
    footer = "Read our stories every morning at the demo desk."
    docs = [(f"outlet-{i % 2}", f"Story number {i} about the crossing.\nA second line, {i}.\n{footer}")
            for i in range(12)]
    stored, run = remove_boilerplate(docs), remove_boilerplate(docs, stored_keys=False)
    assert stored.texts == run.texts and stored.learned == run.learned == {o: {footer.lower()} for o in ("outlet-0",
                                                                                                          "outlet-1")}
    assert all(t.removed == [footer] and footer not in t.text for t in run.texts)
    assert run.paragraphs.bounds.tolist() == stored.paragraphs.bounds.tolist() == list(range(0, 25, 2))
    assert not run.paragraphs.stored and len(set(run.paragraphs.keys.tolist())) == 24
    with pytest.raises(ValueError, match="stored keys"):
        remove_boilerplate(docs, known={"outlet-0": {footer.lower()}}, stored_keys=False)


def test_plan_params_refetch():
    from pipeline.run.orchestration import PlanError, make_plan
    start, end = "2020-10-01T00:00:00+00:00", "2020-10-02T00:00:00+00:00"
    assert make_plan({"refetch": True}, start, end)["refetch"] is True
    assert make_plan(None, start, end)["refetch"] is False
    with pytest.raises(PlanError, match="param 'refetch' must be true or false"):
        make_plan({"refetch": "yes"}, start, end)


def test_the_grid_names_each_crawl_with_the_days_it_processes():
    """A backfill's run is named after its logical date, the day after the one it processes."""
    from pipeline.run.orchestration import make_plan, window_label
    assert window_label(make_plan(None, "2020-10-01T00:00:00+00:00", "2020-10-02T00:00:00+00:00")) == "2020-10-01"
    assert window_label(make_plan({"since": "2020-10-01", "until": "2020-10-04"}, "2020-10-05T00:00:00+00:00",
                                  "2020-10-06T00:00:00+00:00")) == "2020-10-01..2020-10-03"


def test_a_backfill_takes_no_custom_window_and_empty_outlets_mean_all():
    from pipeline.run.orchestration import PlanError, make_plan
    start, end = "2020-10-01T00:00:00+00:00", "2020-10-02T00:00:00+00:00"
    with pytest.raises(PlanError, match="every backfilled day process the same window"):
        make_plan({"since": "2020-09-01"}, start, end, run_type="backfill")
    plan = make_plan({"outlets": None, "since": None}, start, end, run_type="backfill")
    assert plan["since"].startswith("2020-10-01") and len(plan["outlets"]) > 10
    assert make_plan({"since": "2020-09-01", "until": "2020-09-02"}, start, end, run_type="manual")["since"].startswith(
        "2020-09-01")


@pytest.mark.parametrize("og_title,site,url,expected", [
    # the tail is not the site: 'co' (of .co.uk) must not match inside 'could'
    ("'We sell rail passes - a cheaper day could save you a lot'", "Daily Demo", "https://www.dailydemo.co.uk/n/1",
     "'We sell rail passes - a cheaper day could save you a lot'"),
    ("Talks on the M5 resume | Daily Demo", "Daily Demo", "https://www.dailydemo.co.uk/n/2", "Talks on the M5 resume"),
    # "Headline-Section|Site" written without spaces
    ("이들리브 회담 재개-정치ㅣ데모일보", "데모일보", "https://www.demo.kr/n/3", "이들리브 회담 재개"),
])
def test_title_site_suffix(og_title, site, url, expected):
    import trafilatura

    from pipeline.extract.titles import find_title
    page = (f'<html><head><meta property="og:title" content="{og_title}">'
            f'<meta property="og:site_name" content="{site}"></head><body><p>text</p></body></html>')
    assert find_title(trafilatura.utils.load_html(page.encode()), [], url) == expected


_HEADLINES = ('<html><head><title>Talks on the M5 resume in Ankara | Daily Demo</title>'
              '<meta property="og:title" content="Ankara talks: will the M5 reopen?">'
              '<meta property="og:site_name" content="Daily Demo">'
              '<script type="application/ld+json">{"@type": "NewsArticle", "headline": "M5 highway talks resume"}</script>'
              '</head><body><article><h1>Talks on the M5 resume in Ankara</h1>'
              + "<p>Delegations met again on Monday to discuss the reopening of the M5 highway near Saraqib.</p>" * 6
              + "</article></body></html>")


@pytest.mark.parametrize("source, title, variants", [
    ("auto", "M5 highway talks resume", {"og": "Ankara talks: will the M5 reopen?", "h1": "Talks on the M5 resume in Ankara",
                                         "title-tag": "Talks on the M5 resume in Ankara"}),
    ("og", "Ankara talks: will the M5 reopen?", {"json-ld": "M5 highway talks resume", "h1": "Talks on the M5 resume in Ankara",
                                                 "title-tag": "Talks on the M5 resume in Ankara"}),
    # the <title> minus its site suffix has the h1's wording: no variant repeats the title's wording
    ("h1", "Talks on the M5 resume in Ankara", {"json-ld": "M5 highway talks resume", "og": "Ankara talks: will the M5 reopen?"}),
    ("title-tag", "Talks on the M5 resume in Ankara", {"json-ld": "M5 highway talks resume", "og": "Ankara talks: will the M5 reopen?"}),
])
def test_title_source_picks_the_outlets_headline_and_keeps_the_others(source, title, variants):
    from pipeline.settings import ExtractSettings
    doc = extract(_HEADLINES, "https://dailydemo.test/n/1", settings=ExtractSettings(title_source=source))
    assert doc.title == title
    assert doc.title_source == ("json-ld" if source == "auto" else source)
    assert {v["source"]: v["title"] for v in doc.title_variants} == variants


def test_title_source_falls_back_when_the_page_lacks_it():
    from pipeline.settings import ExtractSettings
    page = _HEADLINES.replace('<meta property="og:title" content="Ankara talks: will the M5 reopen?">', "")
    doc = extract(page, "https://dailydemo.test/n/1", settings=ExtractSettings(title_source="og"))
    assert (doc.title, doc.title_source) == ("M5 highway talks resume", "json-ld")
    empty = extract("<html><body>" + "<p>No headline anywhere on this page, only text about Idlib.</p>" * 8
                    + "</body></html>", "https://dailydemo.test/n/2")
    assert (empty.title, empty.title_source, empty.title_variants) == (None, "none", [])


@pytest.mark.parametrize("headline", ['["M5", "talks"]', "12345", '{"@value": "M5"}', '"   "', "null"])
def test_odd_json_ld_headlines_fall_back_to_the_next_source(headline):
    page = _HEADLINES.replace('"headline": "M5 highway talks resume"', f'"headline": {headline}')
    doc = extract(page, "https://dailydemo.test/n/1")
    assert (doc.title, doc.title_source) == ("Ankara talks: will the M5 reopen?", "og")
    assert all(isinstance(v["title"], str) and v["source"] != "json-ld" for v in doc.title_variants)


def test_a_date_closing_the_title_beats_a_related_storys_date_in_the_text():
    related = "<aside><h2>Earlier: talks stall <span class='date'>24.04.2023</span></h2></aside>"
    page = (f"<html><head><title>Talks on the M5 resume | Demo Wire | 28.04.2023</title></head><body>{related}"
            f"<article><h1>Talks on the M5 resume</h1>{LONG}</article></body></html>")
    doc = extract(page, "https://demowire.test/a-1")
    assert (doc.published_at.date().isoformat(), doc.date_source) == ("2023-04-28", "title")
    assert doc.title == "Talks on the M5 resume"
    no_date = extract(page.replace(" | 28.04.2023", ""), "https://demowire.test/a-1")
    assert no_date.date_source == "text" and no_date.published_at.date().isoformat() == "2023-04-24"
    impossible = extract(page.replace("28.04.2023", "31.02.2023"), "https://demowire.test/a-1")
    assert impossible.date_source != "title"


def test_author_names_are_cleaned_once_each():
    from pipeline.extract.authors import clean_authors
    assert clean_authors(["By Lina Demo", "Omar Beispiel und Eva Muster", "Lina Demo", "Karl Probe (kpr)",
                          "Demo Wire", "", "Anna Test and Ben Test"]) == [
        "Lina Demo", "Omar Beispiel", "Eva Muster", "Karl Probe", "Demo Wire", "Anna Test", "Ben Test"]
    page = _page(LONG, '<script type="application/ld+json">{"@type": "NewsArticle", "author": '
                       '[{"name": "Lina Demo"}, {"name": "Lina Demo"}]}</script>')
    assert extract(page, "https://demowire.test/a-2").authors == ["Lina Demo"]


def test_credits_that_are_no_names_give_way_to_a_person():
    """An e-mail address, a domain or a description is no author's name; a person named beside them
    stays, and where the markup names no person the byline is read. The outlet alone stays credited."""
    ld = lambda authors: ('<script type="application/ld+json">{"@type": "NewsArticle", "publisher": {"name": '  # noqa: E731
                          '"Demo Wire"}, "author": [' + ", ".join(f'{{"name": "{a}"}}' for a in authors) + "]}</script>")
    described = ld(["Lina Demo", "Professor of contemporary history at the Demo University", "demowire.test"])
    assert extract(_page(LONG, described), "https://demowire.test/a-3").authors == ["Lina Demo"]
    byline = '<p class="byline">By Omar Beispiel</p>'
    for credit in (["l.demo@demowire.test"], ["demowire.test"], ["Demo Wire"]):
        doc = extract(_page(byline + LONG, ld(credit)), "https://demowire.test/a-4")
        assert doc.authors == ["Omar Beispiel"], (credit, doc.authors)
    assert extract(_page(LONG, ld(["Demo Wire"])), "https://demowire.test/a-5").authors == ["Demo Wire"]


def test_printed_bylines_the_markup_does_not_name():
    """When the markup credits no one or only the outlet: a labelled credit line, a bold name
    opening the text or signing it at its end, a second author tag, a job title cut; a printed
    phrase, a place line or a teaser list of other articles' authors is no byline."""
    outlet = ('<script type="application/ld+json">{"@type": "NewsArticle", "author": {"name": "Demo Wire"}, '
              '"publisher": {"name": "Demo Wire"}}</script>')
    cases = [
        ('<h1>Talks resume</h1><ul><li><strong>Datum</strong> 02.10.2020</li>'
         '<li><strong>Autorin/Autor</strong> Lina Demo</li></ul>' + LONG, outlet, ["Lina Demo"]),
        ('<h1>Talks resume</h1><p class="meta">Yazar: Deniz Örnek ve Ali Beispiel</p>' + LONG, outlet,
         ["Deniz Örnek", "Ali Beispiel"]),
        ('<h1>Talks resume</h1><p><strong>Mpho Demo/Lerato Probe</strong></p>' + LONG, outlet,
         ["Mpho Demo", "Lerato Probe"]),
        ("<h1>Talks resume</h1>" + LONG + '<p style="text-align: right;"><strong>Lê Mẫu</strong></p>', outlet,
         ["Lê Mẫu"]),
        ("<h1>Talks resume</h1>" + LONG, '<meta property="og:site_name" content="Demo Wire"><meta name="author" content="Demo Wire">'
                                          '<meta name="author" content="김데모 기자">', ["김데모"]),
        ('<h1>Talks resume</h1><p class="meta">By Demo Wire with agencies</p>' + LONG, outlet, ["Demo Wire"]),
        ('<h1>Talks resume</h1><p class="byline"><a rel="author" href="/a/lina">Lina Demo</a></p>' + LONG + "".join(
            f'<a rel="author" href="/a/{i}">Writer {n}</a>' for i, n in enumerate(["Eins", "Zwei", "Drei", "Vier", "Fuenf"])),
         "", ["Lina Demo"]),
    ]
    for body, head, want in cases:
        assert extract(_page(body, head), "https://demowire.test/a-9").authors == want, (body[:60], want)
    from pipeline.extract.authors import clean_authors
    assert clean_authors(["Magazin Von Lina Demo", "Anna Von Der Probe"]) == ["Lina Demo", "Anna Von Der Probe"]


def test_a_lone_year_is_not_turned_into_january_the_first():
    page = (f"<html><head><title>Ceasefire holds</title></head><body><article><h1>Ceasefire holds</h1>"
            f"<div class='date'>Posted March 3 10:15 2021</div>{LONG}</article>"
            f"<footer>Copyright 2021 Demo Wire</footer></body></html>")
    doc = extract(page, "https://demowire.test/news/ceasefire-holds")
    assert doc.published_at is None and doc.date_source == "none"
    dated = extract(page, "https://demowire.test/2021/03/03/ceasefire-holds")
    assert dated.published_at.date().isoformat() == "2021-03-03"  # htmldate reads the URL too
    first = extract(page.replace("Posted March 3 10:15 2021", "Posted 01.03.2021"), "https://demowire.test/news/c")
    assert (first.published_at.date().isoformat(), first.date_source) == ("2021-03-01", "text")


def test_title_source_is_validated_in_settings_and_registry():
    from pipeline.articles.build import extract_settings_by_outlet
    from pipeline.settings import ExtractSettings
    with pytest.raises(ValueError, match="title_source 'headline': must be one of auto, json-ld, og, h1, title-tag"):
        ExtractSettings(title_source="headline")
    base = {"name": "ok", "domains": ["a.test"], "languages": ["en"], "feeds": ["http://a.test/f"]}
    with pytest.raises(SourcesError, match="f.yaml: outlet 'ok': field 'title_source': 'headline' is not one of"):
        parse_sources({"outlets": [dict(base, title_source="headline")]}, "f.yaml")
    outlets = parse_sources({"outlets": [dict(base, title_source="og"), dict(base, name="other")]}, "f.yaml")
    assert {k: v.title_source for k, v in extract_settings_by_outlet(outlets).items()} == {"ok": "og"}


def test_text_cleanup_drops_repeated_headline_and_link_lists_only():
    from pipeline.extract.cleanup import clean_text, page_links
    import trafilatura
    page = ("<html><body><a href='/a'>Shelling reported near Saraqib overnight</a>"
            "<a href='/b'>Aid convoy crosses at Bab al-Hawa today</a><a href='/c'>Talks on the M4 highway stall again</a>"
            "<a href='/d'>Read the monitor's full statement</a></body></html>")
    links = page_links(trafilatura.utils.load_html(page))
    text = "\n".join([
        "Ceasefire holds in Idlib", "The ceasefire held for a third day.",
        "Read the monitor's full statement, published on Monday, for the casualty figures it lists in detail.",
        "- Shelling reported near Saraqib overnight", "- Aid convoy crosses at Bab al-Hawa today",
        "- Talks on the M4 highway stall again"])
    assert clean_text(text, ["Ceasefire holds in Idlib"], links).split("\n") == [
        "The ceasefire held for a third day.",
        # one link that is not most of its line stays: it is prose that links out
        "Read the monitor's full statement, published on Monday, for the casualty figures it lists in detail."]
    # two link lines in the middle are kept: a list of sources is article text
    middle = "Intro.\n- Shelling reported near Saraqib overnight\n- Aid convoy crosses at Bab al-Hawa today\nOutro."
    assert clean_text(middle, [], links) == middle


def test_learned_title_source_never_sees_the_page_it_scores():
    from pipeline.eval.extraction import _learned_title_hits
    cases = [{"publisher": p, "expect": {"title": t}} for p, t in
             [("a", "Social one"), ("a", "Social two"), ("a", "Social three"), ("b", "Printed")]]
    def got(default, og):
        return {"title": default, "titles": {"json-ld": default, "og": og, "h1": default, "title-tag": default}}
    rows = [got("SEO one", "Social one"), got("SEO two", "Social two"), got("SEO three", "Social three"),
            got("Other", "Printed")]
    # publisher a: og was right on the two other pages each time; b has no other page, so it keeps "auto"
    assert _learned_title_hits(cases, rows) == 3
    rows[1] = got("SEO two", "Wrong")  # pages 0 and 2 now see og right once in two, still better than auto
    assert _learned_title_hits(cases, rows) == 2


def test_an_impossible_expected_date_is_read_with_day_and_month_swapped():
    from pipeline.eval.extraction import date_erratum
    assert date_erratum("2025-05-04 00:00:00", "2025-04-05 14:43:03") == "2025-04-05"  # after the crawl: swapped
    assert date_erratum("2024-10-16 00:00:00+08:00", "2024-10-15 22:35:38") is None  # a time zone away: as given
    assert date_erratum("2025-04-05", "2025-06-01 10:00:00") is None  # before the crawl: as given
    assert date_erratum("2025-05-30", "2025-04-05") is None  # no swap gives a date before the crawl
    assert date_erratum("2025-05-04", None) is None
