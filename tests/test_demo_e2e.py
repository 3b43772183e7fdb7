"""The demo pipeline end to end: real HTTP crawl of the replay outlets, real
trafilatura, real MinHash, real Parquet; exact expectations from the demo stories."""
from __future__ import annotations

from collections import defaultdict
from urllib.parse import urlsplit

import pandas as pd
import pytest

from crawlers.replay.site import demo_articles
from pipeline.cli.demo import DEMO_SINCE, DEMO_UNTIL
from storage.schema import SCHEMA_VERSION


@pytest.fixture(scope="module")
def loaded(demo_run):
    report, data = demo_run
    articles = pd.read_parquet(data / "articles")
    clusters = pd.read_parquet(data / "clusters")
    truth = {}
    for a in demo_articles():
        if DEMO_SINCE <= a.date < DEMO_UNTIL:
            truth[(a.outlet, a.path)] = a
    def key(url):
        p = urlsplit(url)
        return (p.hostname.split(".")[0], p.path + (f"?{p.query}" if p.query else ""))
    articles["truth"] = [truth.get(key(u)) for u in articles["canonical_url"]]
    return report, articles, clusters, truth


def test_every_in_window_article_is_collected_once(loaded):
    report, articles, _, truth = loaded
    assert report.ok
    assert len(articles) == len(truth) == 61
    assert articles["truth"].notna().all()
    assert articles["article_id"].is_unique
    assert sorted(articles["outlet"].astype(str).unique()) == sorted({o for o, _ in truth})


def test_relevance_matches_the_stories(loaded):
    _, articles, _, _ = loaded
    wrong = [(t.key, t.outlet, r) for t, r in zip(articles["truth"], articles["relevant"]) if t.idlib != r]
    assert wrong == []
    assert int(articles["relevant"].sum()) == 43


def test_metadata_is_extracted(loaded):
    _, articles, _, _ = loaded
    for t, row in zip(articles["truth"], articles.itertuples()):
        assert row.published_at == pd.Timestamp(t.date), (t.key, t.outlet)
        assert row.title == t.title
        variants = {v["source"]: v["title"] for v in row.title_variants}
        if t.outlet == "euro-courier":  # its registry entry: title_source og; the SEO headline is a variant
            assert row.title_source == "og" and variants == {"json-ld": f"Explained: {t.title}"}, t.key
        else:
            assert variants == {}, (t.key, t.outlet)
        assert row.language == t.lang
        if t.outlet != "idlib-monitor":  # its byline is prose, not markup
            assert list(row.authors) == [t.author], (t.key, t.outlet)


def test_boilerplate_is_removed_and_kept_aside(loaded):
    _, articles, _, _ = loaded
    monitor = articles[articles["outlet"] == "idlib-monitor"]
    assert not monitor["text"].str.contains("Our work depends on readers like you").any()
    assert monitor["boilerplate"].map(len).gt(0).all()
    assert not articles["text"].str.contains("Sign up for our newsletter|Post comment|Related stories").any()


def test_clusters_are_exactly_the_syndicated_stories(loaded):
    _, articles, clusters, _ = loaded
    df = articles[["article_id", "truth", "outlet"]].merge(clusters, on="article_id", suffixes=("", "_c"))
    assert len(df) == 61
    expected = defaultdict(set)
    for row in df.itertuples():
        expected[row.truth.key].add(row.article_id)
    got = defaultdict(set)
    for row in df.itertuples():
        got[row.cluster_id].add(row.article_id)
    assert sorted(map(sorted, expected.values())) == sorted(map(sorted, got.values()))
    multi = df[df["cluster_size"] > 1]
    assert multi["cluster_id"].nunique() == 15
    assert int((~multi["is_origin"]).sum()) == 21


def test_origins_are_the_original_publications(loaded):
    _, articles, clusters, _ = loaded
    df = articles[["article_id", "truth"]].merge(clusters, on="article_id")
    origins = df[df["is_origin"]]
    assert all(not t.is_copy for t in origins["truth"])
    # the aggregator ran the monitor's camp story before the monitor did, crediting it: the credit wins
    camp = df[[t.key == "e03" for t in df["truth"]]]
    origin = camp[camp["is_origin"]].iloc[0]
    assert origin["outlet"] == "idlib-monitor"


def test_look_alikes_stay_apart(loaded):
    _, articles, clusters, _ = loaded
    df = articles[["article_id", "truth"]].merge(clusters, on="article_id")
    cid = {(t.key, t.outlet, t.is_copy): c for t, c in zip(df["truth"], df["cluster_id"])}
    # a follow-up that reuses the lead of the talks story, and a rival report of the same shelling
    assert cid[("e07", "euro-courier", False)] != cid[("e06", "euro-courier", False)]
    assert cid[("e11", "dimashq-news", False)] != cid[("e01", "levant-wire", False)]


def test_relations_name_truncation_and_scope(loaded):
    _, articles, clusters, _ = loaded
    df = articles[["article_id", "truth", "outlet"]].merge(clusters[["article_id", "relation", "scope", "similarity"]], on="article_id")
    rel = {(t.key, o): (r, s) for t, o, r, s in zip(df["truth"], df["outlet"], df["relation"], df["scope"])}
    assert rel[("e04", "dimashq-news")] == ("truncated", "cross_post")
    assert rel[("e01", "levant-wire")][0] == "origin"
    assert rel[("n01", "mashriq-aggregator")] == ("exact", "cross_post")


def test_partitions_and_schema(loaded, demo_run):
    _, data = demo_run
    days = sorted(p.name for p in (data / "articles").glob("date=*"))
    assert days == [f"date=2020-10-0{d}" for d in range(1, 8)]
    import pyarrow.parquet as pq
    schema = pq.read_schema(next((data / "articles" / "date=2020-10-01").glob("*.parquet")))
    assert str(schema.field("published_at").type) == "timestamp[us, tz=UTC]"
    assert schema.metadata[b"newspipe.schema_version"] == SCHEMA_VERSION.encode() == b"3"
