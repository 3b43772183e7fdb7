"""Report benchmark: ``newspipe report`` of the storage benchmark's history (a million articles),
with synthetic duplicate clusters (one article in ten a copy), run as the command an analyst
types, in its own process so that its peak memory is its own.

The baseline, in the same run: ``pandas.read_parquet`` of the articles table, what an analyst
pays before writing any pandas of their own.
"""
from __future__ import annotations

import subprocess
import sys
import time
from pathlib import Path

import numpy as np
import pandas as pd
import pyarrow as pa
import pyarrow.parquet as pq

from storage.layout import CLUSTERS_FILE
from storage.load import load_articles
from storage.schema import CLUSTERS

# the child's own peak: VmHWM (ru_maxrss would count the parent's memory at the fork)
_RUN = """
import re, sys, time
from pipeline.report.build import write_report
t = time.perf_counter()
write_report(sys.argv[1], sys.argv[2])
hwm = re.search(r"VmHWM:\\s+(\\d+)", open("/proc/self/status").read())
print(time.perf_counter() - t, hwm[1] if hwm else 0)
"""


def write_clusters(data: Path, copy_share: float = 0.1, seed: int = 2) -> int:
    """A clusters table over the stored articles: groups of 2 to 6 articles of one day, the
    earliest the origin, ``copy_share`` of all articles copies. Returns the number of stories."""
    rng = np.random.default_rng(seed)
    df = load_articles(data, relevant_only=False, dedup="all", columns=["outlet", "published_at"])
    df = df.sample(frac=1, random_state=seed).reset_index(drop=True)
    sizes = rng.integers(2, 7, int(len(df) * copy_share / 3))
    n = int(sizes.sum())
    group = np.repeat(np.arange(len(sizes)), sizes)
    members = df.iloc[:n].assign(group=group).sort_values(["group", "published_at"])
    first = ~members["group"].duplicated()
    origin_id = members["article_id"].where(first).ffill()
    singles = df.iloc[n:]
    table = pd.DataFrame({
        "article_id": pd.concat([members["article_id"], singles["article_id"]]),
        "cluster_id": pd.concat([origin_id, singles["article_id"]]),
        "is_origin": np.r_[first.to_numpy(), np.ones(len(singles), bool)],
        "relation": np.r_[np.where(first, "origin", "near"), np.full(len(singles), "singleton")],
        "scope": np.r_[np.where(first, "", "cross_post"), np.full(len(singles), "")],
        "similarity": np.float32(0.8), "containment": np.float32(0.9),
        "cluster_size": np.r_[np.repeat(sizes, sizes), np.ones(len(singles), int)].astype("int32"),
        "outlet": pd.concat([members["outlet"], singles["outlet"]]).astype(str),
        "published_at": pd.concat([members["published_at"], singles["published_at"]]),
    })
    path = data / CLUSTERS_FILE
    path.parent.mkdir(parents=True, exist_ok=True)
    table["origin_article_id"] = table["cluster_id"]
    table["quotes"] = [[] for _ in range(len(table))]
    pq.write_table(pa.Table.from_pandas(table, schema=CLUSTERS, preserve_index=False), path)
    return len(sizes)


def bench_report(data: Path) -> list[str]:
    """Build the report of everything under ``data`` and compare with one full read of the table."""
    stories = write_clusters(data)
    out = data / "report.html"
    p = subprocess.run([sys.executable, "-c", _RUN, str(data), str(out)], capture_output=True, text=True)
    if p.returncode:
        return [f"report: failed: {p.stderr.strip().splitlines()[-1] if p.stderr.strip() else p.returncode}"]
    seconds, rss_kib = (float(x) for x in p.stdout.split())
    t = time.perf_counter()
    pd.read_parquet(data / "articles")
    full = time.perf_counter() - t
    return [f"report: {stories:,} copied stories over the history (synthetic clusters)",
            f"  newspipe report: {seconds:.1f} s, {out.stat().st_size / 2**20:.1f} MiB file, peak RSS "
            f"{rss_kib / 1024:.0f} MiB (goals: under 60 s and 20 MB)",
            f"  pandas.read_parquet of the articles: {full:.1f} s; ratio report / read {seconds / full:.2f} x"]
