"""Partitioned Parquet: idempotent day replacement, order-independent clusters, crash recovery, old schemas."""
from __future__ import annotations

import os
import random
from datetime import datetime, timedelta, timezone

import pandas as pd
import pyarrow as pa
import pyarrow.parquet as pq
import pytest

from pipeline.process import Article
from pipeline.run import publish_articles, recluster
from pipeline.settings import DedupSettings
from storage.dataset import StorageError, read_table, recover, replace_partitions, to_table

NAMES = {"idlib-monitor": ["Idlib Monitor"], "levant-wire": ["Levant Wire"], "euro-courier": ["Euro Courier"],
         "anatolia-post": ["Anatolia Post"], "dimashq-news": ["Dimashq News"]}


def _articles(data) -> list[Article]:
    df = pd.read_parquet(data / "articles").drop(columns=["date"])
    rows = df.to_dict("records")
    out = []
    for r in rows:
        for k in ("published_at", "modified_at", "fetched_at"):
            r[k] = None if pd.isna(r[k]) else r[k].to_pydatetime()
        for k in ("authors", "boilerplate", "matched_terms"):
            r[k] = list(r[k])
        r["outlet"], r["language"] = str(r["outlet"]), (None if pd.isna(r["language"]) else str(r["language"]))
        out.append(Article(**r))
    return out


def _clusters(data) -> pd.DataFrame:
    c = pd.read_parquet(data / "clusters")
    return c.sort_values("article_id").reset_index(drop=True)[
        ["article_id", "cluster_id", "is_origin", "relation", "scope", "similarity"]]


def test_daily_runs_in_any_order_equal_one_run(demo_run, tmp_path):
    _, demo = demo_run
    arts = _articles(demo)
    days = sorted({a.published_at.date() for a in arts})
    settings = DedupSettings()
    for seed in (0, 1):
        root = tmp_path / f"daily{seed}"
        order = days[:]
        random.Random(seed).shuffle(order)
        for day in order:
            since = datetime(day.year, day.month, day.day, tzinfo=timezone.utc)
            until = since + timedelta(days=1)
            publish_articles(root, [a for a in arts if since <= a.published_at < until], since, until, settings)
            recluster(root, settings, NAMES)
        pd.testing.assert_frame_equal(_clusters(root), _clusters(demo))
        # a rerun of one day replaces that day and nothing else
        since = datetime(2020, 10, 4, tzinfo=timezone.utc)
        before = pd.read_parquet(root / "articles")
        publish_articles(root, [a for a in arts if since <= a.published_at < since + timedelta(days=1)],
                         since, since + timedelta(days=1), settings)
        after = pd.read_parquet(root / "articles")
        assert len(after) == len(before) == 61
        assert after["article_id"].is_unique


def test_an_empty_rerun_empties_only_its_day(tmp_path):
    t = to_table("crawl_stats", [{"run_id": "r", "outlet": "x", "status": "ok"}])
    d1, d2 = datetime(2020, 10, 1).date(), datetime(2020, 10, 2).date()
    replace_partitions(tmp_path, "crawl_stats", {d1: t, d2: t}, [d1, d2])
    replace_partitions(tmp_path, "crawl_stats", {}, [d2])
    assert sorted(p.name for p in (tmp_path / "crawl_stats").iterdir()) == ["date=2020-10-01"]


@pytest.mark.parametrize("stage", ["after_new_written", "after_old_moved"])
def test_a_crash_mid_swap_leaves_a_complete_state(tmp_path, stage):
    day = datetime(2020, 10, 1).date()
    old = to_table("crawl_stats", [{"run_id": "old", "outlet": "x", "status": "ok"}])
    new = to_table("crawl_stats", [{"run_id": "new", "outlet": "x", "status": "ok"}])
    replace_partitions(tmp_path, "crawl_stats", {day: old}, [day])
    table_dir = tmp_path / "crawl_stats"
    # reproduce the on-disk state at the moment of the crash
    staged = table_dir / ".new-dead0000-date=2020-10-01"
    staged.mkdir()
    pq.write_table(new, staged / "part-0.parquet")
    if stage == "after_old_moved":
        os.rename(table_dir / "date=2020-10-01", table_dir / ".old-dead0000-date=2020-10-01")
    recover(table_dir)
    assert read_table(tmp_path, "crawl_stats").column("run_id").to_pylist() == ["old"]
    assert [p.name for p in table_dir.iterdir()] == ["date=2020-10-01"]


def test_old_schema_is_filled_and_corrupt_file_named(tmp_path):
    part = tmp_path / "articles" / "date=2020-10-01"
    part.mkdir(parents=True)
    pq.write_table(pa.table({"article_id": ["a"], "url": ["u"], "text": ["t"]}), part / "part-0.parquet")
    bad = tmp_path / "articles" / "date=2020-10-02"
    bad.mkdir()
    (bad / "part-0.parquet").write_bytes(b"garbage")
    with pytest.warns(UserWarning, match="date=2020-10-02/part-0.parquet: unreadable"):
        t = read_table(tmp_path, "articles")
    assert t.num_rows == 1 and t.column("relevant").to_pylist() == [None]
    with pytest.raises(StorageError, match="date=2020-10-02"):
        read_table(tmp_path, "articles", strict=True)


def test_concurrent_runs_for_the_same_day_are_refused(tmp_path):
    from storage.locks import LockedError, partition_locks
    with partition_locks(tmp_path, ["date=2020-10-01", "date=2020-10-02"], "run A"):
        with pytest.raises(LockedError, match="partition date=2020-10-02 .* is being written by run A"):
            with partition_locks(tmp_path, ["date=2020-10-02"], "run B"):
                pass
        with partition_locks(tmp_path, ["date=2020-10-03"], "run C"):  # another day proceeds
            pass
    with partition_locks(tmp_path, ["date=2020-10-02"], "run B"):  # released afterwards
        pass


def test_load_articles_and_duckdb(demo_run):
    from storage.load import load_articles
    _, data = demo_run
    everything = load_articles(data, relevant_only=False, dedup="all")
    assert len(everything) == 61 and {"cluster_id", "is_origin", "relation"} <= set(everything.columns)
    stories = load_articles(data)  # relevant, one row per story
    assert len(stories) == 43 - 20 and stories["copies"].sum() == 20  # n01's copy is not about Idlib
    week = load_articles(data, start="2020-10-02", end="2020-10-03", outlets=["idlib-monitor"], relevant_only=False,
                         dedup="all", columns=["title", "published_at"])
    assert set(week.columns) >= {"title", "published_at", "article_id"}
    from crawlers.replay.site import demo_articles
    arts = [a for a in demo_articles() if a.date.month == 10]
    assert len(week) == sum(a.outlet == "idlib-monitor" and a.date.day in (2, 3) for a in arts)
    assert week["published_at"].dt.day.isin([2, 3]).all()
    arabic = load_articles(data, languages=["ar"], dedup="all")
    assert len(arabic) == sum(a.lang == "ar" and a.idlib for a in arts)
    import duckdb
    n = duckdb.sql(f"SELECT count(*) FROM read_parquet('{data}/articles/*/*.parquet', hive_partitioning = true)").fetchall()[0][0]
    assert n == 61
