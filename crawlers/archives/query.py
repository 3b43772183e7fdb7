"""What a backfill asks of an archive source, and the interface every source implements.

A source splits its work into units (an archive file, an index query per domain, a CDX
query page, a GDELT file), each resumable at a position (a byte offset, a row number),
and reads a unit from a position as ``(next position, ArchivedResponse or None)``.
"""
from __future__ import annotations

import os
from dataclasses import dataclass, field
from datetime import datetime, timedelta
from typing import Callable, Iterator, Protocol

from crawlers.archives.records import ArchivedResponse, Http, Skips


@dataclass(frozen=True)
class Endpoints:
    """Where the archives answer: the real services by default, each overridable by an environment
    variable (the tests point them at stand-ins on 127.0.0.1)."""

    cc_base: str = "https://data.commoncrawl.org/"
    cc_index: str = "s3://commoncrawl/cc-index/table/cc-main/warc/"
    cdx: str = "https://web.archive.org/cdx/search/cdx"
    wayback: str = "https://web.archive.org/web/"
    gdelt: str = "http://data.gdeltproject.org/gdeltv2/"

    @classmethod
    def read(cls, environ: dict[str, str] | None = None) -> "Endpoints":
        env = os.environ if environ is None else environ
        names = {"cc_base": "NEWSPIPE_CC_BASE", "cc_index": "NEWSPIPE_CC_INDEX", "cdx": "NEWSPIPE_CDX_URL",
                 "wayback": "NEWSPIPE_WAYBACK_URL", "gdelt": "NEWSPIPE_GDELT_URL"}
        return cls(**{k: env[v] for k, v in names.items() if env.get(v)})


@dataclass
class Query:
    """``since``/``until``: the publication window. ``capture``: when the archive may have
    captured such pages (from ``since`` to ``capture_slack`` after ``until``: pages are archived
    after they appear). ``keep_url``: an article URL of a chosen outlet. ``domains``: those
    outlets' domains. ``uris``: the files of the ``warc`` source."""

    since: datetime
    until: datetime
    domains: list[str]
    keep_url: Callable[[str], bool]
    endpoints: Endpoints = field(default_factory=Endpoints)
    http: Http = field(default_factory=Http)
    uris: list[str] = field(default_factory=list)
    capture_slack: timedelta = timedelta(days=30)
    any_domain: bool = False

    @property
    def capture(self) -> tuple[datetime, datetime]:
        return self.since, self.until + self.capture_slack


class Source(Protocol):
    name: str

    def units(self, q: Query) -> list[str]: ...

    def read(self, q: Query, unit: str, start: int, skips: Skips) -> Iterator[tuple[int, ArchivedResponse | None]]: ...
