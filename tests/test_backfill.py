"""Backfill from web archives, against stand-ins on 127.0.0.1 (crawlers/replay/archives.py): each
source's window and host filters, resumption after SIGKILL, a rerun that fetches nothing, and a
backfilled day equal to the same day crawled."""
from __future__ import annotations

import gzip
import io
import os
import signal
import sqlite3
import subprocess
import sys
import time
from collections import Counter, defaultdict
from datetime import datetime, timezone
from pathlib import Path
from urllib.parse import urlsplit

import pandas as pd
import pyarrow as pa
import pyarrow.parquet as pq
import pytest

from crawlers.replay.archives import (ArchiveServer, Capture, filler_captures, gdelt_export, index_table,
                                      outlet_captures, write_warc)
from pipeline.backfill.run import backfill
from pipeline.run.stages import run
from tests.conftest import write_sources

ROOT = Path(__file__).resolve().parents[1]
OUTLETS = ["levant-wire", "idlib-monitor", "dimashq-news"]
SINCE, UNTIL = datetime(2020, 10, 2, tzinfo=timezone.utc), datetime(2020, 10, 4, tzinfo=timezone.utc)
COLS = ["article_id", "outlet", "title", "published_at", "text", "relevant"]


def _day_files(captures: list[Capture]) -> dict[str, tuple[list[Capture], list]]:
    """CC-NEWS-like files, one per capture day, as {path: (captures, spans, bytes)}."""
    by_day = defaultdict(list)
    for c in sorted(captures, key=lambda c: (c.captured_at, c.url)):
        by_day[c.captured_at.date()].append(c)
    out = {}
    for day, caps in by_day.items():
        buf = io.BytesIO()
        spans = write_warc(buf, caps)
        path = f"crawl-data/CC-NEWS/{day:%Y/%m}/CC-NEWS-{day:%Y%m%d}000000-00000.warc.gz"
        out[path] = (caps, spans, buf.getvalue())
    return out


@pytest.fixture(scope="module")
def world(tmp_path_factory):
    """An archive server holding every capture of the three outlets (and of other hosts), as
    CC-NEWS files with listings, a columnar index over them, Wayback captures and GDELT files."""
    tmp = tmp_path_factory.mktemp("archives")
    captures = outlet_captures(OUTLETS) + filler_captures(300, datetime(2020, 9, 28, tzinfo=timezone.utc))
    files = _day_files(captures)
    with ArchiveServer(page_size=4) as server:
        for path, (_, _, blob) in files.items():
            server.files[path] = blob
        for month in sorted({p.split("/")[2] + "/" + p.split("/")[3] for p in files}):
            listing = "\n".join(p for p in files if f"/{month}/" in p) + "\n"
            server.files[f"crawl-data/CC-NEWS/{month}/warc.paths.gz"] = gzip.compress(listing.encode())
        index = tmp / "cc-index"
        (index / "crawl=CC-MAIN-2020-45" / "subset=warc").mkdir(parents=True)
        pq.write_table(index_table({p: (caps, spans) for p, (caps, spans, _) in files.items()}),
                       index / "crawl=CC-MAIN-2020-45" / "subset=warc" / "part-0.parquet")
        server.captures = captures
        stamps = {}
        for c in outlet_captures(OUTLETS):   # each outlet article becomes an event, Idlib's in SY12
            stamp = c.captured_at.replace(minute=c.captured_at.minute // 15 * 15, second=0)
            idlib = b"Idlib" in c.body or "إدلب".encode() in c.body
            stamps.setdefault(stamp, []).append((c.url, "Idlib, Idlib, Syria" if idlib else "Damascus, Syria",
                                                 "SY12" if idlib else "SY13", c.captured_at))
        server.idlib_urls = {e[0] for events in stamps.values() for e in events if e[2] == "SY12"}
        for stamp, events in stamps.items():
            server.files[f"gdeltv2/{stamp:%Y%m%d%H%M%S}.export.CSV.zip"] = gdelt_export(events)
        server.files.setdefault("gdeltv2/20201002000000.export.CSV.zip", gdelt_export([]))   # an empty file
        server.files.setdefault("gdeltv2/20201002001500.export.CSV.zip", b"PK\x03\x04 not a zip")
        yield server, index, files


@pytest.fixture()
def env(world, monkeypatch):
    server, index, _ = world
    for k, v in {"NEWSPIPE_CC_BASE": server.base, "NEWSPIPE_CC_INDEX": str(index),
                 "NEWSPIPE_CDX_URL": server.base + "cdx/search/cdx", "NEWSPIPE_WAYBACK_URL": server.base + "web/",
                 "NEWSPIPE_GDELT_URL": server.base + "gdeltv2/"}.items():
        monkeypatch.setenv(k, v)
    server.log.clear()
    return server


@pytest.fixture(scope="module")
def crawled(replay, tmp_path_factory):
    """The same window crawled from the replay outlets: what a backfill must equal."""
    tmp = tmp_path_factory.mktemp("crawled")
    sources = write_sources(replay, tmp / "s.yaml", OUTLETS)
    run(sources, SINCE, UNTIL, tmp / "data", politeness=False)
    return sources, pd.read_parquet(tmp / "data" / "articles")


def _articles(data: Path) -> pd.DataFrame:
    return pd.read_parquet(data / "articles") if (data / "articles").exists() else pd.DataFrame(columns=COLS)


def _same(a: pd.DataFrame, b: pd.DataFrame) -> None:
    """Equal rows. The publication day, not the time: where a page gives only its day, a crawl
    takes the time from the outlet's feed, which an archived page does not come with."""
    def key(df):
        df = df[COLS].sort_values("article_id").reset_index(drop=True)
        return df.assign(published_at=df["published_at"].dt.floor("D")).astype(str)
    pd.testing.assert_frame_equal(key(a), key(b))


@pytest.mark.parametrize("source", ["cc-news", "cc-index", "wayback", "warc-http"])
def test_each_source_fills_the_window_like_a_crawl_and_a_rerun_fetches_nothing(env, world, crawled, tmp_path, source):
    sources, crawl = crawled
    data = tmp_path / "data"
    uris = [env.base + p for p in world[2]] if source == "warc-http" else None
    name = "warc" if source == "warc-http" else source
    report = backfill(sources, SINCE, UNTIL, data, name, uris=uris, prefilter=False)
    got = _articles(data)
    # the window and host filters hold: only the outlets' articles dated in the window
    assert set(got["outlet"]) <= set(OUTLETS) and len(got)
    assert got["published_at"].between(SINCE, UNTIL, inclusive="left").all()
    assert got["discovered_via"].str.startswith(f"archive:{name}:").all()
    # a backfilled day equals the same day crawled
    _same(got, crawl)
    assert sum(report.kept.values()) == len(crawl)
    if name == "cc-index":   # kilobytes by ranges, not the files
        assert any("range requests fetched" in f for f in report.figures), report.figures
    # a rerun of the same range fetches nothing it already has (listings and index queries only)
    env.log.clear()
    backfill(sources, SINCE, UNTIL, data, name, uris=uris, prefilter=False)
    fetched = [p for p, rng in env.log if rng or "/web/" in p or p.endswith(".warc.gz")]
    assert fetched == []
    _same(_articles(data), crawl)


def test_the_prefilter_keeps_every_relevant_article_and_drops_the_rest(env, world, crawled, tmp_path):
    sources, crawl = crawled
    # an outlet's article about something else, mentioning no Idlib term anywhere on the page
    other = Capture("http://levant-wire.test/en/news/2020/10/02/port-of-beirut-reopens-its-grain-silos-123456/",
                    datetime(2020, 10, 2, 9, tzinfo=timezone.utc),
                    b"<html><head><title>Port reopens</title><meta property='article:published_time' "
                    b"content='2020-10-02T08:00:00Z'></head><body><article><h1>Port reopens</h1><p>"
                    + b"The grain silos of the port reopened after repairs. " * 30 + b"</p></article></body></html>")
    extra = tmp_path / "other.warc.gz"
    with open(extra, "wb") as f:
        write_warc(f, [other])
    data = tmp_path / "data"
    uris = [env.base + p for p in world[2]] + [str(extra)]
    backfill(sources, SINCE, UNTIL, data, "warc", uris=uris)
    got = _articles(data)
    _same(got[got["relevant"]], crawl[crawl["relevant"]])
    assert "Port reopens" not in set(got["title"])
    stats = " ".join(pd.read_parquet(data / "crawl_stats")["stats_json"])
    assert '"prefilter": 1' in stats


def test_gdelt_events_in_idlib_are_fetched_from_the_wayback_machine(env, crawled, tmp_path):
    sources, crawl = crawled
    data = tmp_path / "data"
    backfill(sources, SINCE, UNTIL, data, "gdelt", prefilter=False)
    got = _articles(data)
    assert len(got) and set(got["outlet"]) <= set(OUTLETS)
    assert got["discovered_via"].str.startswith("archive:gdelt:wayback:").all()
    # only the events located in Idlib: a subset of the crawl, equal row for row
    _same(got, crawl[crawl["article_id"].isin(got["article_id"])])
    assert set(got["url"]) == set(crawl["url"]) & env.idlib_urls
    stats = " ".join(pd.read_parquet(data / "crawl_stats")["stats_json"])
    assert '"empty_gdelt_file": 1' in stats and '"bad_gdelt_file": 1' in stats and '"missing_gdelt_file"' in stats
    env.log.clear()
    backfill(sources, SINCE, UNTIL, data, "gdelt", prefilter=False)   # a rerun fetches nothing
    assert [p for p, _ in env.log if "/web/" in p or p.endswith(".zip")] == []


def test_an_article_crawled_and_archived_is_one_row(env, crawled, tmp_path):
    sources, crawl = crawled
    data = tmp_path / "data"
    run(sources, SINCE, UNTIL, data, politeness=False)
    backfill(sources, SINCE, UNTIL, data, "wayback", prefilter=False)
    got = _articles(data)
    assert got["article_id"].is_unique and len(got) == len(crawl)
    assert got["discovered_via"].str.startswith("archive:wayback:").all()   # the archive is named
    # and a later crawl of the days keeps what only the archive had: an article the site no longer lists
    extra = tmp_path / "extra.warc.gz"
    page = next(c for c in outlet_captures(["levant-wire"]) if SINCE <= c.captured_at < UNTIL)
    gone_path = urlsplit(page.url).path.rstrip("/") + "-removed/"
    gone = Capture(page.url.rstrip("/") + "-removed/", page.captured_at,
                   page.body.replace(urlsplit(page.url).path.encode(), gone_path.encode()))
    with open(extra, "wb") as f:
        write_warc(f, [gone])
    backfill(sources, SINCE, UNTIL, data, "warc", uris=[str(extra)], prefilter=False)
    assert gone.url in set(_articles(data)["url"])
    run(sources, SINCE, UNTIL, data, politeness=False)
    after = _articles(data)
    assert gone.url in set(after["url"]) and len(after) == len(crawl) + 1


@pytest.mark.parametrize("source", ["warc", "cc-news", "cc-index", "wayback", "gdelt"])
def test_a_backfill_killed_mid_way_resumes_and_stores_nothing_twice(env, world, crawled, tmp_path, source):
    sources, crawl = crawled
    data = tmp_path / "data"
    cmd = [sys.executable, "-m", "pipeline.cli", "backfill", "--from", source, "--since", "2020-10-02",
           "--until", "2020-10-04", "--sources", str(sources), "--data", str(data), "--no-prefilter",
           ] + [a for p in world[2] for a in ("--warc", env.base + p) if source == "warc"]
    environ = dict(os.environ, NEWSPIPE_ARCHIVE_BATCH="2")
    env.slow = 0.05   # streamed files arrive slowly enough to be killed in
    proc = subprocess.Popen(cmd + ["--min-interval", "0.2"], env=environ, cwd=ROOT, stdout=subprocess.DEVNULL,
                            stderr=subprocess.DEVNULL)
    state = data / "_state" / "archive" / f"{source}.sqlite"
    try:
        deadline = time.time() + 300
        while time.time() < deadline and proc.poll() is None:
            if state.exists() and _stored(state) >= 2:
                break
            time.sleep(0.1)
        assert proc.poll() is None, "the backfill ended before it could be killed"
    finally:  # never leave it running, whatever failed
        if proc.poll() is None:
            os.kill(proc.pid, signal.SIGKILL)
        proc.wait()
    env.slow = 0.0
    p = subprocess.run(cmd + ["--min-interval", "0"], env=environ, cwd=ROOT, capture_output=True, text=True,
                       timeout=600)
    assert p.returncode == 0, p.stderr[-3000:]
    if source == "wayback":
        fetches = Counter(path for path, _ in env.log if "/web/" in path)
        assert sum(n - 1 for n in fetches.values()) <= 2   # at most the one unwritten batch (of 2) again
    raw = pd.concat([pd.read_parquet(f, columns=["url"]) for f in (data / "raw" / "archive").rglob("part-*.parquet")])
    assert raw["url"].is_unique                       # no page stored twice
    assert not list((data / "raw" / "archive").rglob(".tmp-*"))  # nor a file the kill cut short left behind
    got = _articles(data)
    assert got["article_id"].is_unique
    _same(got, crawl if source != "gdelt" else crawl[crawl["url"].isin(env.idlib_urls)])


def _stored(state: Path) -> int:
    try:
        with sqlite3.connect(state) as db:
            return db.execute("SELECT count(*) FROM stored").fetchone()[0]
    except sqlite3.OperationalError:  # created, its tables not yet
        return 0


def _bad_warc(good: list[Capture]) -> bytes:
    """Our pages as a WARC with damage between them: a truncated gzip member, a record whose
    Content-Length is wrong, a revisit record, a 50 MB payload, a PDF and a 404."""
    buf = io.BytesIO()
    spans = write_warc(buf, good)
    blob = bytearray(buf.getvalue())
    _, off, length = spans[1]           # the second record's member cut short: garbage after its header
    blob[off + 40: off + length] = b"\0" * (length - 40)
    wrong = (b"WARC/1.0\r\nWARC-Type: response\r\nWARC-Target-URI: http://levant-wire.test/en/news/2020/10/02/x-1/"
             b"\r\nWARC-Date: 2020-10-02T10:00:00Z\r\nContent-Type: application/http; msgtype=response\r\n"
             b"Content-Length: 90000\r\n\r\nHTTP/1.1 200 OK\r\nContent-Type: text/html\r\n\r\n<html>short</html>\r\n\r\n")
    extra = io.BytesIO()
    from warcio.warcwriter import WARCWriter
    writer = WARCWriter(extra, gzip=True)
    writer.write_record(writer.create_revisit_record(good[0].url, "sha1:AAAA", good[0].url, "2020-10-01T00:00:00Z"))
    write_warc(extra, [Capture("http://levant-wire.test/en/news/2020/10/02/huge-1/", SINCE, b"<html>" + b"x" * (50 << 20)),
                       Capture("http://levant-wire.test/en/news/2020/10/02/pdf-1/", SINCE, b"%PDF",
                               content_type="application/pdf"),
                       Capture("http://levant-wire.test/en/news/2020/10/02/gone-1/", SINCE, b"gone", status=404)])
    tail = io.BytesIO()
    write_warc(tail, good[2:4])
    return bytes(blob[:spans[3][1]]) + gzip.compress(wrong) + bytes(blob[spans[3][1]:]) + extra.getvalue() + tail.getvalue()


def test_bad_archive_input_is_counted_and_the_rest_read(env, crawled, tmp_path):
    sources, crawl = crawled
    good = [c for c in outlet_captures(OUTLETS) if SINCE <= c.captured_at < UNTIL]
    path = tmp_path / "bad.warc.gz"
    path.write_bytes(_bad_warc(good))
    data = tmp_path / "data"
    backfill(sources, SINCE, UNTIL, data, "warc", uris=[str(path)], prefilter=False)
    stats = " ".join(pd.read_parquet(data / "crawl_stats")["stats_json"])
    for reason in ("unreadable_record", "too_large", "not_html", "status", "not_http_response", "revisit"):
        assert f'"{reason}"' in stats, reason
    got = _articles(data)
    assert len(crawl) - 2 <= len(got) < len(crawl)   # all but the damaged records' articles
    assert set(got["article_id"]) <= set(crawl["article_id"])


def test_a_page_in_a_legacy_encoding_is_read(env, crawled, tmp_path):
    sources, crawl = crawled
    arabic = next(c for c in outlet_captures(["dimashq-news"]) if "/ar/" in c.url and SINCE <= c.captured_at < UNTIL)
    text = arabic.body.decode("utf-8").replace("utf-8", "windows-1256").replace("UTF-8", "windows-1256")
    legacy = Capture(arabic.url, arabic.captured_at, text.encode("cp1256", errors="xmlcharrefreplace"),
                     content_type="text/html")
    path = tmp_path / "legacy.warc.gz"
    with open(path, "wb") as f:
        write_warc(f, [legacy])
    data = tmp_path / "data"
    backfill(sources, SINCE, UNTIL, data, "warc", uris=[str(path)])
    got = _articles(data)
    want = crawl[crawl["url"] == arabic.url]
    assert len(got) == 1 and got["title"].item() == want["title"].item() and got["text"].item() == want["text"].item()


def test_cdx_answers_that_stay_bad_and_index_rows_past_the_end(env, world, crawled, tmp_path, monkeypatch):
    sources, crawl = crawled
    # a CDX answer of 429 (with Retry-After), then 503, then malformed JSON for one page
    env.faults["page=0"] = [(429, b"slow down", {"Retry-After": "1"}), (503, b"", {}), (200, b"[[not json", {})]
    data = tmp_path / "data"
    backfill(sources, SINCE, UNTIL, data, "wayback", prefilter=False)
    stats = " ".join(pd.read_parquet(data / "crawl_stats")["stats_json"])
    assert '"cdx_bad_answer": 1' in stats
    assert 0 < len(_articles(data)) < len(crawl)
    # an index row pointing past the end of its file, beside the good ones
    server, index, files = world
    table = pq.read_table(index / "crawl=CC-MAIN-2020-45" / "subset=warc" / "part-0.parquet").to_pylist()
    row = next(r for r in table if r["url"] == crawl["url"].iloc[0])
    table.append(dict(row, fetch_time=row["fetch_time"] - pd.Timedelta(minutes=1),
                      warc_record_offset=len(server.files[row["warc_filename"]]) + 10))
    broken = tmp_path / "index" / "crawl=CC-MAIN-2020-45" / "subset=warc"
    broken.mkdir(parents=True)
    pq.write_table(pa.Table.from_pylist(table, schema=pq.read_schema(index / "crawl=CC-MAIN-2020-45" / "subset=warc"
                                                                      / "part-0.parquet")), broken / "part-0.parquet")
    monkeypatch.setenv("NEWSPIPE_CC_INDEX", str(tmp_path / "index"))
    data2 = tmp_path / "data2"
    backfill(sources, SINCE, UNTIL, data2, "cc-index", prefilter=False)
    stats = " ".join(pd.read_parquet(data2 / "crawl_stats")["stats_json"])
    assert '"bad_index_row": 1' in stats
    _same(_articles(data2), crawl)


def _relevant_pages(pages: list[tuple[str, bytes]]) -> list[tuple[str, bytes]]:
    from pipeline.articles.relevance import score_relevance
    from pipeline.extract.core import extract
    out = []
    for name, body in pages:
        doc = extract(body.decode("utf-8", "replace"), f"http://example.test/{name}")
        if score_relevance(doc.text or "", doc.title).relevant:
            out.append((name, body))
    return out


def test_the_prefilter_passes_every_page_the_relevance_filter_keeps_on_our_pages():
    from crawlers.archives.prefilter import may_be_relevant
    pages = [(c.url, c.body) for c in outlet_captures(["levant-wire", "idlib-monitor", "dimashq-news", "anatolia-post",
                                                        "mashriq-aggregator", "euro-courier", "neva-herald"])]
    relevant = _relevant_pages(pages)
    assert len(relevant) > 30
    for name, body in relevant:
        assert may_be_relevant(body), name
        # the same page in the legacy encodings of its script
        text = body.decode("utf-8")
        for codec in ("cp1256", "cp1251", "cp1254"):
            legacy = text.encode(codec, errors="ignore")
            if _relevant_pages([(name, legacy.decode(codec).encode("utf-8"))]):
                assert may_be_relevant(legacy), (name, codec)
    # and pages without a term pass it rarely: the filler pages that mention no Idlib term
    fillers = filler_captures(200, SINCE, idlib_share=0.0)
    assert sum(may_be_relevant(c.body) for c in fillers) == 0


@pytest.mark.shared
def test_the_prefilter_passes_every_page_the_relevance_filter_keeps_on_the_shared_corpora():
    from crawlers.archives.prefilter import may_be_relevant
    from tests.conftest import need_shared
    corpora = need_shared("corpora")
    files = sorted(corpora.glob("extraction-dev/html/*.html.gz")) + sorted(corpora.glob("outlet-pages/*/*.html.gz"))
    seeds = need_shared("seeds")
    pages = [(f.name, gzip.decompress(f.read_bytes())) for f in files]
    relevant = _relevant_pages(pages)
    for name, body in relevant:
        assert may_be_relevant(body), name
    # the seed article, as the plain text we have of it
    for f in seeds.glob("*.txt"):
        assert may_be_relevant(f.read_bytes()), f.name


def test_the_backfill_dag_publishes_a_window_from_warc_files(world, crawled, tmp_path):
    """The DAG the operator triggers from the UI (dag.test, a real Airflow in a fresh process)."""
    from tests.test_dags import dag_test
    server, _, files = world
    sources, crawl = crawled
    data = tmp_path / "data"
    conf = {"source": "warc", "since": "2020-10-02", "until": "2020-10-04", "prefilter": False,
            "warc_uris": [server.base + p for p in files]}
    home = tmp_path / "airflow"
    home.mkdir()
    r = dag_test(home, "2020-10-05T00:00:00", conf, sources, data, dag_id="newspipe_backfill")
    assert r["state"] == "success", r["log"][-4000:]
    assert r["tasks"]["publish"] == "success" and any(k.startswith("collect[") for k in r["tasks"])
    _same(_articles(data), crawl)
    bad = dag_test(home, "2020-10-05T00:00:00", {"source": "warc", "since": "2020-10-02", "until": "2020-10-04"},
                   sources, tmp_path / "d2", dag_id="newspipe_backfill")
    assert bad["state"] == "failed" and "the warc source needs the WARC files" in bad["log"]


def test_warc_files_and_the_index_on_an_object_store(env, world, crawled, tmp_path, s3, monkeypatch):
    """WARC files read as a stream from s3:// (moto on 127.0.0.1), and the columnar index queried there."""
    from storage.fs import open_root
    uri, _ = s3
    query = uri.split("?", 1)[1]
    server, index, files = world
    sources, crawl = crawled
    fs = open_root(uri).fs
    for path, blob in [(p, server.files[p]) for p in files]:
        with fs.open_output_stream(f"newspipe-test/{path}", compression=None) as out:  # no .gz detection
            out.write(blob)
    part = "crawl=CC-MAIN-2020-45/subset=warc/part-0.parquet"
    with fs.open_output_stream(f"newspipe-test/cc-index/{part}") as out:
        out.write((index / part).read_bytes())
    data = tmp_path / "data"
    backfill(sources, SINCE, UNTIL, data, "warc", uris=[f"s3://newspipe-test/{p}?{query}" for p in files],
             prefilter=False)
    _same(_articles(data), crawl)
    monkeypatch.setenv("NEWSPIPE_CC_INDEX", f"s3://newspipe-test/cc-index?{query}")
    data2 = tmp_path / "data2"
    backfill(sources, SINCE, UNTIL, data2, "cc-index", prefilter=False)
    _same(_articles(data2), crawl)


def test_a_file_the_archive_cannot_give_now_is_read_next_time(env, world, crawled, tmp_path):
    sources, crawl = crawled
    server, _, files = world
    later = tmp_path / "later.warc.gz"
    uris = [env.base + p for p in files] + [str(later)]
    data = tmp_path / "data"
    cmd = [sys.executable, "-m", "pipeline.cli", "backfill", "--from", "warc", "--since", "2020-10-02", "--until",
           "2020-10-04", "--sources", str(sources), "--data", str(data), "--no-prefilter", "--min-interval", "0"]
    cmd += [a for u in uris for a in ("--warc", u)]
    p = subprocess.run(cmd, cwd=ROOT, capture_output=True, text=True, timeout=600)
    assert p.returncode == 3, p.stderr[-2000:]                    # some of it failed: said, not hidden
    assert "unit not finished" in p.stdout and "later.warc.gz" in p.stdout
    _same(_articles(data), crawl)                                 # what could be read is published
    gone = next(c for c in outlet_captures(["levant-wire"]) if SINCE <= c.captured_at < UNTIL)
    with open(later, "wb") as f:
        write_warc(f, [Capture(gone.url.rstrip("/") + "-later/", gone.captured_at,
                               gone.body.replace(urlsplit(gone.url).path.encode(),
                                                 (urlsplit(gone.url).path.rstrip("/") + "-later/").encode()))])
    env.log.clear()
    p = subprocess.run(cmd, cwd=ROOT, capture_output=True, text=True, timeout=600)
    assert p.returncode == 0, p.stderr[-2000:]
    assert [path for path, _ in env.log if path.endswith(".warc.gz")] == []   # the files done are not read again
    assert len(_articles(data)) == len(crawl) + 1


def test_the_backfill_tasks_on_different_machines_of_an_object_store(env, crawled, tmp_path, s3, monkeypatch):
    """The DAG's collect batches on two workers with work directories of their own, its publish on a
    third: the pages pass through the data root (``storage.shared_work``), and nothing is missing."""
    from pipeline.backfill.tasks import collect_batch, plan_backfill, publish_backfill
    from storage.dataset import read_table
    uri, _ = s3
    sources, crawl = crawled
    monkeypatch.setenv("NEWSPIPE_DATA", uri)
    monkeypatch.setenv("NEWSPIPE_SOURCES", str(sources))
    plan = plan_backfill({"source": "cc-news", "since": SINCE.isoformat(), "until": UNTIL.isoformat(),
                          "prefilter": False})
    assert len(plan["batches"]) > 1
    batches = []
    for i, units in enumerate(plan["batches"]):
        monkeypatch.setenv("NEWSPIPE_WORK_DIR", str(tmp_path / f"worker-{i % 2}"))
        batches.append(collect_batch(plan, units))
    monkeypatch.setenv("NEWSPIPE_WORK_DIR", str(tmp_path / "publisher"))
    assert publish_backfill(plan, batches)["kept"] == len(crawl)
    _same(read_table(uri, "articles").to_pandas(), crawl)


def test_the_command_line_offers_every_archive_source_by_name():
    """``newspipe backfill --from`` lists the names without importing the sources; they must stay theirs."""
    from crawlers.archives import SOURCE_NAMES
    from crawlers.archives.sources import SOURCES
    assert SOURCE_NAMES == tuple(SOURCES)


def test_a_resumed_unit_drops_what_a_killed_writer_left_and_keeps_what_it_committed(tmp_path):
    """A batch written after the last commit and the temporary file of a write the kill cut short
    go; the committed batches and another unit's files stay."""
    from pipeline.backfill.collect import _batch_file, _drop_uncommitted
    committed, later = _batch_file(tmp_path, "u1", 2), _batch_file(tmp_path, "u1", 4)
    cut_short = tmp_path / f".tmp-0123456789ab-{_batch_file(tmp_path, 'u1', 6).name}"
    other = _batch_file(tmp_path, "u2", 9)
    other_tmp = tmp_path / f".tmp-0123456789ab-{_batch_file(tmp_path, 'u2', 11).name}"
    for f in (committed, later, cut_short, other, other_tmp):
        f.write_bytes(b"x")
    _drop_uncommitted(tmp_path, "u1", 2)
    assert sorted(f.name for f in tmp_path.iterdir()) == sorted(f.name for f in (committed, other, other_tmp))
