"""What a run did: the report it returns, keeps in its journal, and prints."""
from __future__ import annotations

import json
import uuid
from dataclasses import asdict, dataclass, field
from datetime import datetime, timezone
from pathlib import Path

from crawlers.launcher import OutletCrawl
from storage.fs import work_dir
from storage.layout import runs_dir


@dataclass
class RunReport:
    run_id: str
    since: datetime
    until: datetime
    data: str
    crawls: list[OutletCrawl] = field(default_factory=list)
    kept: dict[str, int] = field(default_factory=dict)
    relevant: dict[str, int] = field(default_factory=dict)
    rejected: dict[str, int] = field(default_factory=dict)
    articles_total: int = 0
    clusters: int = 0
    duplicates: int = 0
    cross_posts: int = 0
    lsh: dict = field(default_factory=dict)
    notes: list[str] = field(default_factory=list)
    figures: list[str] = field(default_factory=list)  # what a source did (a backfill's requests and bytes)
    changed: bool = True    # the window's published rows differ from what it held (else no asset event)

    @property
    def ok(self) -> bool:
        return all(c.status == "ok" for c in self.crawls)

    def to_dict(self) -> dict:
        d = asdict(self)
        d["since"], d["until"] = self.since.isoformat(), self.until.isoformat()
        return d


def new_run_id() -> str:
    return f"{datetime.now(timezone.utc):%Y%m%dT%H%M%S}-{uuid.uuid4().hex[:6]}"


def summary(report: RunReport, verbose: bool = False) -> str:
    """A short human summary of a run; ``verbose`` adds the LSH parameters."""
    lines = [f"newspipe run {report.run_id}: {report.since:%Y-%m-%d} .. {report.until:%Y-%m-%d} (until excluded)", ""]
    lines.append(f"{'outlet':24} {'status':9} {'fetched':>7} {'earlier':>7} {'kept':>5} {'relevant':>8} {'rejected':>8}")
    for c in report.crawls:
        lines.append(f"{c.outlet:24} {c.status:9} {c.articles_fetched:7d} {c.articles_known:7d} "
                     f"{report.kept.get(c.outlet, 0):5d} {report.relevant.get(c.outlet, 0):8d} "
                     f"{report.rejected.get(c.outlet, 0):8d}")
    lines += ["(earlier: listed again and read from an earlier crawl's stored pages, not fetched)", "",
              f"articles kept: {sum(report.kept.values())}, relevant to Idlib: {sum(report.relevant.values())}"]
    if sum(report.kept.values()):
        lines.append(f"history after this run: {report.articles_total} articles, {report.clusters} duplicate clusters "
                     f"({report.duplicates} copies, {report.cross_posts} cross-posts from another outlet)")
    if verbose:
        lines.append(f"LSH: {report.lsh.get('bands')} bands x {report.lsh.get('rows')} rows over "
                     f"{report.lsh.get('num_perm')} permutations")
    if report.figures:
        lines += [""] + report.figures
    problems = report.notes + [c.message for c in report.crawls if c.status != "ok"]
    if problems:
        lines += ["", "problems:"] + [f"  {m}" for m in problems]
    where = report.data if "://" in report.data else Path(report.data).resolve()
    lines += ["", f"data: {where}",
              f"load: pandas.read_parquet(\"{report.data}/articles\")  "
              f"# clusters: pandas.read_parquet(\"{report.data}/clusters\")"]
    return "\n".join(lines)


def last_run(data: str | Path) -> str | None:
    """One line on the newest run journal of a data root (None without one); a corrupt journal is named."""
    runs = sorted(runs_dir(work_dir(data)).glob("*.json"))
    if not runs:
        return None
    try:
        last = json.loads(runs[-1].read_text(encoding="utf-8"))
        return f"last run: {last['run_id']} ({last['since']} .. {last['until']})"
    except (OSError, ValueError, KeyError, TypeError) as exc:
        return f"last run: unreadable run journal {runs[-1]}: {exc}"
