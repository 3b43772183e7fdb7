"""Item pipelines: ``RawPageWriter`` keeps every fetched page as Parquet so that
articles can be re-extracted later without refetching; ``KnownPageIndex``
lists the pages of the window that earlier crawls had already stored."""
from __future__ import annotations

import logging
import uuid
from concurrent.futures import Future, ThreadPoolExecutor
from dataclasses import asdict
from pathlib import Path

from crawlers.dates import parse_date
from crawlers.items import KnownPage, RawPage
from crawlers.state import CrawlState
from storage.raw import write_known, write_raw_pages

logger = logging.getLogger(__name__)


def _row(page: RawPage) -> dict:
    """A page as a row of ``storage.schema.RAW_PAGES``."""
    return dict(asdict(page), fetched_at=parse_date(page.fetched_at), listed_at=parse_date(page.listed_at))


class RawPageWriter:
    """Buffer pages and write them in batches of NEWSPIPE_RAW_BATCH on a background
    thread (compression stays off the reactor). Only once a file is renamed into
    place are its URLs recorded in the outlet's crawl state, so a crash loses at
    most the current batch and never marks a page fetched that is not stored."""

    def __init__(self, raw_dir: str, batch: int, work_dir: str | None, stats=None):
        self.raw_dir = Path(raw_dir)
        self.batch = batch
        self.work_dir = work_dir
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
        return cls(s.get("NEWSPIPE_RAW_DIR"), s.getint("NEWSPIPE_RAW_BATCH", 500), s.get("NEWSPIPE_WORK_DIR"),
                   crawler.stats)

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
        write_raw_pages([_row(p) for p in pages], path)
        if self.work_dir:
            if self.state is None:  # opened on the writer thread, used only there
                self.state = CrawlState(self.work_dir, self.outlet)
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
        self.shard = shard
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
            write_known(self.raw_dir / outlet, self.shard, rows)
