"""What a scheduler calls: plan a run, crawl one outlet, publish the window.

No Airflow here: the DAG in ``dags/`` is a thin shell over these three
functions, and everything they pass between them is a small JSON-able dict
(paths and counts, never article data).

Settings come from the environment so the same DAG file serves every
deployment: ``NEWSPIPE_DATA`` (the data root) and ``NEWSPIPE_SOURCES`` (the
outlet registry; the bundled one by default).
"""
from __future__ import annotations

from dataclasses import asdict, dataclass, field
from datetime import datetime, timedelta
from pathlib import Path

from crawlers.dates import as_utc
from crawlers.registry import SourcesError, load_sources, select_outlets
from pipeline.run.window import WindowError, align_window, window_note
from pipeline.settings import RunEnvironment

class PlanError(ValueError):
    """Run parameters that cannot be used; raised before anything is crawled."""


class OutletFailed(RuntimeError):
    """An outlet could not be crawled at all (the scheduler retries it)."""


def articles_asset_uri(data: str) -> str:
    """The URI of the ``articles`` table, for the DAG's asset: ``file:///abs/path/articles`` for a
    directory, ``s3://bucket/prefix/articles`` for an object store (its query string dropped)."""
    if "://" in data:
        return data.split("?", 1)[0].rstrip("/") + "/articles"
    return Path(data).absolute().joinpath("articles").as_uri()


@dataclass
class Plan:
    since: str
    until: str
    outlets: list[str]
    sources: str
    data: str
    reextract: bool = False
    dry_run: bool = False
    politeness: bool = True
    refetch: bool = False
    repair: bool = False
    notes: list[str] = field(default_factory=list)

    def window(self) -> tuple[datetime, datetime]:
        return as_utc(self.since), as_utc(self.until)


def _as_utc(value, name: str) -> datetime:
    try:
        return as_utc(value if isinstance(value, datetime) else str(value))
    except ValueError:
        raise PlanError(f"param '{name}': {value!r} is not an ISO 8601 date or time in range") from None


def make_plan(params: dict | None, interval_start, interval_end, *, sources: str | None = None,
              data: str | None = None, run_type: str | None = None) -> dict:
    """Validate run parameters against the registry and fix the window.

    ``params``: ``outlets`` (list, empty = all), ``since``/``until`` (override
    the data interval), ``reextract``, ``dry_run``, ``politeness``, ``refetch``,
    ``repair``. A backfill's run (``run_type``) takes no custom window. The window is aligned to whole UTC days (a manual trigger at
    14:37 covers the two days it touches, each in full), and the plan's notes
    say so.
    """
    if params is not None and not isinstance(params, dict):
        raise PlanError(f"run conf must be a mapping, got {type(params).__name__}")
    params = {k: v for k, v in (params or {}).items() if v is not None}
    flags = ("reextract", "dry_run", "politeness", "refetch", "repair")
    known = {"outlets", "since", "until", *flags}
    unknown = sorted(set(params) - known)
    if unknown:
        raise PlanError(f"unknown param(s) {', '.join(unknown)} (known: {', '.join(sorted(known))})")
    if run_type == "backfill" and (params.get("since") or params.get("until")):
        raise PlanError("a backfill runs each of its days with that day's data interval; a custom since/until "
                        "would make every backfilled day process the same window: leave them empty")
    since = _as_utc(params.get("since") or interval_start, "since")
    until = _as_utc(params.get("until") or interval_end, "until")
    try:
        note = window_note(since, until)
        since, until = align_window(since, until)
    except WindowError as exc:
        raise PlanError(str(exc)) from None
    outlets = params.get("outlets") or []
    if isinstance(outlets, str):
        outlets = [o.strip() for o in outlets.split(",") if o.strip()]
    if not isinstance(outlets, list) or not all(isinstance(o, str) for o in outlets):
        raise PlanError(f"param 'outlets' must be a list of outlet names, got {outlets!r}")
    for flag in flags:
        if flag in params and not isinstance(params[flag], bool):
            raise PlanError(f"param '{flag}' must be true or false, got {params[flag]!r}")
    env = RunEnvironment.read()
    sources = sources or env.sources
    try:
        chosen = select_outlets(load_sources(sources), outlets)
    except SourcesError as exc:
        raise PlanError(str(exc)) from None
    plan = Plan(since.isoformat(), until.isoformat(), [o.name for o in chosen], str(sources), data or env.data,
                reextract=params.get("reextract", False), dry_run=params.get("dry_run", False),
                politeness=params.get("politeness", True), refetch=params.get("refetch", False),
                repair=params.get("repair", False))
    plan.notes.append("all outlets" if not outlets else f"outlets: {', '.join(plan.outlets)}")
    if note:
        plan.notes.append(note)
    return asdict(plan)


class NothingToPublish(RuntimeError):
    """A re-extraction of a window no crawl stored pages for: it must not go green empty-handed."""


_COUNTERS = (("requests", "downloader/request_count"), ("304s", "newspipe/conditional/not_modified"),
             ("out of window", "newspipe/skipped/out_of_window"), ("robots refusals", "robotstxt/forbidden"),
             ("errors", "newspipe/errors"))


def window_label(plan: dict) -> str:
    """The days a plan processes, as the grid shows them beside each crawl (a backfill's run is
    named after its logical date, the day after the one it processes)."""
    since, until = Plan(**plan).window()
    last = until - timedelta(days=1)
    return f"{since:%Y-%m-%d}" if last.date() <= since.date() else f"{since:%Y-%m-%d}..{last:%Y-%m-%d}"


def crawl_line(res, stats_path: str) -> str:
    """One line for the crawl task's log: the counters an operator looks for, and where the rest are."""
    stats = res.stats or {}
    errors = {k.split("/")[-1]: v for k, v in stats.items() if k.startswith(("newspipe/errors/", "downloader/exception_type"))}
    figures = [f"{name} {stats.get(key, 0)}" for name, key in _COUNTERS if name != "errors"]
    figures.append("errors " + (", ".join(f"{k} {v}" for k, v in sorted(errors.items())) or "none"))
    return (f"{res.outlet}: {res.status}, {res.articles_fetched} fetched, {res.articles_known} known; "
            f"{'; '.join(figures)}. All counters: {stats_path}")


def crawl_outlet(plan: dict, outlet: str) -> dict:
    """Crawl one outlet of the plan in a child process; raise ``OutletFailed`` if nothing could be fetched."""
    from pipeline.run.stages import check_days_free, crawl_stage, raw_dir_for
    from storage.layout import stats_dir
    p = Plan(**plan)
    if p.dry_run or p.reextract:
        return {"outlet": outlet, "status": "skipped", "reason": "dry run" if p.dry_run else "re-extraction"}
    since, until = p.window()
    check_days_free(p.data, since, until)  # another run publishing these days: refused before crawling
    [res] = crawl_stage(p.sources, since, until, p.data, [outlet], p.politeness, refetch=p.refetch)
    print(crawl_line(res, str(stats_dir(raw_dir_for(p.data, since, until)) / f"{outlet}.json")), flush=True)
    if res.status == "failed":
        raise OutletFailed(res.message)
    return {"outlet": outlet, "status": res.status, "articles_fetched": res.articles_fetched,
            "articles_known": res.articles_known, "message": res.message}


def publish(plan: dict, run_id: str | None = None) -> dict:
    """Extract, deduplicate and publish the plan's window; a small summary for the logs and XCom."""
    from pipeline.run.report import summary
    from pipeline.run.stages import publish_stage
    p = Plan(**plan)
    if p.dry_run:
        return {"dry_run": True, "plan": plan}
    since, until = p.window()
    if p.reextract:
        from pipeline.run.stages import read_crawls
        records = read_crawls(p.data, since, until, p.outlets)
        if all(c.status == "failed" and "no crawl record" in c.message for c in records):
            raise NothingToPublish(f"re-extraction of {since:%Y-%m-%d} .. {until:%Y-%m-%d}: no outlet of the plan "
                                   "has a crawl record for this window (it was never crawled here); nothing was "
                                   "published. Run it without 'reextract' to crawl it.")
    all_outlets = len(p.outlets) == len(load_sources(p.sources))
    report = publish_stage(p.sources, since, until, p.data, outlets=None if all_outlets else p.outlets, run_id=run_id,
                           repair=p.repair)
    return {"run_id": report.run_id, "data": p.data, "articles": sum(report.kept.values()),
            "relevant": sum(report.relevant.values()), "clusters": report.clusters,
            "failed_outlets": [c.outlet for c in report.crawls if c.status == "failed"],
            "degraded_outlets": [c.outlet for c in report.crawls if c.status == "degraded"],
            "changed": report.changed,
            "summary": summary(report)}
