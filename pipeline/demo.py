"""``make demo``: the whole pipeline against the bundled mock outlets, offline.

Starts the replay server on 127.0.0.1, writes a sources file pointing at it,
runs the same ``pipeline.run.run`` as production and prints a summary.
"""
from __future__ import annotations

import os
import uuid
from datetime import datetime, timezone
from pathlib import Path

import yaml

from crawlers.replay.server import ReplayServer
from pipeline.run import RunReport, run
from storage.fs import work_dir

DEMO_SINCE = datetime(2020, 10, 1, tzinfo=timezone.utc)
DEMO_UNTIL = datetime(2020, 10, 8, tzinfo=timezone.utc)


def run_demo(data: str | Path = "data", workers: int | None = None) -> RunReport:
    """``data`` is a directory or a filesystem URI (the crawl's working files stay local)."""
    with ReplayServer() as server:
        # each demo its own file: two demos on one data directory have servers on different ports
        sources = work_dir(data) / "_state" / f"replay-sources-{os.getpid()}-{uuid.uuid4().hex[:6]}.yaml"
        sources.parent.mkdir(parents=True, exist_ok=True)
        sources.write_text(yaml.safe_dump(server.sources_dict(), sort_keys=False, allow_unicode=True), encoding="utf-8")
        try:
            return run(sources, DEMO_SINCE, DEMO_UNTIL, data, workers=workers, politeness=False)
        finally:
            sources.unlink(missing_ok=True)


def summary(report: RunReport) -> str:
    """A short human summary of a run."""
    lines = [f"newspipe run {report.run_id}: {report.since:%Y-%m-%d} .. {report.until:%Y-%m-%d} (until excluded)", ""]
    lines.append(f"{'outlet':24} {'status':9} {'fetched':>7} {'stored':>6} {'kept':>5} {'relevant':>8} {'rejected':>8}")
    for c in report.crawls:  # stored: listed again, read from an earlier crawl's raw pages
        lines.append(f"{c.outlet:24} {c.status:9} {c.articles_fetched:7d} {c.articles_known:6d} {report.kept.get(c.outlet, 0):5d} "
                     f"{report.relevant.get(c.outlet, 0):8d} {report.rejected.get(c.outlet, 0):8d}")
    total = sum(report.kept.values())
    lines += ["", f"articles kept: {total}, relevant to Idlib: {sum(report.relevant.values())}",
              f"duplicate clusters: {report.clusters} ({report.duplicates} copies, {report.cross_posts} cross-posts "
              f"from another outlet); history: {report.articles_total} articles",
              f"LSH: {report.lsh.get('bands')} bands x {report.lsh.get('rows')} rows over {report.lsh.get('num_perm')} permutations"]
    problems = report.notes + [c.message for c in report.crawls if c.status != "ok"]
    if problems:
        lines += ["", "problems:"] + [f"  {m}" for m in problems]
    where = report.data if "://" in report.data else Path(report.data).resolve()
    lines += ["", f"data: {where}",
              f"load: pandas.read_parquet(\"{report.data}/articles\")  "
              f"# clusters: pandas.read_parquet(\"{report.data}/clusters\")"]
    return "\n".join(lines)
