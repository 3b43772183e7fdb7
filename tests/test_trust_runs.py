"""Runs never lose published data silently: whole-day windows, outlets that list nothing,
unreadable partitions, concurrent runs (issue: trust)."""
from __future__ import annotations

import json
import os
import shutil
import subprocess
import sys
from datetime import datetime, timedelta, timezone
from pathlib import Path

import pandas as pd
import pytest
import yaml

from crawlers.replay.site import Page
from pipeline.run.orchestration import make_plan
from pipeline.run.stages import run
from storage.locks import LockedError, partition_locks
from tests.conftest import write_sources

ROOT = Path(__file__).resolve().parents[1]
UTC = timezone.utc


def _copy_demo(demo_run, tmp_path: Path) -> Path:
    _, demo = demo_run
    data = tmp_path / "data"
    shutil.copytree(demo, data)
    return data


def _ids(data: Path) -> list[str]:
    return sorted(pd.read_parquet(data / "articles", columns=["article_id"])["article_id"])


@pytest.mark.parametrize("since, until", [(datetime(2020, 10, 2, 0, tzinfo=UTC), datetime(2020, 10, 2, 1, tzinfo=UTC)),
                                          (datetime(2020, 10, 2, 14, 37, tzinfo=UTC),
                                           datetime(2020, 10, 3, 14, 37, tzinfo=UTC))])
def test_a_part_day_window_collects_and_replaces_whole_days(demo_run, replay, tmp_path, since, until):
    data = _copy_demo(demo_run, tmp_path)
    before = _ids(data)
    report = run(write_sources(replay, tmp_path / "s.yaml"), since, until, data, politeness=False)
    assert _ids(data) == before and len(before) == 61  # no day was replaced by a part of itself
    assert report.since.hour == 0 and report.until.hour == 0 and report.until > until - timedelta(seconds=1)
    assert any("aligned to whole UTC days" in n for n in report.notes)


def test_a_manual_trigger_plans_whole_days_and_says_so(replay, tmp_path):
    sources = write_sources(replay, tmp_path / "s.yaml")
    plan = make_plan({}, datetime(2020, 10, 2, 14, 37, tzinfo=UTC), datetime(2020, 10, 3, 14, 37, tzinfo=UTC),
                     sources=str(sources), data=str(tmp_path / "d"))
    assert (plan["since"], plan["until"]) == ("2020-10-02T00:00:00+00:00", "2020-10-04T00:00:00+00:00")
    assert any("aligned to whole UTC days 2020-10-02 .. 2020-10-04" in n for n in plan["notes"])


def _newspipe(*args: str, **kw) -> subprocess.CompletedProcess:
    env = dict(os.environ, PYTHONPATH=str(ROOT))
    return subprocess.run([sys.executable, "-m", "pipeline.cli.main", *args], capture_output=True, text=True, env=env,
                          timeout=300, cwd=ROOT, **kw)


@pytest.mark.parametrize("since, until, says", [
    ("2020-10-01", "9999-12-31T23:00", "lies outside"),
    ("1995-01-01", "2025-01-01", "more than 400"),
    ("0001-01-01T00:30+05:00", "2020-10-02", "in range"),
])
def test_windows_out_of_range_are_refused_before_any_work(replay, tmp_path, since, until, says):
    sources = write_sources(replay, tmp_path / "s.yaml")  # never the real outlets
    p = _newspipe("run", "--since", since, "--until", until, "--data", str(tmp_path / "d"), "--sources", str(sources),
                  "--no-politeness")
    assert p.returncode == 2 and says in p.stderr and "Traceback" not in p.stderr, p.stderr
    assert not (tmp_path / "d").exists()  # no lock files, no crawl


def _poisoned_outlet(server, tmp_path: Path, feed_items: list) -> tuple[Path, object]:
    """An outlet of our own whose JSON feed holds ``feed_items``; three good articles on it."""
    text = ("Families displaced from Idlib province reached the camps near the border after a night of shelling "
            "around Maarat al-Numan, aid groups said, asking for tents and fuel before the winter. ") * 3
    site = server.sites.get("poisoned") or server.add_site("poisoned", {})
    for n in (1, 2, 3):
        site.pages[f"/a/good-{n}"] = Page(f"<html lang='en'><head><title>Camps report {n}</title></head><body><article>"
                                          f"<h1>Camps report {n}</h1><p>Report {n}. {text}</p></article></body></html>".encode())
    site.pages["/feed.json"] = Page(json.dumps({"items": feed_items}).encode(), "application/feed+json")
    outlet = {"name": "poisoned", "domains": [site.host], "languages": ["en"], "feeds": [site.base + "/feed.json"],
              "article_patterns": ["^/a/"], "proxy": server.address, "politeness": {"download_delay": 0}}
    sources = tmp_path / "poisoned.yaml"
    sources.write_text(yaml.safe_dump({"outlets": [outlet]}))
    return sources, site


def test_one_poisoned_item_costs_that_item_and_an_empty_listing_keeps_the_outlets_rows(fresh_replay, tmp_path):
    base = "http://poisoned.test"
    good = [{"url": f"{base}/a/good-1", "date_published": "2020-10-01T08:00:00Z"},
            {"url": f"{base}/a/good-2", "date_published": "0001-01-01T00:30+05:00"},  # out of range: undated
            {"url": f"{base}/a/good-3", "date_published": "2020-10-01T09:00:00Z"}]
    sources, site = _poisoned_outlet(fresh_replay, tmp_path, [1, good[0], {"url": "http://poisoned.test:99999999/a/x"},
                                                             good[1], {"url": 5}, good[2]])
    data, day = tmp_path / "data", datetime(2020, 10, 1, tzinfo=UTC)
    report = run(sources, day, day + timedelta(days=1), data, politeness=False)
    [crawl] = report.crawls
    assert crawl.articles_fetched == 3 and crawl.status == "degraded", crawl.message
    assert crawl.stats["newspipe/skipped/bad_item"] == 3
    assert len(pd.read_parquet(data / "articles")) == 3
    # the feed now lists nothing usable: the outlet is degraded and its published rows stay
    site.pages["/feed.json"] = Page(b'{"items": [1]}', "application/feed+json")
    report = run(sources, day, day + timedelta(days=1), data, politeness=False)
    [crawl] = report.crawls
    assert crawl.status == "degraded" and "kept" in crawl.message, crawl.message
    assert len(pd.read_parquet(data / "articles")) == 3
    stats = pd.read_parquet(data / "crawl_stats")
    assert list(stats["status"]) == ["degraded"]


def test_an_unreadable_partition_is_never_replaced_without_repair(demo_run, replay, tmp_path):
    data = _copy_demo(demo_run, tmp_path)
    part = data / "articles" / "date=2020-10-02" / "part-0.parquet"
    part.write_bytes(part.read_bytes()[: part.stat().st_size // 2])  # truncated by a disk fault
    damaged = part.read_bytes()
    sources = write_sources(replay, tmp_path / "s.yaml")
    window = ("--since", "2020-10-02", "--until", "2020-10-03", "--data", str(data), "--sources", str(sources),
              "--outlets", "levant-wire", "--no-politeness")
    p = _newspipe("run", *window)
    assert p.returncode == 2 and str(part) in p.stderr and "--repair" in p.stderr, p.stderr
    assert "Traceback" not in p.stderr and part.read_bytes() == damaged  # left exactly as it was
    p = _newspipe("run", *window, "--repair")
    assert p.returncode == 0, p.stderr
    assert str(part) in p.stderr  # the lost file is named
    day = pd.read_parquet(data / "articles" / "date=2020-10-02")
    assert set(day["outlet"].astype(str)) == {"levant-wire"}


def test_a_run_for_locked_days_is_refused_before_it_crawls(fresh_replay, tmp_path):
    sources = write_sources(fresh_replay, tmp_path / "s.yaml", ["levant-wire"])
    data = tmp_path / "data"
    with partition_locks(data, ["date=2020-10-02"], "another run"):
        with pytest.raises(LockedError, match="date=2020-10-02 .* being written by another run"):
            run(sources, datetime(2020, 10, 1, tzinfo=UTC), datetime(2020, 10, 3, tzinfo=UTC), data, politeness=False)
    assert sum(fresh_replay.sites["levant-wire"].hits.values()) == 0


def test_two_demos_on_one_data_directory(tmp_path):
    env = dict(os.environ, PYTHONPATH=str(ROOT))
    cmd = [sys.executable, "-m", "pipeline.cli.main", "demo", "--data", str(tmp_path / "data")]
    procs = [subprocess.Popen(cmd, stdout=subprocess.PIPE, stderr=subprocess.PIPE, text=True, env=env, cwd=ROOT)
             for _ in range(2)]
    results = [(p.wait(timeout=600), *p.communicate()) for p in procs]
    for code, out, err in results:
        assert "Traceback" not in err, err
        assert code == 0 or (code == 2 and "is being written by run" in err), (code, err)
    assert any(code == 0 for code, _, _ in results)
    # long work says what it is doing, a line per stage and per outlet (#18)
    err = next(err for code, _, err in results if code == 0)
    assert "crawling 7 outlet(s)" in err and "  levant-wire: ok" in err and "clustering what changed" in err
    assert len(pd.read_parquet(tmp_path / "data" / "articles")) == 61
    assert not list((tmp_path / "data" / "_state").glob("replay-sources*"))  # each demo's own, removed
