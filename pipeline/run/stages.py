"""One pipeline run: crawl -> extract -> relevance -> dedup -> Parquet.

A run owns the days of its window ``[since, until)``: it replaces exactly
those partitions of ``articles``, ``signatures`` and ``crawl_stats`` and
leaves every other day alone, so a rerun or a backfill is idempotent. A
window is always whole UTC days (``pipeline.run.window``): a run that
collected only part of a day must not replace that day with the part.
Clusters span days: after every run they are brought up to date with the
days that changed, against the persistent index of the history
(``pipeline.dedup.incremental``), and equal a full recompute, whatever the
order in which days were run.

``crawl_stage`` and ``publish_stage`` are what the scheduler runs as
separate tasks (``pipeline.run.orchestration``); ``run`` chains them for
the command line.
"""
from __future__ import annotations

import json
import time
from collections import Counter, defaultdict
from dataclasses import asdict
from datetime import date, datetime
from pathlib import Path

from crawlers.archives.records import ARCHIVE_PREFIX
from crawlers.launcher import OutletCrawl, run_crawl
from crawlers.registry import DEFAULT_SOURCES, load_sources, select_outlets
from pipeline.articles.paragraphs import paragraph_keys
from pipeline.articles.boilerplate_memory import MAX_CHARS, BoilerplateMemory
from pipeline.articles.build import Article, build_articles, extract_settings_by_outlet
from pipeline.dedup.incremental import SyncResult, rebuild, sync
from pipeline.dedup.signatures import scheme_of, signature_table
from pipeline.dedup.store import DAMAGED, SqliteStore, open_store, replace_damaged
from pipeline.progress import note
from pipeline.run.report import RunReport, new_run_id
from pipeline.run.window import WindowError, align_window, day_locks, day_of, window_days, window_note
from pipeline.settings import DedupSettings
from storage.dataset import StorageError, read_table, replace_partitions, to_table
from storage.fs import Root, open_root, work_dir, write_atomic
from storage.layout import (boilerplate_file, boilerplate_memory_file, crawl_state_file, raw_window_dir, runs_dir,
                            stats_dir)
from storage.locks import ensure_unlocked, exclusive, partition_locks
from storage.raw import read_raw_pages, referenced_files
from storage.shared_work import SharedWork


def _load_json(path: Path) -> dict:
    try:
        return json.loads(path.read_text(encoding="utf-8"))
    except (FileNotFoundError, ValueError):
        return {}


def _save_json(path: Path, data: dict) -> None:
    write_atomic(path, json.dumps(data, ensure_ascii=False, indent=1, sort_keys=True, default=str))


def load_boilerplate(work: Path) -> dict[str, set[str]]:
    return {k: set(v) for k, v in _load_json(boilerplate_file(work)).items()}


def save_boilerplate(work: Path, learned: dict[str, set[str]]) -> None:
    _save_json(boilerplate_file(work), {k: sorted(v) for k, v in learned.items()})


def remember_pages(memory: BoilerplateMemory, rows: list[Article], since: datetime, until: datetime) -> None:
    """The window's published pages counted into the boilerplate memory (their paragraphs
    before stripping: the text and the removed boilerplate), replacing its days' counts."""
    keys = paragraph_keys(["\n".join([a.text, *a.boilerplate]) for a in rows])
    memory.record([d.isoformat() for d in window_days(since, until)],
                  [(a.outlet, day_of(a.published_at, since, until).isoformat(), k)
                   for a, k in zip(rows, keys.key_sets(keys.short(MAX_CHARS)))])


def publish_articles(data: str | Path | Root, articles: list[Article], since: datetime, until: datetime,
                     settings: DedupSettings) -> None:
    """Replace the window's days of ``articles`` and ``signatures`` with ``articles``. The window
    must be whole UTC days: a day is replaced whole, so a part of one would empty the rest."""
    if align_window(since, until) != (since, until):
        raise WindowError(f"{window_note(since, until)}; publish whole days only")
    days = window_days(since, until)
    by_day: dict[date, list[Article]] = defaultdict(list)
    for a in articles:
        by_day[day_of(a.published_at, since, until)].append(a)
    art_tables = {day: to_table("articles", [asdict(a) for a in arts]) for day, arts in by_day.items()}
    sig_tables = {day: signature_table([a.article_id for a in arts], [a.content_hash for a in arts],
                                       [a.text for a in arts], settings) for day, arts in by_day.items()}
    replace_partitions(data, "articles", art_tables, days)
    replace_partitions(data, "signatures", sig_tables, days, scheme_of(settings).as_metadata())


def update_clusters(data: str | Path | Root, settings: DedupSettings | None = None,
                    outlet_names: dict[str, list[str]] | None = None, index: str | None = None,
                    full: bool = False) -> SyncResult:
    """Bring the ``clusters`` table up to date with the articles: only what changed since the
    last sync (``pipeline.dedup.incremental``), or everything again when ``full``. ``index``:
    the persistent index's URL (default: ``NEWSPIPE_DEDUP_INDEX``, else SQLite in the work dir)."""
    root = open_root(data)
    store = open_store(work_dir(root), index)
    try:
        result = (rebuild if full else sync)(root, store, settings, outlet_names)
    except DAMAGED as exc:  # found damaged in use: the file is replaced and the clusters rebuilt
        if not isinstance(store, SqliteStore):
            raise
        store.close()
        store = replace_damaged(store.path, str(exc))
        result = rebuild(root, store, settings, outlet_names)
    finally:
        store.close()
    for n in result.notes:
        note(n)
    return result


def recluster(data: str | Path | Root, settings: DedupSettings | None = None,
              outlet_names: dict[str, list[str]] | None = None, index: str | None = None) -> SyncResult:
    """Cluster the whole history again (``newspipe dedup rebuild``)."""
    return update_clusters(data, settings, outlet_names, index, full=True)


def raw_dir_for(data: str | Path | Root, since: datetime, until: datetime) -> Path:
    """Raw pages of one window (in the local work directory): re-extraction reads them."""
    return raw_window_dir(work_dir(data), *align_window(since, until))


def crawl_stage(sources: str | Path | None, since: datetime, until: datetime, data: str | Path,
                outlets: list[str] | None = None, politeness: bool = True,
                timeout: float | None = None, refetch: bool = False, processes: int = 1) -> list[OutletCrawl]:
    """Crawl outlets of the window (whole days) into its raw directory (in ``processes`` child
    processes), incrementally: pages stored by earlier crawls are not fetched again unless ``refetch``."""
    since, until = align_window(since, until)
    raw, shared = raw_dir_for(data, since, until), SharedWork(data)
    note(f"crawling {len(outlets) if outlets else 'every'} outlet(s), {since:%Y-%m-%d} .. {until:%Y-%m-%d}, "
         f"in {processes} process(es); logs and stats in {stats_dir(raw)}")
    if shared.active:  # what other machines' crawls of these outlets stored
        for o in select_outlets(load_sources(sources or DEFAULT_SOURCES), outlets):
            shared.pull_state(crawl_state_file(shared.work, o.name))
    crawls = run_crawl(sources or DEFAULT_SOURCES, since, until, raw, outlets, politeness, timeout=timeout,
                       work_dir=shared.work, refetch=refetch, processes=processes,
                       settings={"NEWSPIPE_SHARED_ROOT": shared.root.uri} if shared.active else None)
    for c in crawls:
        note(f"  {c.outlet}: {c.status}, {c.articles_fetched} fetched, {c.articles_known} known from earlier crawls")
    if shared.active:  # the publish task, or a retry, may run on another machine
        started = time.monotonic()
        sent = sum(shared.push_crawl(raw, c.outlet) for c in crawls)
        for c in crawls:
            shared.push_state(crawl_state_file(shared.work, c.outlet))
        note(f"stored the crawl on the data root ({sent / 1e6:.1f} MB of pages) in {time.monotonic() - started:.1f} s")
    note("crawl logs: " + ", ".join(dict.fromkeys(log for c in crawls for log in c.logs)))
    return crawls


def read_crawls(data: str | Path, since: datetime, until: datetime, outlets: list[str]) -> list[OutletCrawl]:
    """What the crawl stage recorded for each outlet (a missing record counts as failed), and
    with it, where crawls run on other machines, their pages (``storage.shared_work``)."""
    raw = raw_dir_for(data, since, until)
    SharedWork(data).pull_window(raw, outlets, referenced_files)
    stats = stats_dir(raw)
    out = []
    for name in outlets:
        rec = _load_json(stats / f"{name}.json")
        out.append(OutletCrawl(**rec) if rec else OutletCrawl(name, "failed", message=f"outlet '{name}': no crawl record"))
    return out


def publish_stage(sources: str | Path | None, since: datetime, until: datetime, data: str | Path | Root, *,
                  outlets: list[str] | None = None, run_id: str | None = None, workers: int | None = None,
                  settings: DedupSettings | None = None, index: str | None = None,
                  repair: bool = False, locked: bool = False) -> RunReport:
    """Extract the window's raw pages, publish its days and bring the clusters up to date.

    Reads only what the crawl stage stored, so it also re-extracts a window
    without refetching anything. ``data`` is a directory or a filesystem URI;
    state, locks and raw pages stay in the local work directory. An outlet
    whose crawl failed, or that listed no article this time while the window
    holds published ones, keeps its published rows. A partition that cannot
    be read is never replaced (``StorageError`` names it) unless ``repair``.
    ``locked``: the caller already holds the window's day locks.
    """
    widened = window_note(since, until)
    since, until = align_window(since, until)
    work = work_dir(data)
    registry = load_sources(sources)
    chosen = [o.name for o in select_outlets(registry, outlets)]
    report = RunReport(run_id or new_run_id(), since, until, str(data), crawls=read_crawls(data, since, until, chosen),
                       notes=[widened] if widened else [])
    raw = raw_dir_for(data, since, until)
    pages = [p for name in chosen for p in read_raw_pages(raw / name, work)]
    return publish_pages(report, pages, registry, data, crawled_rows, settings=settings, workers=workers,
                         index=index, repair=repair, locked=locked)


def publish_pages(report: RunReport, pages: list[dict], registry: list, data: str | Path | Root, select, *,
                  settings: DedupSettings | None = None, workers: int | None = None,
                  index: str | None = None, repair: bool = False, locked: bool = False) -> RunReport:
    """Extract ``pages``, publish the report's window and bring the clusters up to date. ``select(report,
    old, new)`` gives the window's rows to publish from its published rows and the new articles
    (a crawl replaces its outlets' rows; a backfill adds to them)."""
    since, until = report.since, report.until
    root, work = open_root(data), work_dir(data)
    settings = settings or DedupSettings()
    note(f"extracting {len(pages)} page(s) of {len({p['outlet'] for p in pages})} outlet(s)")
    shared = SharedWork(root)  # what publishes on other machines learned of the outlets' boilerplate
    shared.pull_state(boilerplate_memory_file(work))
    shared.pull_learned(boilerplate_file(work))
    memory = BoilerplateMemory(boilerplate_memory_file(work))
    window = {d.isoformat() for d in window_days(since, until)}
    articles, rejected, learned = build_articles(
        pages, report.run_id, known_boilerplate=load_boilerplate(work), per_outlet=extract_settings_by_outlet(registry),
        workers=workers, boilerplate_memory=memory, day_of=lambda t: day_of(t, since, until).isoformat(),
        skip_days=window)
    report.kept = dict(Counter(a.outlet for a in articles))
    report.relevant = dict(Counter(a.outlet for a in articles if a.relevant))
    report.rejected = dict(Counter(r.outlet for r in rejected))
    with partition_locks(work, [] if locked else day_locks(since, until), f"run {report.run_id}", root.uri):
        note(f"publishing {len(window_days(since, until))} day(s)")
        old = _published(root, since, until, repair)
        rows = select(report, old, articles)
        report.changed = _fingerprint(rows) != _fingerprint(old)
        publish_articles(root, rows, since, until, settings)
        _write_crawl_stats(root, report)
        remember_pages(memory, rows, since, until)
    memory.close()
    with exclusive(work, "state"):
        save_boilerplate(work, {o: keys | load_boilerplate(work).get(o, set()) for o, keys in learned.items()})
        shared.push_state(boilerplate_memory_file(work))
        shared.push_learned(boilerplate_file(work))
    note("clustering what changed against the history")
    with exclusive(work, "clusters", root.uri):
        result = update_clusters(root, settings, {o.name: [o.title] for o in registry}, index)
    note(f"clusters: {len(result.days)} day(s) re-indexed, {result.touched} article(s) clustered again")
    _count_clusters(report, result)
    _save_json(runs_dir(work) / f"{report.run_id}.json", report.to_dict())
    return report


def _fingerprint(rows: list[Article]) -> set[tuple]:
    """What analysts would see change: the articles, their texts, titles, dates and relevance."""
    return {(a.article_id, a.content_hash, a.title, a.published_at, a.relevant) for a in rows}


def _count_clusters(report: RunReport, result: SyncResult) -> None:
    t = result.totals
    report.articles_total, report.clusters = t["articles"], t["clusters"]
    report.duplicates, report.cross_posts = t["copies"], t["cross_posts"]
    report.lsh = result.lsh_params


def crawled_rows(report: RunReport, old: list[Article], new: list[Article]) -> list[Article]:
    """A crawl's window: its collected outlets' rows are the new articles; other outlets keep
    theirs, and rows found in a web archive stay unless the crawl found the same article."""
    collected = _collected(report, old)
    found = {a.article_id for a in new}
    return ([a for a in old if a.outlet not in collected
             or (a.discovered_via.startswith(ARCHIVE_PREFIX) and a.article_id not in found)]
            + [a for a in new if a.outlet in collected])


def _published(root: Root, since: datetime, until: datetime, repair: bool) -> list[Article]:
    """The window's published articles. An unreadable partition stops the run (replacing it
    would lose the rows of every outlet this run did not collect) unless ``repair``."""
    try:
        table = read_table(root, "articles", days=window_days(since, until), strict=not repair)
    except StorageError as exc:
        raise StorageError(f"{exc}; not replaced, so that no row is lost: move the file away, or rerun "
                           "with --repair (Airflow param 'repair') to publish without its rows") from None
    return [Article(**r) for r in table.to_pylist()]


def _collected(report: RunReport, old: list[Article]) -> set[str]:
    """The outlets whose rows this run replaces: crawled, and not empty-handed where the window
    holds published rows of theirs (a broken feed must not erase an outlet's days)."""
    published = Counter(a.outlet for a in old)
    out = set()
    for c in report.crawls:
        if c.status == "failed":
            continue
        if c.articles_fetched + c.articles_known == 0 and published[c.outlet]:
            c.status = "degraded"
            c.message = (f"outlet '{c.outlet}': listed no article this run although {published[c.outlet]} are "
                         f"published for the window; those were kept. {c.message}").strip()
            continue
        out.add(c.outlet)
    return out


def run(sources: str | Path | None, since: datetime, until: datetime, data: str | Path, *,
        outlets: list[str] | None = None, politeness: bool = True, run_id: str | None = None,
        workers: int | None = None, settings: DedupSettings | None = None, timeout: float | None = None,
        refetch: bool = False, crawl_processes: int = 1, repair: bool = False) -> RunReport:
    """Crawl the window (whole UTC days) and publish its days.

    Raises SourcesError or WindowError before any work, and ``LockedError``
    before crawling when another run is writing one of the window's days.
    """
    chosen = [o.name for o in select_outlets(load_sources(sources), outlets)]
    days = day_locks(*align_window(since, until))
    run_id = run_id or new_run_id()
    with partition_locks(work_dir(data), days, f"run {run_id}", open_root(data).uri):
        crawl_stage(sources, since, until, data, chosen, politeness, timeout, refetch, crawl_processes)
        return publish_stage(sources, since, until, data, outlets=outlets, run_id=run_id, workers=workers,
                             settings=settings, repair=repair, locked=True)


def check_days_free(data: str | Path, since: datetime, until: datetime) -> None:
    """Raise ``LockedError`` now if another run is writing one of the window's days, so that
    a crawl is not done for nothing (the scheduler's crawl tasks call it first)."""
    ensure_unlocked(work_dir(data), day_locks(*align_window(since, until)), open_root(data).uri)


def _write_crawl_stats(data: Root, report: RunReport) -> None:
    rows = [{"run_id": report.run_id, "outlet": c.outlet, "status": c.status, "articles_fetched": c.articles_fetched,
             "articles_kept": report.kept.get(c.outlet, 0), "relevant": report.relevant.get(c.outlet, 0),
             "rejected": report.rejected.get(c.outlet, 0), "message": c.message,
             "stats_json": json.dumps(c.stats, default=str, sort_keys=True), "since": report.since,
             "until": report.until} for c in report.crawls]
    day = report.since.date()  # a window starts at midnight UTC
    replace_partitions(data, "crawl_stats", {day: to_table("crawl_stats", rows)}, [day])
