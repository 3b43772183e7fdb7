"""Raw pages: every fetched page kept as served, so articles can be re-extracted without
refetching. The crawler writes them (``write_raw_pages``, ``write_known``); the publish
stage reads them (``read_raw_pages``). Layout in ``storage.layout``, schema in
``storage.schema.RAW_PAGES``.

A window's crawl of an outlet leaves ``part-*.parquet`` files (the pages it
fetched) and ``known-SHARD.jsonl`` files (pages it listed that an earlier crawl
had stored: URL, the raw file holding it, relative to the work directory, and
what the listing said).
"""
from __future__ import annotations

import json
from collections import defaultdict
from datetime import datetime, timezone
from pathlib import Path

import pyarrow as pa
import pyarrow.compute as pc
import pyarrow.parquet as pq

from storage.dataset import StorageError
from storage.fs import replacing, write_atomic
from storage.layout import KNOWN_GLOB, RAW_DIR, RAW_PART_GLOB, known_file
from storage.schema import RAW_PAGES


def write_raw_pages(rows: list[dict], path: str | Path) -> None:
    """Write raw page rows (the columns of ``RAW_PAGES``; ``headers`` a dict) atomically."""
    table = pa.Table.from_pylist([dict(r, headers=json.dumps(r["headers"], ensure_ascii=False)) for r in rows],
                                 schema=RAW_PAGES)
    with replacing(path) as tmp:
        pq.write_table(table, tmp, compression="zstd")


def write_known(outlet_dir: str | Path, shard: str, refs: list[dict]) -> None:
    """The window's pages stored by earlier crawls (``url``, ``raw_file``, ``discovered_via``,
    ``listed_at`` ISO 8601, ``listed_title``), one JSON line each."""
    write_atomic(known_file(outlet_dir, shard), "".join(json.dumps(r, ensure_ascii=False) + "\n" for r in refs))


def safe_raw_path(rel: str) -> str:
    """A raw-page file named by crawl state, checked to lie under the work directory's ``raw/``:
    a state file must not make a reader open any other file."""
    parts = Path(rel).parts if isinstance(rel, str) else ()
    if not parts or Path(rel).is_absolute() or ".." in parts or parts[0] != RAW_DIR or not rel.endswith(".parquet"):
        raise ValueError(f"{rel!r} is not a raw page file under {RAW_DIR}/")
    return rel


def _known_refs(outlet_dir: Path) -> dict[str, dict[str, dict]]:
    """``{raw file: {url: ref}}`` of the window's known-page lists, each path checked."""
    refs: dict[str, dict[str, dict]] = defaultdict(dict)
    for known in sorted(outlet_dir.glob(KNOWN_GLOB)):
        for n, line in enumerate(known.read_text(encoding="utf-8").splitlines(), 1):
            try:
                ref = json.loads(line)
                refs[safe_raw_path(ref["raw_file"])][ref["url"]] = ref
            except (ValueError, KeyError, TypeError) as exc:
                raise StorageError(f"{known}:{n}: bad stored-page reference: {exc}") from None
    return refs


def referenced_files(outlet_dir: str | Path) -> list[str]:
    """The earlier crawls' raw files (relative to the work directory) a window's known-page lists name."""
    return sorted(_known_refs(Path(outlet_dir))) if Path(outlet_dir).is_dir() else []


def read_raw_pages(outlet_dir: str | Path, work: str | Path | None = None) -> list[dict]:
    """Raw page records of one outlet's crawl of a window: the pages it fetched, and the
    pages it listed that an earlier crawl had stored (read from their files under the work
    directory ``work``; none without it). One record per URL, the latest fetch."""
    outlet_dir = Path(outlet_dir)
    own = sorted(outlet_dir.glob(RAW_PART_GLOB))
    rows = [r for f in own for r in _read_raw_file(f)]
    read = {f.resolve() for f in own}
    for rel, wanted in (_known_refs(outlet_dir) if work is not None else {}).items():
        if (Path(work) / rel).resolve() in read:  # a retry's refs into its own window: already read
            continue
        for row in _read_raw_file(Path(work) / rel, set(wanted)):
            listed = wanted[row["url"]].get("listed_at")
            row["listed_at"] = row.get("listed_at") or (_utc(listed) if listed else None)
            rows.append(row)
    never = datetime.min.replace(tzinfo=timezone.utc)
    latest: dict[str, dict] = {}
    for r in rows:
        prev = latest.get(r["url"])
        if prev is None or (r["fetched_at"] or never) >= (prev["fetched_at"] or never):
            latest[r["url"]] = r
    return list(latest.values())


def _utc(iso: str) -> datetime:
    """A timestamp this module wrote (ISO 8601 with offset)."""
    return datetime.fromisoformat(iso).astimezone(timezone.utc)


def _read_raw_file(path: Path, urls: set[str] | None = None) -> list[dict]:
    try:
        table = pq.read_table(path)
    except (OSError, pa.ArrowInvalid) as exc:
        raise StorageError(f"{path}: unreadable raw page file: {exc}") from None
    if urls is not None:
        table = table.filter(pc.is_in(table.column("url"), pa.array(sorted(urls))))
    return table.to_pylist()
