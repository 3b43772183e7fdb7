"""One pipeline run: crawl -> extract -> relevance -> dedup -> Parquet.

A run owns the days of its window ``[since, until)``: it replaces exactly
those partitions of ``articles``, ``signatures`` and ``crawl_stats`` and
leaves every other day alone, so a rerun or a backfill is idempotent. A
window is always whole UTC days (``align_window``): a run that collected
only part of a day must not replace that day with the part. An article
belongs to the UTC day it was published; one without a date, or dated
outside the window, belongs to the window's first day. Clusters span
days, so they are recomputed over the whole history after every run (from
stored signatures, so old articles are not signed again) and the result does
not depend on the order in which days were run.
"""
from __future__ import annotations

import json
import uuid
from collections import Counter, defaultdict
from dataclasses import asdict, dataclass, field
from datetime import date, datetime, timedelta, timezone
from pathlib import Path

import numpy as np
import pyarrow as pa
import pyarrow.compute as pc
import pyarrow.parquet as pq

from crawlers.crawl import OutletCrawl, run_crawl
from crawlers.discovery import parse_date
from crawlers.items import KNOWN_GLOB
from crawlers.sources import DEFAULT_SOURCES, load_sources, select_outlets
from pipeline.dedup import DedupDoc, DedupResult, find_clusters, scheme_of
from pipeline.minhash import MinHasher, SignatureScheme
from pipeline.process import Article, Rejected, build_articles, outlet_settings
from pipeline.settings import DedupSettings
from pipeline.shingles import shingle_texts
from pipeline.settings import MAX_WINDOW_DAYS
from storage.dataset import (StorageError, partition_files, read_table, replace_partitions, to_table, warn,
                             write_file)
from storage.fs import Root, open_root, work_dir
from storage.locks import ensure_unlocked, exclusive, partition_locks

STATE_DIR = "_state"
EARLIEST = datetime(1990, 1, 1, tzinfo=timezone.utc)  # before any web news archive
LATEST = datetime(2200, 1, 1, tzinfo=timezone.utc)


class WindowError(ValueError):
    """A window that cannot be run: backwards, too long, or out of range."""


def align_window(since: datetime, until: datetime) -> tuple[datetime, datetime]:
    """The whole UTC days covering ``[since, until)``, checked.

    A run replaces whole day partitions, so it must collect whole days: a
    window of 14:37 to 14:37 the next day becomes the two days it touches.
    Raises ``WindowError`` for a window that ends before it starts, lies
    outside 1990-2200, or spans more than ``MAX_WINDOW_DAYS`` days.
    """
    since, until = since.astimezone(timezone.utc), until.astimezone(timezone.utc)
    if since >= until:
        raise WindowError(f"window start {since.isoformat()} is not before its end {until.isoformat()}")
    if since < EARLIEST or until > LATEST:
        raise WindowError(f"window {since:%Y-%m-%d} .. {until:%Y-%m-%d} lies outside "
                          f"{EARLIEST:%Y-%m-%d} .. {LATEST:%Y-%m-%d}")
    start = since.replace(hour=0, minute=0, second=0, microsecond=0)
    end = until.replace(hour=0, minute=0, second=0, microsecond=0)
    if end < until:
        end += timedelta(days=1)
    if (end - start).days > MAX_WINDOW_DAYS:
        raise WindowError(f"window {start:%Y-%m-%d} .. {end:%Y-%m-%d} spans {(end - start).days} days, more than "
                          f"{MAX_WINDOW_DAYS}: run it in parts (a backfill runs one day at a time)")
    return start, end


def window_note(since: datetime, until: datetime) -> str | None:
    """What alignment changed, for the run's report; None when the window was whole days."""
    start, end = align_window(since, until)
    if (start, end) == (since.astimezone(timezone.utc), until.astimezone(timezone.utc)):
        return None
    return (f"window {since.isoformat()} .. {until.isoformat()} aligned to whole UTC days "
            f"{start:%Y-%m-%d} .. {end:%Y-%m-%d} (until excluded): a run replaces whole days")


@dataclass
class RunReport:
    run_id: str
    since: datetime
    until: datetime
    data: str
    crawls: list[OutletCrawl] = field(default_factory=list)
    kept: dict[str, int] = field(default_factory=dict)
    relevant: dict[str, int] = field(default_factory=dict)
    rejected: dict[str, int] = field(default_factory=dict)
    articles_total: int = 0
    clusters: int = 0
    duplicates: int = 0
    cross_posts: int = 0
    lsh: dict = field(default_factory=dict)
    notes: list[str] = field(default_factory=list)

    @property
    def ok(self) -> bool:
        return all(c.status == "ok" for c in self.crawls)

    def to_dict(self) -> dict:
        d = asdict(self)
        d["since"], d["until"] = self.since.isoformat(), self.until.isoformat()
        return d


def window_days(since: datetime, until: datetime) -> list[date]:
    days, d = [], since.astimezone(timezone.utc).date()
    end = until.astimezone(timezone.utc)
    while datetime.combine(d, datetime.min.time(), timezone.utc) < end:
        days.append(d)
        d += timedelta(days=1)
    return days


def day_of(published_at: datetime | None, since: datetime, until: datetime) -> date:
    if published_at is not None and since <= published_at < until:
        return published_at.astimezone(timezone.utc).date()
    return since.astimezone(timezone.utc).date()


def read_raw_pages(outlet_dir: Path, data_root: Path | None = None) -> list[dict]:
    """Raw page records of one outlet's crawl of a window: the pages it fetched, and
    the pages it listed that an earlier crawl had stored (``known-*.jsonl``, read
    from their files under ``data_root``). One record per URL, the latest fetch."""
    outlet_dir = Path(outlet_dir)
    rows: list[dict] = []
    own = sorted(outlet_dir.glob("part-*.parquet"))
    for f in own:
        rows.extend(_read_raw_file(f))
    refs: dict[str, dict[str, dict]] = defaultdict(dict)
    for known in sorted(outlet_dir.glob(KNOWN_GLOB)) if data_root is not None else []:
        for n, line in enumerate(known.read_text(encoding="utf-8").splitlines(), 1):
            try:
                ref = json.loads(line)
                refs[safe_raw_path(ref["raw_file"])][ref["url"]] = ref
            except (ValueError, KeyError, TypeError) as exc:
                raise StorageError(f"{known}:{n}: bad stored-page reference: {exc}") from None
    read = {f.resolve() for f in own}
    for rel, wanted in refs.items():
        if (Path(data_root) / rel).resolve() in read:  # a retry's refs into its own window: already read
            continue
        for row in _read_raw_file(Path(data_root) / rel, set(wanted)):
            row["listed_at"] = row.get("listed_at") or parse_date(wanted[row["url"]].get("listed_at"))
            rows.append(row)
    never = datetime.min.replace(tzinfo=timezone.utc)
    latest: dict[str, dict] = {}
    for r in rows:
        prev = latest.get(r["url"])
        if prev is None or (r["fetched_at"] or never) >= (prev["fetched_at"] or never):
            latest[r["url"]] = r
    return list(latest.values())


def _read_raw_file(path: Path, urls: set[str] | None = None) -> list[dict]:
    try:
        table = pq.read_table(path)
    except (OSError, pa.ArrowInvalid) as exc:
        raise StorageError(f"{path}: unreadable raw page file: {exc}") from None
    if urls is not None:
        table = table.filter(pc.is_in(table.column("url"), pa.array(sorted(urls))))
    return table.to_pylist()


def safe_raw_path(rel: str) -> str:
    """A raw-page file named by crawl state, checked to lie under the work directory's ``raw/``:
    a state file must not make a reader open any other file."""
    parts = Path(rel).parts
    if not isinstance(rel, str) or Path(rel).is_absolute() or ".." in parts or parts[:1] != ("raw",) \
            or not rel.endswith(".parquet"):
        raise ValueError(f"{rel!r} is not a raw page file under raw/")
    return rel


def _load_json(path: Path) -> dict:
    try:
        return json.loads(path.read_text(encoding="utf-8"))
    except (FileNotFoundError, ValueError):
        return {}


def _save_json(path: Path, data: dict) -> None:
    path.parent.mkdir(parents=True, exist_ok=True)
    tmp = path.with_name(f".tmp-{uuid.uuid4().hex}-{path.name}")  # concurrent writers never share one
    tmp.write_text(json.dumps(data, ensure_ascii=False, indent=1, sort_keys=True, default=str), encoding="utf-8")
    tmp.replace(path)


def load_boilerplate(data: Path) -> dict[str, set[str]]:
    return {k: set(v) for k, v in _load_json(data / STATE_DIR / "boilerplate.json").items()}


def save_boilerplate(data: Path, learned: dict[str, set[str]]) -> None:
    _save_json(data / STATE_DIR / "boilerplate.json", {k: sorted(v) for k, v in learned.items()})


def publish_articles(data: str | Path | Root, articles: list[Article], since: datetime, until: datetime,
                     settings: DedupSettings) -> None:
    """Replace the window's days of ``articles`` and ``signatures``."""
    days = window_days(since, until)
    by_day: dict[date, list[Article]] = defaultdict(list)
    for a in articles:
        by_day[day_of(a.published_at, since, until)].append(a)
    hasher = MinHasher(settings.num_perm, settings.seed)
    art_tables, sig_tables = {}, {}
    for day, arts in by_day.items():
        art_tables[day] = to_table("articles", [asdict(a) for a in arts])
        sigs = hasher.signatures(shingle_texts([a.text for a in arts], settings.shingle_size,
                                               settings.char_shingle_size, lead_words=0).full)  # no lead needed
        sig_tables[day] = to_table("signatures", [{"article_id": a.article_id, "content_hash": a.content_hash,
                                                    "signature": s} for a, s in zip(arts, sigs)])
    replace_partitions(data, "articles", art_tables, days)
    replace_partitions(data, "signatures", sig_tables, days, scheme_of(settings).as_metadata())


def _stored_signatures(root: Root, scheme: SignatureScheme) -> dict[tuple[str, str], np.ndarray]:
    out: dict[tuple[str, str], np.ndarray] = {}
    for files in partition_files(root, "signatures").values():  # recovers an interrupted swap first
        for f in files:
            try:
                pf = pq.ParquetFile(f, filesystem=root.fs)  # one footer read for the scheme and the rows
            except (OSError, pa.ArrowInvalid) as exc:  # its articles are signed again
                warn(f"{root.display(f)}: unreadable signatures file, passed over: {str(exc).splitlines()[0]}")
                continue
            stored = SignatureScheme.from_metadata(pf.schema_arrow.metadata or {})
            if stored != scheme:
                raise StorageError(
                    f"{root.display(f)}: signatures were made with {stored} but this run uses {scheme}; "
                    "they cannot be mixed (datasketch 2 changed its default hashing). "
                    "Delete DATA/signatures to sign the history again with the current settings.")
            t = pf.read(columns=["article_id", "content_hash", "signature"])
            sig = t.column("signature").combine_chunks()
            values = sig.values.to_numpy().reshape(len(t), scheme.num_perm) if len(t) else np.empty((0, scheme.num_perm))
            for a, h, row in zip(t.column("article_id").to_pylist(), t.column("content_hash").to_pylist(), values):
                out[(a, h)] = row
    return out


def recluster(data: str | Path | Root, settings: DedupSettings | None = None,
              outlet_names: dict[str, list[str]] | None = None, storage_config: dict | None = None) -> DedupResult:
    """Cluster the whole history and replace the ``clusters`` table."""
    settings = settings or DedupSettings()
    data = open_root(data)
    t = read_table(data, "articles", ["article_id", "url", "outlet", "title", "text", "published_at", "authors",
                                      "content_hash"])
    rows = t.to_pylist()
    stored = _stored_signatures(data, scheme_of(settings))
    sigs = {r["article_id"]: stored[(r["article_id"], r["content_hash"])] for r in rows
            if (r["article_id"], r["content_hash"]) in stored}
    docs = [DedupDoc(r["article_id"], r["outlet"], r["text"] or "", r["published_at"], r["url"] or "",
                     title=r["title"] or "", authors=r["authors"] or []) for r in rows]
    result = find_clusters(docs, settings, signatures=sigs, outlet_names=outlet_names, storage_config=storage_config)
    meta = {r["article_id"]: r for r in rows}
    table = to_table("clusters", [dict(asdict(c), outlet=meta[c.article_id]["outlet"],
                                       published_at=meta[c.article_id]["published_at"]) for c in result.rows])
    write_file(data, "clusters/part-0.parquet", table, {"newspipe.lsh": json.dumps(result.lsh_params)})
    return result


def raw_dir_for(data: str | Path | Root, since: datetime, until: datetime) -> Path:
    """Raw pages of one window (in the local work directory): re-extraction reads them."""
    since, until = align_window(since, until)
    return work_dir(data) / "raw" / f"{since:%Y-%m-%dT%H%M}_{until:%Y-%m-%dT%H%M}"


def crawl_stage(sources: str | Path | None, since: datetime, until: datetime, data: str | Path,
                outlets: list[str] | None = None, politeness: bool = True,
                timeout: float | None = None, refetch: bool = False, processes: int = 1) -> list[OutletCrawl]:
    """Crawl outlets of the window (whole days) into its raw directory (in ``processes`` child
    processes), incrementally: pages stored by earlier crawls are not fetched again unless ``refetch``."""
    since, until = align_window(since, until)
    return run_crawl(sources or DEFAULT_SOURCES, since, until, raw_dir_for(data, since, until), outlets,
                     politeness, timeout=timeout, data_root=work_dir(data), refetch=refetch, processes=processes)


def read_crawls(data: str | Path, since: datetime, until: datetime, outlets: list[str]) -> list[OutletCrawl]:
    """What the crawl stage recorded for each outlet (a missing record counts as failed)."""
    stats = raw_dir_for(data, since, until) / "_stats"
    out = []
    for name in outlets:
        rec = _load_json(stats / f"{name}.json")
        out.append(OutletCrawl(**rec) if rec else OutletCrawl(name, "failed", message=f"outlet '{name}': no crawl record"))
    return out


def day_locks(since: datetime, until: datetime) -> list[str]:
    return [f"date={d}" for d in window_days(since, until)]


def publish_stage(sources: str | Path | None, since: datetime, until: datetime, data: str | Path | Root, *,
                  outlets: list[str] | None = None, run_id: str | None = None, workers: int | None = None,
                  settings: DedupSettings | None = None, storage_config: dict | None = None,
                  repair: bool = False, locked: bool = False) -> RunReport:
    """Extract the window's raw pages, publish its days and recluster the history.

    Reads only what the crawl stage stored, so it also re-extracts a window
    without refetching anything. ``data`` is a directory or a filesystem URI;
    state, locks and raw pages stay in the local work directory. An outlet
    whose crawl failed, or that listed no article this time while the window
    holds published ones, keeps its published rows. A partition that cannot
    be read is never replaced (``StorageError`` names it) unless ``repair``.
    ``locked``: the caller already holds the window's day locks.
    """
    note = window_note(since, until)
    since, until = align_window(since, until)
    root, work = open_root(data), work_dir(data)
    settings = settings or DedupSettings()
    registry = load_sources(sources)
    chosen = [o.name for o in select_outlets(registry, outlets)]
    report = RunReport(run_id or new_run_id(), since, until, str(data), crawls=read_crawls(data, since, until, chosen),
                       notes=[note] if note else [])
    raw = raw_dir_for(data, since, until)
    pages = [p for name in chosen for p in read_raw_pages(raw / name, work)]
    articles, rejected, learned = build_articles(pages, report.run_id, known_boilerplate=load_boilerplate(work),
                                                 per_outlet=outlet_settings(registry), workers=workers)
    report.kept = dict(Counter(a.outlet for a in articles))
    report.relevant = dict(Counter(a.outlet for a in articles if a.relevant))
    report.rejected = dict(Counter(r.outlet for r in rejected))
    with partition_locks(work, [] if locked else day_locks(since, until), f"run {report.run_id}"):
        old = _published(root, since, until, repair)
        collected = _collected(report, old)
        publish_articles(root, [a for a in old if a.outlet not in collected]
                         + [a for a in articles if a.outlet in collected], since, until, settings)
        _write_crawl_stats(root, report, rejected)
    with exclusive(work, "state"):
        save_boilerplate(work, {o: keys | load_boilerplate(work).get(o, set()) for o, keys in learned.items()})
    with exclusive(work, "clusters"):
        result = recluster(root, settings, {o.name: [o.title] for o in registry}, storage_config)
    report.articles_total = len(result.rows)
    multi = [r for r in result.rows if r.cluster_size > 1]
    report.clusters = len({r.cluster_id for r in multi})
    report.duplicates = sum(1 for r in multi if not r.is_origin)
    report.cross_posts = sum(1 for r in multi if r.scope == "cross_post")
    report.lsh = result.lsh_params
    _save_json(work / STATE_DIR / "runs" / f"{report.run_id}.json", report.to_dict())
    return report


def _published(root: Root, since: datetime, until: datetime, repair: bool) -> list[Article]:
    """The window's published articles. An unreadable partition stops the run (replacing it
    would lose the rows of every outlet this run did not collect) unless ``repair``."""
    if not repair:
        try:
            return [Article(**r) for r in read_table(root, "articles", days=window_days(since, until),
                                                     strict=True).to_pylist()]
        except StorageError as exc:
            raise StorageError(f"{exc}; not replaced, so that no row is lost: move the file away, or rerun "
                               "with --repair (Airflow param 'repair') to publish without its rows") from None
    return [Article(**r) for r in read_table(root, "articles", days=window_days(since, until)).to_pylist()]


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


def new_run_id() -> str:
    return f"{datetime.now(timezone.utc):%Y%m%dT%H%M%S}-{uuid.uuid4().hex[:6]}"


def run(sources: str | Path | None, since: datetime, until: datetime, data: str | Path, *,
        outlets: list[str] | None = None, politeness: bool = True, run_id: str | None = None,
        workers: int | None = None, settings: DedupSettings | None = None, timeout: float | None = None,
        refetch: bool = False, crawl_processes: int = 1, repair: bool = False) -> RunReport:
    """Crawl the window (whole UTC days) and publish its days.

    Raises SourcesError or WindowError before any work, and ``LockedError``
    before crawling when another run is writing one of the window's days.
    """
    chosen = [o.name for o in select_outlets(load_sources(sources), outlets)]
    align_window(since, until)
    run_id = run_id or new_run_id()
    with partition_locks(work_dir(data), day_locks(*align_window(since, until)), f"run {run_id}"):
        crawl_stage(sources, since, until, data, chosen, politeness, timeout, refetch, crawl_processes)
        return publish_stage(sources, since, until, data, outlets=outlets, run_id=run_id, workers=workers,
                             settings=settings, repair=repair, locked=True)


def check_days_free(data: str | Path, since: datetime, until: datetime) -> None:
    """Raise ``LockedError`` now if another run is writing one of the window's days, so that
    a crawl is not done for nothing (the scheduler's crawl tasks call it first)."""
    ensure_unlocked(work_dir(data), day_locks(*align_window(since, until)))


def _write_crawl_stats(data: Root, report: RunReport, rejected: list[Rejected]) -> None:
    rows = [{"run_id": report.run_id, "outlet": c.outlet, "status": c.status, "articles_fetched": c.articles_fetched,
             "articles_kept": report.kept.get(c.outlet, 0), "relevant": report.relevant.get(c.outlet, 0),
             "rejected": report.rejected.get(c.outlet, 0), "message": c.message,
             "stats_json": json.dumps(c.stats, default=str, sort_keys=True), "since": report.since,
             "until": report.until} for c in report.crawls]
    day = report.since.astimezone(timezone.utc).date()
    replace_partitions(data, "crawl_stats", {day: to_table("crawl_stats", rows)}, [day])
