"""Readers and writers on a damaged data directory: one bad file is named and passed over,
journals cannot point outside the table, leftovers are cleaned (issue: trust)."""
from __future__ import annotations

import json
import os
import shutil
import subprocess
import sys
import time
from datetime import date
from pathlib import Path

import pandas as pd
import pytest

from storage.admin.compact import compact
from storage.dataset import read_table, recover, replace_partitions, to_table
from storage.admin.info import dataset_info
from storage.load import load_articles

ROOT = Path(__file__).resolve().parents[1]
DAYS = [date(2020, 10, 1), date(2020, 10, 2), date(2020, 10, 3)]


@pytest.fixture()
def demo_copy(demo_run, tmp_path) -> Path:
    _, demo = demo_run
    data = tmp_path / "data"
    shutil.copytree(demo, data)
    return data


@pytest.mark.parametrize("damage", ["corrupt", "truncated", "empty"])
def test_load_articles_names_a_bad_partition_and_reads_the_rest(demo_copy, damage):
    part = demo_copy / "articles" / "date=2020-10-02" / "part-0.parquet"
    lost = len(pd.read_parquet(part))
    raw = part.read_bytes()
    part.write_bytes({"corrupt": raw[:100] + b"\xff" * 200 + raw[300:], "truncated": raw[: len(raw) // 3],
                      "empty": b""}[damage])
    with pytest.warns(UserWarning, match="date=2020-10-02/part-0.parquet"):
        df = load_articles(demo_copy, relevant_only=False, dedup="all")
    assert len(df) == 61 - lost
    info = dataset_info(demo_copy)  # reads footers only: a file damaged in its middle passes for whole there
    assert damage == "corrupt" or f"unreadable: {part}" in info


@pytest.mark.parametrize("table", ["signatures", "clusters"])
def test_dataset_info_names_a_corrupt_file_of_any_table(demo_copy, table):
    f = next((demo_copy / table).rglob("part-0.parquet"))
    f.write_bytes(b"PAR1 not really")
    info = dataset_info(demo_copy)
    assert f"unreadable: {f}" in info and "articles: 7 partition(s)" in info


def test_a_corrupt_run_journal_is_named(demo_copy):
    runs = sorted((demo_copy / "_state" / "runs").glob("*.json"))
    runs[-1].write_text('{"run_id": "x", "sin')
    from pipeline.run.report import last_run
    assert f"unreadable run journal {runs[-1]}" in last_run(demo_copy)


@pytest.mark.parametrize("stray", ["date=2020-10-02.bak", "date=garbage", "date=2020-13-45"])
def test_stray_directories_are_named_and_passed_over(demo_copy, stray):
    shutil.copytree(demo_copy / "articles" / "date=2020-10-02", demo_copy / "articles" / stray)
    with pytest.warns(UserWarning, match=f"{stray}: not a partition of articles"):
        assert len(load_articles(demo_copy, relevant_only=False, dedup="all")) == 61
    with pytest.warns(UserWarning, match=stray):
        compact(demo_copy)  # a writer goes on too
    assert (demo_copy / "articles" / stray).exists()


def _table(run_id: str, n: int = 1):
    return to_table("crawl_stats", [{"run_id": run_id, "outlet": f"o{i}"} for i in range(n)])


def test_a_journal_cannot_delete_outside_its_table(tmp_path):
    data = tmp_path / "data"
    replace_partitions(data, "crawl_stats", {d: _table("old") for d in DAYS}, DAYS)
    victim = tmp_path / "victim"
    victim.mkdir()
    (victim / "keep.txt").write_text("precious")
    for i, part in enumerate(["../../victim", "date=2020-10-01/../../../victim"]):
        (data / "crawl_stats" / f".swap-bad{i}00000000.json").write_text(json.dumps([{"part": part, "new": False}]))
    (data / "crawl_stats" / ".swap-bad200000000.json").write_text(json.dumps(
        [{"part": "date=2020-10-01", "new": True, "drop": ["../../../victim/keep.txt"]}]))
    with pytest.warns(UserWarning, match="corrupt swap journal"):
        assert read_table(data, "crawl_stats").num_rows == 3
    with pytest.warns(UserWarning, match="corrupt swap journal"):
        replace_partitions(data, "crawl_stats", {DAYS[1]: _table("new")}, [DAYS[1]])
    assert (victim / "keep.txt").read_text() == "precious"


def test_a_truncated_journal_is_named_and_the_rest_stays_readable(tmp_path):
    data = tmp_path / "data"
    replace_partitions(data, "crawl_stats", {d: _table("old") for d in DAYS}, DAYS)
    journal = data / "crawl_stats" / ".swap-0123456789ab.json"
    journal.write_text('[{"part": "date=2020-10-01", "ne')
    with pytest.warns(UserWarning, match=r"\.swap-0123456789ab\.json: corrupt swap journal"):
        assert read_table(data, "crawl_stats").num_rows == 3
    with pytest.warns(UserWarning, match="corrupt swap journal"):
        replace_partitions(data, "crawl_stats", {DAYS[0]: _table("new", 2)}, [DAYS[0]])
    assert read_table(data, "crawl_stats", days=[DAYS[0]]).num_rows == 2


_MID_SWAP = """
import sys
from datetime import date
from storage.dataset import replace_partitions, to_table
days = [date(2020, 10, 1), date(2020, 10, 2), date(2020, 10, 3)]
replace_partitions(sys.argv[1], "crawl_stats", {d: to_table("crawl_stats", [{"run_id": "new"}] * 2) for d in days}, days)
"""


def test_a_journal_deleted_mid_swap_is_finished_with_a_message(tmp_path):
    data = tmp_path / "data"
    replace_partitions(data, "crawl_stats", {d: _table("old") for d in DAYS}, DAYS)
    env = dict(os.environ, PYTHONPATH=str(ROOT), NEWSPIPE_FAILPOINT="crawl_stats:swapped-one")
    p = subprocess.run([sys.executable, "-c", _MID_SWAP, str(data)], env=env, capture_output=True, timeout=120)
    assert p.returncode == -9, p.stderr  # killed after moving the first day in
    [journal] = (data / "crawl_stats").glob(".swap-*.json")
    journal.unlink()  # an operator "cleaning up"
    with pytest.warns(UserWarning, match="lost its journal after it had begun"):
        t = read_table(data, "crawl_stats")
    assert t.column("run_id").to_pylist() == ["new"] * 6  # every day new, none mixed
    assert not list((data / "crawl_stats").glob(".new-*"))


def test_temporary_files_of_dead_writers_are_cleaned(tmp_path):
    data = tmp_path / "data"
    replace_partitions(data, "crawl_stats", {DAYS[0]: _table("old")}, [DAYS[0]])
    table = data / "crawl_stats"
    old, fresh = table / ".tmp-0123456789ab.json", table / ".tmp-fedcba987654.json"
    for f in (old, fresh):
        f.write_text("[]")
    stale = time.time() - 2 * 3600
    os.utime(old, (stale, stale))
    (data / "clusters").mkdir()
    orphan = data / "clusters" / ".tmp-deadbeef-part-0.parquet"
    orphan.write_bytes(b"half a file")
    os.utime(orphan, (stale, stale))
    recover(data, "crawl_stats")
    assert not old.exists() and fresh.exists()  # a live writer's file is left alone
    from storage.dataset import write_file
    write_file(data, "clusters/part-0.parquet", to_table("clusters", []))
    assert not orphan.exists()


def _open_at_once(kind: str, root: str, barrier) -> None:
    from crawlers.archives.checkpoint import ArchiveState
    from crawlers.state import CrawlState
    from pipeline.articles.boilerplate_memory import BoilerplateMemory
    from pipeline.dedup.store import SqliteStore
    opener = {"crawl state": lambda: CrawlState(root, "idlib-monitor"),
              "archive checkpoints": lambda: ArchiveState(root, "wayback", "w"),
              "boilerplate memory": lambda: BoilerplateMemory(Path(root) / "memory.sqlite"),
              "dedup index": lambda: SqliteStore(Path(root) / "index.sqlite")}[kind]
    barrier.wait()
    opener().close()


@pytest.mark.parametrize("kind", ["crawl state", "archive checkpoints", "boilerplate memory", "dedup index"])
def test_two_processes_opening_one_new_sqlite_file_at_once_both_get_it(kind, tmp_path):
    """Two crawl shards of one outlet, two backfill tasks of one archive, two publishes: switching
    one new SQLite file to WAL at the same moment, SQLite refuses one of them at once ("database
    is locked", no busy wait; about one round in three before ``storage.sqlite.open_wal`` waited)."""
    import multiprocessing
    ctx = multiprocessing.get_context("fork")
    for i in range(20):
        barrier = ctx.Barrier(2)
        procs = [ctx.Process(target=_open_at_once, args=(kind, str(tmp_path / str(i)), barrier)) for _ in range(2)]
        for p in procs:
            p.start()
        for p in procs:
            p.join(120)
        assert [p.exitcode for p in procs] == [0, 0], f"{kind}, round {i}"


def _filter_at_once(root: str, barrier) -> None:
    import numpy as np
    from pipeline.dedup.keyfilter import KeyFilter
    keys = np.arange(3, 3000, 11, dtype=np.int64)
    barrier.wait()
    f = KeyFilter(Path(root) / "index.sqlite.keys", bits=1 << 20, stored=lambda: [keys])
    ok = bool(f.maybe(keys).all())
    f.close()
    raise SystemExit(0 if ok else 3)


def test_four_processes_making_one_key_filter_at_once_all_map_the_finished_file(tmp_path):
    """The dedup index's key filter, made again by four publishes opening it at the same moment:
    before it was made under a lock, one truncated the file another had just sized (its mmap
    failed in CI), about 7 rounds in 100; here none may fail, and every one sees every stored key."""
    import multiprocessing
    ctx = multiprocessing.get_context("fork")
    for i in range(50):
        (tmp_path / str(i)).mkdir()
        barrier = ctx.Barrier(4)
        procs = [ctx.Process(target=_filter_at_once, args=(str(tmp_path / str(i)), barrier)) for _ in range(4)]
        for p in procs:
            p.start()
        for p in procs:
            p.join(120)
        assert [p.exitcode for p in procs] == [0] * 4, f"round {i}"
        assert sorted(p.name for p in (tmp_path / str(i)).iterdir()) == ["index.sqlite.keys", "index.sqlite.keys.lock"]
