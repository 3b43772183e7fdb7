"""Common Crawl's columnar URL index (Parquet, partitioned by ``crawl`` and ``subset``).

One unit per outlet domain: the index is queried with pyarrow for that registered domain,
the capture window, status 200 and HTML, then only the matching records are fetched with
HTTP range requests (kilobytes, where a WARC scan reads gigabytes). ``Http.bytes`` counts
what was fetched; ``warc_bytes`` sums the sizes of the WARC files those records sit in
(from the index), for the report.
"""
from __future__ import annotations

import io
from typing import Iterator

import pyarrow as pa
import pyarrow.compute as pc
import pyarrow.dataset as ds
import pyarrow.fs as pafs

from crawlers.archives.query import Query
from crawlers.archives.records import ArchivedResponse, ArchiveError, Skips
from crawlers.archives.warc import read_warc

COLUMNS = ["url", "url_host_registered_domain", "fetch_time", "fetch_status", "content_mime_type",
           "warc_filename", "warc_record_offset", "warc_record_length"]


def registered(domain: str) -> str:
    """The registered domain the index files a host under (its last two labels; three for a
    second-level country domain such as ``bbc.co.uk``)."""
    labels = domain.lower().split(".")
    keep = 3 if len(labels) >= 3 and labels[-2] in {"co", "com", "org", "net", "gov", "ac", "gen"} else 2
    return ".".join(labels[-keep:])


def query_index(q: Query, domain: str) -> pa.Table:
    """The index rows of ``domain`` captured in the window, in a stable order."""
    index = q.endpoints.cc_index
    fs, path = pafs.FileSystem.from_uri(index) if "://" in index else (pafs.LocalFileSystem(), index)
    data = ds.dataset(path, filesystem=fs, format="parquet", partitioning="hive")
    first, last = q.capture
    flt = ((pc.field("subset") == "warc") & (pc.field("url_host_registered_domain") == registered(domain))
           & (pc.field("fetch_status") == 200) & (pc.field("content_mime_type") == "text/html")
           & (pc.field("fetch_time") >= pa.scalar(first, pa.timestamp("us", tz="UTC")))
           & (pc.field("fetch_time") < pa.scalar(last, pa.timestamp("us", tz="UTC"))))
    table = data.to_table(columns=COLUMNS, filter=flt)
    return table.sort_by([("fetch_time", "ascending"), ("url", "ascending")])


class CCIndex:
    name = "cc-index"

    def units(self, q: Query) -> list[str]:
        return sorted({registered(d) for d in q.domains})

    def read(self, q: Query, unit: str, start: int, skips: Skips) -> Iterator[tuple[int, ArchivedResponse | None]]:
        rows = query_index(q, unit).to_pylist()
        for i, row in enumerate(rows[start:], start):
            if not q.keep_url(row["url"]):
                skips.add("host")
                yield i + 1, None
                continue
            yield i + 1, _fetch(q, row, skips)


def _fetch(q: Query, row: dict, skips: Skips) -> ArchivedResponse | None:
    """The one record an index row points at, by a range request; None (counted) when the row
    points past the end of its file or at something that is not that URL's response."""
    first = int(row["warc_record_offset"])
    length = int(row["warc_record_length"])
    url = q.endpoints.cc_base + row["warc_filename"]
    try:
        blob = q.http.get(url, (first, first + length - 1))
    except ArchiveError:
        skips.add("bad_index_row")
        return None
    if len(blob) < length:
        skips.add("bad_index_row")
        return None
    found = [r for _, r in read_warc(url, lambda off: io.BytesIO(blob[off:]), skips, keep_url=q.keep_url,
                                     source="cc-index", base=first) if r is not None]
    if not found or found[0].url != row["url"]:
        skips.add("bad_index_row")
        return None
    return found[0]
