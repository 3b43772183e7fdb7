"""What every archive source yields, and the transport they share.

An ``ArchivedResponse`` is one archived HTTP response (URL, capture time, status,
headers, body) with where it came from (``origin``: the WARC file and offset, or the
Wayback capture). ``Skips`` counts the records passed over by reason, for the run's stats.
``Http`` is a small client for archives' APIs and files: a minimum interval between
requests to one host, ``Retry-After`` obeyed on 429 and 503 (capped), a few retries with
backoff on other failures, and ranges for the byte offsets of indexes.
"""
from __future__ import annotations

import io
import time
import urllib.error
import urllib.request
from collections import Counter
from dataclasses import dataclass, field
from datetime import datetime
from email.utils import parsedate_to_datetime
from typing import IO
from urllib.parse import urlsplit

ARCHIVE_PREFIX = "archive:"  # discovered_via of a page read from a web archive: archive:SOURCE:ORIGIN
USER_AGENT = "newspipe-backfill/0.1 (+https://github.com/newspipe; research archive reader)"


@dataclass
class ArchivedResponse:
    url: str
    captured_at: datetime | None
    status: int
    headers: dict[str, str]
    body: bytes
    origin: str            # "warc:FILE@OFFSET", "wayback:TIMESTAMP"
    source: str            # the source's name: warc, cc-news, cc-index, wayback


@dataclass
class Skips:
    """Records passed over, by reason (``host``, ``window``, ``prefilter``, ``truncated`` …)."""

    counts: Counter = field(default_factory=Counter)

    def add(self, reason: str, n: int = 1) -> None:
        self.counts[reason] += n

    def as_dict(self) -> dict[str, int]:
        return dict(sorted(self.counts.items()))


class ArchiveError(RuntimeError):
    """An archive answered in a way that stops this unit (file, query page): named, then the next."""


@dataclass
class Http:
    """``min_interval`` seconds between requests to one host; ``retries`` attempts on errors and
    on 429/503, waiting ``Retry-After`` (at most ``max_wait`` seconds) or a doubling backoff."""

    min_interval: float = 0.0
    retries: int = 4
    max_wait: float = 60.0
    timeout: float = 60.0
    _last: dict[str, float] = field(default_factory=dict)
    requests: int = 0
    bytes: int = 0
    file_sizes: dict[str, int] = field(default_factory=dict)  # whole sizes of files read by ranges

    def get(self, url: str, byte_range: tuple[int, int] | None = None) -> bytes:
        """The body of ``url`` (``byte_range``: first and last byte, both included)."""
        with self.open(url, byte_range) as resp:
            data = resp.read()
            total = (resp.headers.get("Content-Range") or "").rpartition("/")[2]
        if byte_range and total.isdigit():
            self.file_sizes[url] = int(total)
        self.bytes += len(data)
        return data

    def open(self, url: str, byte_range: tuple[int, int] | None = None, offset: int = 0) -> IO[bytes]:
        """A response to stream (``offset``: from that byte to the end)."""
        headers = {"User-Agent": USER_AGENT}
        if byte_range:
            headers["Range"] = f"bytes={byte_range[0]}-{byte_range[1]}"
        elif offset:
            headers["Range"] = f"bytes={offset}-"
        delay = 1.0
        for attempt in range(self.retries + 1):
            self._pace(url)
            try:
                self.requests += 1
                return urllib.request.urlopen(urllib.request.Request(url, headers=headers), timeout=self.timeout)
            except urllib.error.HTTPError as exc:
                if exc.code not in (429, 500, 502, 503, 504) or attempt == self.retries:
                    raise ArchiveError(f"{url}: HTTP {exc.code}") from None
                wait = _retry_after(exc.headers.get("Retry-After"), delay)
            except (urllib.error.URLError, TimeoutError, ConnectionError) as exc:
                if attempt == self.retries:
                    raise ArchiveError(f"{url}: {getattr(exc, 'reason', exc)}") from None
                wait = delay
            time.sleep(min(wait, self.max_wait))
            delay *= 2
        raise ArchiveError(f"{url}: no answer")  # not reached

    def _pace(self, url: str) -> None:
        host = urlsplit(url).netloc
        wait = self._last.get(host, 0.0) + self.min_interval - time.monotonic()
        if wait > 0:
            time.sleep(wait)
        self._last[host] = time.monotonic()


def _retry_after(value: str | None, default: float) -> float:
    """Seconds from a ``Retry-After`` header (seconds or an HTTP date)."""
    if not value:
        return default
    if value.strip().isdigit():
        return float(value)
    try:
        return max(0.0, parsedate_to_datetime(value).timestamp() - time.time())
    except (TypeError, ValueError):
        return default


def open_uri(uri: str, http: Http, offset: int = 0) -> IO[bytes]:
    """A byte stream of a local path, an ``http(s)://`` URL or a filesystem URI (``s3://``), from
    ``offset`` on (a resumed WARC starts at the record after the last one done)."""
    if uri.startswith(("http://", "https://")):
        return http.open(uri, offset=offset)
    if "://" in uri:
        import pyarrow.fs as pafs
        fs, path = pafs.FileSystem.from_uri(uri)
        raw = fs.open_input_file(path)
        if offset >= raw.size():
            return io.BytesIO()
        raw.seek(offset)
        return io.BufferedReader(raw, buffer_size=1 << 20)  # an object store's reads: few, large ranges
    stream = open(uri, "rb")
    if offset:
        stream.seek(offset)
    return stream
