"""The coverage and copy report, rebuilt after each publish.

Scheduled on the ``newspipe_articles`` asset that ``newspipe_daily``'s publish task
emits: each published day (a scheduled run, a backfill's day, a rerun) is followed by
a report of the whole history, written to ``reports/newspipe-report.html`` under the
data root (local or an object store). Several publishes close together are served by
one run. All logic lives in ``pipeline.report``; this file only wires it to Airflow.
"""
from __future__ import annotations

from datetime import datetime, timezone

from airflow.sdk import Asset, dag, task

from pipeline.run.orchestration import articles_asset_uri
from pipeline.settings import RunEnvironment

ENV = RunEnvironment.read()
ARTICLES = Asset(name="newspipe_articles", uri=articles_asset_uri(ENV.data))


@dag(
    dag_id="newspipe_report",
    schedule=[ARTICLES],
    start_date=datetime(2020, 9, 1, tzinfo=timezone.utc),
    catchup=False,
    max_active_runs=1,
    tags=["newspipe"],
    doc_md=__doc__,
    default_args={"retries": 1, "retry_delay": ENV.retry_delay},
)
def newspipe_report():
    @task
    def report() -> str:
        from pipeline.report.build import write_report
        where = write_report(RunEnvironment.read().data)
        print(f"report: {where}")
        return where

    report()


newspipe_report()
