"""What the ``newspipe_backfill`` DAG's tasks call: plain dicts in and out (XCom), no Airflow.

``plan_backfill`` checks the params and lists the source's units; ``collect_batch`` reads a
batch of them (mapped tasks, each resumable from its checkpoints, so a retry goes on where
the failed try stopped); ``publish_backfill`` publishes the window once every batch is done.
"""
from __future__ import annotations

from dataclasses import asdict

from crawlers.archives.records import ArchiveError
from crawlers.dates import as_utc
from crawlers.registry import SourcesError
from pipeline.backfill.collect import UnitResult
from pipeline.backfill.run import collect, make_query, publish
from pipeline.run.orchestration import PlanError
from pipeline.run.report import summary
from pipeline.run.window import WindowError
from pipeline.settings import RunEnvironment

MAX_BATCHES = 32   # mapped collect tasks at most; units are shared out among them


def plan_backfill(params: dict) -> dict:
    """``params``: ``source``, ``since``, ``until`` (required), ``outlets``, ``warc_uris``, ``any_domain``,
    ``prefilter``. Returns the plan with its ``batches`` of units."""
    env = RunEnvironment.read()
    missing = [k for k in ("source", "since", "until") if not params.get(k)]
    if missing:
        raise PlanError(f"param(s) {', '.join(missing)} required")
    try:
        since, until = as_utc(params["since"]), as_utc(params["until"])
        if since >= until:
            raise PlanError(f"since {params['since']} is not before until {params['until']}")
        q, chosen = make_query(env.sources, since, until, params["source"], params.get("outlets") or None,
                               params.get("warc_uris") or None, bool(params.get("any_domain")))
        from crawlers.archives.sources import SOURCES
        units = SOURCES[params["source"]].units(q)
    except (ValueError, SourcesError, WindowError, ArchiveError) as exc:
        raise PlanError(str(exc)) from None
    n = max(1, min(MAX_BATCHES, len(units)))
    return {"source": params["source"], "since": q.since.isoformat(), "until": q.until.isoformat(),
            "outlets": sorted(chosen), "warc_uris": params.get("warc_uris") or [],
            "any_domain": bool(params.get("any_domain")), "prefilter": params.get("prefilter", True),
            "sources": str(env.sources), "data": env.data, "batches": [units[i::n] for i in range(n)]}


def collect_batch(plan: dict, units: list[str]) -> list[dict]:
    """Read one batch of units (each from its checkpoint). A unit the archive did not finish
    fails the task after the others are read, so that Airflow retries it with backoff."""
    from storage.layout import archive_raw_dir, archive_state_file
    from storage.shared_work import SharedWork
    q, chosen = make_query(plan["sources"], as_utc(plan["since"]), as_utc(plan["until"]), plan["source"],
                           plan["outlets"], plan["warc_uris"], plan["any_domain"])
    shared = SharedWork(plan["data"])  # the publish task, or this batch's retry, may run on another machine
    shared.pull_state(archive_state_file(shared.work, plan["source"]))
    try:
        results = collect(plan["source"], q, chosen, shared.work, units=units, prefilter=plan["prefilter"])
    finally:
        shared.push_dir(archive_raw_dir(shared.work, plan["source"], q.since, q.until), mirrored=())
        shared.push_state(archive_state_file(shared.work, plan["source"]))
    errors = [r.error for r in results if r.error]
    if errors:
        raise ArchiveError(f"{len(errors)} unit(s) not finished, retried from their checkpoints: {'; '.join(errors)}")
    return [asdict(r) for r in results]


def publish_backfill(plan: dict, batches: list, run_id: str | None = None) -> dict:
    """Publish the window from every page the archives gave for it."""
    results = [UnitResult(**r) for batch in batches if batch for r in batch]
    report = publish(plan["sources"], as_utc(plan["since"]), as_utc(plan["until"]), plan["data"], results,
                     run_id=run_id)
    return {"kept": sum(report.kept.values()), "relevant": sum(report.relevant.values()),
            "units": len(results), "summary": summary(report)}
