"""Run a crawl in its own process.

The Twisted reactor cannot be restarted inside one process, so the CLI and
the Airflow tasks call ``run_crawl()``, which starts
``python -m crawlers.launcher`` as a child process. The child crawls the chosen
outlets of a sources file in a date window, writes raw pages under
``raw_dir/NAME/`` and one stats file per outlet under
``raw_dir/_stats/NAME.json``.

With a ``work_dir`` the crawl is incremental (``crawlers.state``): pages an
earlier crawl stored are not fetched again (unless ``refetch``), and a retry
after a crash keeps what the failed attempt already wrote.
"""
from __future__ import annotations

import argparse
import json
import logging
import os
import shutil
import subprocess
import sys
import time
from dataclasses import asdict, dataclass, field
from datetime import datetime
from pathlib import Path
from urllib.parse import urlsplit

from crawlers.dates import as_utc
from crawlers.registry import Outlet, SourcesError, load_sources, select_outlets
from storage.layout import KNOWN_GLOB, stats_dir

progress = logging.getLogger("newspipe")  # what the command line shows while crawling
# exit codes of `python -m crawlers.launcher` and of the `newspipe` command
EXIT_OK, EXIT_BAD_INPUT, EXIT_SOME_FAILED = 0, 2, 3


@dataclass
class OutletCrawl:
    """What happened to one outlet in one crawl."""

    outlet: str
    status: str                     # ok | degraded | failed
    articles_fetched: int = 0
    articles_known: int = 0         # listed again, already stored by an earlier crawl: not fetched
    stats: dict = field(default_factory=dict)
    message: str = ""
    logs: list[str] = field(default_factory=list)  # the crawl processes' logs that hold this outlet's lines


def scrapy_settings(outlet: Outlet, raw_dir: str | Path, politeness: bool = True, work_dir: str | Path | None = None,
                    refetch: bool = False, shard: tuple[int, int] = (0, 1)) -> dict:
    """Scrapy settings for one outlet's crawler, politeness from its sources entry.

    With ``shard=(i, n)`` this process fetches one n-th of the articles; the
    outlet's concurrency and page budget are shared out and its delay
    multiplied, so n processes together are exactly as polite as one.
    """
    i, n = shard
    pol = outlet.politeness
    s = {
        "NEWSPIPE_RAW_DIR": str(raw_dir),
        "NEWSPIPE_WORK_DIR": str(work_dir or ""),
        "NEWSPIPE_REFETCH": refetch,
        "NEWSPIPE_SHARD": f"{i}/{n}",
        "CLOSESPIDER_PAGECOUNT": max(1, -(-pol.page_budget // n)),
        "ROBOTSTXT_OBEY": pol.obey_robots,
        "DOWNLOAD_DELAY": pol.download_delay * n,
        "CONCURRENT_REQUESTS_PER_DOMAIN": max(1, pol.concurrency // n),
        "DOWNLOAD_TIMEOUT": pol.timeout,
        "DOWNLOAD_MAXSIZE": pol.max_page_bytes,
        "DOWNLOAD_WARNSIZE": pol.max_page_bytes // 2,
    }
    if not politeness or pol.download_delay == 0:
        s.update({"AUTOTHROTTLE_ENABLED": False, "DOWNLOAD_DELAY": 0})
    if not politeness:
        s["NEWSPIPE_OBEY_CRAWL_DELAY"] = False
    return s


# Stats every shard counts for the same discovery work (each reads the feeds and sitemaps):
# merged with max, not summed. Everything else a shard counts is its own share.
_SHARED_STATS = ("newspipe/errors/feed", "newspipe/errors/sitemap", "newspipe/errors/section",
                 "newspipe/errors/search", "newspipe/feed/",
                 "newspipe/conditional/", "newspipe/skipped/sitemap_too_old", "newspipe/robots/",
                 "robotstxt/", "elapsed_time_seconds", "memusage/")


def merge_stats(parts: list[dict]) -> dict:
    """One outlet's stats from its shards' stats."""
    out: dict = {}
    for stats in parts:
        for k, v in stats.items():
            if k == "finish_reason" and v != "finished":  # one shard stopped early: so did the outlet's crawl
                out[k] = v
            elif isinstance(v, bool) or not isinstance(v, (int, float)):
                out.setdefault(k, v)
            elif k.startswith(_SHARED_STATS):
                out[k] = max(out.get(k, v), v)
            else:
                out[k] = out.get(k, 0) + v
    return out


def _summarise(name: str, stats: dict) -> OutletCrawl:
    fetched = int(stats.get("newspipe/articles_fetched", 0))
    known = int(stats.get("newspipe/skipped/known", 0))
    errors = {k.split("/", 2)[-1]: v for k, v in stats.items() if k.startswith("newspipe/errors/")}
    discovery_errors = sum(errors.get(k, 0) for k in ("feed", "sitemap", "section", "search", "stopped"))
    detail = (f"errors: {', '.join(f'{k}={v}' for k, v in sorted(errors.items()))}; "
              f"first: {stats.get('newspipe/first_error', '?')}")
    also = f" (+{known} stored earlier)" if known else ""
    if fetched + known == 0 and discovery_errors:
        why = "every discovery entry point failed" if discovery_errors > errors.get("stopped", 0) else \
            "the crawl stopped before it found an article"
        status, message = "failed", f"outlet '{name}': {why}; {detail}"
    elif errors:
        status, message = "degraded", f"outlet '{name}': {fetched} articles{also}, {detail}"
    else:
        status, message = "ok", f"outlet '{name}': {fetched} articles{also}"
    return OutletCrawl(name, status, fetched, known, stats, message)


def private_hosts(outlets: list[Outlet]) -> list[str]:
    """Hosts the resolver may answer with a private address: outlet proxies and ``local`` outlets."""
    hosts = {urlsplit(o.proxy).hostname for o in outlets if o.proxy}
    hosts |= {urlsplit(f"http://{d}").hostname for o in outlets if o.local for d in o.domains}
    return sorted(h.lower() for h in hosts if h)


def _shard_stats_file(raw_dir: Path, outlet: str, shard: tuple[int, int]) -> Path:
    return stats_dir(raw_dir) / f"{outlet}.shard-{shard[0]}-of-{shard[1]}.json"


def crawl_in_this_process(outlets: list[Outlet], since: datetime, until: datetime, raw_dir: Path,
                          politeness: bool = True, work_dir: Path | None = None, refetch: bool = False,
                          overrides: dict | None = None, shard: tuple[int, int] = (0, 1)) -> dict[str, dict]:
    """Crawl in the current process (starts the reactor: call once per process).

    Writes and returns each outlet's stats (``_stats/OUTLET.shard-I-of-N.json``).
    """
    from scrapy import signals
    from scrapy.crawler import Crawler, CrawlerProcess
    from scrapy.settings import Settings

    from crawlers import settings as default_settings
    from crawlers.spiders.outlet import OutletSpider

    base = Settings()
    base.setmodule(default_settings, priority="project")
    base.set("NEWSPIPE_PRIVATE_HOSTS", private_hosts(outlets), priority="project")
    process = CrawlerProcess(base)
    # Scrapy filters log records in its handler; a logger level skips building the
    # two debug records per page that would be dropped anyway
    logging.getLogger("scrapy").setLevel(base.get("LOG_LEVEL"))
    results: dict[str, dict] = {}
    handlers = []
    for i, outlet in enumerate(outlets):
        settings = base.copy()
        settings.update(scrapy_settings(outlet, raw_dir, politeness, work_dir, refetch, shard), priority="cmdline")
        settings.update(overrides or {}, priority="cmdline")
        crawler = Crawler(OutletSpider, settings, init_reactor=(i == 0))

        def closed(spider, reason, _crawler=crawler, _name=outlet.name):
            stats = dict(_crawler.stats.get_stats())
            stats["finish_reason"] = reason
            if reason != "finished":  # a start that raised, a page budget spent, a shutdown: not a whole crawl
                stats["newspipe/errors/stopped"] = 1
                stats.setdefault("newspipe/first_error", f"the crawl stopped early ({reason})")
            results[_name] = {k: v for k, v in stats.items() if isinstance(v, (int, float, str))}
            _write_shard_stats(raw_dir, _name, shard, results[_name])  # now: the parent reports it done

        def failed(failure, response, spider, _crawler=crawler):
            """An exception outside a request's errback (the spider's start, a callback): named in the report."""
            where = f"page {response.url}" if response is not None else "start"
            _crawler.stats.inc_value("newspipe/errors/exception")
            if _crawler.stats.get_value("newspipe/first_error") is None:
                _crawler.stats.set_value("newspipe/first_error",
                                         f"{where}: {failure.type.__name__}: {failure.getErrorMessage()}")

        handlers += [closed, failed]  # signals hold weak references: keep the handlers alive
        crawler.signals.connect(closed, signal=signals.spider_closed)
        crawler.signals.connect(failed, signal=signals.spider_error)
        process.crawl(crawler, outlet=outlet, since=since, until=until)
    process.start()
    for outlet in outlets:  # a spider that never closed leaves its record too (written as it closed otherwise)
        if outlet.name not in results:
            _write_shard_stats(raw_dir, outlet.name, shard, {})
    return results


def _write_shard_stats(raw_dir: Path, outlet: str, shard: tuple[int, int], stats: dict) -> None:
    stats_dir(raw_dir).mkdir(parents=True, exist_ok=True)
    _shard_stats_file(raw_dir, outlet, shard).write_text(json.dumps(stats, indent=1, sort_keys=True), encoding="utf-8")


def run_crawl(sources: str | Path, since: datetime, until: datetime, raw_dir: str | Path,
              outlets: list[str] | None = None, politeness: bool = True, timeout: float | None = None,
              work_dir: str | Path | None = None, refetch: bool = False,
              settings: dict | None = None, processes: int = 1) -> list[OutletCrawl]:
    """Crawl in ``processes`` child processes and return per-outlet results.

    One process is Scrapy's way and enough for a polite crawl, which waits on
    delays; for fast local or politeness-off crawls, ``processes=2`` or more
    splits every outlet's articles between processes by a hash of the URL
    (each reads the feeds and sitemaps itself) and uses more cores.

    Without ``work_dir`` every attempt starts from nothing: what an earlier
    attempt left in ``raw_dir`` for these outlets is removed. With it, the
    crawl is incremental and an earlier attempt's stored pages are kept and
    not fetched again. ``settings`` are Scrapy settings for every outlet
    (``-s``). Raises SourcesError for a bad sources file or outlet name
    (before starting anything).
    """
    chosen = select_outlets(load_sources(sources), outlets)
    raw_dir = Path(raw_dir)
    if processes < 1:
        raise ValueError(f"processes must be at least 1, got {processes}")
    for o in chosen:
        _clear_attempt(raw_dir, o.name, keep_pages=work_dir is not None)
    cmd = [sys.executable, "-m", "crawlers.launcher", "--sources", str(sources), "--since", since.isoformat(),
           "--until", until.isoformat(), "--raw-dir", str(raw_dir), "--outlets", ",".join(o.name for o in chosen)]
    cmd += ["--no-politeness"] * (not politeness) + ["--refetch"] * refetch
    cmd += ["--work-dir", str(work_dir)] if work_dir is not None else []
    for k, v in (settings or {}).items():
        cmd += ["-s", f"{k}={v}"]
    tag = chosen[0].name if len(chosen) == 1 else f"{len(chosen)}-outlets"
    logs = [stats_dir(raw_dir) / f"{tag}.crawl-{i}-of-{processes}.log" for i in range(processes)]
    shard_files = {o.name: [_shard_stats_file(raw_dir, o.name, (i, processes)) for i in range(processes)]
                   for o in chosen}
    codes = _run_processes(cmd, logs, timeout, shard_files)
    errors = [(code, log.read_text(encoding="utf-8", errors="replace").strip().splitlines()[-1:] or ["no output"])
              for code, log in zip(codes, logs)]
    results = []
    for o in chosen:
        files = shard_files[o.name]
        missing = [i for i, f in enumerate(files) if not f.exists()]
        if missing:
            code, tail = errors[missing[0]]
            res = OutletCrawl(o.name, "failed", message=f"outlet '{o.name}': crawl process exited {code}: {tail[0]}")
        else:
            res = _summarise(o.name, merge_stats([json.loads(f.read_text(encoding="utf-8")) for f in files]))
        res.logs = [str(log) for log in logs]  # each outlet's record names the logs that hold its lines
        (stats_dir(raw_dir) / f"{o.name}.json").write_text(json.dumps(asdict(res), indent=1), encoding="utf-8")
        results.append(res)
    return results


def _clear_attempt(raw_dir: Path, outlet: str, keep_pages: bool) -> None:
    """Remove what an earlier attempt left that this one lists and counts again (and, without
    incremental state, its pages), and a dead attempt's temporary files."""
    outlet_dir = raw_dir / outlet
    if not keep_pages:
        shutil.rmtree(outlet_dir, ignore_errors=True)
    for old in [*outlet_dir.glob(KNOWN_GLOB), *stats_dir(raw_dir).glob(f"{outlet}.*json"),
                *outlet_dir.glob("*.tmp"), *outlet_dir.glob(".tmp-*")]:
        old.unlink(missing_ok=True)


def _run_processes(cmd: list[str], logs: list[Path], timeout: float | None,
                   shard_files: dict[str, list[Path]]) -> list[int]:
    """Run one crawl process per shard (each log kept beside the stats); their exit codes. Each
    outlet is reported on the ``newspipe`` logger as soon as every shard has finished it."""
    env = dict(os.environ)
    env["PYTHONPATH"] = str(Path(__file__).resolve().parent.parent) + os.pathsep + env.get("PYTHONPATH", "")
    logs[0].parent.mkdir(parents=True, exist_ok=True)
    procs = []
    for i, log in enumerate(logs):
        with open(log, "w", encoding="utf-8") as fh:
            procs.append(subprocess.Popen(cmd + ["--shard", f"{i}/{len(logs)}"], env=env, stdout=fh, stderr=fh))
    deadline = None if timeout is None else time.monotonic() + timeout
    pending = dict(shard_files)
    while any(p.poll() is None for p in procs):
        if deadline is not None and time.monotonic() > deadline:
            for p in procs:
                p.kill()
            raise subprocess.TimeoutExpired(cmd, timeout)
        for outlet in [o for o, files in pending.items() if all(f.exists() for f in files)]:
            del pending[outlet]
            progress.info("  crawled %s (%d of %d outlets)", outlet, len(shard_files) - len(pending), len(shard_files))
        time.sleep(0.5)
    return [p.returncode for p in procs]


def _shard(value: str) -> tuple[int, int]:
    i, n = (int(x) for x in value.split("/"))
    if not 0 <= i < n:
        raise argparse.ArgumentTypeError(f"shard {value!r}: need 0 <= I < N")
    return i, n


def main(argv: list[str] | None = None) -> int:
    ap = argparse.ArgumentParser(prog="python -m crawlers.launcher", description=__doc__.splitlines()[0])
    ap.add_argument("--sources", required=True)
    ap.add_argument("--outlets", default="")
    ap.add_argument("--since", required=True, type=as_utc)
    ap.add_argument("--until", required=True, type=as_utc)
    ap.add_argument("--raw-dir", required=True, type=Path)
    ap.add_argument("--no-politeness", action="store_true")
    ap.add_argument("--work-dir", type=Path, default=None, help="keep incremental crawl state under DATA/_state")
    ap.add_argument("--refetch", action="store_true", help="fetch pages again that earlier crawls stored")
    ap.add_argument("--shard", default="0/1", type=_shard, help="I/N: fetch the articles of shard I of N")
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
                                    work_dir=args.work_dir, refetch=args.refetch, overrides=overrides,
                                    shard=args.shard)
    summaries = [_summarise(name, stats) for name, stats in results.items()]
    for r in summaries:
        print(f"{r.status:8} {r.message}", file=sys.stderr)
    return EXIT_OK if all(r.status == "ok" for r in summaries) else EXIT_SOME_FAILED


if __name__ == "__main__":
    sys.exit(main())
