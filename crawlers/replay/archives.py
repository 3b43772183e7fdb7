"""Stand-ins for the web archives we cannot run here, on 127.0.0.1, with generated content.

``captures`` makes archived pages: the replay outlets' articles (our own demo stories, as
their sites serve them) among pages of other hosts, some mentioning Idlib, most not.
``write_warc`` writes them as a WARC (warcio, gzip per record) and returns each record's
offset and length; ``index_table`` is the columnar URL index over such files (the real
index's column names); ``gdelt_export`` a zipped GDELT 2.0 event file. ``ArchiveServer``
answers the real services' request shapes: files with HTTP ranges (Common Crawl's
``data`` host, GDELT's file host), the CDX API and ``id_`` captures (the Wayback Machine),
with faults to inject and a log of every request. Never imported by production code.
"""
from __future__ import annotations

import io
import json
import random
import threading
import time
import zipfile
from dataclasses import dataclass
from datetime import datetime, timedelta, timezone
from http.server import BaseHTTPRequestHandler, ThreadingHTTPServer
from urllib.parse import parse_qs, unquote, urlsplit

import pyarrow as pa
from warcio.statusandheaders import StatusAndHeaders
from warcio.warcwriter import WARCWriter

from crawlers.replay.server import OutletSite
from crawlers.replay.site import build_site, demo_articles

_FILLER_WORDS = ("council budget rail museum harvest market weather festival election league bridge school "
                 "hospital port library concert river tourism bakery tram orchestra").split()


@dataclass
class Capture:
    url: str
    captured_at: datetime
    body: bytes
    status: int = 200
    content_type: str = "text/html; charset=utf-8"


def outlet_captures(outlets: list[str], lag: timedelta = timedelta(hours=3)) -> list[Capture]:
    """Every article page of the replay outlets as served, captured ``lag`` after publication."""
    out = []
    for name in outlets:
        base = OutletSite(name).base
        pages = build_site(name, base)
        for a in demo_articles():
            if a.outlet == name:
                out.append(Capture(base + a.path, a.date + lag, pages[a.path].body))
    return out


def filler_captures(n: int, start: datetime, seed: int = 7, idlib_share: float = 0.05) -> list[Capture]:
    """Pages of hosts outside the registry (``news-K.example``), ``idlib_share`` of them about Idlib."""
    rng = random.Random(seed)
    out = []
    for i in range(n):
        words = " ".join(rng.choice(_FILLER_WORDS) for _ in range(120))
        about = "Shelling was reported near Idlib and Saraqib. " if rng.random() < idlib_share else ""
        body = (f"<html><head><title>Local news {i}</title></head><body><article><h1>Local news {i}</h1>"
                f"<p>{about}{words}.</p></article></body></html>").encode()
        when = start + timedelta(minutes=rng.randrange(0, 60 * 24 * 7))
        out.append(Capture(f"http://news-{i % 50}.example/{i}.html", when, body))
    return out


def write_warc(out, captures: list[Capture], gzip: bool = True) -> list[tuple[str, int, int]]:
    """Write ``captures`` as WARC response records (and a warcinfo first) to the binary file ``out``;
    ``(url, offset, length)`` of every response record."""
    writer = WARCWriter(out, gzip=gzip)
    writer.write_record(writer.create_warcinfo_record("newspipe-test.warc.gz", {"software": "newspipe tests"}))
    spans = []
    for c in captures:
        http = StatusAndHeaders(f"{c.status} OK", [("Content-Type", c.content_type),
                                                   ("Content-Length", str(len(c.body)))], protocol="HTTP/1.1")
        record = writer.create_warc_record(c.url, "response", payload=io.BytesIO(c.body), http_headers=http,
                                           warc_headers_dict={"WARC-Date": c.captured_at.strftime("%Y-%m-%dT%H:%M:%SZ")})
        start = out.tell()
        writer.write_record(record)
        spans.append((c.url, start, out.tell() - start))
    return spans


def index_table(files: dict[str, tuple[list[Capture], list[tuple[str, int, int]]]]) -> pa.Table:
    """The columnar URL index of WARC files (``{warc_filename: (captures, spans)}``)."""
    rows = []
    for filename, (captures, spans) in files.items():
        for c, (url, offset, length) in zip(captures, spans):
            host = urlsplit(url).hostname or ""
            rows.append({"url": url, "url_host_registered_domain": ".".join(host.split(".")[-2:]),
                         "fetch_time": c.captured_at, "fetch_status": c.status, "content_mime_type": "text/html",
                         "warc_filename": filename, "warc_record_offset": offset, "warc_record_length": length})
    return pa.Table.from_pylist(rows, schema=pa.schema([
        ("url", pa.string()), ("url_host_registered_domain", pa.string()), ("fetch_time", pa.timestamp("us", tz="UTC")),
        ("fetch_status", pa.int16()), ("content_mime_type", pa.string()), ("warc_filename", pa.string()),
        ("warc_record_offset", pa.int64()), ("warc_record_length", pa.int64())]))


def gdelt_export(events: list[tuple[str, str, str, datetime]]) -> bytes:
    """A zipped GDELT 2.0 export of ``(SOURCEURL, ActionGeo_FullName, ActionGeo_ADM1Code, DATEADDED)`` events."""
    lines = []
    for n, (url, place, adm1, added) in enumerate(events):
        row = [""] * 61
        row[0], row[1], row[52], row[53], row[54] = str(1000 + n), f"{added:%Y%m%d}", place, adm1[:2], adm1
        row[59], row[60] = f"{added:%Y%m%d%H%M%S}", url
        lines.append("\t".join(row))
    buf = io.BytesIO()
    with zipfile.ZipFile(buf, "w") as z:
        z.writestr("export.CSV", "\n".join(lines) + ("\n" if lines else ""))
    return buf.getvalue()


class ArchiveServer:
    """One server on 127.0.0.1 answering like Common Crawl's file host (``files``, with ranges),
    GDELT's file host (also ``files``) and the Wayback Machine (``/cdx/search/cdx`` over
    ``captures``, ``/web/TIMESTAMPid_/URL``). ``faults``: a part of the request's path and query ->
    answers to give first (``(status, body, headers)``); ``log``: every request's path and range."""

    def __init__(self, page_size: int = 5, slow: float = 0.0):
        self.files: dict[str, bytes] = {}
        self.captures: list[Capture] = []
        self.faults: dict[str, list[tuple[int, bytes, dict]]] = {}
        self.log: list[tuple[str, str | None]] = []
        self.page_size = page_size
        self.slow = slow  # seconds per 16 KiB of a file sent: a long stream to kill a reader in
        self.httpd = ThreadingHTTPServer(("127.0.0.1", 0), _handler(self))
        self.base = f"http://127.0.0.1:{self.httpd.server_address[1]}/"
        self.thread = threading.Thread(target=self.httpd.serve_forever, daemon=True)

    def __enter__(self) -> "ArchiveServer":
        self.thread.start()
        return self

    def __exit__(self, *exc) -> None:
        self.httpd.shutdown()
        self.httpd.server_close()

    def cdx(self, query: dict[str, str]) -> bytes:
        prefix = query.get("url", "").rstrip("/")
        first, last = query.get("from", "0"), query.get("to", "99999999999999")
        rows = sorted((c for c in self.captures if urlsplit(c.url).hostname == prefix and c.status == 200
                       and first <= f"{c.captured_at:%Y%m%d%H%M%S}" <= last), key=lambda c: (c.captured_at, c.url))
        pages = [rows[i:i + self.page_size] for i in range(0, len(rows), self.page_size)]
        if query.get("showNumPages") == "true":
            return str(len(pages)).encode()
        page = pages[int(query.get("page", 0))] if pages else []
        fields = query.get("fl", "timestamp,original").split(",")
        values = {"statuscode": lambda c: str(c.status), "mimetype": lambda c: "text/html",
                  "digest": lambda c: str(abs(hash(c.body)) % 10**12), "original": lambda c: c.url,
                  "timestamp": lambda c: f"{c.captured_at:%Y%m%d%H%M%S}"}
        return json.dumps([fields] + [[values[f](c) for f in fields] for c in page]).encode()

    def capture(self, stamp: str, url: str) -> Capture | None:
        """The capture of ``url`` nearest ``stamp``, as the Wayback Machine picks it."""
        mine = [c for c in self.captures if c.url == url]
        when = datetime.strptime(stamp[:14].ljust(14, "0"), "%Y%m%d%H%M%S").replace(tzinfo=timezone.utc)
        return min(mine, key=lambda c: abs((c.captured_at - when).total_seconds()), default=None)


def _handler(server: ArchiveServer):
    class H(BaseHTTPRequestHandler):
        protocol_version = "HTTP/1.1"

        def log_message(self, *args):
            pass

        def do_GET(self):  # noqa: N802
            parts = urlsplit(self.path)
            path = unquote(parts.path)
            server.log.append((self.path, self.headers.get("Range")))
            faults = next((f for key, f in server.faults.items() if f and key in self.path), None)
            if faults:
                self.answer(*faults.pop(0))
            elif path == "/cdx/search/cdx":
                self.answer(200, server.cdx({k: v[0] for k, v in parse_qs(parts.query).items()}),
                            {"Content-Type": "application/json"})
            elif path.startswith("/web/"):
                stamp, _, url = path[len("/web/"):].partition("id_/")
                c = server.capture(stamp, url + (f"?{parts.query}" if parts.query else ""))
                self.answer(200, c.body, {"Content-Type": c.content_type}) if c else self.answer(404, b"", {})
            elif path.lstrip("/") in server.files:
                self.file(server.files[path.lstrip("/")])
            else:
                self.answer(404, b"not found", {})

        def file(self, data: bytes) -> None:
            rng = self.headers.get("Range")
            if not rng:
                return self.answer(200, data, {"Content-Type": "application/octet-stream"}, server.slow)
            first, _, last = rng.removeprefix("bytes=").partition("-")
            first, last = int(first), min(int(last) if last else len(data) - 1, len(data) - 1)
            if first >= len(data):
                return self.answer(416, b"", {"Content-Range": f"bytes */{len(data)}"})
            self.answer(206, data[first:last + 1], {"Content-Range": f"bytes {first}-{last}/{len(data)}"})

        def answer(self, status: int, body: bytes, headers: dict, slow: float = 0.0) -> None:
            self.send_response(status)
            for k, v in headers.items():
                self.send_header(k, v)
            self.send_header("Content-Length", str(len(body)))
            self.end_headers()
            step = 16384 if slow else max(len(body), 1)
            for i in range(0, len(body), step):
                self.wfile.write(body[i:i + step])
                time.sleep(slow)

    return H
