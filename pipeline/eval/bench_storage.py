"""Storage benchmark: write N synthetic articles over 365 daily partitions, then query.

Compares ``load_articles`` of one month and one outlet, and of the whole year
with three columns, against ``pandas.read_parquet`` of everything, in the same
run. Text is synthetic (~600 bytes an article) so the run stays within minutes. The report of
that history is measured on the same files (``pipeline.eval.bench_report``).
"""
from __future__ import annotations

import statistics
import tempfile
import time
from datetime import date, datetime, timedelta, timezone
from pathlib import Path

import numpy as np
import pandas as pd
import pyarrow as pa

from pipeline.eval.bench_report import bench_report
from storage.dataset import replace_partitions
from storage.load import load_articles
from storage.schema import ARTICLES

OUTLETS = [f"outlet-{i:02d}" for i in range(40)]


def _day_table(day: date, n: int, rng: np.random.Generator) -> pa.Table:
    base = datetime(day.year, day.month, day.day, tzinfo=timezone.utc)
    ids = [f"{day:%Y%m%d}{i:06d}" for i in range(n)]
    words = np.array("idlib convoy shelling border camp winter aid highway patrol ceasefire talks drone".split())
    text = [" ".join(words[rng.integers(0, len(words), 90)]) for _ in range(n)]
    cols = {name: pa.nulls(n, ARTICLES.field(name).type) for name in ARTICLES.names}
    cols.update({
        "article_id": pa.array(ids), "url": pa.array([f"http://x.test/{i}" for i in ids]),
        "outlet": pa.array(np.array(OUTLETS)[rng.integers(0, len(OUTLETS), n)]).dictionary_encode().cast(
            ARTICLES.field("outlet").type),
        "title": pa.array([t[:60] for t in text]), "text": pa.array(text),
        "published_at": pa.array([base + timedelta(seconds=int(s)) for s in rng.integers(0, 86400, n)],
                                 ARTICLES.field("published_at").type),
        "language": pa.array(["en"] * n).dictionary_encode().cast(ARTICLES.field("language").type),
        "relevant": pa.array(rng.random(n) < 0.6),
    })
    return pa.table(cols, schema=ARTICLES)


def _timed(fn, repeat: int = 3) -> tuple[float, object]:
    """(median seconds of ``repeat`` calls, the last result)."""
    times, out = [], None
    for _ in range(repeat):
        t = time.perf_counter()
        out = fn()
        times.append(time.perf_counter() - t)
    return statistics.median(times), out


def bench_storage(articles: int = 1_000_000, days: int = 365, with_report: bool = True) -> list[str]:
    """The storage figures, then (``with_report``) the report of the same history (``bench_report``)."""
    rng = np.random.default_rng(0)
    start = date(2020, 1, 1)
    per_day = articles // days
    with tempfile.TemporaryDirectory() as tmp:
        data = Path(tmp)
        t = time.perf_counter()
        for k in range(days):
            day = start + timedelta(days=k)
            replace_partitions(data, "articles", {day: _day_table(day, per_day, rng)}, [day])
        write_s = time.perf_counter() - t
        size = sum(f.stat().st_size for f in (data / "articles").rglob("*.parquet"))
        month, m = _timed(lambda: load_articles(data, "2020-03-01", "2020-03-31", outlets=["outlet-07"], dedup="all"))
        year3, y = _timed(lambda: load_articles(data, relevant_only=False, dedup="all",
                                                columns=["outlet", "published_at", "title"]))
        full, f = _timed(lambda: pd.read_parquet(data / "articles"), repeat=1)
        m_mem = m.memory_usage(deep=True).sum() / 2**20
        f_mem = f.memory_usage(deep=True).sum() / 2**20
        n, rows_year, rows_full = per_day * days, len(y), len(f)
        del f, y
        report = bench_report(data) if with_report else []
    return [f"storage: {n} articles over {days} daily partitions",
            f"  write {n / write_s:,.0f} rows/s ({write_s:.1f} s), {size / 2**20:.0f} MiB on disk (zstd)",
            f"  load_articles one month, one outlet: {month * 1000:.0f} ms, {len(m)} rows, {m_mem:.1f} MiB returned",
            f"  load_articles full year, 3 columns:  {year3 * 1000:.0f} ms, {rows_year} rows",
            f"  pandas.read_parquet of everything:  {full * 1000:.0f} ms, {rows_full} rows, {f_mem:.0f} MiB returned",
            f"  ratio everything / one month: {full / month:.1f} x"] + report
