"""Common Crawl's news crawl (CC-NEWS): WARC files per day, listed per month in ``warc.paths.gz``.

One unit per file whose stamp lies in the capture window; each is streamed by
``crawlers.archives.warc``, records of other hosts or captured outside the window passed
over on their WARC headers.
"""
from __future__ import annotations

import gzip
import logging
import re
from datetime import datetime, timedelta, timezone
from typing import Iterator

from crawlers.archives.query import Query
from crawlers.archives.records import ArchivedResponse, ArchiveError, Skips
from crawlers.archives.warc import opener_for, read_warc

log = logging.getLogger("newspipe")
_CC_NEWS_FILE = re.compile(r"CC-NEWS-(\d{14})-\d+\.warc\.gz$")


class CCNews:
    """Common Crawl's news crawl: the WARC files of the capture window's days, from the monthly
    ``warc.paths.gz`` listings, streamed; records filtered on host and capture date."""

    name = "cc-news"

    def units(self, q: Query) -> list[str]:
        first, last = q.capture
        months = sorted({(d.year, d.month) for d in _days(first, last)})
        out = []
        for year, month in months:
            try:
                listing = q.http.get(f"{q.endpoints.cc_base}crawl-data/CC-NEWS/{year}/{month:02d}/warc.paths.gz")
            except ArchiveError as exc:  # a month not crawled yet, or not at all
                log.warning("cc-news: no listing for %d-%02d: %s", year, month, exc)
                continue
            for path in gzip.decompress(listing).decode().split():
                m = _CC_NEWS_FILE.search(path)
                stamp = datetime.strptime(m[1], "%Y%m%d%H%M%S").replace(tzinfo=timezone.utc) if m else None
                # a file holds what was captured from its stamp on, for an hour or so
                if stamp and first - timedelta(hours=6) <= stamp < last:
                    out.append(q.endpoints.cc_base + path)
        return out

    def read(self, q: Query, unit: str, start: int, skips: Skips) -> Iterator[tuple[int, ArchivedResponse | None]]:
        return read_warc(unit, opener_for(unit, q.http), skips, keep_url=q.keep_url, window=q.capture, start=start,
                         source=self.name)


def _days(first: datetime, last: datetime) -> list[datetime]:
    n = max(1, (last - first).days + 1)
    return [first + timedelta(days=i) for i in range(n)]
