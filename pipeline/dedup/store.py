"""The persistent LSH index beside the data: what a run needs to cluster its window
against the whole history without reading the history.

It holds, per stored article: its day, the digest of its normalised text
(the exact layer), its band keys (``lsh.band_keys``: full text and lead) and
its connected component; per day: the version of the ``articles`` partition
it was built from. ``pipeline.dedup.incremental`` compares those versions
with the table, so a day published, rerun, deleted or left half-done by a
crash is found and re-indexed, whichever run did it.

Two backends with one interface (``IndexStore``):

- ``SqliteStore``: one SQLite file in the work directory, no server. A
  run's whole change is one transaction, so a killed run leaves the index
  as it was before the run (and the changed days are found again).
- ``RedisStore`` (``pipeline.dedup.store_redis``): for workers on several
  machines; a run's change is one MULTI/EXEC.
"""
from __future__ import annotations

import os
import sqlite3
import time
from dataclasses import dataclass, field
from pathlib import Path
from typing import Iterable, Iterator, Protocol

import numpy as np

from pipeline.dedup.keyfilter import KeyFilter
from storage.sqlite import open_wal

FORMAT = "3"  # bump when what is stored changes (2: rewrites, digests; 3: clusters by day, totals)


class StoreError(RuntimeError):
    """An index that cannot be used (damaged, of another format); the message names it."""


@dataclass
class Added:
    """One article entering the index. ``keys``: its band keys (none for a text too short
    for LSH) and paragraph keys, all looked up alike; ``paras``: its paragraph keys in the
    order ``digests.LongParagraphs.digest_keys`` gives (the lead first)."""

    article_id: str
    day: str
    digest: str
    keys: np.ndarray
    outlet: str = ""
    paras: np.ndarray = field(default_factory=lambda: np.empty(0, dtype=np.int64))


@dataclass
class IndexChange:
    """Everything one sync changes, applied at once."""

    removed: list[str] = field(default_factory=list)
    added: list[Added] = field(default_factory=list)
    components: dict[str, str] = field(default_factory=dict)   # article id -> component (for kept articles)
    days: dict[str, str | None] = field(default_factory=dict)  # day -> version (None: the day is gone)
    meta: dict[str, str] = field(default_factory=dict)


class IndexStore(Protocol):
    def meta(self) -> dict[str, str]: ...
    def day_versions(self) -> dict[str, str]: ...
    def docs_of_days(self, days: Iterable[str]) -> dict[str, str]: ...
    def days_of(self, ids: Iterable[str]) -> dict[str, str]: ...
    def lookup(self, keys: np.ndarray) -> set[str]: ...
    def holders(self, keys: Iterable[int]) -> dict[int, set[str]]: ...
    def paragraphs(self, ids: Iterable[str]) -> dict[str, tuple[str, np.ndarray]]: ...
    def by_digest(self, digests: Iterable[str]) -> set[str]: ...
    def components_of(self, ids: Iterable[str]) -> set[str]: ...
    def members(self, components: Iterable[str]) -> dict[str, str]: ...
    def apply(self, change: IndexChange) -> None: ...
    def clear(self) -> None: ...
    def describe(self) -> str: ...
    def close(self) -> None: ...


_SCHEMA = """
CREATE TABLE IF NOT EXISTS meta (k TEXT PRIMARY KEY, v TEXT);
CREATE TABLE IF NOT EXISTS days (day TEXT PRIMARY KEY, version TEXT);
CREATE TABLE IF NOT EXISTS docs (id INTEGER PRIMARY KEY, article_id TEXT UNIQUE NOT NULL, day TEXT NOT NULL,
                                 digest TEXT NOT NULL, component TEXT NOT NULL, keys BLOB,
                                 outlet TEXT NOT NULL DEFAULT '', paras BLOB);
CREATE INDEX IF NOT EXISTS docs_day ON docs(day);
CREATE INDEX IF NOT EXISTS docs_digest ON docs(digest);
CREATE INDEX IF NOT EXISTS docs_component ON docs(component);
CREATE TABLE IF NOT EXISTS bands (key INTEGER NOT NULL, doc INTEGER NOT NULL, PRIMARY KEY (key, doc)) WITHOUT ROWID;
CREATE TABLE IF NOT EXISTS recent (key INTEGER NOT NULL, doc INTEGER NOT NULL, PRIMARY KEY (key, doc)) WITHOUT ROWID;
"""
# New keys go to the small ``recent`` table and are merged into ``bands`` in key order once it holds
# MERGE_ROWS: a daily run's 250,000 keys inserted into the big table would dirty (and rewrite) about
# as many of its pages, 3.7 s of a 6.4 s run at a million articles; merged, each page is rewritten
# once per merge. Lookups probe both.
MERGE_ROWS = 4_000_000
_CHUNK = 900  # below SQLite's limit of bound parameters per statement
# CROSS JOIN fixes the join order, one seek per looked-up key: the planner, knowing nothing of the
# temporary table q, chose to scan every stored band instead (1.75 s at 100,000 articles, not 0.03 s)
LOOKUP = "SELECT DISTINCT d.article_id FROM q CROSS JOIN {} b ON b.key = q.key CROSS JOIN docs d ON d.id = b.doc"
HOLDERS = "SELECT q.key, d.article_id FROM q CROSS JOIN {} b ON b.key = q.key CROSS JOIN docs d ON d.id = b.doc"


def _chunks(items: list, size: int = _CHUNK):
    for i in range(0, len(items), size):
        yield items[i:i + size]


class SqliteStore:
    """The embedded backend: one file, opened per run (see the module's docstring)."""

    def __init__(self, path: str | Path):
        self.path = Path(path)
        self.path.parent.mkdir(parents=True, exist_ok=True)
        try:
            self.db = open_wal(self.path, "PRAGMA synchronous=NORMAL; PRAGMA cache_size=-262144; "
                                          "PRAGMA temp_store=MEMORY;" + _SCHEMA, isolation_level=None)
            self.db.execute("SELECT count(*) FROM docs").fetchone()  # a damaged file fails here
            # a filter lost or of another size is made again from the stored keys (which may be damaged)
            self.filter = KeyFilter(self.path.with_name(self.path.name + ".keys"), stored=self._stored_keys)
        except sqlite3.DatabaseError as exc:
            raise StoreError(str(exc)) from None

    def _stored_keys(self) -> Iterator[np.ndarray]:
        for (chunk,) in self.db.execute("SELECT keys FROM docs"):
            yield np.frombuffer(chunk or b"", dtype=np.int64)

    def describe(self) -> str:
        return str(self.path)

    def close(self) -> None:
        self.db.close()
        self.filter.close()

    def _probe(self, keys: Iterable[int]) -> None:
        """The temporary table ``q`` holding those of ``keys`` the filter does not rule out."""
        keys = np.unique(np.fromiter(keys, dtype=np.int64) if not isinstance(keys, np.ndarray) else keys)
        self.db.execute("CREATE TEMP TABLE IF NOT EXISTS q (key INTEGER PRIMARY KEY)")
        self.db.execute("DELETE FROM q")
        self.db.executemany("INSERT INTO q VALUES (?)", ((k,) for k in keys[self.filter.maybe(keys)].tolist()))

    def _ids(self, sql: str, params: Iterable) -> set[str]:
        out: set[str] = set()
        for chunk in _chunks(list(params)):
            out.update(r[0] for r in self.db.execute(sql.format(",".join("?" * len(chunk))), chunk))
        return out

    def meta(self) -> dict[str, str]:
        return dict(self.db.execute("SELECT k, v FROM meta"))

    def day_versions(self) -> dict[str, str]:
        return dict(self.db.execute("SELECT day, version FROM days"))

    def _days_where(self, column: str, values: Iterable[str]) -> dict[str, str]:
        """{article id: day} of the articles whose ``column`` is one of ``values``."""
        out: dict[str, str] = {}
        for chunk in _chunks(list(set(values))):
            out.update(self.db.execute(
                f"SELECT article_id, day FROM docs WHERE {column} IN ({','.join('?' * len(chunk))})", chunk))
        return out

    def docs_of_days(self, days: Iterable[str]) -> dict[str, str]:
        return self._days_where("day", days)

    def days_of(self, ids: Iterable[str]) -> dict[str, str]:
        return self._days_where("article_id", ids)

    def lookup(self, keys: np.ndarray) -> set[str]:
        """Articles holding any of ``keys`` (a join with a temporary table: one pass, any size)."""
        self._probe(keys)
        return {r[0] for table in ("bands", "recent") for r in self.db.execute(LOOKUP.format(table))}

    def holders(self, keys: Iterable[int]) -> dict[int, set[str]]:
        """For each key, the articles holding it (paragraph keys: who quotes what)."""
        self._probe(keys)
        out: dict[int, set[str]] = {}
        for table in ("bands", "recent"):
            for k, a in self.db.execute(HOLDERS.format(table)):
                out.setdefault(k, set()).add(a)
        return out

    def paragraphs(self, ids: Iterable[str]) -> dict[str, tuple[str, np.ndarray]]:
        """(outlet, paragraph keys) of each of ``ids`` in the index."""
        out: dict[str, tuple[str, np.ndarray]] = {}
        for chunk in _chunks(list(set(ids))):
            for a, o, p in self.db.execute(
                    f"SELECT article_id, outlet, paras FROM docs WHERE article_id IN ({','.join('?' * len(chunk))})", chunk):
                out[a] = (o, np.frombuffer(p or b"", dtype=np.int64))
        return out

    def by_digest(self, digests: Iterable[str]) -> set[str]:
        return self._ids("SELECT article_id FROM docs WHERE digest IN ({})", set(digests))

    def components_of(self, ids: Iterable[str]) -> set[str]:
        return self._ids("SELECT component FROM docs WHERE article_id IN ({})", set(ids))

    def members(self, components: Iterable[str]) -> dict[str, str]:
        return self._days_where("component", components)

    def apply(self, change: IndexChange) -> None:
        from storage.locks import check_fences
        check_fences()  # a sync whose lock expired must not overwrite a newer one's index
        db = self.db
        db.execute("BEGIN IMMEDIATE")
        try:
            self._remove(change.removed)
            self._add(change)
            db.executemany("UPDATE docs SET component = ? WHERE article_id = ?",
                           ((c, a) for a, c in change.components.items()))
            db.executemany("INSERT OR REPLACE INTO days VALUES (?, ?)",
                           ((d, v) for d, v in change.days.items() if v is not None))
            db.executemany("DELETE FROM days WHERE day = ?", ((d,) for d, v in change.days.items() if v is None))
            db.executemany("INSERT OR REPLACE INTO meta VALUES (?, ?)", change.meta.items())
            if db.execute("SELECT count(*) FROM recent").fetchone()[0] >= MERGE_ROWS:
                db.execute("INSERT OR IGNORE INTO bands SELECT key, doc FROM recent ORDER BY key, doc")
                db.execute("DELETE FROM recent")
            db.execute("COMMIT")
        except BaseException:
            db.execute("ROLLBACK")
            raise

    def _remove(self, ids: list[str]) -> None:
        for chunk in _chunks(ids):
            marks = ",".join("?" * len(chunk))
            for doc, keys in self.db.execute(f"SELECT id, keys FROM docs WHERE article_id IN ({marks})", chunk).fetchall():
                pairs = [(int(k), doc) for k in np.frombuffer(keys or b"", dtype=np.int64)]
                for table in ("bands", "recent"):
                    self.db.executemany(f"DELETE FROM {table} WHERE key = ? AND doc = ?", pairs)
            self.db.execute(f"DELETE FROM docs WHERE article_id IN ({marks})", chunk)

    def _add(self, change: IndexChange) -> None:
        docs, keys = [], []
        for a in change.added:
            k = np.unique(a.keys.astype(np.int64))
            cur = self.db.execute("INSERT INTO docs (article_id, day, digest, component, keys, outlet, paras) "
                                  "VALUES (?, ?, ?, ?, ?, ?, ?)",
                                  (a.article_id, a.day, a.digest, change.components.get(a.article_id, a.article_id),
                                   k.tobytes(), a.outlet, a.paras.astype(np.int64).tobytes()))
            keys.append(k)
            docs.append(np.full(k.size, cur.lastrowid, dtype=np.int64))
        if keys:  # in key order: each B-tree page is visited once, not once per article
            k, d = np.concatenate(keys), np.concatenate(docs)
            self.filter.add(k)
            self.filter.flush()  # before the commit: a stored key always has its bit
            order = np.argsort(k, kind="stable")
            self.db.executemany("INSERT OR IGNORE INTO recent VALUES (?, ?)", zip(k[order].tolist(), d[order].tolist()))

    def clear(self) -> None:
        self.db.executescript("BEGIN; DELETE FROM bands; DELETE FROM recent; DELETE FROM docs; DELETE FROM days; "
                              "DELETE FROM meta; COMMIT;")
        self.filter.clear()


def open_store(work: str | Path, url: str | None = None) -> IndexStore:
    """The index named by ``url`` or ``NEWSPIPE_DEDUP_INDEX`` (``redis://host:port/db``, for
    workers on several machines), else the SQLite file in ``work``. A damaged file is moved
    aside with a warning and an empty index takes its place (the next sync rebuilds it)."""
    from storage.layout import dedup_index_file

    url = url if url is not None else os.environ.get("NEWSPIPE_DEDUP_INDEX", "")
    if url.startswith(("redis://", "rediss://", "unix://")):
        from pipeline.dedup.store_redis import RedisStore
        return RedisStore(url)
    path = Path(url) if url else dedup_index_file(work)
    try:
        return SqliteStore(path)
    except StoreError as exc:
        return replace_damaged(path, str(exc))


DAMAGED = (StoreError, sqlite3.DatabaseError)  # what a damaged index raises, at opening or in use


def replace_damaged(path: str | Path, why: str) -> SqliteStore:
    """Move a damaged index file aside (named in a warning) and open an empty one in its place."""
    from storage.dataset import warn

    path = Path(path)
    aside = path.with_name(f"{path.name}.damaged-{time.strftime('%Y%m%dT%H%M%S')}")
    for suffix in ("", "-wal", "-shm"):
        if Path(f"{path}{suffix}").exists():
            os.replace(f"{path}{suffix}", f"{aside}{suffix}")
    Path(f"{path}.keys").unlink(missing_ok=True)  # its key filter: derived, made again
    warn(f"{path}: damaged dedup index ({why}); moved to {aside.name}, rebuilt from the articles")
    return SqliteStore(path)
