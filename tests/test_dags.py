"""The Airflow DAG: light at parse time, correct end to end with dag.test(), fails fast on bad params."""
from __future__ import annotations

import json
import os
import subprocess
import sys
from pathlib import Path

import pandas as pd
import pytest

from tests.conftest import free_port, write_sources

ROOT = Path(__file__).resolve().parents[1]
# the DAG file reads its configuration from the library (pipeline.settings, pipeline.run.orchestration),
# which imports none of these: they load inside tasks, not in the scheduler's parsing loop
HEAVY = ("scrapy", "trafilatura", "pandas", "pyarrow", "datasketch", "numba", "lxml", "twisted", "htmldate")


def test_dag_file_parses_light_and_clean(tmp_path):
    code = f"""
import json, sys, time
from airflow.dag_processing.dagbag import DagBag
before = set(sys.modules)
t = time.perf_counter()
bag = DagBag(dag_folder={str(ROOT / 'dags')!r})
parse = time.perf_counter() - t
heavy = sorted(m for m in set(sys.modules) - before if m.split('.')[0] in {HEAVY!r})
dag = bag.dags['newspipe_daily']
print(json.dumps({{"errors": {{k: str(v) for k, v in bag.import_errors.items()}}, "heavy": heavy, "parse": parse,
                  "dags": sorted(bag.dags), "report_schedule": type(bag.dags['newspipe_report'].timetable).__name__,
                  "outlets_param": dag.params.get_param('outlets').schema,
                  "tasks": sorted(dag.task_ids), "upstream": {{t: sorted(dag.get_task(t).upstream_task_ids)
                                                              for t in ("crawl", "publish")}}}}))
"""
    env = dict(os.environ, AIRFLOW__CORE__LOAD_EXAMPLES="False", AIRFLOW_HOME=str(tmp_path))
    out = subprocess.run([sys.executable, "-c", code], capture_output=True, text=True, env=env, cwd=ROOT, timeout=300)
    assert out.returncode == 0, out.stderr[-3000:]
    info = json.loads(out.stdout.strip().splitlines()[-1])
    assert info["errors"] == {}
    assert info["dags"] == ["newspipe_backfill", "newspipe_daily", "newspipe_report", "newspipe_sources_doctor"]
    assert "Asset" in info["report_schedule"], info["report_schedule"]   # rebuilt after each publish
    # the trigger form: outlets optional (empty means all), offered by name from the registry
    outlets = info["outlets_param"]
    assert "null" in outlets["type"] and "reuters" in outlets["items"]["enum"] and len(outlets["items"]["enum"]) > 10
    assert info["heavy"] == [], "library modules must be imported inside tasks, not at parse time"
    assert {"plan", "crawl", "publish"} <= set(info["tasks"])
    assert "crawl" in info["upstream"]["publish"] and "plan" in info["upstream"]["publish"]
    assert info["parse"] < 30  # a generous bound: parsing happens in the scheduler's loop


def dag_test(home: Path, logical: str, conf: dict, sources: Path, data: Path, dag_id: str = "newspipe_daily",
             extra_env: dict | None = None) -> dict:
    env = dict(os.environ, NEWSPIPE_SOURCES=str(sources), NEWSPIPE_DATA=str(data), NEWSPIPE_RETRY_DELAY_SECONDS="1",
               NEWSPIPE_DAG_ID=dag_id, **(extra_env or {}))
    p = subprocess.run([sys.executable, str(ROOT / "tests" / "airflow_dagtest.py"), str(home), logical, json.dumps(conf)],
                       capture_output=True, text=True, env=env, cwd=ROOT, timeout=900)
    lines = [ln for ln in p.stdout.splitlines() if ln.startswith("RESULT ")]
    assert lines, (p.stdout[-3000:], p.stderr[-3000:])
    result = json.loads(lines[-1][7:])
    result["log"] = p.stdout + p.stderr
    return result


@pytest.fixture(scope="module")
def airflow_home(tmp_path_factory):
    return tmp_path_factory.mktemp("airflow")


def test_daily_dag_publishes_the_day(replay, airflow_home, tmp_path):
    sources = write_sources(replay, tmp_path / "s.yaml")
    data = tmp_path / "data"
    r = dag_test(airflow_home, "2020-10-02T00:00:00", {"politeness": False}, sources, data)
    assert r["state"] == "success", r["log"][-4000:]
    assert r["interval"] == ["2020-10-01 00:00:00+00:00", "2020-10-02 00:00:00+00:00"]
    assert sum(1 for k in r["tasks"] if k.startswith("crawl[")) == 7
    assert all(v == "success" for v in r["tasks"].values())
    assert sorted(p.name for p in (data / "articles").iterdir()) == ["date=2020-10-01"]
    articles = pd.read_parquet(data / "articles")
    assert len(articles) == 9 and (articles["published_at"].dt.day == 1).all()
    # a manual run for one outlet, with a window that is not whole days, runs the whole day: it
    # replaces that outlet's rows of the day and keeps the others
    r = dag_test(airflow_home, "2020-10-02T00:00:00", {"politeness": False, "outlets": ["levant-wire"],
                                                      "since": "2020-10-01T14:37", "until": "2020-10-01T23:00"},
                 sources, data)
    assert r["state"] == "success"
    assert "aligned to whole UTC days 2020-10-01 .. 2020-10-02" in r["log"]
    again = pd.read_parquet(data / "articles")
    assert sorted(again["article_id"]) == sorted(articles["article_id"])


# each test runs its own logical date: the tests share one metadata DB, and a run is one per date
@pytest.mark.parametrize("logical, conf, message", [
    ("2020-11-01", {"outlets": ["no-such-outlet"]}, "unknown outlet(s): no-such-outlet"),
    ("2020-11-02", {"since": "2020-10-05", "until": "2020-10-01"}, "is not before its end"),
    ("2020-11-03", {"since": "yesterday"}, "param 'since': 'yesterday' is not an ISO 8601 date"),
])
def test_bad_params_fail_before_crawling(replay, airflow_home, tmp_path, logical, conf, message):
    sources = write_sources(replay, tmp_path / "s.yaml")
    r = dag_test(airflow_home, f"{logical}T00:00:00", conf, sources, tmp_path / "data")
    if r["state"] == "refused":  # refused by the params' schema before any run (the UI's form does the same)
        assert str(next(iter(conf.values()))).strip("[]'") in r["error"], r["error"]
        assert not (tmp_path / "data").exists()
        return
    assert r["state"] == "failed"
    assert r["tasks"]["plan"] == "failed"
    assert not any(k.startswith("crawl[") and v == "success" for k, v in r["tasks"].items())
    assert r["tasks"].get("publish") != "success"
    assert message in r["log"]
    assert not (tmp_path / "data" / "articles").exists()


def test_a_dead_outlet_fails_alone_and_reextract_and_dry_run(replay, tmp_path):
    # a metadata DB of its own: the run state must come from this test's runs only
    airflow_home = tmp_path / "airflow"
    airflow_home.mkdir()
    gone = dict(replay.config("euro-courier"), name="gone-outlet", proxy=f"http://127.0.0.1:{free_port()}")
    sources = write_sources(replay, tmp_path / "s.yaml", ["levant-wire", "anatolia-post"], extra=[gone])
    data = tmp_path / "data"
    conf = {"politeness": False}
    r = dag_test(airflow_home, "2020-10-03T00:00:00", conf, sources, data)
    crawls = {k: v for k, v in r["tasks"].items() if k.startswith("crawl[")}
    assert sorted(crawls.values()) == ["failed", "success", "success"], r["tasks"]
    assert r["tasks"]["publish"] == "success" and r["state"] == "success"
    assert "levant-wire: ok" in r["log"] and "requests" in r["log"] and "All counters:" in r["log"], r["log"][-3000:]
    stats = pd.read_parquet(data / "crawl_stats")
    assert dict(zip(stats["outlet"], stats["status"]))["gone-outlet"] == "failed"
    first = pd.read_parquet(data / "articles")
    assert set(first["outlet"].astype(str)) == {"levant-wire", "anatolia-post"}
    # re-extraction from the stored raw pages: nothing fetched, the same articles published again
    for p in replay.sites.values():
        p.hits.clear()
    r = dag_test(airflow_home, "2020-10-03T00:00:00", dict(conf, reextract=True), sources, data)
    # the same articles again: published, but skipped rather than green, so no asset event fires downstream
    assert r["tasks"]["publish"] == "skipped" and r["state"] == "success", r["tasks"]
    assert sum(sum(s.hits.values()) for s in replay.sites.values()) == 0
    again = pd.read_parquet(data / "articles")
    assert sorted(again["article_id"]) == sorted(first["article_id"])
    # a dry run plans and writes nothing, and announces nothing
    r = dag_test(airflow_home, "2020-10-06T00:00:00", dict(conf, dry_run=True), sources, data)
    assert r["state"] == "success" and r["tasks"]["publish"] == "skipped", r["tasks"]
    assert not (data / "articles" / "date=2020-10-05").exists()
    # re-extracting a window never crawled here fails visibly instead of going green empty
    r = dag_test(airflow_home, "2020-10-09T00:00:00", dict(conf, reextract=True), sources, data)
    assert r["tasks"]["publish"] == "failed" and "never crawled here" in r["log"], r["tasks"]
