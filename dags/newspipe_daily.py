"""Daily ingestion of news on the Idlib conflict.

One mapped crawl task per outlet (each crawl in its own process, retried with
backoff when a site is down), then one task that extracts, deduplicates and
publishes the day's Parquet partition and emits the ``newspipe_articles``
asset. The data interval is the window: a backfill of 2020-10-01 produces
exactly what a run on that day would have. A failed outlet shows as a failed
task and in the summary; the day is still published with the other outlets.

Trigger with params for a manual run: a subset of outlets, a custom window,
re-extraction from stored raw pages, or a dry run. All logic lives in
``pipeline.run.orchestration``; this file only wires it to Airflow.
"""
from __future__ import annotations

from datetime import datetime, timedelta, timezone

from airflow.sdk import Asset, DeltaDataIntervalTimetable, Param, dag, task

from pipeline.run.orchestration import articles_asset_uri
from pipeline.settings import RunEnvironment

ENV = RunEnvironment.read()
ARTICLES = Asset(name="newspipe_articles", uri=articles_asset_uri(ENV.data))
NAMES = ENV.outlet_names()


@dag(
    dag_id="newspipe_daily",
    schedule=DeltaDataIntervalTimetable(timedelta(days=1)),
    start_date=datetime(2020, 9, 1, tzinfo=timezone.utc),
    catchup=False,
    max_active_runs=3,
    tags=["newspipe"],
    doc_md=__doc__,
    default_args=ENV.task_defaults(),
    params={
        # ``examples``: the form offers the registry's names in a multi-select (``items.enum`` validates them)
        "outlets": Param(None, type=["null", "array"], items={"type": "string", **({"enum": NAMES} if NAMES else {})},
                         **({"examples": NAMES} if NAMES else {}), title="Outlets",
                         description="Outlets to crawl, by their registry names; leave empty for every outlet."),
        "since": Param(None, type=["null", "string"], format="date-time", title="Window start (UTC)",
                       description="Empty: the run's data interval, the day before its logical date (a manual run "
                                   "triggered now processes yesterday). A date-time here is widened to whole UTC "
                                   "days. Not allowed in a backfill: each backfilled day has its own interval."),
        "until": Param(None, type=["null", "string"], format="date-time", title="Window end (UTC, excluded)",
                       description="Empty: the end of the data interval. With since, at most 400 days."),
        "reextract": Param(False, type="boolean", title="Re-extract stored raw pages, fetch nothing",
                           description="Rebuild the window's articles from the pages earlier crawls stored."),
        "dry_run": Param(False, type="boolean", title="Validate and plan only",
                         description="Check the parameters and show the window and outlets; crawl nothing."),
        "politeness": Param(True, type="boolean", title="Obey crawl delays and AutoThrottle",
                            description="Off only for sites of your own (the mock outlets)."),
        "refetch": Param(False, type="boolean", title="Fetch pages again that earlier runs stored",
                         description="Off: a page stored by an earlier crawl is read from disk, not fetched."),
        "repair": Param(False, type="boolean", title="Replace unreadable partitions",
                        description="Publish even where a day's stored partition cannot be read; its rows are lost. "
                                    "Off: such a run fails and names the file."),
    },
)
def newspipe_daily():
    @task(retries=0, multiple_outputs=False)
    def plan(params=None, data_interval_start=None, data_interval_end=None, dag_run=None) -> dict:
        from airflow.sdk.exceptions import AirflowFailException

        from pipeline.run.orchestration import PlanError, make_plan
        try:
            plan = make_plan(dict(params or {}), data_interval_start, data_interval_end,
                             run_type=str(getattr(dag_run, "run_type", "") or "").split(".")[-1].lower())
        except PlanError as exc:
            raise AirflowFailException(f"bad run parameters: {exc}") from None
        print(f"window {plan['since']} .. {plan['until']}, {len(plan['outlets'])} outlet(s); {'; '.join(plan['notes'])}")
        return plan

    @task(retries=0)
    def outlets(plan: dict) -> list[str]:
        return plan["outlets"]

    @task(pool=ENV.crawl_pool, max_active_tis_per_dag=ENV.crawl_parallelism, map_index_template="{{ outlet_name }}",
          multiple_outputs=False)
    def crawl(outlet: str, plan: dict) -> dict:
        from airflow.sdk import get_current_context

        from pipeline.run.orchestration import crawl_outlet, window_label
        get_current_context()["outlet_name"] = f"{outlet} {window_label(plan)}"  # the days, where the grid shows
        return crawl_outlet(plan, outlet)

    # runs when every crawl is done, whatever became of it; not when the plan itself failed
    @task(trigger_rule="all_done_min_one_success", outlets=[ARTICLES], retries=1, multiple_outputs=False)
    def publish(plan: dict, crawls: list, run_id=None) -> dict:
        from airflow.sdk.exceptions import AirflowFailException, AirflowSkipException

        from pipeline.run.orchestration import NothingToPublish, publish as publish_window
        try:
            result = publish_window(plan, run_id=run_id)
        except NothingToPublish as exc:
            raise AirflowFailException(str(exc)) from None
        print(result.pop("summary", ""), flush=True)
        if result.get("dry_run") or not result.get("changed", True):
            # skipped, not green: no asset event, so the report and other consumers do not run for nothing
            raise AirflowSkipException("dry run: nothing published" if result.get("dry_run")
                                       else "the window's articles are unchanged: no new data to announce")
        return result

    p = plan()
    crawls = crawl.partial(plan=p).expand(outlet=outlets(p))
    publish(p, crawls)


newspipe_daily()
