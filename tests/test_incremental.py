"""Incremental clusters: each day's sync against the persistent index equals a full rebuild,
whatever the order, reruns, replaced and deleted days, crashes and damaged indexes."""
from __future__ import annotations

import random
import shutil
import uuid
from datetime import datetime, timedelta, timezone

import pandas as pd
import pytest

from pipeline.dedup.store import SqliteStore, open_store
from pipeline.run.stages import publish_articles, recluster, update_clusters
from pipeline.settings import DedupSettings
from storage.layout import dedup_index_file
from tests.conftest import service_up
from tests.test_storage import NAMES, _articles

SETTINGS = DedupSettings()
COLS = ["article_id", "cluster_id", "is_origin", "origin_article_id", "relation", "scope", "similarity",
        "containment", "cluster_size", "quotes", "outlet", "published_at"]


def _day(d) -> tuple[datetime, datetime]:
    since = datetime(d.year, d.month, d.day, tzinfo=timezone.utc)
    return since, since + timedelta(days=1)


def _publish(root, arts, day) -> None:
    since, until = _day(day)
    publish_articles(root, [a for a in arts if since <= a.published_at < until], since, until, SETTINGS)


def _table(root) -> pd.DataFrame:
    c = pd.read_parquet(root / "clusters").drop(columns=["date"])
    c["outlet"] = c["outlet"].astype(str)
    c["quotes"] = c["quotes"].map(lambda q: tuple(q) if q is not None else ())
    return c[COLS].sort_values("article_id").reset_index(drop=True)


def _rebuilt(root, tmp_path) -> pd.DataFrame:
    """The same articles clustered from scratch, in a copy with an index of its own."""
    copy = tmp_path / f"rebuild-{uuid.uuid4().hex[:6]}"
    shutil.copytree(root / "articles", copy / "articles")
    recluster(copy, SETTINGS, NAMES)
    return _table(copy)


@pytest.fixture(scope="module")
def demo_articles(demo_run):
    arts = _articles(demo_run[1])
    return arts, sorted({a.published_at.date() for a in arts})


@pytest.fixture(params=["sqlite", "redis"])
def index(request, monkeypatch):
    """The index backend of the test: the embedded file, or Redis (skipped when absent)."""
    if request.param == "sqlite":
        yield None
        return
    if not service_up(6379):
        pytest.skip("no Redis at 127.0.0.1:6379 (CI has one): the Redis index is not tested here")
    url = f"redis://127.0.0.1:6379/0?prefix=newspipe-test-{uuid.uuid4().hex[:8]}"
    yield url
    open_store("", url).clear()


@pytest.mark.parametrize("seed", [0, 1])
def test_days_in_any_order_reruns_and_deletions_equal_a_rebuild(demo_run, demo_articles, tmp_path, seed, index):
    arts, days = demo_articles
    root = tmp_path / "data"
    order = days[:]
    random.Random(seed).shuffle(order)
    for day in order:
        _publish(root, arts, day)
        result = update_clusters(root, SETTINGS, NAMES, index)
        assert result.days == [day.isoformat()]  # only the day published was read again
    pd.testing.assert_frame_equal(_table(root), _table(demo_run[1]))
    # a rerun of a day (same rows), then a day without one outlet, then a deleted day
    _publish(root, arts, days[1])
    update_clusters(root, SETTINGS, NAMES, index)
    pd.testing.assert_frame_equal(_table(root), _table(demo_run[1]))
    since, until = _day(days[1])
    publish_articles(root, [a for a in arts if since <= a.published_at < until and a.outlet != "dimashq-news"],
                     since, until, SETTINGS)
    update_clusters(root, SETTINGS, NAMES, index)
    pd.testing.assert_frame_equal(_table(root), _rebuilt(root, tmp_path))
    shutil.rmtree(root / "articles" / f"date={days[0].isoformat()}")
    result = update_clusters(root, SETTINGS, NAMES, index)
    assert result.days == [days[0].isoformat()]
    after = _table(root)
    pd.testing.assert_frame_equal(after, _rebuilt(root, tmp_path))
    assert not {a.article_id for a in arts if a.published_at.date() == days[0]} & set(after["article_id"])
    # the outlet's day back: the stories it joined are whole again
    _publish(root, arts, days[1])
    update_clusters(root, SETTINGS, NAMES, index)
    pd.testing.assert_frame_equal(_table(root), _rebuilt(root, tmp_path))


def test_earlier_stories_do_not_come_apart_when_later_days_are_added(demo_articles, tmp_path):
    arts, days = demo_articles
    root = tmp_path / "data"
    for day in days[:3]:
        _publish(root, arts, day)
    update_clusters(root, SETTINGS, NAMES)
    before = _table(root)
    for day in days[3:]:
        _publish(root, arts, day)
        update_clusters(root, SETTINGS, NAMES)
    after = _table(root).set_index("article_id").loc[before["article_id"]].reset_index()
    story = before[(before["outlet"] == "idlib-monitor") & (before["scope"] == "cross_post")]
    assert len(story) and set(before.loc[before["cluster_id"].isin(story["cluster_id"]), "outlet"]) >= {"dimashq-news"}
    pd.testing.assert_frame_equal(after[["article_id", "cluster_id", "relation"]],
                                  before[["article_id", "cluster_id", "relation"]])


def test_a_run_killed_between_the_clusters_and_the_index_is_caught_up(demo_run, demo_articles, tmp_path, monkeypatch):
    arts, days = demo_articles
    root = tmp_path / "data"
    for day in days[:-1]:
        _publish(root, arts, day)
    update_clusters(root, SETTINGS, NAMES)
    _publish(root, arts, days[-1])

    def killed(self, change):
        raise KeyboardInterrupt("killed")
    with monkeypatch.context() as m:
        m.setattr(SqliteStore, "apply", killed)
        with pytest.raises(KeyboardInterrupt):
            update_clusters(root, SETTINGS, NAMES)
    result = update_clusters(root, SETTINGS, NAMES)
    assert result.days == [days[-1].isoformat()]  # the index still had the day as it was: read again
    pd.testing.assert_frame_equal(_table(root), _table(demo_run[1]))
    # killed after publishing, before any clustering: the next sync finds the day
    _publish(root, arts, days[0])
    assert update_clusters(root, SETTINGS, NAMES).days == [days[0].isoformat()]


@pytest.mark.parametrize("damage", ["truncated", "scribbled", "missing", "older", "clusters-deleted"])
def test_a_damaged_or_foreign_index_is_named_and_rebuilt(demo_run, tmp_path, damage, recwarn):
    root = tmp_path / "data"
    shutil.copytree(demo_run[1] / "articles", root / "articles")
    update_clusters(root, SETTINGS, NAMES)
    path = dedup_index_file(root)
    if damage == "truncated":
        data = path.read_bytes()
        path.write_bytes(data[: len(data) // 3] + b"\0garbage")
        for suffix in ("-wal", "-shm"):
            path.with_name(path.name + suffix).unlink(missing_ok=True)
    elif damage == "scribbled":  # opens fine, fails when its pages are read
        SqliteStore(path).db.execute("PRAGMA wal_checkpoint(TRUNCATE)")
        data = bytearray(path.read_bytes())
        data[4096:] = bytes([0x5A]) * (len(data) - 4096)
        path.write_bytes(bytes(data))
    elif damage == "missing":
        path.unlink()
    elif damage == "older":
        store = SqliteStore(path)
        store.db.execute("UPDATE meta SET v = '0' WHERE k = 'format'")
        store.close()
    else:  # an operator deleting one day's clusters partition: that day is clustered again
        shutil.rmtree(sorted((root / "clusters").iterdir())[2])
    result = update_clusters(root, SETTINGS, NAMES)
    pd.testing.assert_frame_equal(_table(root), _table(demo_run[1]))
    said = [str(w.message) for w in recwarn] + result.notes
    if damage in ("truncated", "scribbled"):
        assert any(str(path) in s and "damaged dedup index" in s and "moved to" in s for s in said), said
    elif damage == "older":
        assert any("built with other settings or by another version" in s for s in said), said
    if damage == "clusters-deleted":
        assert len(result.days) == 1
    else:
        assert sorted(result.days) == sorted(p.name[5:] for p in (root / "articles").iterdir())


def test_an_unreadable_day_keeps_its_clusters_and_is_named(demo_run, tmp_path):
    root = tmp_path / "data"
    shutil.copytree(demo_run[1] / "articles", root / "articles")
    update_clusters(root, SETTINGS, NAMES)
    day = sorted((root / "articles").iterdir())[1]
    (day / "part-0.parquet").write_bytes(b"PAR1 not parquet")
    result = update_clusters(root, SETTINGS, NAMES)
    assert any(day.name in n and "left as they were" in n for n in result.notes)
    pd.testing.assert_frame_equal(_table(root), _table(demo_run[1]))


def _synthetic_articles():
    """Our own stories over six days: wire copies, rewrites (words changed, sentences
    reordered and dropped) and a roundup quoting the leads of four stories."""
    from pipeline.eval.dedup import _rewrite
    from pipeline.articles.build import Article
    rng = random.Random(5)
    words = ("convoy shelling border camp winter aid highway patrol ceasefire talks drone market bakery school clinic "
             "road bridge village council water power fuel grain tent rain mud night morning envoy truck").split()

    def para():
        return " ".join(" ".join(rng.choice(words) for _ in range(rng.randint(12, 18))).capitalize() + "."
                        for _ in range(4))
    t0 = datetime(2021, 3, 1, 8, tzinfo=timezone.utc)
    out, stories = [], []

    def add(outlet, paras, hours):
        k = len(out)
        out.append(Article(article_id=f"s{k:03d}", url=f"http://{outlet}.test/{k}", canonical_url="", outlet=outlet,
                           title=paras[0][:40], authors=[], published_at=t0 + timedelta(hours=hours), date_source="",
                           modified_at=None, language="en", site_name="", description="", text="\n".join(paras),
                           boilerplate=[], relevant=True, relevance=1.0, matched_terms=[], fetched_at=None,
                           content_hash=f"h{k}", run_id="r", discovered_via="", title_source="h1",
                           title_variants=[]))
    for s in range(24):
        paras, hours = [para() for _ in range(5)], rng.uniform(0, 24 * 5)
        stories.append(paras)
        add("levant-wire", paras, hours)
        if s % 3 == 0:
            add("euro-courier", paras[:3], hours + 3)
        elif s % 3 == 1:
            add("anatolia-post", _rewrite(paras, rng), hours + 5)
    add("mashriq-aggregator", [p for st in stories[:4] for p in st[:1]], 24 * 5 + 20)
    return out


def test_rewrites_and_digests_incrementally_equal_a_rebuild(tmp_path, index):
    arts = _synthetic_articles()
    days = sorted({a.published_at.date() for a in arts})
    root = tmp_path / "data"
    order = days[:]
    random.Random(3).shuffle(order)
    for day in order:
        _publish(root, arts, day)
        update_clusters(root, SETTINGS, NAMES, index)
    got = _table(root)
    pd.testing.assert_frame_equal(got, _rebuilt(root, tmp_path))
    digest = got[got["outlet"] == "mashriq-aggregator"].iloc[0]
    assert digest["cluster_size"] == 1 and set(digest["quotes"]) >= {"s000", "s002", "s005"}
    assert (got["relation"] == "rewrite").sum() >= 4
    assert (got.loc[got["outlet"] == "euro-courier", "cluster_size"] == 2).all()
    # the first story's day again without the roundup's lead source: the roundup is re-decided
    first = arts[0].published_at.date()
    since, until = _day(first)
    publish_articles(root, [a for a in arts if since <= a.published_at < until and a.article_id != "s000"],
                     since, until, SETTINGS)
    update_clusters(root, SETTINGS, NAMES, index)
    pd.testing.assert_frame_equal(_table(root), _rebuilt(root, tmp_path))


def test_index_lookups_probe_the_keys_never_scan_the_index(tmp_path):
    """A lookup must seek each key (its cost the window's), not scan every stored band (the history's)."""
    from pipeline.dedup.store import HOLDERS, LOOKUP
    store = SqliteStore(tmp_path / "index.sqlite")
    store._probe([1, 3, 5])
    for sql in (LOOKUP.format("bands"), HOLDERS.format("bands"), LOOKUP.format("recent")):
        plan = " ".join(r[-1] for r in store.db.execute("EXPLAIN QUERY PLAN " + sql))
        assert "SCAN b" not in plan and "SEARCH b" in plan, plan
    store.close()


def test_a_rebuild_in_steps_of_days_equals_one_in_one_step(demo_run, tmp_path, monkeypatch):
    """A rebuild of years is taken a month at a time (bounded memory): each step is exact."""
    from pipeline.dedup import incremental
    root = tmp_path / "data"
    shutil.copytree(demo_run[1] / "articles", root / "articles")
    monkeypatch.setattr(incremental, "SYNC_DAYS", 2)
    result = recluster(root, SETTINGS, NAMES)
    assert len(result.days) == 7 and result.totals["articles"] == 61
    pd.testing.assert_frame_equal(_table(root), _table(demo_run[1]))


def test_new_keys_merged_into_the_main_table_change_nothing(demo_run, demo_articles, tmp_path, monkeypatch):
    """Keys land in the small ``recent`` table and are merged into ``bands`` in key order."""
    from pipeline.dedup import store as store_module
    monkeypatch.setattr(store_module, "MERGE_ROWS", 300)
    arts, days = demo_articles
    root = tmp_path / "data"
    for day in days:
        _publish(root, arts, day)
        update_clusters(root, SETTINGS, NAMES)
    s = SqliteStore(dedup_index_file(root))
    main, recent = (s.db.execute(f"SELECT count(*) FROM {t}").fetchone()[0] for t in ("bands", "recent"))
    s.close()
    assert main > 0 and recent < 300
    pd.testing.assert_frame_equal(_table(root), _table(demo_run[1]))


@pytest.mark.parametrize("damage", ["missing", "truncated", "half-made"])
def test_a_lost_or_damaged_key_filter_is_made_again_from_the_stored_keys(tmp_path, damage):
    """A filter that lacks a stored key would hide that article from every later run: one
    missing, cut short, or left half-made by a crash (its temporary file) is made again."""
    import numpy as np
    from pipeline.dedup.store import Added, IndexChange
    path = tmp_path / "index.sqlite"
    store = SqliteStore(path)
    keys = np.array([11, -7, 2**40 + 3], dtype=np.int64)
    store.apply(IndexChange(added=[Added("a1", "2020-10-02", "d1", keys)], days={"2020-10-02": "v1"}))
    store.close()
    filt = path.with_name(path.name + ".keys")
    if damage == "missing":
        filt.unlink()
    elif damage == "truncated":
        with open(filt, "r+b") as f:
            f.truncate(4096)
    else:
        filt.rename(path.with_name(path.name + ".keys.tmp"))
        filt.write_bytes(b"")
    store = SqliteStore(path)
    assert store.filter.fresh and store.lookup(keys[1:2]) == {"a1"}
    assert store.lookup(np.array([12], dtype=np.int64)) == set()
    store.close()
    assert filt.stat().st_size == store.filter.bits // 8


def test_clearing_the_index_clears_the_filter_every_process_maps(tmp_path):
    import numpy as np
    from pipeline.dedup.keyfilter import KeyFilter
    one, two = KeyFilter(tmp_path / "k", bits=1 << 16), KeyFilter(tmp_path / "k", bits=1 << 16)
    keys = np.arange(1, 500, 7, dtype=np.int64)
    one.add(keys)
    assert two.maybe(keys).all() and not two.fresh
    one.clear()
    assert not two.maybe(keys).any()
    one.close()
    two.close()


def test_stored_keys_unreadable_while_the_filter_is_made_again_is_a_damaged_index(tmp_path, monkeypatch, recwarn):
    """The filter lost, and the keys to make it again unreadable (a page damaged where the open's
    own check does not read): the index is named, moved aside and opened empty, not an error."""
    import sqlite3

    import numpy as np
    from pipeline.dedup.store import Added, IndexChange
    path = tmp_path / "index.sqlite"
    store = SqliteStore(path)
    store.apply(IndexChange(added=[Added("a1", "2020-10-02", "d1", np.array([11], dtype=np.int64))],
                            days={"2020-10-02": "v1"}))
    store.close()
    path.with_name(path.name + ".keys").unlink()

    real, calls = SqliteStore._stored_keys, []

    def unreadable(self):  # the damaged file's keys; the empty index replacing it reads as usual
        calls.append(self.path)
        if len(calls) == 1:
            raise sqlite3.DatabaseError("database disk image is malformed")
        yield from real(self)
    with monkeypatch.context() as m:
        m.setattr(SqliteStore, "_stored_keys", unreadable)
        store = open_store(tmp_path, str(path))
    assert store.day_versions() == {} and list(tmp_path.glob("index.sqlite.damaged-*"))
    assert any(str(path) in str(w.message) and "damaged dedup index" in str(w.message) for w in recwarn)
    store.close()
