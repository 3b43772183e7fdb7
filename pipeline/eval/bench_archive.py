"""Archive benchmark: a generated WARC of ``records`` responses (5% from the registry's hosts,
1% about Idlib, the rest other hosts), read on one core.

Figures: records/s of newspipe's reader (warcio, the backfill's own URL filter on the WARC
header: host first, then the outlet's patterns; then the byte pre-filter on the registry's
pages) against FastWARC doing the same on the same file
in the same run; the share of time in reading, filtering, extraction and storage for the
pages kept; and for the ``cc-index`` path, the bytes fetched by range requests against the
bytes of the WARC file holding the records.
"""
from __future__ import annotations

import random
import tempfile
import time
from datetime import datetime, timedelta, timezone
from pathlib import Path
from urllib.parse import urlsplit

from crawlers.archives.prefilter import may_be_relevant
from crawlers.archives.records import Http, Skips
from crawlers.archives.warc import opener_for, read_warc
from crawlers.replay.archives import Capture, filler_captures, outlet_captures, write_warc
from crawlers.replay.site import OUTLETS
from pipeline.eval.bench_storage import _timed

START = datetime(2020, 10, 1, tzinfo=timezone.utc)


def generate(records: int, seed: int = 3) -> list[Capture]:
    """5% registry hosts (of which a fifth about Idlib: 1% of all), the rest other hosts."""
    rng = random.Random(seed)
    ours = outlet_captures(list(OUTLETS))
    idlib = [c for c in ours if may_be_relevant(c.body)]
    plain = filler_captures(200, START, idlib_share=0.0)
    caps = filler_captures(records - records // 20, START, seed=seed, idlib_share=0.002)
    for i in range(records // 20):  # the outlets' own article URLs (an archive holds many captures of each)
        src = rng.choice(idlib) if i % 5 == 0 else rng.choice(plain)
        caps.append(Capture(rng.choice(ours).url, START + timedelta(seconds=i), src.body))
    rng.shuffle(caps)
    return caps


def keep_url(tmp: str):
    """The backfill's own URL filter (host first, then the outlet's patterns) for the replay outlets."""
    import yaml

    from crawlers.replay.server import OutletSite
    from crawlers.replay.site import outlet_config
    from pipeline.backfill.run import make_query
    path = Path(tmp) / "sources.yaml"
    path.write_text(yaml.safe_dump({"outlets": [outlet_config(n, OutletSite(n).base) for n in OUTLETS]}), encoding="utf-8")
    return make_query(path, START, START + timedelta(days=7), "warc", uris=["bench"])[0].keep_url


def _ours(path: str, keep) -> tuple[int, int]:
    skips, kept, n = Skips(), 0, 0
    for _, resp in read_warc(path, opener_for(path, Http()), skips, keep_url=keep):
        n += 1
        kept += resp is not None and may_be_relevant(resp.body)
    return n, kept


def _fastwarc(path: str, keep) -> tuple[int, int]:
    from fastwarc.warc import ArchiveIterator, WarcRecordType
    n = kept = 0
    with open(path, "rb") as f:
        for rec in ArchiveIterator(f, parse_http=False):
            n += 1
            url = rec.headers.get("WARC-Target-URI") or ""
            if rec.record_type == WarcRecordType.response and keep(url):
                kept += may_be_relevant(rec.reader.read())
    return n, kept


def bench_archive(records: int = 50_000, repeat: int = 3) -> list[str]:
    caps = generate(records)
    hosts = {urlsplit(c.url).netloc for c in outlet_captures(list(OUTLETS))}
    with tempfile.TemporaryDirectory() as tmp:
        keep = keep_url(tmp)
        path = str(Path(tmp) / "bench.warc.gz")
        t = time.perf_counter()
        with open(path, "wb") as f:
            spans = write_warc(f, caps)
        written = time.perf_counter() - t
        size = Path(path).stat().st_size
        ours, (n, kept) = _timed(lambda: _ours(path, keep), repeat)
        fast, (n2, kept2) = _timed(lambda: _fastwarc(path, keep), repeat)
        split = _split(path, keep, ours)
        cores = _by_file(path, tmp)
    assert (n, kept) == (n2, kept2), ((n, kept), (n2, kept2))  # the same records, the same pages kept
    ranged = sum(length for (url, _, length) in spans if urlsplit(url).netloc in hosts)
    return [f"archive: a WARC of {len(caps):,} records, {size / 2**20:.0f} MiB gzip (written in {written:.0f} s), "
            f"{kept:,} registry pages that may be about Idlib",
            f"  newspipe (warcio + the backfill's URL filter + byte pre-filter): {n / ours:,.0f} records/s on one core",
            f"  FastWARC, same filters:                              {n2 / fast:,.0f} records/s "
            f"(ratio FastWARC / newspipe {ours / fast:.2f} x)",
            f"  cc-index path: the registry's records are {ranged / 2**20:.1f} MiB of the {size / 2**20:.0f} MiB file "
            f"({ranged / size:.2%} of the bytes a scan reads)", split, cores]


def _read_file(path: str, tmp: str) -> tuple[int, int]:
    return _ours(path, keep_url(tmp))


def _by_file(path: str, tmp: str) -> str:
    """Two files read by two processes at once against one after the other in one process."""
    from concurrent.futures import ProcessPoolExecutor
    t = time.perf_counter()
    for _ in range(2):
        _read_file(path, tmp)
    one = time.perf_counter() - t
    with ProcessPoolExecutor(2) as pool:
        list(pool.map(_read_file, [path], [tmp]))  # start-up, not timed
        t = time.perf_counter()
        list(pool.map(_read_file, [path, path], [tmp, tmp]))
        two = time.perf_counter() - t
    return f"  by file on 2 cores: two files in {two:.1f} s against {one:.1f} s on one ({one / two:.2f} x)"


def _split(path: str, keep, read_filter: float) -> str:
    """Seconds of the kept pages' extraction and storage, beside the read and filter pass."""
    from pipeline.articles.build import build_articles
    from pipeline.run.stages import publish_articles
    from pipeline.settings import DedupSettings
    pages = [{"outlet": urlsplit(r.url).netloc.split(".")[0], "url": r.url, "final_url": r.url, "status": 200,
              "headers": r.headers, "body": r.body, "fetched_at": r.captured_at, "discovered_via": "archive:bench"}
             for _, r in read_warc(path, opener_for(path, Http()), Skips(), keep_url=keep)
             if r is not None and may_be_relevant(r.body)]
    t = time.perf_counter()
    articles, _, _ = build_articles(pages, "bench", workers=1)
    extract = time.perf_counter() - t
    with tempfile.TemporaryDirectory() as tmp:
        t = time.perf_counter()
        publish_articles(tmp, articles, START, START + timedelta(days=7), DedupSettings())
        store = time.perf_counter() - t
    total = read_filter + extract + store
    return (f"  time of a backfill of this file on one core: reading and filtering {read_filter / total:.0%}, "
            f"extraction {extract / total:.0%} ({len(pages)} pages), storage {store / total:.0%}")


if __name__ == "__main__":
    print("\n".join(bench_archive()))
