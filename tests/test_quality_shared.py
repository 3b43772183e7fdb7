"""Quality on the real material in ../shared (skipped where it is absent; CI has it)."""
from __future__ import annotations

import pytest

from pipeline.eval.extraction import eval_extraction, eval_metadata
from tests.conftest import need_shared

pytestmark = pytest.mark.shared


def test_dedup_on_the_syndication_set():
    from pipeline.eval.dedup import evaluate
    res = evaluate(need_shared("corpora"))
    ours, naive = res["newspipe"], res["naive MinHash-LSH 0.5"]
    assert ours["f1"] >= 0.97 and ours["ari"] >= 0.97, ours
    assert ours["origin_accuracy"] >= 0.95, ours
    assert ours["f1"] > naive["f1"]


def test_extraction_beats_plain_trafilatura():
    res = eval_extraction(need_shared("corpora", "extraction-dev"), workers=2, repeat=1)  # quality, not speed
    ours, base = res["newspipe"], res["trafilatura (defaults)"]
    assert ours["f1"] >= 0.965, ours
    assert ours["f1"] > base["f1"]
    assert ours["recall"] >= base["recall"], (ours, base)


def test_metadata_dates_and_titles():
    res = eval_metadata(need_shared("corpora", "outlet-pages"), workers=2)
    ours, base = res["newspipe"], res["trafilatura (defaults)"]
    assert ours["date"] >= 0.90, ours["misses"][:10]
    assert ours["title"] > base["title"] and ours["authors"] > base["authors"]
    assert ours["title"] >= 0.88, ours["misses"][:10]  # the site-independent rule (goal 0.95: see README)
    # each publisher's title_source, learned from its other pages only, must help
    assert ours["title_per_publisher_loo"] > ours["title"] + 0.02, ours
    # the pages of outlets that write like ours (Turkish, Lebanese, Russian, Ukrainian) on a line of their own
    region, base_region = res["newspipe [tr lb ru ua]"], res["trafilatura (defaults) [tr lb ru ua]"]
    assert region["pages"] == 8 and region["text_recall"] >= base_region["text_recall"], (region, base_region)


def test_the_seed_cross_post_is_relevant_and_credits_its_source():
    from pathlib import Path

    from pipeline.articles.attribution import find_attributions
    from pipeline.articles.relevance import score_relevance
    seeds = sorted(Path(need_shared("seeds")).glob("*.txt"))
    text = seeds[0].read_text(encoding="utf-8")
    assert score_relevance(text).relevant
    assert find_attributions(text), "the seed names the outlet it was republished from"


def test_a_page_the_fast_path_cuts_to_its_lead_is_read_whole():
    """Anadolu Agency (a core outlet): trafilatura's fast path keeps only the 187-character lead;
    the fallback extractors, tried on pages whose text came out short, give the article."""
    import gzip
    from pipeline.extract.core import extract
    page = need_shared("corpora", "outlet-pages", "tr", "AnadoluAjansi_2026_04_20.html.gz")
    doc = extract(gzip.decompress(page.read_bytes()), "https://www.aa.com.tr/tr/gundem/x/3912126")
    assert doc.verdict == "article" and len(doc.text) > 4000, (doc.verdict, doc.reason, len(doc.text))
