"""Run a crawl in its own process.

The Twisted reactor cannot be restarted inside one process, so the CLI and
the Airflow tasks call ``run_crawl()``, which starts
``python -m crawlers.crawl`` as a child process. The child crawls the chosen
outlets of a sources file in a date window, writes raw pages under
``raw_dir/NAME/`` and one stats file per outlet under
``raw_dir/_stats/NAME.json``.

With a ``data_root`` the crawl is incremental (``crawlers.state``): pages an
earlier crawl stored are not fetched again (unless ``refetch``), and a retry
after a crash keeps what the failed attempt already wrote.
"""
from __future__ import annotations

import argparse
import json
import os
import shutil
import subprocess
import sys
from dataclasses import dataclass, field
from datetime import datetime, timezone
from pathlib import Path

from crawlers.pipelines import KNOWN_FILE
from crawlers.sources import Outlet, SourcesError, load_sources, select_outlets

EXIT_OK, EXIT_SOME_FAILED, EXIT_BAD_INPUT = 0, 3, 2


@dataclass
class OutletCrawl:
    """What happened to one outlet in one crawl."""

    outlet: str
    status: str                     # ok | degraded | failed
    articles_fetched: int = 0
    articles_known: int = 0         # listed again, already stored by an earlier crawl: not fetched
    stats: dict = field(default_factory=dict)
    message: str = ""


def outlet_settings(outlet: Outlet, raw_dir: str | Path, politeness: bool = True, data_root: str | Path | None = None,
                    refetch: bool = False) -> dict:
    """Scrapy settings for one outlet's crawler, politeness from its sources entry."""
    s = {
        "NEWSPIPE_RAW_DIR": str(raw_dir),
        "NEWSPIPE_DATA_ROOT": str(data_root or ""),
        "NEWSPIPE_REFETCH": refetch,
        "CLOSESPIDER_PAGECOUNT": outlet.politeness.page_budget,
        "ROBOTSTXT_OBEY": outlet.politeness.obey_robots,
        "DOWNLOAD_DELAY": outlet.politeness.download_delay,
        "CONCURRENT_REQUESTS_PER_DOMAIN": outlet.politeness.concurrency,
        "DOWNLOAD_TIMEOUT": outlet.politeness.timeout,
        "DOWNLOAD_MAXSIZE": outlet.politeness.max_page_bytes,
        "DOWNLOAD_WARNSIZE": outlet.politeness.max_page_bytes // 2,
    }
    if not politeness or outlet.politeness.download_delay == 0:
        s.update({"AUTOTHROTTLE_ENABLED": False, "DOWNLOAD_DELAY": 0})
    if not politeness:
        s["NEWSPIPE_OBEY_CRAWL_DELAY"] = False
    return s


def _summarise(name: str, stats: dict) -> OutletCrawl:
    fetched = int(stats.get("newspipe/articles_fetched", 0))
    known = int(stats.get("newspipe/skipped/known", 0))
    errors = {k.split("/", 2)[-1]: v for k, v in stats.items() if k.startswith("newspipe/errors/")}
    discovery_errors = sum(errors.get(k, 0) for k in ("feed", "sitemap", "section"))
    detail = (f"errors: {', '.join(f'{k}={v}' for k, v in sorted(errors.items()))}; "
              f"first: {stats.get('newspipe/first_error', '?')}")
    also = f" (+{known} stored earlier)" if known else ""
    if fetched + known == 0 and discovery_errors:
        status, message = "failed", f"outlet '{name}': every discovery entry point failed; {detail}"
    elif errors:
        status, message = "degraded", f"outlet '{name}': {fetched} articles{also}, {detail}"
    else:
        status, message = "ok", f"outlet '{name}': {fetched} articles{also}"
    clean = {k: v for k, v in stats.items() if isinstance(v, (int, float, str))}
    return OutletCrawl(name, status, fetched, known, clean, message)


def crawl_in_this_process(outlets: list[Outlet], since: datetime, until: datetime, raw_dir: Path,
                          politeness: bool = True, data_root: Path | None = None,
                          refetch: bool = False, overrides: dict | None = None) -> list[OutletCrawl]:
    """Crawl in the current process (starts the reactor: call once per process)."""
    from scrapy import signals
    from scrapy.crawler import Crawler, CrawlerProcess
    from scrapy.settings import Settings

    from crawlers import settings as default_settings
    from crawlers.spiders.outlet import OutletSpider

    base = Settings()
    base.setmodule(default_settings, priority="project")
    process = CrawlerProcess(base)
    results: dict[str, dict] = {}
    handlers = []
    for i, outlet in enumerate(outlets):
        settings = base.copy()
        settings.update(outlet_settings(outlet, raw_dir, politeness, data_root, refetch), priority="cmdline")
        settings.update(overrides or {}, priority="cmdline")
        crawler = Crawler(OutletSpider, settings, init_reactor=(i == 0))

        def closed(spider, reason, _crawler=crawler, _name=outlet.name):
            stats = dict(_crawler.stats.get_stats())
            stats["finish_reason"] = reason
            results[_name] = stats

        handlers.append(closed)  # signals hold weak references: keep the handler alive
        crawler.signals.connect(closed, signal=signals.spider_closed)
        process.crawl(crawler, outlet=outlet, since=since, until=until)
    process.start()
    out = []
    stats_dir = raw_dir / "_stats"
    stats_dir.mkdir(parents=True, exist_ok=True)
    for outlet in outlets:
        res = _summarise(outlet.name, results.get(outlet.name, {}))
        (stats_dir / f"{outlet.name}.json").write_text(json.dumps(res.__dict__, default=str, indent=1), encoding="utf-8")
        out.append(res)
    return out


def run_crawl(sources: str | Path, since: datetime, until: datetime, raw_dir: str | Path,
              outlets: list[str] | None = None, politeness: bool = True, timeout: float | None = None,
              data_root: str | Path | None = None, refetch: bool = False,
              settings: dict | None = None) -> list[OutletCrawl]:
    """Crawl in a child process and return per-outlet results read from its stats files.

    Without ``data_root`` every attempt starts from nothing: what an earlier
    attempt left in ``raw_dir`` for these outlets is removed. With it, the
    crawl is incremental and an earlier attempt's stored pages are kept and
    not fetched again. ``settings`` are Scrapy settings for every outlet (``-s``).
    Raises SourcesError for a bad sources file or outlet
    name (before starting anything).
    """
    chosen = select_outlets(load_sources(sources), outlets)
    raw_dir = Path(raw_dir)
    for o in chosen:
        if data_root is None:
            shutil.rmtree(raw_dir / o.name, ignore_errors=True)
        (raw_dir / o.name / KNOWN_FILE).unlink(missing_ok=True)  # listed again by this attempt
        (raw_dir / "_stats" / f"{o.name}.json").unlink(missing_ok=True)
    cmd = [sys.executable, "-m", "crawlers.crawl", "--sources", str(sources), "--since", since.isoformat(),
           "--until", until.isoformat(), "--raw-dir", str(raw_dir), "--outlets", ",".join(o.name for o in chosen)]
    if not politeness:
        cmd.append("--no-politeness")
    if data_root is not None:
        cmd += ["--data-root", str(data_root)]
    if refetch:
        cmd.append("--refetch")
    for k, v in (settings or {}).items():
        cmd += ["-s", f"{k}={v}"]
    env = dict(os.environ)
    root = str(Path(__file__).resolve().parent.parent)
    env["PYTHONPATH"] = root + os.pathsep + env.get("PYTHONPATH", "")
    proc = subprocess.run(cmd, env=env, timeout=timeout, capture_output=True, text=True)
    results = []
    for o in chosen:
        f = raw_dir / "_stats" / f"{o.name}.json"
        if f.exists():
            results.append(OutletCrawl(**json.loads(f.read_text(encoding="utf-8"))))
        else:
            tail = (proc.stderr or "").strip().splitlines()[-1:] or ["no output"]
            results.append(OutletCrawl(o.name, "failed", message=f"outlet '{o.name}': crawl process exited {proc.returncode}: {tail[0]}"))
    return results


def _parse_dt(value: str) -> datetime:
    d = datetime.fromisoformat(value)
    return d.replace(tzinfo=timezone.utc) if d.tzinfo is None else d


def main(argv: list[str] | None = None) -> int:
    ap = argparse.ArgumentParser(prog="python -m crawlers.crawl", description=__doc__.splitlines()[0])
    ap.add_argument("--sources", required=True)
    ap.add_argument("--outlets", default="")
    ap.add_argument("--since", required=True, type=_parse_dt)
    ap.add_argument("--until", required=True, type=_parse_dt)
    ap.add_argument("--raw-dir", required=True, type=Path)
    ap.add_argument("--no-politeness", action="store_true")
    ap.add_argument("--data-root", type=Path, default=None, help="keep incremental crawl state under DATA/_state")
    ap.add_argument("--refetch", action="store_true", help="fetch pages again that earlier crawls stored")
    ap.add_argument("-s", "--set", action="append", default=[], metavar="NAME=VALUE",
                    help="a Scrapy setting, as with `scrapy crawl -s` (wins over the outlet's)")
    args = ap.parse_args(argv)
    overrides = dict(kv.split("=", 1) for kv in args.set if "=" in kv)
    try:
        outlets = select_outlets(load_sources(args.sources), [n for n in args.outlets.split(",") if n])
    except SourcesError as exc:
        print(f"error: {exc}", file=sys.stderr)
        return EXIT_BAD_INPUT
    results = crawl_in_this_process(outlets, args.since, args.until, args.raw_dir, politeness=not args.no_politeness,
                                    data_root=args.data_root, refetch=args.refetch, overrides=overrides)
    for r in results:
        print(f"{r.status:8} {r.message}", file=sys.stderr)
    return EXIT_OK if all(r.status == "ok" for r in results) else EXIT_SOME_FAILED


if __name__ == "__main__":
    sys.exit(main())
