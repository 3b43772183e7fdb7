"""Weekly live check of every outlet of the registry (``newspipe sources doctor``).

One mapped task per outlet: it fails when the outlet is broken (no entry point lists an
article URL its patterns accept, or no sampled page is an article), so broken outlets show
red in the grid; a degraded outlet passes with its reasons in the log. Read-only: nothing is
written to the dataset. All logic lives in ``pipeline.doctor``; this file only wires it.
"""
from __future__ import annotations

from datetime import datetime, timedelta, timezone

from airflow.sdk import DeltaDataIntervalTimetable, dag, task

from pipeline.settings import RunEnvironment

ENV = RunEnvironment.read()


@dag(
    dag_id="newspipe_sources_doctor",
    schedule=DeltaDataIntervalTimetable(timedelta(days=7)),
    start_date=datetime(2026, 1, 1, tzinfo=timezone.utc),
    catchup=False,
    max_active_runs=1,
    tags=["newspipe"],
    doc_md=__doc__,
    default_args={"retries": 1, "retry_delay": ENV.retry_delay},
)
def newspipe_sources_doctor():
    @task
    def outlets() -> list[str]:
        from crawlers.registry import load_sources
        return [o.name for o in load_sources(RunEnvironment.read().sources)]

    @task(pool=ENV.crawl_pool, max_active_tis_per_dag=ENV.crawl_parallelism, map_index_template="{{ outlet_name }}")
    def check(outlet: str) -> dict:
        from airflow.sdk import get_current_context
        from airflow.sdk.exceptions import AirflowFailException

        from crawlers.registry import load_sources, select_outlets
        from pipeline.doctor import check_outlet
        get_current_context()["outlet_name"] = outlet
        health = check_outlet(select_outlets(load_sources(RunEnvironment.read().sources), [outlet])[0])
        print(health.line())
        if health.status == "broken":
            raise AirflowFailException(health.line())
        return health.to_dict()

    check.expand(outlet=outlets())


newspipe_sources_doctor()
