"""``newspipe backfill``: a window of history from a web archive, through the run's own path.

``plan`` lists the source's units for the window; ``collect`` reads them into raw pages
(``pipeline.backfill.collect``, resumable per unit); ``publish`` extracts every raw page
the archives gave for the window and publishes like a crawl (``publish_pages``), with two
differences: an archived article is kept only when its own date (``published_at`` from
the page, never the capture time) lies in the window, and the window's published rows are
added to, not replaced (an archive holds some of a day's articles, not all of them).
Airflow runs the three as tasks (``dags/newspipe_backfill.py``); ``backfill`` chains them.
"""
from __future__ import annotations

from collections import Counter
from datetime import datetime, timedelta
from functools import lru_cache, partial
from pathlib import Path
from urllib.parse import urlsplit

from crawlers.archives.query import Endpoints, Query
from crawlers.archives.records import Http
from crawlers.archives.sources import SOURCES
from crawlers.launcher import OutletCrawl
from crawlers.registry import Outlet, load_sources, select_outlets
from crawlers.urls import canonicalize, repair_url
from pipeline.articles.build import Article
from pipeline.backfill.collect import UnitResult, collect_unit
from pipeline.progress import note, track
from pipeline.run.report import RunReport, new_run_id
from pipeline.run.stages import publish_pages
from pipeline.run.window import WindowError, align_window, window_note
from storage.fs import work_dir
from storage.layout import ARCHIVE_DIR, RAW_DIR, archive_raw_dir, window_key
from storage.raw import read_raw_pages
from storage.shared_work import SharedWork


def make_query(sources: str | Path | None, since: datetime, until: datetime, source: str,
               outlets: list[str] | None = None, uris: list[str] | None = None, any_domain: bool = False,
               capture_slack_days: int = 30, min_interval: float = 0.0) -> tuple[Query, dict[str, Outlet]]:
    """The query a source answers, and the chosen outlets by name."""
    if source not in SOURCES:
        raise WindowError(f"unknown archive source {source!r}: one of {', '.join(SOURCES)}")
    if source == "warc" and not uris:
        raise WindowError("the warc source needs the WARC files (--warc PATH or URI, repeatable)")
    since, until = align_window(since, until)
    chosen = {o.name: o for o in select_outlets(load_sources(sources), outlets)}
    domains = {d for o in chosen.values() for d in o.domains}
    q = Query(since, until, sorted(domains), keep_url=lambda url: on_hosts(url, domains) and outlet_of(chosen, url)
              is not None, endpoints=Endpoints.read(),
              http=Http(min_interval=min_interval), uris=list(uris or []),
              capture_slack=timedelta(days=capture_slack_days), any_domain=any_domain)
    return q, chosen


def on_hosts(url: str, domains: set[str]) -> bool:
    """Is the (repaired) URL's host one of ``domains`` or under one? The cheap test every archive
    record takes first: most records are other sites', and each outlet's patterns cost more."""
    try:
        host = (urlsplit(repair_url(url)).hostname or "").rstrip(".")
    except ValueError:
        return False
    labels = host.split(".")
    return any(".".join(labels[i:]) in domains for i in range(len(labels)))


def outlet_of(chosen: dict[str, Outlet], url: str) -> str | None:
    """The chosen outlet whose article URL this is (an AMP or mangled form too)."""
    return next((name for name, o in chosen.items() if o.is_article_url(o.canonical(url))), None)


def collect(source: str, q: Query, chosen: dict[str, Outlet], work: str | Path,
            units: list[str] | None = None, prefilter: bool = True) -> list[UnitResult]:
    """Read the units (all of the source's for the window by default), each from its checkpoint."""
    src = SOURCES[source]
    units = src.units(q) if units is None else units
    note(f"backfill from {source}: {len(units)} unit(s), {q.since:%Y-%m-%d} .. {q.until:%Y-%m-%d}, "
         f"{len(chosen)} outlet(s)")

    # each kept record asks for its outlet twice (owner, canonical): the patterns are matched once
    name_of = lru_cache(maxsize=4096)(partial(outlet_of, chosen))

    def owner(url: str) -> str | None:
        name = name_of(url)
        return name or (url.split("/")[2].lower() if q.any_domain and "://" in url else None)

    def canonical(url: str) -> str:
        name = name_of(url)
        return chosen[name].canonical(url) if name else canonicalize(url)

    return [collect_unit(src, q, unit, work, owner, prefilter=prefilter, canonical=canonical)
            for unit in track(units, f"reading {source}")]


def publish(sources: str | Path | None, since: datetime, until: datetime, data: str | Path, results: list[UnitResult],
            run_id: str | None = None, workers: int | None = None, repair: bool = False) -> RunReport:
    """Extract and publish the window's archived pages (of every source) with the day locks held."""
    widened = window_note(since, until)
    since, until = align_window(since, until)
    work, shared = work_dir(data), SharedWork(data)
    for name in sorted(SOURCES):  # pages other machines' collect tasks read (storage.shared_work)
        shared.pull_dir(archive_raw_dir(work, name, since, until), mirrored=())
    pages = archived_pages(work, since, until)
    stats = _stats_by_outlet(pages, results)
    errors = [r.error for r in results if r.error]
    report = RunReport(run_id or new_run_id(), since, until, str(data), notes=([widened] if widened else []) + [
        f"unit not finished (the next run of this window reads on from its checkpoint): {e}" for e in errors],
        crawls=[OutletCrawl(o, "degraded" if errors else "ok", articles_fetched=n, stats=stats.get(o, {}))
                for o, n in sorted(Counter(p["outlet"] for p in pages).items())])
    return publish_pages(report, pages, load_sources(sources), data, archived_rows, workers=workers, repair=repair)


def archived_pages(work: str | Path, since: datetime, until: datetime) -> list[dict]:
    """Every raw page the archives gave for the window, one per URL (the latest capture)."""
    base = Path(work) / RAW_DIR / ARCHIVE_DIR
    dirs = sorted(base.glob(f"*/{window_key(since, until)}"))
    by_url: dict[str, dict] = {}
    for d in dirs:
        for page in read_raw_pages(d):
            prev = by_url.get(page["url"])
            if prev is None or page["fetched_at"] >= prev["fetched_at"]:
                by_url[page["url"]] = page
    return [by_url[u] for u in sorted(by_url)]


def _stats_by_outlet(pages: list[dict], results: list[UnitResult]) -> dict[str, dict]:
    skipped = Counter()
    for r in results:
        skipped.update(r.skipped)
    return {o: {"archive_pages": n, "archive_skipped": dict(skipped)} for o, n in
            Counter(p["outlet"] for p in pages).items()}


def archived_rows(report: RunReport, old: list[Article], new: list[Article]) -> list[Article]:
    """The window's rows after a backfill: the published ones, with the archived articles dated
    in the window added (the same article replaces its row)."""
    inside = [a for a in new if a.published_at is not None and report.since <= a.published_at < report.until]
    if len(inside) < len(new):
        report.notes.append(f"{len(new) - len(inside)} archived article(s) dated outside the window "
                            f"(or undated) were not stored")
    report.kept = dict(Counter(a.outlet for a in inside))
    report.relevant = dict(Counter(a.outlet for a in inside if a.relevant))
    found = {a.article_id for a in inside}
    return [a for a in old if a.article_id not in found] + inside


def backfill(sources: str | Path | None, since: datetime, until: datetime, data: str | Path, source: str, *,
             outlets: list[str] | None = None, uris: list[str] | None = None, any_domain: bool = False,
             workers: int | None = None, prefilter: bool = True, min_interval: float = 0.0) -> RunReport:
    """Collect the window from ``source`` and publish it; resumable, and a rerun fetches nothing."""
    q, chosen = make_query(sources, since, until, source, outlets, uris, any_domain, min_interval=min_interval)
    results = collect(source, q, chosen, work_dir(data), prefilter=prefilter)
    report = publish(sources, q.since, q.until, data, results, workers=workers)
    report.figures.append(f"{source}: {sum(r.stored for r in results)} page(s) stored, {q.http.requests} request(s), "
                        f"{q.http.bytes:,} bytes fetched over HTTP")
    if q.http.file_sizes:
        whole = sum(q.http.file_sizes.values())
        report.figures.append(f"{source}: range requests fetched {q.http.bytes:,} bytes of the {whole:,} bytes of the "
                            f"{len(q.http.file_sizes)} WARC file(s) holding the records ({q.http.bytes / whole:.2%})")
    return report
