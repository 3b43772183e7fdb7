"""Every path name of a data directory, in one place.

The published tables live under the data root (local or an object store)::

    DATA/articles/date=YYYY-MM-DD/part-0.parquet     (also signatures, crawl_stats, clusters)
    DATA/reports/newspipe-report.html                 the coverage and copy report (newspipe_report DAG)
    DATA/_work/raw/..., DATA/_work/_state/crawl/...   an object-store root's copy of the work files that
                                                      pass between machines (storage.shared_work)

The working files of the machine that crawls live in its work directory
(the data root itself when that is local, see ``storage.fs.work_dir``)::

    WORK/raw/WINDOW/OUTLET/part-*.parquet            raw pages of a window's crawl
    WORK/raw/WINDOW/OUTLET/known-SHARD.jsonl         pages listed again, stored by an earlier crawl
    WORK/raw/WINDOW/_stats/                          crawl stats and logs
    WORK/raw/archive/SOURCE/WINDOW/UNIT-N.parquet    raw pages read from a web archive (newspipe backfill)
    WORK/_state/crawl/OUTLET.sqlite                  incremental crawl state
    WORK/_state/archive/SOURCE.sqlite                backfill checkpoints: units done, pages stored
    WORK/_state/locks/NAME.lock                      day and table locks
    WORK/_state/runs/RUN_ID.json                     run journals
    WORK/_state/boilerplate.json                     boilerplate learned per outlet
    WORK/_state/boilerplate.sqlite                   pages and short paragraphs per outlet and day (memory)
    WORK/_state/dedup-index.sqlite                   the persistent LSH index (pipeline.dedup.store)
"""
from __future__ import annotations

import json
import re
from datetime import date, datetime
from pathlib import Path

PART_FILE = "part-0.parquet"         # the one file of a partition (or of the clusters table)
CLUSTERS_FILE = f"clusters/{PART_FILE}"  # the one-file clusters table of earlier versions (read, then replaced)
REPORT_FILE = "reports/newspipe-report.html"  # the report the Airflow DAG keeps up to date
STATE_DIR = "_state"
RAW_DIR = "raw"
STATS_DIR = "_stats"
ARCHIVE_DIR = "archive"              # under raw/: pages read from web archives, per source
RAW_PART_GLOB = "part-*.parquet"     # raw-page files of one outlet's crawl of a window
KNOWN_GLOB = "known-*.jsonl"         # the KnownPage lists of a window, one file per crawl process (shard)


def partition_name(day: date) -> str:
    return f"date={day.isoformat()}"


# what a table directory may hold: day partitions, and inside them plain file names
_PARTITION = re.compile(r"date=(\d{4}-\d{2}-\d{2})")
_FILE_NAME = re.compile(r"[^/\\\x00]+")


def partition_day(part: str) -> date | None:
    """The day of a partition directory name ``date=YYYY-MM-DD``; None for anything else."""
    m = _PARTITION.fullmatch(part)
    if not m:
        return None
    try:
        return date.fromisoformat(m[1])
    except ValueError:
        return None


def journal_steps(raw: bytes) -> list[dict]:
    """The steps of a swap journal, each checked against the table's layout: a journal names
    partitions and file names inside them, never a path (``../../X`` would delete X)."""
    steps = json.loads(raw)
    if not isinstance(steps, list):
        raise ValueError("not a list of steps")
    for step in steps:
        if not isinstance(step, dict) or partition_day(str(step.get("part"))) is None:
            raise ValueError(f"step {step!r} does not name a partition date=YYYY-MM-DD")
        if not isinstance(step.get("new"), bool):
            raise ValueError(f"step {step['part']}: 'new' must be true or false")
        drop = step.get("drop", [])
        if not isinstance(drop, list) or not all(
                isinstance(n, str) and _FILE_NAME.fullmatch(n) and n not in (".", "..") for n in drop):
            raise ValueError(f"step {step['part']}: 'drop' must list file names")
    return steps


def state_dir(work: str | Path) -> Path:
    return Path(work) / STATE_DIR


def crawl_state_file(work: str | Path, outlet: str) -> Path:
    return state_dir(work) / "crawl" / f"{outlet}.sqlite"


def archive_state_file(work: str | Path, source: str) -> Path:
    return state_dir(work) / "archive" / f"{source}.sqlite"


def archive_raw_dir(work: str | Path, source: str, since: datetime, until: datetime) -> Path:
    """Raw pages a backfill from ``source`` read for a window."""
    return Path(work) / RAW_DIR / ARCHIVE_DIR / source / window_key(since, until)


def lock_file(work: str | Path, name: str) -> Path:
    return state_dir(work) / "locks" / f"{name}.lock"


def runs_dir(work: str | Path) -> Path:
    return state_dir(work) / "runs"


def dedup_index_file(work: str | Path) -> Path:
    return state_dir(work) / "dedup-index.sqlite"


def boilerplate_memory_file(work: str | Path) -> Path:
    return state_dir(work) / "boilerplate.sqlite"


def boilerplate_file(work: str | Path) -> Path:
    return state_dir(work) / "boilerplate.json"


def window_key(since: datetime, until: datetime) -> str:
    return f"{since:%Y-%m-%dT%H%M}_{until:%Y-%m-%dT%H%M}"


def raw_window_dir(work: str | Path, since: datetime, until: datetime) -> Path:
    """Raw pages of one window's crawl (re-extraction reads them)."""
    return Path(work) / RAW_DIR / window_key(since, until)


def stats_dir(raw_window: str | Path) -> Path:
    return Path(raw_window) / STATS_DIR


def known_file(outlet_dir: str | Path, shard: str) -> Path:
    """``shard`` is ``I/N``."""
    return Path(outlet_dir) / f"known-{shard.replace('/', '-of-')}.jsonl"
