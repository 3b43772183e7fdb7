"""newspipe on a real Airflow: `airflow standalone`, a backfill created through the
REST API (the call the UI makes), three published days and the report they schedule,
then a rerun that duplicates nothing."""
from __future__ import annotations

import json
import re
import time
import warnings

import pandas as pd
import pytest

from crawlers.replay.site import demo_articles
from tests import airflow_ui as ui
from tests.airflow_server import AirflowStandalone
from tests.conftest import service_up, write_sources

pytestmark = pytest.mark.airflow_integration
OUTLETS = ["levant-wire", "idlib-monitor", "anatolia-post"]


def expected_rows(days: list[str]) -> int:
    return sum(1 for a in demo_articles() if a.outlet in OUTLETS and a.date.date().isoformat() in days)


def create_backfill(af: AirflowStandalone, body: dict) -> dict:
    """POST /api/v2/backfills; if a retried call finds the backfill already made (409), use that one."""
    try:
        return af.request("POST", "/api/v2/backfills", body)
    except AssertionError as exc:
        if "HTTP 409" not in str(exc):
            raise
        return af.request("GET", f"/api/v2/backfills?dag_id={body['dag_id']}")["backfills"][0]


def wait_report(af: AirflowStandalone, path, days: list[str], timeout: float = 900) -> None:
    """Until the report the asset-scheduled DAG writes counts every article of ``days`` (the
    runs a publish triggers may come before the last publish)."""
    deadline = time.time() + timeout
    while time.time() < deadline:
        text = path.read_text(encoding="utf-8") if path.exists() else ""
        if f" · {expected_rows(days)} articles, " in text:
            runs = af.request("GET", "/api/v2/dags/newspipe_report/dagRuns?limit=100")["dag_runs"]
            assert runs and all(r["run_type"] == "asset_triggered" for r in runs), runs
            assert not [r for r in runs if r["state"] == "failed"], af.tail()
            return
        time.sleep(3)
    raise TimeoutError(f"{path}: no report of {days} in {timeout}s: {af.tail()}")


def _manual_run_in_the_form(af: AirflowStandalone, password: str, shots) -> None:
    """Every run parameter has a description; two outlets and one day picked; the run succeeds."""
    with ui.signed_in(af.base, password, shots) as page:
        dialog = ui.open_trigger_form(page, af.base, "newspipe_daily")
        helps = ui.param_help(dialog)
        assert all(helps.get(p) for p in ui.PARAMS), helps
        ui.pick_outlets(page, dialog, OUTLETS[:2])
        ui.set_datetime(page, dialog, 1, "2020/10/01")
        ui.set_datetime(page, dialog, 2, "2020/10/02")
        ui.set_switch(dialog, "Obey crawl delays and AutoThrottle", False)
        page.screenshot(path=shots / "02-trigger-form.png", full_page=True)
        dialog.get_by_role("button", name="Trigger").click()
        dialog.wait_for(state="hidden")
        page.screenshot(path=shots / "03-triggered.png")
    [run] = af.wait_runs("newspipe_daily", "manual", 1)
    assert run["state"] == "success", af.tail()
    assert run["conf"]["outlets"] == OUTLETS[:2] and run["conf"]["since"].startswith("2020-10-01"), run["conf"]
    assert run["conf"]["politeness"] is False, run["conf"]


def _stamp(data, part: str) -> int:
    return (data / "articles" / part / "part-0.parquet").stat().st_mtime_ns


def test_backfill_three_days_then_rerun_one(replay, tmp_path):
    """``make airflow``'s shape (SQLite metadata; PostgreSQL is the Celery test's, test_airflow_celery)."""
    sources = write_sources(replay, tmp_path / "s.yaml", OUTLETS)  # three outlets keep the test short
    data = tmp_path / "data"
    home = tmp_path / "airflow"
    home.mkdir()
    with AirflowStandalone(home, sources, data) as af:
        # private files, and no log server listening on every interface
        for private in (home / "airflow.db", home / "simple_auth_manager_passwords.json.generated"):
            assert not private.exists() or private.stat().st_mode & 0o077 == 0, private
        for key in ("AIRFLOW__LOGGING__WORKER_LOG_SERVER_PORT", "AIRFLOW__LOGGING__TRIGGER_LOG_SERVER_PORT"):
            assert not service_up(int(af.env[key])), key
        # the backfill is created while the scheduler leaves the paused DAG alone: on SQLite, creating
        # backfill runs while the scheduler writes the same DAG's runs can crash the scheduler. On
        # made as an operator makes it, in the UI's dialog (the same REST call)
        password = json.loads((home / "simple_auth_manager_passwords.json.generated").read_text())["admin"]
        browser = ui.chromium()
        if browser:
            with ui.signed_in(af.base, password, tmp_path / "shots") as page:
                ui.create_backfill(page, af.base, "newspipe_daily", "2020/10/01", "2020/10/03", 2, tmp_path / "shots")
        else:
            warnings.warn("no chromium on PATH (Debian's `chromium`): the backfill is made through the REST API "
                          "and the trigger form is not tried")
            create_backfill(af, {
                "dag_id": "newspipe_daily", "from_date": "2020-10-01T00:00:00Z", "to_date": "2020-10-03T00:00:00Z",
                "dag_run_conf": {"politeness": False}, "reprocess_behavior": "completed", "max_active_runs": 2})
        af.request("PATCH", "/api/v2/dags/newspipe_report", {"is_paused": False})
        af.request("PATCH", "/api/v2/dags/newspipe_daily", {"is_paused": False})
        runs = af.wait_runs("newspipe_daily", "backfill", 3)
        assert sorted(r["state"] for r in runs) == ["success"] * 3, af.tail()
        assert sorted(r["data_interval_start"][:10] for r in runs) == ["2020-10-01", "2020-10-02", "2020-10-03"]
        if browser:  # a manual run from the trigger form: two outlets, one day, as an operator sets them
            _manual_run_in_the_form(af, password, tmp_path / "shots")
        # each publish emits the articles asset; the report DAG it schedules rewrites the report
        wait_report(af, data / "reports" / "newspipe-report.html", ["2020-10-01", "2020-10-02", "2020-10-03"])
        days = sorted(p.name for p in (data / "articles").glob("date=*"))
        assert {"date=2020-10-01", "date=2020-10-02", "date=2020-10-03"} <= set(days)
        first = pd.read_parquet(data / "articles", filters=[("date", "in", ["2020-10-01", "2020-10-02", "2020-10-03"])])
        assert len(first) == expected_rows(["2020-10-01", "2020-10-02", "2020-10-03"])
        # rerun one day the way the UI does it (clear its run): nothing duplicated, other days untouched
        run2 = next(r for r in runs if r["data_interval_start"].startswith("2020-10-02"))
        stamps = {d: _stamp(data, d) for d in ("date=2020-10-01", "date=2020-10-02", "date=2020-10-03")}
        af.request("POST", f"/api/v2/dags/newspipe_daily/dagRuns/{run2['dag_run_id']}/clear", {"dry_run": False})
        af.wait_run_state("newspipe_daily", run2["dag_run_id"], "success", after=run2["end_date"])
        again = pd.read_parquet(data / "articles", filters=[("date", "in", ["2020-10-01", "2020-10-02", "2020-10-03"])])
        assert len(again) == len(first) and again["article_id"].is_unique
        # the rerun rewrote 2020-10-02 only, from the pages the first run stored (crawls are
        # incremental: nothing was fetched again)
        assert [d for d in stamps if _stamp(data, d) != stamps[d]] == ["date=2020-10-02"]
        before, after = first.set_index("article_id"), again.set_index("article_id")
        assert (after["fetched_at"] == before["fetched_at"].reindex(after.index)).all()
        # the first task starts are not refused: the API server's execution API was warmed before the
        # scheduler started (its first answer took longer than the task client waits)
        assert not re.search(r"path=/execution/\S+ query=\S* status_code=400", af.tail(10**9)), af.tail()
