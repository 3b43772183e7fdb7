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
    assert ours["f1"] >= 0.98 and ours["precision"] >= 0.99 and ours["ari"] >= 0.97, ours
    assert ours["origin_accuracy"] >= 0.95, ours
    # every kind: wire copies and rewrites found, follow-ups and roundups kept apart
    assert min(ours["recall_copy"], ours["recall_rewrite"], ours["apart_follow-up"], ours["apart_digest"]) >= 0.9, ours
    assert ours["f1"] > naive["f1"]


def test_extraction_beats_plain_trafilatura():
    res = eval_extraction(need_shared("corpora", "extraction-dev"), workers=2, repeat=1)  # quality, not speed
    ours, base = res["newspipe"], res["trafilatura (defaults)"]
    assert ours["f1"] >= 0.98, ours  # the goal of #20
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
    # precision mode drops one subheading of one page there (recall 0.966 against 0.967), and keeps less
    # furniture: the region's F1 stays above plain trafilatura's
    assert region["pages"] == 8 and region["text_f1"] > base_region["text_f1"], (region, base_region)
    assert region["text_recall"] >= base_region["text_recall"] - 0.005, (region, base_region)


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


def test_newspipe_dedup_credits_the_seeds_source_as_the_pipeline_does(tmp_path):
    """The seed: Global Research republished a Mideast Discourse article with "originally published
    on Mideast Discourse", stamped two hours earlier; a third outlet ran a shortened copy. Built
    here from ../shared/seeds, not kept in the repo. The command credits outlets by the registry's
    names, as the pipeline does, so Mideast Discourse is the origin."""
    import json
    import subprocess
    import sys
    from pathlib import Path

    import pandas as pd
    root = Path(__file__).resolve().parents[1]
    text = sorted(Path(need_shared("seeds")).glob("*.txt"))[0].read_text(encoding="utf-8")
    body = "\n".join(ln for ln in text.splitlines() if ln.strip() and "originally published" not in ln.lower())
    paras = [p for p in body.split("\n") if len(p) > 80]
    rows = [{"article_id": "gr", "outlet": "globalresearch", "url": "https://www.globalresearch.ca/x/123",
             "title": "Agreement over Idlib faces collapse", "text": text, "published_at": "2020-10-01T08:00:00+00:00"},
            {"article_id": "md", "outlet": "mideastdiscourse", "url": "https://mideastdiscourse.com/2020/10/01/x/",
             "title": "Agreement over Idlib faces collapse", "text": "\n".join(paras),
             "published_at": "2020-10-01T10:00:00+00:00"},
            {"article_id": "short", "outlet": "some-aggregator", "url": "https://aggregator.example/x",
             "title": "Idlib agreement faces collapse", "text": "\n".join(paras[: max(3, len(paras) // 2)]),
             "published_at": "2020-10-01T12:00:00+00:00"}]
    src = tmp_path / "seed.jsonl"
    src.write_text("".join(json.dumps(dict(r, language="en")) + "\n" for r in rows), encoding="utf-8")
    out = tmp_path / "clusters.parquet"
    p = subprocess.run([sys.executable, "-m", "pipeline.cli", "dedup", str(src), str(out)], capture_output=True,
                       text=True, cwd=root, timeout=300)
    assert p.returncode == 0, p.stderr[-2000:]
    clusters = pd.read_parquet(out).set_index("article_id")
    assert clusters["cluster_id"].nunique() == 1, clusters
    assert clusters.loc["md", "is_origin"] and clusters.loc["gr", "origin_article_id"] == "md"
