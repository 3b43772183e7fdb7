"""History from web archives: one window of past days, triggered from the UI with params.

``plan`` checks the params and lists the source's units (archive files, index queries,
CDX pages, GDELT files); ``collect`` reads them in mapped tasks, in the pool
``NEWSPIPE_ARCHIVE_POOL`` (``pipeline.settings.RunEnvironment``) that caps the requests
sent to the archives at once, each
retried with backoff and resumed from its checkpoints; ``publish`` extracts and
publishes the window through the daily DAG's own publish path and emits the
``newspipe_articles`` asset. A rerun fetches nothing it already has. All logic lives in
``pipeline.backfill``; this file only wires it to Airflow.
"""
from __future__ import annotations

from datetime import datetime, timezone

from airflow.sdk import Asset, Param, dag, task

from pipeline.run.orchestration import articles_asset_uri
from pipeline.settings import RunEnvironment

ENV = RunEnvironment.read()
ARTICLES = Asset(name="newspipe_articles", uri=articles_asset_uri(ENV.data))
SOURCES = ["warc", "cc-news", "cc-index", "wayback", "gdelt"]


@dag(
    dag_id="newspipe_backfill",
    schedule=None,
    start_date=datetime(2020, 9, 1, tzinfo=timezone.utc),
    catchup=False,
    max_active_runs=1,
    tags=["newspipe"],
    doc_md=__doc__,
    default_args=ENV.task_defaults(),
    params={
        "source": Param("cc-news", enum=SOURCES, title="Archive",
                        description="warc: the WARC files below; cc-news: Common Crawl's news crawl; cc-index: "
                                    "Common Crawl's URL index then range requests; wayback: the Wayback Machine; "
                                    "gdelt: GDELT events in Idlib, pages from the Wayback Machine."),
        "since": Param("2019-12-01", type="string", format="date", title="First day (YYYY-MM-DD)",
                       description="First publication day of the window, UTC."),
        "until": Param("2020-01-01", type="string", format="date", title="Day after the last (YYYY-MM-DD)",
                       description="The window ends before this day (excluded); at most 400 days per run."),
        "outlets": Param([], type="array", items={"type": "string"}, title="Outlets",
                         description="Outlet names of the registry; empty means every outlet."),
        "warc_uris": Param([], type="array", items={"type": "string"}, title="WARC files (source warc)",
                           description="Local paths, http(s):// or s3:// URIs of WARC/ARC files."),
        "any_domain": Param(False, type="boolean", title="GDELT: any domain",
                            description="Keep GDELT source URLs of any domain, not only the registry's outlets."),
        "prefilter": Param(True, type="boolean", title="Only pages that may mention Idlib",
                           description="Skip, before parsing, pages with none of the Idlib terms in any script."),
    },
)
def newspipe_backfill():
    @task(retries=0)
    def plan(params=None) -> dict:
        from airflow.sdk.exceptions import AirflowFailException

        from pipeline.backfill.tasks import plan_backfill
        from pipeline.run.orchestration import PlanError
        try:
            p = plan_backfill(dict(params or {}))
        except PlanError as exc:
            raise AirflowFailException(f"bad backfill parameters: {exc}") from None
        print(f"{p['source']}: {p['since']} .. {p['until']}, {sum(map(len, p['batches']))} unit(s)")
        return p

    @task(retries=0)
    def batches(p: dict) -> list:
        return p["batches"]

    @task(pool=ENV.archive_pool, max_active_tis_per_dag=ENV.archive_parallelism)
    def collect(units: list, p: dict) -> list:
        from pipeline.backfill.tasks import collect_batch
        return collect_batch(p, units)

    @task(outlets=[ARTICLES], retries=1)
    def publish(p: dict, done: list, run_id=None) -> dict:
        from pipeline.backfill.tasks import publish_backfill
        result = publish_backfill(p, done, run_id=run_id)
        print(result.pop("summary"))
        return result

    p = plan()
    done = collect.partial(p=p).expand(units=batches(p))
    publish(p, done)


newspipe_backfill()
