"""Backfill checkpoints, kept with the crawl state: ``WORK/_state/archive/SOURCE.sqlite``.

``units``: per window and unit (an archive file, an index query, a CDX query page, a
GDELT file) the offset or row reached, whether it is done, and its skip counts.
``stored``: per window, every URL whose raw page is on disk, with its file. A batch's
raw file is written and renamed into place first, then its URLs and the unit's new
offset are committed in one transaction: a backfill killed at any point resumes from
the last commit, and re-reads at most one batch, whose URLs it then finds stored.
"""
from __future__ import annotations

import json
from pathlib import Path

from storage.layout import archive_state_file
from storage.sqlite import open_wal

_SCHEMA = """
CREATE TABLE IF NOT EXISTS units (win TEXT, unit TEXT, pos INTEGER NOT NULL, done INTEGER NOT NULL,
                                  skips TEXT NOT NULL, PRIMARY KEY (win, unit));
CREATE TABLE IF NOT EXISTS stored (win TEXT, url TEXT, raw_file TEXT NOT NULL, origin TEXT NOT NULL,
                                   PRIMARY KEY (win, url));
"""


class ArchiveState:
    """The checkpoints of one source, for one window (``win``: the window's key)."""

    def __init__(self, work: str | Path, source: str, win: str):
        path = archive_state_file(work, source)
        path.parent.mkdir(parents=True, exist_ok=True)
        self.db = open_wal(path, _SCHEMA)
        self.win = win

    def close(self) -> None:
        self.db.close()

    def __enter__(self) -> "ArchiveState":
        return self

    def __exit__(self, *exc) -> None:
        self.close()

    def position(self, unit: str) -> tuple[int, bool, dict]:
        """(offset or row reached, done, skip counts so far) of a unit; (0, False, {}) when new."""
        row = self.db.execute("SELECT pos, done, skips FROM units WHERE win=? AND unit=?", (self.win, unit)).fetchone()
        return (row[0], bool(row[1]), json.loads(row[2])) if row else (0, False, {})

    def has(self, url: str) -> bool:
        return self.db.execute("SELECT 1 FROM stored WHERE win=? AND url=?", (self.win, url)).fetchone() is not None

    def commit(self, unit: str, pos: int, done: bool, skips: dict, stored: list[tuple[str, str]],
               raw_file: str | None) -> None:
        """One transaction: the unit's position and the URLs (with origin) of ``raw_file``."""
        with self.db:
            self.db.execute("INSERT OR REPLACE INTO units VALUES (?, ?, ?, ?, ?)",
                            (self.win, unit, pos, int(done), json.dumps(skips, sort_keys=True)))
            self.db.executemany("INSERT OR REPLACE INTO stored VALUES (?, ?, ?, ?)",
                                [(self.win, url, raw_file, origin) for url, origin in stored])

    def units(self) -> dict[str, tuple[int, bool, dict]]:
        return {u: (p, bool(d), json.loads(s)) for u, p, d, s in
                self.db.execute("SELECT unit, pos, done, skips FROM units WHERE win=?", (self.win,))}
