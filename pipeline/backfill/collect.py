"""Read one archive unit into raw pages, resumably.

Each archived response passes, in this order and each counted when it fails: an HTTP
200, an HTML content type, an article URL of a chosen outlet (the source checked the
host before reading the payload), the byte pre-filter (``crawlers.archives.prefilter``),
and not stored already for this window. What passes is written as raw pages in batches
(``storage.raw``, the crawler's format, with ``discovered_via`` naming the archive and
the record), each batch committed with the unit's position (``ArchiveState``).
"""
from __future__ import annotations

import hashlib
import os
from dataclasses import dataclass, field
from datetime import datetime
from pathlib import Path
from typing import Callable

from crawlers.archives.checkpoint import ArchiveState
from crawlers.archives.prefilter import may_be_relevant
from crawlers.archives.query import Query, Source
from crawlers.archives.records import ARCHIVE_PREFIX, ArchivedResponse, ArchiveError, Skips
from crawlers.urls import canonicalize
from pipeline.progress import note
from storage.layout import archive_raw_dir, window_key
from storage.raw import write_raw_pages


@dataclass
class UnitResult:
    source: str
    unit: str
    stored: int = 0
    skipped: dict[str, int] = field(default_factory=dict)
    done_before: bool = False
    error: str = ""        # why the unit stopped before its end (it is read on from there next time)


def collect_unit(source: Source, q: Query, unit: str, work: str | Path, outlet_of: Callable[[str], str | None],
                 batch: int | None = None, prefilter: bool = True,
                 canonical: Callable[[str], str] = canonicalize) -> UnitResult:
    """Read ``unit`` from its checkpoint to its end; a unit done before is not read again.
    ``batch``: pages per raw file and checkpoint (``NEWSPIPE_ARCHIVE_BATCH``, 200): smaller loses
    less work to a crash and writes more files."""
    batch = batch or int(os.environ.get("NEWSPIPE_ARCHIVE_BATCH") or 200)
    win = window_key(q.since, q.until)
    with ArchiveState(work, source.name, win) as state:
        pos, done, counts = state.position(unit)
        if done:
            return UnitResult(source.name, unit, skipped=counts, done_before=True)
        skips, rows, stored, last = Skips(), [], 0, pos
        skips.counts.update(counts)
        out_dir = archive_raw_dir(work, source.name, q.since, q.until)
        _drop_uncommitted(out_dir, unit, pos)
        error = ""
        try:
            for nxt, resp in source.read(q, unit, pos, skips):
                last = nxt
                row = _raw_row(resp, outlet_of, skips, state, prefilter, canonical) if resp is not None else None
                if row and row["url"] not in {r["url"] for r in rows}:
                    rows.append(row)
                if len(rows) >= batch:
                    stored += _flush(state, unit, last, False, skips, rows, out_dir, work)
                    rows = []
        except (ArchiveError, OSError) as exc:  # the archive is down, the file missing: the next run goes on
            skips.add("unit_unavailable")
            error = f"{source.name} {unit}: {exc}"
        stored += _flush(state, unit, last, not error, skips, rows, out_dir, work)
    note(f"  {source.name} {unit}: {stored} page(s) stored, skipped {skips.as_dict() or 'none'}"
         + (f"; stopped: {error}" if error else ""))
    return UnitResult(source.name, unit, stored, skips.as_dict(), error=error)


def _raw_row(resp: ArchivedResponse, outlet_of, skips: Skips, state: ArchiveState, prefilter: bool,
             canonical: Callable[[str], str]) -> dict | None:
    if resp.status != 200:
        skips.add("status")
        return None
    ctype = next((v for k, v in resp.headers.items() if k.lower() == "content-type"), "text/html")
    if "html" not in ctype.lower():
        skips.add("not_html")
        return None
    outlet = outlet_of(resp.url)
    if outlet is None:
        skips.add("host")
        return None
    if prefilter and not may_be_relevant(resp.body):
        skips.add("prefilter")
        return None
    url = canonical(resp.url)
    if state.has(url):
        skips.add("stored_before")
        return None
    return {"outlet": outlet, "url": url, "final_url": url, "status": resp.status, "headers": resp.headers,
            "body": resp.body, "fetched_at": resp.captured_at or datetime.now().astimezone(),
            "discovered_via": f"{ARCHIVE_PREFIX}{resp.source}:{resp.origin}", "listed_at": None,
            "listed_title": None}


def _batch_file(out_dir: Path, unit: str, pos: int) -> Path:
    return out_dir / f"part-{hashlib.sha1(unit.encode()).hexdigest()[:12]}-{pos:012d}.parquet"


def _drop_uncommitted(out_dir: Path, unit: str, pos: int) -> None:
    """A batch file written after the unit's last commit (a crash between the two) is read again
    from the checkpoint, so the file goes: no page is stored twice. So does the half-written
    temporary file of a writer killed mid-batch (``storage.fs.replacing``), which no reader reads
    but which would stay for good."""
    prefix = _batch_file(out_dir, unit, 0).name[:len("part-") + 13]
    for f in out_dir.glob(prefix + "*.parquet"):
        if int(f.stem.rsplit("-", 1)[1]) > pos:
            f.unlink()
    for f in out_dir.glob(f".tmp-*-{prefix}*.parquet"):
        f.unlink(missing_ok=True)


def _flush(state: ArchiveState, unit: str, pos: int, done: bool, skips: Skips, rows: list[dict],
           out_dir: Path, work: str | Path) -> int:
    """Write a batch's raw file, then commit it with the unit's position (in that order)."""
    rel = None
    if rows:
        path = _batch_file(out_dir, unit, pos)
        write_raw_pages(rows, path)
        rel = str(path.relative_to(work))
    state.commit(unit, pos, done, skips.as_dict(), [(r["url"], r["discovered_via"]) for r in rows], rel)
    return len(rows)
