"""Working files every worker must see, kept on the data root when the work directory is a machine's own.

With an object-store data root each machine has its own work directory
(``storage.fs.work_dir``), and the tasks of one run may run on different
machines: an outlet's crawl on one worker, the window's publish on another, a
crawl's retry on a third. So the files that pass between them live on the data
root too, under ``DATA/_work/`` with the work directory's relative paths:

- a crawl's raw pages, its known-page lists and its stats: uploaded when the
  crawl ends (``push_crawl``), fetched by the publish task before it reads them,
  with every earlier window's raw file its known-page lists name (``pull_window``);
- an outlet's crawl state (``_state/crawl/OUTLET.sqlite``): fetched and merged
  into the local copy before a crawl, merged with the root's copy and uploaded
  after it (``pull_state``, ``push_state``). Rows are keyed by URL; a row this
  machine holds wins over the root's. Two crawls of one outlet ending in the
  same instant on two machines can lose each other's new rows: those pages are
  then fetched again next time, never lost.

Raw part files are written once under unique names, so an upload or download
skips a file of the same size. On a local data root the work directory is the
root itself and every function here does nothing.
"""
from __future__ import annotations

import json
import sqlite3
import uuid
from pathlib import Path

import pyarrow.fs as pafs

from storage.dataset import warn
from storage.fs import Root, open_root, replacing, work_dir
from storage.layout import KNOWN_GLOB, RAW_PART_GLOB, stats_dir

SHARED_DIR = "_work"  # under the data root: the shared copy of the work directory's raw pages and crawl state


class SharedWork:
    """The shared copy of one data root's working files (inactive on a local root)."""

    def __init__(self, data: str | Path | Root):
        self.root = open_root(data)
        self.work = work_dir(self.root)
        self.active = not self.root.local

    def remote(self, rel: str | Path) -> str:
        return self.root.path(SHARED_DIR, Path(rel).as_posix())

    def rel(self, local: Path) -> str:
        return Path(local).resolve().relative_to(self.work.resolve()).as_posix()

    def exists(self, rel: str) -> bool:
        """Whether the root holds ``rel`` (a path relative to the work directory)."""
        return self.active and self.root.info(self.remote(rel)).type == pafs.FileType.File

    # -- files ----------------------------------------------------------------
    def _remote_files(self, rel_dir: str) -> dict[str, int]:
        """``{name: size}`` of the files directly under ``rel_dir`` on the root."""
        return {Path(i.path).name: i.size for i in self.root.listdir(self.remote(rel_dir))
                if i.type == pafs.FileType.File}

    def upload(self, local: Path) -> int:
        self.root.write_bytes(self.remote(self.rel(local)), local.read_bytes())
        return local.stat().st_size

    def download(self, rel: str) -> int:
        """Copy ``rel`` from the root into the work directory (atomically); its size."""
        data = self.root.read_bytes(self.remote(rel))
        with replacing(self.work / rel) as tmp:
            tmp.write_bytes(data)
        return len(data)

    def push_dir(self, local_dir: Path, mirrored: tuple[str, ...] = (KNOWN_GLOB,), prefix: str = "") -> int:
        """Upload the files of ``local_dir`` whose name starts with ``prefix`` (a part file the root
        holds at the same size is skipped); files matching ``mirrored`` that the root holds and this
        machine no longer does are deleted there (an earlier attempt's lists). Bytes uploaded."""
        if not self.active or not local_dir.is_dir():
            return 0
        there = self._remote_files(self.rel(local_dir))
        here = {f.name: f for f in local_dir.iterdir() if f.is_file() and f.name.startswith(prefix)
                and not f.name.startswith(".tmp-") and not f.name.endswith(".tmp")}
        sent = sum(self.upload(f) for name, f in sorted(here.items())
                   if not (f.match(RAW_PART_GLOB) and there.get(name) == f.stat().st_size))
        for name in there.keys() - here.keys():
            if name.startswith(prefix) and any(Path(name).match(g) for g in mirrored):
                self.root.delete_file(self.remote(f"{self.rel(local_dir)}/{name}"))
        return sent

    def pull_dir(self, local_dir: Path, mirrored: tuple[str, ...] = (KNOWN_GLOB,)) -> int:
        """Download what the root holds under ``local_dir`` that this machine lacks (or holds at
        another size; lists and stats always); local files matching ``mirrored`` that the root does
        not hold are removed (another worker's later attempt replaced them). Bytes downloaded."""
        if not self.active:
            return 0
        rel_dir = self.rel(local_dir)
        there = self._remote_files(rel_dir)
        got = 0
        for name, size in sorted(there.items()):
            mine = local_dir / name
            if not Path(name).match(RAW_PART_GLOB) or not mine.exists() or mine.stat().st_size != size:
                got += self.download(f"{rel_dir}/{name}")
        if local_dir.is_dir() and there:
            for f in local_dir.iterdir():
                if f.name not in there and any(f.match(g) for g in mirrored):
                    f.unlink()
        return got

    # -- a crawl's files --------------------------------------------------------
    def push_crawl(self, raw_window: Path, outlet: str) -> int:
        """Upload one outlet's crawl of a window: its pages, known-page lists, stats and logs."""
        sent = self.push_dir(raw_window / outlet)
        return sent + self.push_dir(stats_dir(raw_window), mirrored=(f"{outlet}.*json",), prefix=f"{outlet}.")

    def pull_window(self, raw_window: Path, outlets: list[str], referenced) -> int:
        """Fetch the window's stats and the chosen outlets' crawls, then every raw file their
        known-page lists name (``referenced(outlet_dir)`` gives those relative paths)."""
        if not self.active:
            return 0
        got = self.pull_dir(stats_dir(raw_window), mirrored=())
        for outlet in outlets:
            got += self.pull_dir(raw_window / outlet)
            for rel in sorted(referenced(raw_window / outlet)):
                if not (self.work / rel).exists() and self.exists(rel):
                    got += self.download(rel)
        return got

    # -- SQLite state -------------------------------------------------------------
    def pull_state(self, local_db: Path) -> None:
        """Merge the root's copy of a state database into the local one (created if missing)."""
        if not self.active or not self.exists(self.rel(local_db)):
            return
        rel = self.rel(local_db)
        with _scratch(local_db) as theirs:
            theirs.write_bytes(self.root.read_bytes(self.remote(rel)))
            try:
                merge_sqlite(local_db, theirs)
            except sqlite3.DatabaseError as exc:  # state only saves fetches: a damaged copy is passed over
                warn(f"{self.root.display(self.remote(rel))}: unreadable shared state ({exc}); not merged, and "
                     "replaced by this machine's copy when it is next uploaded")

    def push_state(self, local_db: Path) -> None:
        """Merge the root's copy into the local database, then upload a consistent snapshot of it."""
        if not self.active or not local_db.exists():
            return
        self.pull_state(local_db)
        with _scratch(local_db) as snap:
            src, dst = sqlite3.connect(local_db, timeout=60), sqlite3.connect(snap)
            try:
                src.backup(dst)
            finally:
                dst.close()
                src.close()
            self.root.write_bytes(self.remote(self.rel(local_db)), snap.read_bytes())


    # -- the learned boilerplate (JSON: outlet -> paragraph keys) ---------------------
    def pull_learned(self, local_json: Path) -> None:
        """Add the root's learned boilerplate to the local file (a union per outlet)."""
        if not self.active or not self.exists(self.rel(local_json)):
            return
        try:
            theirs = json.loads(self.root.read_bytes(self.remote(self.rel(local_json))))
            mine = json.loads(local_json.read_text(encoding="utf-8")) if local_json.exists() else {}
        except ValueError as exc:
            warn(f"{self.root.display(self.remote(self.rel(local_json)))}: unreadable shared boilerplate ({exc}); not merged")
            return
        merged = {o: sorted(set(mine.get(o, [])) | set(theirs.get(o, []))) for o in {*mine, *theirs}}
        with replacing(local_json) as tmp:
            tmp.write_text(json.dumps(merged, ensure_ascii=False, indent=1, sort_keys=True), encoding="utf-8")

    def push_learned(self, local_json: Path) -> None:
        """Merge the root's learned boilerplate into the local file, then upload it."""
        if not self.active or not local_json.exists():
            return
        self.pull_learned(local_json)
        self.upload(local_json)


class _scratch:
    """A temporary file beside ``path``, removed afterwards."""

    def __init__(self, path: Path):
        self.path = path.with_name(f".tmp-{uuid.uuid4().hex[:12]}-{path.name}")

    def __enter__(self) -> Path:
        self.path.parent.mkdir(parents=True, exist_ok=True)
        return self.path

    def __exit__(self, *exc) -> None:
        for p in (self.path, Path(f"{self.path}-journal")):
            p.unlink(missing_ok=True)


def merge_sqlite(local_db: Path, other_db: Path) -> None:
    """Copy into ``local_db`` every row of ``other_db`` whose key it lacks, table by table (the
    tables both hold); a table only the other holds is created. Local rows win."""
    db = sqlite3.connect(local_db, timeout=60, isolation_level=None)
    try:
        db.execute("ATTACH DATABASE ? AS other", (str(other_db),))
        mine = {r[0] for r in db.execute("SELECT name FROM main.sqlite_master WHERE type = 'table'")}
        theirs = db.execute("SELECT name, sql FROM other.sqlite_master WHERE type = 'table'").fetchall()
        db.execute("BEGIN IMMEDIATE")
        for name, sql in theirs:
            if name not in mine:
                db.execute(sql)
            db.execute(f'INSERT OR IGNORE INTO main."{name}" SELECT * FROM other."{name}"')
        db.execute("COMMIT")
        db.execute("DETACH DATABASE other")
    finally:
        db.close()
