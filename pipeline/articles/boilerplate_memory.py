"""What each outlet's pages repeated on earlier days, so boilerplate is learned across runs.

A footer on two pages of a day with five is too rare in one day's run to be
called boilerplate (``BoilerplateSettings.min_pages``), but on twenty of fifty
pages over ten days it is. The memory keeps, per outlet and day, the number
of pages and how many of them hold each short paragraph (as a 64-bit hash of
its key); a run asks only about the paragraphs of its own pages, on the days
outside its window. Publishing a window replaces its days' counts, so a rerun
counts a day once. One SQLite file in the work directory.

Only paragraphs of at most ``MAX_CHARS`` characters are remembered: footers
and credit lines are short, and a long disclaimer repeats on enough pages of
one day to be learned without memory; article paragraphs, long and rarely
repeated, would make most of the file.
"""
from __future__ import annotations

from collections import Counter, defaultdict
from pathlib import Path
from typing import Iterable

from storage.sqlite import open_wal

MAX_CHARS = 600
_SCHEMA = """
CREATE TABLE IF NOT EXISTS pages (outlet TEXT, day TEXT, n INTEGER, PRIMARY KEY (outlet, day));
CREATE TABLE IF NOT EXISTS paras (outlet TEXT, key INTEGER, day TEXT, n INTEGER, PRIMARY KEY (outlet, key, day))
    WITHOUT ROWID;
CREATE INDEX IF NOT EXISTS paras_day ON paras(day);
"""


class BoilerplateMemory:
    def __init__(self, path: str | Path):
        Path(path).parent.mkdir(parents=True, exist_ok=True)
        self.db = open_wal(path, _SCHEMA, isolation_level=None)

    def close(self) -> None:
        self.db.close()

    def history(self, outlet: str, keys: Iterable[int], skip_days: Iterable[str]) -> dict[int, tuple[int, int]]:
        """For each of ``keys`` (``paragraphs.key_hash``) seen before: (pages holding it, pages of the
        outlet on those days), on days other than ``skip_days`` (the window being replaced)."""
        keys = list(keys)
        if not keys:
            return {}
        db = self.db
        db.execute("CREATE TEMP TABLE IF NOT EXISTS q (key INTEGER PRIMARY KEY)")
        db.execute("CREATE TEMP TABLE IF NOT EXISTS skip (day TEXT PRIMARY KEY)")
        db.execute("DELETE FROM q")
        db.execute("DELETE FROM skip")
        db.executemany("INSERT OR IGNORE INTO q VALUES (?)", ((h,) for h in keys))
        db.executemany("INSERT OR IGNORE INTO skip VALUES (?)", ((d,) for d in skip_days))
        rows = db.execute(
            "SELECT p.key, SUM(p.n), SUM(g.n) FROM q JOIN paras p ON p.outlet = ? AND p.key = q.key "
            "JOIN pages g ON g.outlet = p.outlet AND g.day = p.day WHERE p.day NOT IN (SELECT day FROM skip) "
            "GROUP BY p.key", (outlet,))
        return {h: (c, pages) for h, c, pages in rows}

    def record(self, days: Iterable[str], docs: Iterable[tuple[str, str, set[int]]]) -> None:
        """Replace the counts of ``days`` with those of ``docs``: (outlet, day, the keys of its
        paragraphs of at most ``MAX_CHARS`` characters, ``ParagraphKeys.short``)."""
        pages: Counter = Counter()
        paras: dict[tuple[str, str], Counter] = defaultdict(Counter)
        for outlet, day, keys in docs:
            pages[outlet, day] += 1
            paras[outlet, day].update(keys)
        db = self.db
        db.execute("BEGIN IMMEDIATE")
        try:
            for d in set(days):
                db.execute("DELETE FROM pages WHERE day = ?", (d,))
                db.execute("DELETE FROM paras WHERE day = ?", (d,))
            db.executemany("INSERT OR REPLACE INTO pages VALUES (?, ?, ?)", ((o, d, n) for (o, d), n in pages.items()))
            db.executemany("INSERT OR REPLACE INTO paras VALUES (?, ?, ?, ?)",
                           ((o, k, d, n) for (o, d), c in paras.items() for k, n in c.items()))
            db.execute("COMMIT")
        except BaseException:
            db.execute("ROLLBACK")
            raise
