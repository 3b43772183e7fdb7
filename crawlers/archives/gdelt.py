"""GDELT 2.0 event exports: the source URLs of events located in Idlib province.

One unit per 15-minute export file of the window (``YYYYMMDDHHMMSS.export.CSV.zip``,
tab-separated, 61 columns). An event counts when its action's ADM1 code is Idlib's
(``SY12``) or its place name names Idlib; its ``SOURCEURL`` is kept when an outlet of
the registry owns it (or any domain, with ``any_domain``), then fetched from the Wayback
Machine's capture nearest the event. A missing or empty file is counted and passed over.
"""
from __future__ import annotations

import csv
import io
import zipfile
from datetime import timedelta
from typing import Iterator

from crawlers.archives.query import Query
from crawlers.archives.records import ArchivedResponse, ArchiveError, Skips
from crawlers.archives.wayback import fetch_capture

IDLIB_ADM1 = "SY12"
IDLIB_NAMES = ("idlib", "idleb", "edlib")
ACTION_FULLNAME, ACTION_ADM1, DATEADDED, SOURCEURL = 52, 54, 59, 60
COLUMNS = 61


def idlib_urls(blob: bytes, keep, skips: Skips) -> list[tuple[str, str]]:
    """``(DATEADDED, SOURCEURL)`` of the Idlib events of one zipped export, each URL once."""
    try:
        with zipfile.ZipFile(io.BytesIO(blob)) as z:
            names = z.namelist()
            text = z.read(names[0]).decode("utf-8", "replace") if names else ""
    except (zipfile.BadZipFile, OSError):
        skips.add("bad_gdelt_file")
        return []
    if not text.strip():
        skips.add("empty_gdelt_file")
        return []
    out: dict[str, str] = {}
    for row in csv.reader(io.StringIO(text), delimiter="\t"):
        if len(row) != COLUMNS:
            skips.add("bad_gdelt_row")
            continue
        place = row[ACTION_FULLNAME].lower()
        if row[ACTION_ADM1] != IDLIB_ADM1 and not any(n in place for n in IDLIB_NAMES):
            continue
        url = row[SOURCEURL].strip()
        if not keep(url):
            skips.add("host")
            continue
        out.setdefault(url, row[DATEADDED])
    return sorted((stamp, url) for url, stamp in out.items())


class Gdelt:
    name = "gdelt"

    def units(self, q: Query) -> list[str]:
        t, out = q.since, []
        while t < q.until + timedelta(days=1):  # events are added up to a day after the article
            out.append(f"{q.endpoints.gdelt}{t:%Y%m%d%H%M%S}.export.CSV.zip")
            t += timedelta(minutes=15)
        return out

    def read(self, q: Query, unit: str, start: int, skips: Skips) -> Iterator[tuple[int, ArchivedResponse | None]]:
        try:
            blob = q.http.get(unit)
        except ArchiveError:
            skips.add("missing_gdelt_file")
            return
        keep = (lambda u: u.startswith(("http://", "https://"))) if q.any_domain else q.keep_url
        for i, (stamp, url) in enumerate(idlib_urls(blob, keep, skips)[start:], start):
            yield i + 1, fetch_capture(q, stamp, url, skips, source="gdelt")
