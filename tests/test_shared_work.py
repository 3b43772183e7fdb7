"""Machines with work directories of their own on one object-store root (moto on 127.0.0.1): a crawl
on one, its publish on another, the next window's crawl on a third, give what one machine gives."""
from __future__ import annotations

import sqlite3
from datetime import datetime, timezone

import pandas as pd
import pytest

from pipeline.run.stages import crawl_stage, publish_stage
from storage.fs import open_root
from storage.layout import crawl_state_file
from storage.load import load_articles
from storage.shared_work import SharedWork, merge_sqlite
from tests.conftest import write_sources

OUTLETS = ["levant-wire", "idlib-monitor", "anatolia-post"]
DAY = [datetime(2020, 10, d, tzinfo=timezone.utc) for d in (1, 2, 3)]
COLS = ["article_id", "outlet", "title", "published_at", "text", "relevant"]


def _window(data, sources, machine_crawl, machine_publish, monkeypatch, since, until):
    monkeypatch.setenv("NEWSPIPE_WORK_DIR", str(machine_crawl))
    crawls = crawl_stage(sources, since, until, data, OUTLETS, politeness=False)
    monkeypatch.setenv("NEWSPIPE_WORK_DIR", str(machine_publish))
    report = publish_stage(sources, since, until, data, outlets=OUTLETS)
    return crawls, report


def _rows(data) -> pd.DataFrame:
    df = load_articles(data, relevant_only=False, dedup="all")
    return df.sort_values("article_id").reset_index(drop=True)[COLS].astype(str)


def test_crawl_and_publish_on_different_machines_equal_one_machine(replay, s3, tmp_path, monkeypatch):
    uri, _ = s3
    sources = write_sources(replay, tmp_path / "s.yaml", OUTLETS)
    local = tmp_path / "local"
    windows = [(DAY[0], DAY[2]), (DAY[0], DAY[1])]  # the second's pages were all stored by the first
    one = [_window(local, sources, local, local, monkeypatch, *w) for w in windows]
    a, b, c = (tmp_path / m for m in ("a", "b", "c"))
    # two days crawled on a, published on b; then the first day crawled on b (what a stored is
    # known, not fetched again) and published on c, which holds none of the pages the lists name
    two = [_window(uri, sources, a, b, monkeypatch, *windows[0]), _window(uri, sources, b, c, monkeypatch, *windows[1])]
    for (crawls1, rep1), (crawls2, rep2) in zip(one, two):
        assert [(x.outlet, x.status, x.articles_fetched, x.articles_known) for x in crawls1] == \
               [(x.outlet, x.status, x.articles_fetched, x.articles_known) for x in crawls2]
        assert rep1.kept == rep2.kept and rep1.kept
    assert sum(x.articles_known for x in one[1][0]) > 0 and not sum(x.articles_fetched for x in one[1][0])  # the case under test: pages of an earlier window
    pd.testing.assert_frame_equal(_rows(uri), _rows(local))
    # the crawl state the next machine starts from holds both crawls' pages
    shared = SharedWork(uri)
    monkeypatch.setenv("NEWSPIPE_WORK_DIR", str(tmp_path / "d"))
    fresh = SharedWork(uri)
    fresh.pull_state(crawl_state_file(fresh.work, "levant-wire"))
    with sqlite3.connect(crawl_state_file(fresh.work, "levant-wire")) as db:
        fetched = db.execute("SELECT count(*) FROM fetched").fetchone()[0]
    assert fetched == sum(x.articles_fetched for crawls, _ in two for x in crawls if x.outlet == "levant-wire")
    assert shared.root.exists(shared.remote("_state/crawl/levant-wire.sqlite"))


def test_a_damaged_shared_state_is_named_and_replaced(s3, tmp_path, monkeypatch):
    uri, _ = s3
    monkeypatch.setenv("NEWSPIPE_WORK_DIR", str(tmp_path / "a"))
    shared = SharedWork(uri)
    state = crawl_state_file(shared.work, "levant-wire")
    state.parent.mkdir(parents=True)
    with sqlite3.connect(state) as db:
        db.execute("CREATE TABLE fetched (url TEXT PRIMARY KEY, raw_file TEXT, fetched_at TEXT)")
        db.execute("INSERT INTO fetched VALUES ('u1', 'raw/x/part-1.parquet', 't')")
    shared.root.write_bytes(shared.remote("_state/crawl/levant-wire.sqlite"), b"not a database at all" * 100)
    with pytest.warns(Warning, match="_work/_state/crawl/levant-wire.sqlite: unreadable shared state"):
        shared.push_state(state)
    other = tmp_path / "b.sqlite"
    other.write_bytes(shared.root.read_bytes(shared.remote("_state/crawl/levant-wire.sqlite")))
    with sqlite3.connect(other) as db:  # the damaged copy was replaced by this machine's
        assert db.execute("SELECT url FROM fetched").fetchall() == [("u1",)]


def test_merge_keeps_local_rows_and_adds_the_others(tmp_path):
    mine, theirs = tmp_path / "mine.sqlite", tmp_path / "theirs.sqlite"
    for path, rows in ((mine, [("u1", "mine")]), (theirs, [("u1", "theirs"), ("u2", "theirs")])):
        with sqlite3.connect(path) as db:
            db.execute("CREATE TABLE fetched (url TEXT PRIMARY KEY, raw_file TEXT)")
            db.executemany("INSERT INTO fetched VALUES (?, ?)", rows)
    with sqlite3.connect(theirs) as db:
        db.execute("CREATE TABLE validators (url TEXT PRIMARY KEY, etag TEXT)")
        db.execute("INSERT INTO validators VALUES ('f', 'e1')")
    merge_sqlite(mine, theirs)
    with sqlite3.connect(mine) as db:
        assert db.execute("SELECT * FROM fetched ORDER BY url").fetchall() == [("u1", "mine"), ("u2", "theirs")]
        assert db.execute("SELECT * FROM validators").fetchall() == [("f", "e1")]


def test_a_local_root_shares_nothing(tmp_path):
    shared = SharedWork(tmp_path / "data")
    assert not shared.active and str(shared.work) == open_root(tmp_path / "data").base
