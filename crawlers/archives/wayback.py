"""The Internet Archive's Wayback Machine: the CDX API, then the raw captures (``id_`` URLs).

One unit per CDX result page of an outlet domain (``url=DOMAIN/``, ``matchType=prefix``,
``from``/``to`` of the capture window, ``filter=statuscode:200``, ``collapse=digest``),
resumable at a row. A page answering 429 or 503 is retried after its ``Retry-After``
(``Http``); one that stays unreadable (bad JSON) is counted and its unit ends.
"""
from __future__ import annotations

import json
from datetime import datetime, timezone
from typing import Iterator
from urllib.parse import urlencode

from crawlers.archives.query import Query
from crawlers.archives.records import ArchivedResponse, ArchiveError, Skips

FIELDS = "timestamp,original,statuscode,digest,mimetype"


def _params(q: Query, domain: str, **extra) -> str:
    first, last = q.capture
    return urlencode({"url": f"{domain}/", "matchType": "prefix", "from": f"{first:%Y%m%d%H%M%S}",
                      "to": f"{last:%Y%m%d%H%M%S}", "output": "json", "fl": FIELDS, "filter": "statuscode:200",
                      "collapse": "digest", **extra})


class Wayback:
    name = "wayback"

    def units(self, q: Query) -> list[str]:
        out = []
        for domain in sorted(set(q.domains)):
            pages = int(q.http.get(f"{q.endpoints.cdx}?{_params(q, domain, showNumPages='true')}").strip() or 0)
            out += [f"{domain} {p}" for p in range(pages)]
        return out

    def read(self, q: Query, unit: str, start: int, skips: Skips) -> Iterator[tuple[int, ArchivedResponse | None]]:
        domain, page = unit.rsplit(" ", 1)
        try:
            rows = json.loads(q.http.get(f"{q.endpoints.cdx}?{_params(q, domain, page=page)}") or b"[]")
            if rows and not all(isinstance(r, list) for r in rows):
                raise ValueError("rows are not lists")
        except (ValueError, ArchiveError):
            skips.add("cdx_bad_answer")
            return
        header, rows = (rows[0], rows[1:]) if rows else ([], [])
        for i, row in enumerate(rows[start:], start):
            capture = dict(zip(header, row))
            if not q.keep_url(capture.get("original", "")):
                skips.add("host")
                yield i + 1, None
                continue
            yield i + 1, fetch_capture(q, capture["timestamp"], capture["original"], skips)


def fetch_capture(q: Query, timestamp: str, url: str, skips: Skips, source: str = "wayback") -> ArchivedResponse | None:
    """The raw capture of ``url`` nearest ``timestamp`` (the ``id_`` form: the page as archived,
    without the Wayback toolbar or rewritten links)."""
    try:
        with q.http.open(f"{q.endpoints.wayback}{timestamp}id_/{url}") as resp:
            body = resp.read()
            headers = dict(resp.headers.items())
            status = resp.status
    except ArchiveError:
        skips.add("capture_unavailable")
        return None
    q.http.bytes += len(body)
    try:
        captured = datetime.strptime(timestamp[:14], "%Y%m%d%H%M%S").replace(tzinfo=timezone.utc)
    except ValueError:
        captured = None
    return ArchivedResponse(url, captured, status, headers, body, f"wayback:{timestamp}", source)
