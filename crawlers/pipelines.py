"""Item pipelines: RawPageWriter keeps every fetched page as Parquet so that
articles can be re-extracted later without refetching."""
from __future__ import annotations

import json
import os
from datetime import datetime
from pathlib import Path

import pyarrow as pa
import pyarrow.parquet as pq

from crawlers.items import RawPage

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
    table = pa.Table.from_pylist([{
        "outlet": p.outlet, "url": p.url, "final_url": p.final_url, "status": p.status,
        "headers": json.dumps(p.headers, ensure_ascii=False), "body": p.body,
        "fetched_at": _ts(p.fetched_at), "discovered_via": p.discovered_via,
        "listed_at": _ts(p.listed_at), "listed_title": p.listed_title,
    } for p in pages], schema=RAW_SCHEMA)
    path.parent.mkdir(parents=True, exist_ok=True)
    tmp = path.with_name("_tmp-" + path.name)
    pq.write_table(table, tmp, compression="zstd")
    os.replace(tmp, path)


class RawPageWriter:
    """Buffer pages and write them in batches of NEWSPIPE_RAW_BATCH; a crash
    loses at most the current batch, never a written file."""

    def __init__(self, raw_dir: str, batch: int):
        self.raw_dir = Path(raw_dir)
        self.batch = batch
        self.buffer: list[RawPage] = []
        self.parts = 0
        self.outlet = ""

    @classmethod
    def from_crawler(cls, crawler):
        return cls(crawler.settings.get("NEWSPIPE_RAW_DIR"), crawler.settings.getint("NEWSPIPE_RAW_BATCH", 500))

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
        path = self.raw_dir / self.outlet / f"part-{os.getpid()}-{self.parts:05d}.parquet"
        write_raw_pages(self.buffer, path)
        self.parts += 1
        self.buffer = []

    def close_spider(self, spider=None):
        self._flush()
