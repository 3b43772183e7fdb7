"""Read WARC (and ARC) files as a stream, record by record, with warcio.

A record's ``WARC-Target-URI`` and ``WARC-Date`` are checked before its payload is read,
so the records of other hosts cost only their decompression. Each yielded item carries
the offset of the next record: a checkpoint there resumes the file by a seek (or a
range request) instead of reading it again. A record that cannot be parsed (a truncated
gzip member, a wrong Content-Length) is counted and the reader finds the next record's
start and goes on; a revisit record, a request or metadata record, a payload over
``max_body`` bytes are counted and passed over.
"""
from __future__ import annotations

import re
import zlib
from datetime import datetime
from typing import IO, Callable, Iterator

from warcio.archiveiterator import ArchiveIterator
from warcio.exceptions import ArchiveLoadFailed

from crawlers.archives.query import Query
from crawlers.archives.records import ArchivedResponse, Http, Skips, open_uri
from crawlers.dates import as_utc

MAX_BODY = 10 * 2**20       # an article page is far smaller; a larger payload is skipped, not read
_RESYNC_CHUNK = 1 << 20
_RESYNC_LIMIT = 256 << 20   # how far to look for the next record before giving the file up
_WARC_START = re.compile(rb"WARC/1\.[01]\r\n")


def read_warc(uri: str, opener: Callable[[int], IO[bytes]], skips: Skips, *, keep_url: Callable[[str], bool],
              window: tuple[datetime, datetime] | None = None, start: int = 0, max_body: int = MAX_BODY,
              source: str = "warc", base: int = 0) -> Iterator[tuple[int, ArchivedResponse | None]]:
    """``(offset of the next record, response or None)`` for every record from ``start``: a
    response when it is an HTTP response whose URL ``keep_url`` accepts, captured in ``window``.
    ``opener(offset)`` gives the file's bytes from an offset (``opener_for`` makes one for a URI);
    ``base``: where those bytes sit in ``uri`` (a range request's slice), for the origin."""
    offset = start
    while offset is not None:
        resume, good = None, offset  # good: where the record after the last one read starts
        stream = opener(offset)
        try:
            it = ArchiveIterator(stream, arc2warc=True)
            for record in it:
                item = _response(record, skips, keep_url, window, max_body, source)
                it.read_to_end(record)  # before the offsets: warcio knows them once the record is read
                here = offset + it.get_record_offset()
                if item is not None:
                    item.origin = f"warc:{uri}@{base + here}"
                good = here + it.get_record_length()
                yield good, item
        except (ArchiveLoadFailed, ValueError, OSError, EOFError, zlib.error):
            skips.add("unreadable_record")
            resume = _next_record(uri, opener, good + 1)
        finally:
            stream.close()
        offset = resume


def _response(record, skips: Skips, keep_url, window, max_body: int, source: str) -> ArchivedResponse | None:
    if record.rec_type == "revisit":
        skips.add("revisit")
        return None
    if record.rec_type != "response" or record.http_headers is None:
        skips.add("not_http_response")
        return None
    url = record.rec_headers.get_header("WARC-Target-URI") or ""
    if not keep_url(url):
        skips.add("host")
        return None
    captured = _date(record.rec_headers.get_header("WARC-Date"))
    if window and (captured is None or not window[0] <= captured < window[1]):
        skips.add("capture_window")
        return None
    body = record.content_stream().read(max_body + 1)
    if len(body) > max_body:
        skips.add("too_large")
        return None
    status = int(record.http_headers.get_statuscode() or 0)
    headers = {k: v for k, v in record.http_headers.headers}
    return ArchivedResponse(url, captured, status, headers, body, "", source)


def _date(value: str | None) -> datetime | None:
    try:
        return as_utc(value) if value else None
    except ValueError:
        return None


def opener_for(uri: str, http: Http) -> Callable[[int], IO[bytes]]:
    return lambda offset: open_uri(uri, http, offset)


def _next_record(uri: str, opener: Callable[[int], IO[bytes]], after: int) -> int | None:
    """The offset of the next record start after ``after`` (a gzip member, or a plain ``WARC/1.x``
    line), or None when the file ends first."""
    gz = uri.split("?", 1)[0].endswith(".gz")
    stream = opener(after)
    try:
        pos, tail = after, b""
        while pos - after < _RESYNC_LIMIT:
            chunk = stream.read(_RESYNC_CHUNK)
            if not chunk:
                return None
            buf = tail + chunk
            hit = buf.find(b"\x1f\x8b\x08") if gz else (m.start() if (m := _WARC_START.search(buf)) else -1)
            if hit >= 0:
                return pos - len(tail) + hit
            tail = buf[-16:]
            pos += len(chunk)
        return None
    finally:
        stream.close()


class WarcFiles:
    """WARC/ARC files named by the operator (paths, http(s):// or s3:// URIs); no capture filter."""

    name = "warc"

    def units(self, q: Query) -> list[str]:
        return list(dict.fromkeys(q.uris))

    def read(self, q: Query, unit: str, start: int, skips: Skips) -> Iterator[tuple[int, ArchivedResponse | None]]:
        return read_warc(unit, opener_for(unit, q.http), skips, keep_url=q.keep_url, start=start, source=self.name)
