"""The dataset on an object store: the same runs, swaps, crash recovery and loading API on S3,
served by moto's S3 server on 127.0.0.1 (the one remote service we cannot run for real)."""
from __future__ import annotations

import os
import subprocess
import sys
from datetime import datetime
from pathlib import Path

import pandas as pd
import pytest

from pipeline.cli.demo import run_demo
from storage.admin.compact import compact
from storage.dataset import read_table, replace_partitions, to_table
from storage.fs import open_root
from storage.admin.info import dataset_info
from storage.load import load_articles

ROOT = Path(__file__).resolve().parents[1]


def test_demo_on_s3_equals_the_local_demo(s3, demo_run):
    uri, _ = s3
    _, local = demo_run
    report = run_demo(uri)
    assert report.ok and sum(report.kept.values()) == 61
    remote = load_articles(uri, relevant_only=False, dedup="all").sort_values("article_id").reset_index(drop=True)
    here = load_articles(local, relevant_only=False, dedup="all").sort_values("article_id").reset_index(drop=True)
    cols = ["article_id", "outlet", "title", "published_at", "text", "cluster_id", "is_origin", "relation"]
    pd.testing.assert_frame_equal(remote[cols].astype(str), here[cols].astype(str))
    # one outlet, two days, pruned to those partitions
    two = load_articles(uri, start="2020-10-02", end="2020-10-03", outlets=["idlib-monitor"], relevant_only=False)
    assert len(two) and two["published_at"].dt.day.isin([2, 3]).all()
    info = dataset_info(uri)
    assert "articles: 7 partition(s)" in info and "s3://newspipe-test/data" in info
    assert compact(uri) == []  # what newspipe writes needs no compaction
    # the report the Airflow DAG keeps under the data root, built from the store
    from pipeline.report.build import write_report
    where = write_report(uri)
    assert where == "s3://newspipe-test/data/reports/newspipe-report.html"
    page = open_root(uri).read_bytes("newspipe-test/data/reports/newspipe-report.html").decode()
    assert "61 articles, 43 relevant to Idlib, 14 stories copied" in page


def test_a_rerun_on_s3_replaces_its_day_only(s3):
    uri, _ = s3
    d1, d2 = datetime(2020, 10, 1).date(), datetime(2020, 10, 2).date()
    t = lambda run, n: to_table("crawl_stats", [{"run_id": run, "outlet": f"o{i}"} for i in range(n)])  # noqa: E731
    replace_partitions(uri, "crawl_stats", {d1: t("a", 2), d2: t("a", 3)}, [d1, d2])
    replace_partitions(uri, "crawl_stats", {d2: t("b", 1)}, [d2])
    assert sorted(read_table(uri, "crawl_stats").column("run_id").to_pylist()) == ["a", "a", "b"]
    replace_partitions(uri, "crawl_stats", {}, [d1])
    assert read_table(uri, "crawl_stats").column("run_id").to_pylist() == ["b"]


_KILLED = """
import sys
from datetime import date
from storage.dataset import replace_partitions, to_table
t = lambda n: to_table("crawl_stats", [{"run_id": "new", "outlet": f"o{i}"} for i in range(n)])
replace_partitions(sys.argv[1], "crawl_stats", {date(2020, 10, 1): t(2), date(2020, 10, 2): t(3)},
                   [date(2020, 10, 1), date(2020, 10, 2)])
"""


@pytest.mark.parametrize("point,committed", [("written", False), ("swapped-one", True)])
def test_a_writer_killed_on_s3_is_recovered_once_stale(s3, monkeypatch, point, committed):
    uri, env = s3
    days = [datetime(2020, 10, d).date() for d in (1, 2)]
    replace_partitions(uri, "crawl_stats", {d: to_table("crawl_stats", [{"run_id": "old"}]) for d in days}, days)
    child_env = dict(os.environ, **env, PYTHONPATH=str(ROOT), NEWSPIPE_FAILPOINT=f"crawl_stats:{point}")
    proc = subprocess.run([sys.executable, "-c", _KILLED, uri], env=child_env, timeout=120)
    assert proc.returncode == -9
    # an object store has no locks: a fresh swap might be a live writer's, so it is left in place, but a
    # committed one already reads as finished (never some days new and some old)...
    before = sorted(read_table(uri, "crawl_stats").column("run_id").to_pylist())
    assert before == (["new"] * 5 if committed else ["old", "old"])
    root = open_root(uri)
    assert [i.base_name for i in root.listdir(root.path("crawl_stats")) if i.base_name.startswith(".")]
    # ...until it is stale; then it is finished (committed) or dropped (not committed)
    monkeypatch.setenv("NEWSPIPE_SWAP_STALE_SECONDS", "0")
    runs = sorted(read_table(uri, "crawl_stats").column("run_id").to_pylist())
    assert runs == before
    assert not [i.base_name for i in root.listdir(root.path("crawl_stats")) if i.base_name.startswith(".")]
