"""Incremental crawl state of one outlet, kept with the data directory.

``WORK/_state/crawl/OUTLET.sqlite`` (``storage.layout``) holds two tables:

- ``fetched``: every article URL whose raw page is safely on disk, with the
  raw file that holds it (relative to the data root). A URL is recorded only
  after its raw file has been written and renamed into place, so a crash
  mid-run loses at most the pages of the unwritten batch, which the next run
  fetches again; nothing is ever marked fetched that is not stored.
- ``validators``: ETag, Last-Modified and the last body of every feed and
  sitemap, for conditional GET: a ``304 Not Modified`` is answered from the
  stored body, so discovery still sees every link without downloading it.

One file per outlet, so the mapped crawl tasks of a run never wait on each
other's writes; SQLite in WAL mode makes each commit atomic.
"""
from __future__ import annotations

from dataclasses import dataclass
from pathlib import Path

from storage.layout import crawl_state_file
from storage.raw import safe_raw_path
from storage.sqlite import open_wal

_SCHEMA = """
CREATE TABLE IF NOT EXISTS fetched (url TEXT PRIMARY KEY, raw_file TEXT NOT NULL, fetched_at TEXT NOT NULL);
CREATE TABLE IF NOT EXISTS validators (url TEXT PRIMARY KEY, etag TEXT, last_modified TEXT, body BLOB NOT NULL,
                                       fetched_at TEXT NOT NULL);
"""


@dataclass(frozen=True)
class Validators:
    etag: str | None
    last_modified: str | None
    body: bytes


class CrawlState:
    """What earlier crawls of one outlet fetched. Open one per thread (SQLite connections are not shared)."""

    def __init__(self, work_dir: str | Path, outlet: str, shared_root: str | None = None):
        self.work_dir = Path(work_dir)
        # a data root whose ``_work/`` holds the raw files other machines stored (storage.shared_work)
        self.shared = None
        if shared_root:
            from storage.shared_work import SharedWork
            self.shared = SharedWork(shared_root)
        self.path = crawl_state_file(self.work_dir, outlet)
        self.path.parent.mkdir(parents=True, exist_ok=True)
        self.db = open_wal(self.path, "PRAGMA synchronous=NORMAL;" + _SCHEMA, isolation_level=None,
                           check_same_thread=False)
        self._present: dict[str, bool] = {}  # raw file -> exists; ~500 known URLs share one file

    def close(self) -> None:
        self.db.close()

    # -- article pages ------------------------------------------------------
    def raw_file(self, url: str) -> str | None:
        """The raw file holding ``url``'s page (relative to the work directory), or None if it was
        never stored or the file is gone, here and on the shared root (then the page is fetched again)."""
        row = self.db.execute("SELECT raw_file FROM fetched WHERE url = ?", (url,)).fetchone()
        if row is None:
            return None
        try:
            safe_raw_path(row[0])
        except ValueError:  # a state file pointing elsewhere is not followed: the page is fetched again
            return None
        if row[0] not in self._present:
            self._present[row[0]] = (self.work_dir / row[0]).exists() or bool(self.shared and self.shared.exists(row[0]))
        return row[0] if self._present[row[0]] else None

    def record_fetched(self, urls: list[tuple[str, str]], raw_file: Path) -> None:
        """Mark ``(url, fetched_at)`` pairs as stored in ``raw_file``, in one transaction."""
        rel = str(Path(raw_file).resolve().relative_to(self.work_dir.resolve()))
        with self.db:
            self.db.execute("BEGIN")
            self.db.executemany("INSERT OR REPLACE INTO fetched (url, raw_file, fetched_at) VALUES (?, ?, ?)",
                                [(u, rel, t) for u, t in urls])

    # -- feeds and sitemaps ---------------------------------------------------
    def validators(self, url: str) -> Validators | None:
        row = self.db.execute("SELECT etag, last_modified, body FROM validators WHERE url = ?", (url,)).fetchone()
        return Validators(*row) if row else None

    def save_validators(self, url: str, etag: str | None, last_modified: str | None, body: bytes,
                        fetched_at: str) -> None:
        with self.db:
            self.db.execute("BEGIN")
            self.db.execute("INSERT OR REPLACE INTO validators VALUES (?, ?, ?, ?, ?)",
                            (url, etag, last_modified, body, fetched_at))
