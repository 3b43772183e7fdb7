"""Partitioned Parquet: idempotent day replacement, order-independent clusters, crash recovery, old schemas."""
from __future__ import annotations

import os
import random
import time
from datetime import datetime, timedelta, timezone

import pandas as pd
import pyarrow as pa
import pyarrow.parquet as pq
import pytest

from pipeline.articles.build import Article
from pipeline.run.stages import publish_articles, recluster
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
        for k in ("authors", "boilerplate", "matched_terms", "title_variants"):
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


def _held_by_a_check_meanwhile(data, scope=None, seconds: float = 0.5) -> None:
    """Another check holds a day's lock for ``seconds`` in a thread (as a second crawl task's would)."""
    import threading

    from storage.locks import CHECK, partition_locks
    taken = threading.Event()

    def hold():
        with partition_locks(data, ["date=2020-10-01"], CHECK, scope):
            taken.set()
            time.sleep(seconds)
    threading.Thread(target=hold, daemon=True).start()
    assert taken.wait(30)


def test_two_checks_at_once_both_pass_and_a_writer_still_refuses(tmp_path):
    """The mapped crawl tasks of a run check their days at the same moment: a lock held by
    another check is looked at again, not reported as a run writing the day."""
    from storage.locks import LockedError, ensure_unlocked, partition_locks
    _held_by_a_check_meanwhile(tmp_path)
    ensure_unlocked(tmp_path, ["date=2020-10-01"])  # waits out the other check
    with partition_locks(tmp_path, ["date=2020-10-01"], "run A"):
        with pytest.raises(LockedError, match="being written by run A") as refused:
            ensure_unlocked(tmp_path, ["date=2020-10-01"])
    assert refused.value.holder.startswith("run A")


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


_CRASH_WRITER = """
import sys
from datetime import date
from storage.dataset import replace_partitions, to_table
rows = lambda run, n: to_table("crawl_stats", [{"run_id": run, "outlet": f"o{i}", "status": "ok"} for i in range(n)])
days = [date(2020, 10, d) for d in (1, 2, 3)]
# the new state: day 1 and 2 rewritten, day 3 emptied, day 4 new
replace_partitions(sys.argv[1], "crawl_stats", {days[0]: rows("new", 2), days[1]: rows("new", 3),
                   date(2020, 10, 4): rows("new", 1)}, days + [date(2020, 10, 4)])
"""


@pytest.mark.parametrize("point,committed", [("written", False), ("committed", True), ("swapping", True),
                                             ("swapped-one", True), ("swapped", True), (None, True)])
def test_a_killed_writer_leaves_the_old_or_the_new_state_whole(tmp_path, point, committed):
    """The writer process is killed (SIGKILL) at each point of a multi-day swap; the next reader
    sees every day old or every day new, never a mix, and the next writer proceeds."""
    import subprocess
    import sys
    from pathlib import Path
    days = [datetime(2020, 10, d).date() for d in (1, 2, 3)]
    old = {d: to_table("crawl_stats", [{"run_id": "old", "outlet": "x", "status": "ok"}]) for d in days}
    replace_partitions(tmp_path, "crawl_stats", old, days)
    root = Path(__file__).resolve().parents[1]
    env = dict(os.environ, PYTHONPATH=str(root), NEWSPIPE_FAILPOINT=f"crawl_stats:{point}")
    proc = subprocess.run([sys.executable, "-c", _CRASH_WRITER, str(tmp_path)], env=env, timeout=120)
    assert proc.returncode == (-9 if point else 0)
    t = read_table(tmp_path, "crawl_stats")  # a reader recovers what the dead writer left
    by_day = {p.name: sorted(pq.read_table(p).column("run_id").to_pylist())
              for p in (tmp_path / "crawl_stats").glob("date=*")}
    if committed:
        assert by_day == {"date=2020-10-01": ["new"] * 2, "date=2020-10-02": ["new"] * 3,
                          "date=2020-10-04": ["new"]}
    else:
        assert by_day == {f"date=2020-10-0{d}": ["old"] for d in (1, 2, 3)}
    assert t.num_rows == sum(len(v) for v in by_day.values())
    assert sorted(p.name for p in (tmp_path / "crawl_stats").iterdir()) == sorted(by_day)  # nothing left over
    replace_partitions(tmp_path, "crawl_stats", {days[2]: old[days[2]]}, [days[2]])
    assert read_table(tmp_path, "crawl_stats", days=[days[2]]).column("run_id").to_pylist() == ["old"]


def test_recovery_leaves_a_live_writers_swap_alone(tmp_path):
    import fcntl
    day = datetime(2020, 10, 1).date()
    replace_partitions(tmp_path, "crawl_stats", {day: to_table("crawl_stats", [{"run_id": "old"}])}, [day])
    table_dir = tmp_path / "crawl_stats"
    staged = table_dir / ".new-0123456789ab-date=2020-10-01"
    staged.mkdir()
    pq.write_table(to_table("crawl_stats", [{"run_id": "new"}]), staged / "part-0.parquet")
    with open(table_dir / ".swap-0123456789ab.lock", "a+") as held:  # a writer at work
        fcntl.flock(held, fcntl.LOCK_EX)
        recover(tmp_path, "crawl_stats")
        assert staged.exists()
    recover(tmp_path, "crawl_stats")  # the writer died without committing: its staging goes
    assert not staged.exists() and [p.name for p in table_dir.iterdir()] == ["date=2020-10-01"]
    assert read_table(tmp_path, "crawl_stats").column("run_id").to_pylist() == ["old"]


def test_compaction_merges_files_upgrades_old_schema_and_keeps_the_rest(tmp_path):
    from storage.admin.compact import compact
    from storage.dataset import file_metadata
    from storage.schema import SCHEMA_VERSION
    day = datetime(2020, 10, 1).date()
    rows = [{"article_id": f"a{i}", "content_hash": "h", "signature": [1, 2]} for i in range(3)]
    replace_partitions(tmp_path, "signatures", {day: to_table("signatures", rows[:1])}, [day], {"newspipe.minhash": "s1"})
    part = tmp_path / "signatures" / "date=2020-10-01"
    # two more files from other writers, one of them without the newspipe schema version
    pq.write_table(to_table("signatures", rows[1:2]).replace_schema_metadata(
        {"newspipe.schema_version": SCHEMA_VERSION, "newspipe.minhash": "s1"}), part / "part-spark-1.parquet")
    pq.write_table(to_table("signatures", rows[2:]).replace_schema_metadata({"newspipe.minhash": "s1"}),
                   part / "part-spark-2.parquet")
    # another day whose files disagree on the MinHash scheme: reported, left alone
    other = tmp_path / "signatures" / "date=2020-10-02"
    other.mkdir()
    for k, scheme in enumerate(("s1", "s2")):
        pq.write_table(to_table("signatures", rows[:1]).replace_schema_metadata(
            {"newspipe.schema_version": SCHEMA_VERSION, "newspipe.minhash": scheme}), other / f"p{k}.parquet")
    report = compact(tmp_path)
    assert any("date=2020-10-01: 3 rows into one file (3 files;" in x and f"schema version {SCHEMA_VERSION}, none" in x for x in report), report
    assert any("date=2020-10-02: left as it is" in x and "cannot be merged" in x for x in report), report
    assert [p.name for p in part.iterdir()] == ["part-0.parquet"]
    meta = file_metadata(part / "part-0.parquet")
    assert meta["newspipe.minhash"] == "s1" and meta["newspipe.schema_version"] == SCHEMA_VERSION
    assert sorted(read_table(tmp_path, "signatures", days=[day]).column("article_id").to_pylist()) == ["a0", "a1", "a2"]
    assert len(list(other.iterdir())) == 2
    assert [x for x in compact(tmp_path) if "2020-10-01" in x] == []  # nothing left to do there


def test_a_v1_articles_partition_reads_with_null_new_columns_and_compacts_to_the_current_schema(tmp_path):
    """Schema v2 added ``title_source`` and ``title_variants``, v3 ``paywalled``: a day written
    before stays readable."""
    from storage.admin.compact import compact
    from storage.dataset import file_metadata, read_table
    from storage.load import load_articles
    from storage.schema import ARTICLES, SCHEMA_VERSION
    v1 = pa.schema([f for f in ARTICLES if f.name not in ("title_source", "title_variants", "paywalled")])
    row = {"article_id": "a1", "url": "https://a.test/1", "canonical_url": "https://a.test/1", "outlet": "demo",
           "title": "Convoy crosses", "published_at": datetime(2020, 10, 1, 9, tzinfo=timezone.utc),
           "text": "A convoy crossed.", "relevant": True}
    part = tmp_path / "articles" / "date=2020-10-01"
    part.mkdir(parents=True)
    pq.write_table(pa.Table.from_pylist([row], schema=v1).replace_schema_metadata({"newspipe.schema_version": "1"}),
                   part / "part-0.parquet")
    table = read_table(tmp_path, "articles")
    assert table.schema == ARTICLES
    assert table.column("title_source").to_pylist() == [None] and table.column("title_variants").to_pylist() == [None]
    assert table.column("paywalled").to_pylist() == [None]
    df = load_articles(tmp_path, relevant_only=False, dedup="all", columns=["title", "title_source", "title_variants"])
    assert df["title"].tolist() == ["Convoy crosses"] and df["title_source"].isna().all()
    assert any("schema version 1" in x for x in compact(tmp_path, ["articles"]))
    assert file_metadata(part / "part-0.parquet")["newspipe.schema_version"] == SCHEMA_VERSION == "3"
    assert read_table(tmp_path, "articles").column("title").to_pylist() == ["Convoy crosses"]


def test_compaction_skips_a_day_a_run_is_writing(tmp_path):
    from storage.admin.compact import compact
    from storage.locks import partition_locks
    day = datetime(2020, 10, 1).date()
    replace_partitions(tmp_path, "crawl_stats", {day: to_table("crawl_stats", [{"run_id": "r"}])}, [day])
    pq.write_table(to_table("crawl_stats", [{"run_id": "x"}]), tmp_path / "crawl_stats" / "date=2020-10-01" / "b.parquet")
    with partition_locks(tmp_path, ["date=2020-10-01"], "run R"):
        [line] = compact(tmp_path, ["crawl_stats"])
    assert "skipped" in line and "run R" in line
    assert len(list((tmp_path / "crawl_stats" / "date=2020-10-01").iterdir())) == 2


def test_publishing_part_of_a_day_is_refused(demo_run, tmp_path):
    from pipeline.run.window import WindowError
    _, demo = demo_run
    arts = [a for a in _articles(demo) if a.published_at.date().isoformat() == "2020-10-04"]
    root = tmp_path / "data"
    since = datetime(2020, 10, 4, tzinfo=timezone.utc)
    publish_articles(root, arts, since, since + timedelta(days=1), DedupSettings())
    before = pd.read_parquet(root / "articles")
    with pytest.raises(WindowError, match="aligned to whole UTC days 2020-10-04 .. 2020-10-06"):
        publish_articles(root, arts[:1], since + timedelta(hours=14, minutes=37), since + timedelta(days=1, hours=14),
                         DedupSettings())
    pd.testing.assert_frame_equal(pd.read_parquet(root / "articles"), before)
