"""The production shape on one machine: the CeleryExecutor on this machine's PostgreSQL and Redis,
two Celery workers with work directories of their own, the data on an S3-compatible store (moto on
127.0.0.1), the locks and the dedup index in Redis. A three-day backfill through the REST API; one
worker is killed in the middle of a crawl and its task is retried on the other. Every partition
equals what one machine makes of the same days."""
from __future__ import annotations

import re
import subprocess
import time
import uuid
from datetime import datetime, timedelta, timezone

import pandas as pd
import pytest

from pipeline.run.stages import crawl_stage, publish_stage
from storage.load import load_articles
from tests.airflow_server import AirflowCelery
from tests.conftest import service_up, write_sources
from tests.test_airflow_integration import create_backfill

pytestmark = pytest.mark.airflow_integration
OUTLETS = ["levant-wire", "idlib-monitor", "anatolia-post", "dimashq-news"]
SLOW = "anatolia-post"  # its pages come slowly, so that its crawl can be caught running and its worker killed
DAYS = ["2020-10-01", "2020-10-02", "2020-10-03"]
COLS = ["article_id", "outlet", "title", "published_at", "text", "relevant", "cluster_id", "is_origin", "relation"]


def _database() -> str:
    name = f"newspipe_celery_{uuid.uuid4().hex[:8]}"
    p = subprocess.run(["psql", "-h", "127.0.0.1", "-U", "postgres", "-c", f"CREATE DATABASE {name}"],
                       capture_output=True, text=True)
    if p.returncode:
        pytest.skip(f"psql cannot create a database on 127.0.0.1:5432: {p.stderr.strip()}")
    return f"postgresql://postgres@127.0.0.1:5432/{name}"


def _rows(data) -> pd.DataFrame:
    df = load_articles(data, relevant_only=False, dedup="all")
    return df.sort_values("article_id").reset_index(drop=True)[COLS].astype(str)


def _crawls(af, run_id: str) -> list[dict]:
    tis = af.request("GET", f"/api/v2/dags/newspipe_daily/dagRuns/{run_id}/taskInstances?limit=100")["task_instances"]
    return [t for t in tis if t["task_id"] == "crawl"]


def _tries(af, run_id: str) -> list[dict]:
    """Every try of the run's crawls (a retried task's first try ran elsewhere)."""
    return [t for ti in _crawls(af, run_id) for t in af.request(
        "GET", f"/api/v2/dags/newspipe_daily/dagRuns/{run_id}/taskInstances/crawl/{ti['map_index']}/tries")["task_instances"]]


class SlowPages:
    """Article pages of the slow outlet answered after ``seconds``; ``in_flight`` counts those being served."""

    def __init__(self, seconds: float = 3.0):
        self.seconds, self.in_flight = seconds, 0

    def __call__(self, req, path: str) -> bool:
        if re.match(r"^/(en|tr)/[^/]+/[^/]+/\d+$", path):
            self.in_flight += 1
            try:
                time.sleep(self.seconds)
            finally:
                self.in_flight -= 1
        return False  # then served as usual


def _kill_during_slow_crawl(af, slow: SlowPages, timeout: float = 600) -> str:
    """Wait until the slow outlet's crawl runs on a worker and one of its pages is being fetched,
    then kill that worker; its name."""
    deadline = time.time() + timeout
    while time.time() < deadline:
        for run in af.request("GET", "/api/v2/dags/newspipe_daily/dagRuns?limit=100")["dag_runs"]:
            for ti in _crawls(af, run["dag_run_id"]):
                # the plan maps the outlets in the registry's order (the name is rendered when the task ends)
                if ti["state"] == "running" and ti["map_index"] == OUTLETS.index(SLOW) and ti.get("hostname") \
                        and slow.in_flight:
                    af.kill_worker(ti["hostname"])
                    return ti["hostname"]
        time.sleep(0.3)
    raise TimeoutError(f"no crawl of {SLOW} seen fetching in {timeout}s: {af.tail()}")


def test_two_celery_workers_backfill_with_one_killed(fresh_replay, s3, tmp_path, monkeypatch):
    for port, what in ((5432, "PostgreSQL"), (6379, "Redis")):
        if not service_up(port):
            pytest.skip(f"no {what} on 127.0.0.1:{port} (CI has one): the Celery stack cannot run here")
    uri, env = s3
    aws = {k: v for k, v in env.items() if k.startswith("AWS_")}
    site, slow = fresh_replay.sites[SLOW], SlowPages()
    site.special.append(slow)
    sources = write_sources(fresh_replay, tmp_path / "s.yaml", OUTLETS)
    tag = uuid.uuid4().hex[:8]
    index = f"redis://127.0.0.1:6379/8?prefix=newspipe-test-{tag}"
    extra = {**aws, "NEWSPIPE_DEDUP_INDEX": index, "NEWSPIPE_LOCKS": "redis://127.0.0.1:6379/8",
             "NEWSPIPE_RETRY_DELAY_SECONDS": "2", "AIRFLOW__SCHEDULER__TASK_INSTANCE_HEARTBEAT_TIMEOUT": "45",
             "AIRFLOW__SCHEDULER__TASK_INSTANCE_HEARTBEAT_TIMEOUT_DETECTION_INTERVAL": "5",
             "AIRFLOW__SCHEDULER__SCHEDULER_HEARTBEAT_SEC": "2", "NEWSPIPE_LOCK_TTL": "30"}
    home = tmp_path / "airflow"
    home.mkdir()
    with AirflowCelery(home, sources, uri, _database(), "redis://127.0.0.1:6379", f"newspipe-test-{tag}",
                       extra=extra) as af:
        started = next(line for line in af.tail(10**7).splitlines() if line.startswith("started: "))
        for part in ("api-server", "scheduler", "dag-processor", "triggerer", "worker-1", "worker-2"):
            assert part in started, started
        create_backfill(af, {"dag_id": "newspipe_daily", "from_date": "2020-10-01T00:00:00Z",
                             "to_date": "2020-10-03T00:00:00Z", "dag_run_conf": {"politeness": False},
                             "reprocess_behavior": "completed", "max_active_runs": 1})
        af.request("PATCH", "/api/v2/dags/newspipe_daily", {"is_paused": False})
        killed = _kill_during_slow_crawl(af, slow)
        runs = af.wait_runs("newspipe_daily", "backfill", 3, timeout=1200)
        assert sorted(r["state"] for r in runs) == ["success"] * 3, af.tail()
        tries = {r["dag_run_id"]: _tries(af, r["dag_run_id"]) for r in runs}
    assert af.exit_status == 0, af.tail()  # SIGTERM stopped everything cleanly
    hosts = {r: sorted({(t["map_index"], t["try_number"], t["hostname"]) for t in ts}) for r, ts in tries.items()}
    assert any(len({h for *_, h in hs}) == 2 for hs in hosts.values()), hosts  # one run's crawls on both workers
    retried = [t for ts in tries.values() for t in ts if t["try_number"] > 1]
    # every crawl the killed worker was running (the slow one, and any beside it) ran again on the other
    assert OUTLETS.index(SLOW) in {t["map_index"] for t in retried}, hosts
    assert all(t["hostname"] != killed and t["state"] == "success" for t in retried), hosts
    # what one machine makes of the same days, crawled and published one day at a time
    site.special.clear()
    monkeypatch.setenv("NEWSPIPE_WORK_DIR", str(tmp_path / "one-machine"))
    local = tmp_path / "local"
    for day in DAYS:
        since = datetime.fromisoformat(day).replace(tzinfo=timezone.utc)
        crawl_stage(sources, since, since + timedelta(days=1), local, OUTLETS, politeness=False)
        publish_stage(sources, since, since + timedelta(days=1), local, outlets=OUTLETS)
    remote, here = _rows(uri), _rows(local)
    assert remote["article_id"].is_unique and len(remote) == len(here) > 0
    pd.testing.assert_frame_equal(remote, here)
    import redis
    r = redis.Redis.from_url(index.split("?")[0])
    assert any(True for _ in r.scan_iter(match=f"newspipe-test-{tag}:*", count=1000))  # the index both workers used
    for key in r.scan_iter(match=f"newspipe-test-{tag}:*", count=10_000):
        r.delete(key)

