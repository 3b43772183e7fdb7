"""Item pipelines: ``RawPageWriter`` keeps every fetched page as Parquet so that
articles can be re-extracted later without refetching; ``KnownPageIndex``
lists the pages of the window that earlier crawls had already stored."""
from __future__ import annotations

import json
import logging
import os
import uuid
from concurrent.futures import Future, ThreadPoolExecutor
from dataclasses import asdict
from datetime import datetime
from pathlib import Path

import pyarrow as pa
import pyarrow.parquet as pq

from crawlers.items import KnownPage, RawPage
from crawlers.state import CrawlState

logger = logging.getLogger(__name__)

RAW_SCHEMA = pa.schema([
    ("outlet", pa.string()),
    ("url", pa.string()),
    ("final_url", pa.string()),
    ("status", pa.int16()),
    ("headers", pa.string()),          # JSON object
    ("body", pa.large_binary()),       # the HTML as served; zstd in the file
    ("fetched_at", pa.timestamp("us", tz="UTC")),
    ("discovered_via", pa.string()),
    ("listed_at", pa.timestamp("us", tz="UTC")),
    ("listed_title", pa.string()),
])


def _ts(value: str | None):
    return datetime.fromisoformat(value) if value else None


def write_raw_pages(pages: list[RawPage], path: Path) -> None:
    """Write pages to ``path`` atomically (temp file, then rename)."""
    table = pa.table({
        "outlet": [p.outlet for p in pages], "url": [p.url for p in pages],
        "final_url": [p.final_url for p in pages], "status": [p.status for p in pages],
        "headers": [json.dumps(p.headers, ensure_ascii=False) for p in pages], "body": [p.body for p in pages],
        "fetched_at": [_ts(p.fetched_at) for p in pages], "discovered_via": [p.discovered_via for p in pages],
        "listed_at": [_ts(p.listed_at) for p in pages], "listed_title": [p.listed_title for p in pages],
    }, schema=RAW_SCHEMA)
    path.parent.mkdir(parents=True, exist_ok=True)
    tmp = path.with_name(path.name + ".tmp")  # a crash mid-write leaves no file that reads as raw pages
    pq.write_table(table, tmp, compression="zstd")
    os.replace(tmp, path)


class RawPageWriter:
    """Buffer pages and write them in batches of NEWSPIPE_RAW_BATCH on a background
    thread (compression stays off the reactor). Only once a file is renamed into
    place are its URLs recorded in the outlet's crawl state, so a crash loses at
    most the current batch and never marks a page fetched that is not stored."""

    def __init__(self, raw_dir: str, batch: int, data_root: str | None, stats=None):
        self.raw_dir = Path(raw_dir)
        self.batch = batch
        self.data_root = data_root
        self.stats = stats
        self.buffer: list[RawPage] = []
        self.parts = 0
        self.token = uuid.uuid4().hex[:8]  # part names never collide with an earlier attempt's
        self.outlet = ""
        self.pool = ThreadPoolExecutor(max_workers=1, thread_name_prefix="raw-writer")
        self.pending: list[Future] = []
        self.state: CrawlState | None = None

    @classmethod
    def from_crawler(cls, crawler):
        s = crawler.settings
        return cls(s.get("NEWSPIPE_RAW_DIR"), s.getint("NEWSPIPE_RAW_BATCH", 500), s.get("NEWSPIPE_DATA_ROOT"),
                   crawler.stats)

    def open_spider(self, spider=None):
        pass

    def process_item(self, item, spider=None):
        if isinstance(item, RawPage):
            self.outlet = item.outlet
            self.buffer.append(item)
            if len(self.buffer) >= self.batch:
                self._flush()
        return item

    def _flush(self) -> None:
        if not self.buffer:
            return
        path = self.raw_dir / self.outlet / f"part-{self.token}-{self.parts:05d}.parquet"
        self.pending.append(self.pool.submit(self._write, self.buffer, path))
        self.parts += 1
        self.buffer = []

    def _write(self, pages: list[RawPage], path: Path) -> None:
        write_raw_pages(pages, path)
        if self.data_root:
            if self.state is None:  # opened on the writer thread, used only there
                self.state = CrawlState(self.data_root, self.outlet)
            self.state.record_fetched([(p.url, p.fetched_at) for p in pages], path)

    def close_spider(self, spider=None):
        self._flush()
        self.pool.shutdown(wait=True)
        for f in self.pending:
            exc = f.exception()
            if exc is not None:  # those pages stay unrecorded: the next crawl fetches them again
                logger.error("%s: raw pages not stored: %s", self.outlet, exc)
                if self.stats is not None:
                    self.stats.inc_value("newspipe/errors/raw_write")
        if self.state is not None:
            self.state.close()


class KnownPageIndex:
    """Write the window's ``KnownPage`` links to ``RAW_DIR/OUTLET/known-SHARD.jsonl``, so
    the publish stage reads those pages from the files that already hold them."""

    def __init__(self, raw_dir: str, shard: str):
        self.raw_dir = Path(raw_dir)
        self.name = f"known-{shard.replace('/', '-of-')}.jsonl"
        self.rows: dict[str, list[dict]] = {}

    @classmethod
    def from_crawler(cls, crawler):
        return cls(crawler.settings.get("NEWSPIPE_RAW_DIR"), crawler.settings.get("NEWSPIPE_SHARD", "0/1"))

    def process_item(self, item, spider=None):
        if isinstance(item, KnownPage):
            self.rows.setdefault(item.outlet, []).append(asdict(item))
        return item

    def close_spider(self, spider=None):
        for outlet, rows in self.rows.items():
            path = self.raw_dir / outlet / self.name
            path.parent.mkdir(parents=True, exist_ok=True)
            tmp = path.with_name(".tmp-" + path.name)
            tmp.write_text("".join(json.dumps(r, ensure_ascii=False) + "\n" for r in rows), encoding="utf-8")
            os.replace(tmp, path)
