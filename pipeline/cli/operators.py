"""The operators' commands beyond a run: ``newspipe backfill`` (history from web archives) and
``newspipe sources doctor`` (each outlet checked live)."""
from __future__ import annotations

import sys
from pathlib import Path

from crawlers.launcher import EXIT_BAD_INPUT, EXIT_OK, EXIT_SOME_FAILED
from crawlers.registry import load_sources, select_outlets
from pipeline.cli.options import data_option, date_arg, positive_arg


def cmd_backfill(args) -> int:
    from pipeline.backfill.run import backfill
    from pipeline.run.report import summary
    if args.since >= args.until:
        print(f"error: --since {args.since:%Y-%m-%d} is not before --until {args.until:%Y-%m-%d}", file=sys.stderr)
        return EXIT_BAD_INPUT
    report = backfill(args.sources, args.since, args.until, args.data, args.source,
                      outlets=[o for o in (args.outlets or "").split(",") if o] or None, uris=args.warc,
                      any_domain=args.any_domain, workers=args.workers, prefilter=not args.no_prefilter,
                      min_interval=args.min_interval)
    for line in report.notes:
        print(f"note: {line}", file=sys.stderr)
    print(summary(report, args.verbose))
    return EXIT_OK if report.ok else EXIT_SOME_FAILED


def cmd_sources_doctor(args) -> int:
    import json

    from pipeline.doctor import check_outlet
    from pipeline.progress import track
    outlets = select_outlets(load_sources(args.file), [o for o in (args.outlets or "").split(",") if o] or None)
    results = [check_outlet(o, sample=args.sample, timeout=args.timeout) for o in track(outlets, "checking outlets")]
    for r in results:
        print(r.line())
    if args.json:
        Path(args.json).write_text(json.dumps([r.to_dict() for r in results], ensure_ascii=False, indent=1),
                                   encoding="utf-8")
        print(f"report: {args.json}", file=sys.stderr)
    return EXIT_OK if all(r.status == "healthy" for r in results) else EXIT_SOME_FAILED


def add_backfill(sub) -> None:
    from crawlers.archives import SOURCE_NAMES
    p = sub.add_parser("backfill", help="fill a window of history from a web archive (resumable)")
    p.add_argument("--from", dest="source", required=True, choices=SOURCE_NAMES,
                   help="warc: WARC/ARC files given with --warc; cc-news: Common Crawl's news crawl; cc-index: "
                        "Common Crawl's URL index, then range requests; wayback: the Wayback Machine's CDX API; "
                        "gdelt: GDELT event files located in Idlib, fetched from the Wayback Machine")
    p.add_argument("--since", required=True, type=date_arg, help="first day of publication, YYYY-MM-DD")
    p.add_argument("--until", required=True, type=date_arg, help="day after the last, excluded, YYYY-MM-DD")
    p.add_argument("--outlets", default="", help="comma-separated outlet names (default: all)")
    p.add_argument("--warc", action="append", default=[],
                   help="for --from warc: a WARC file, local path, http(s):// or s3:// URI (repeatable)")
    p.add_argument("--sources", default=None, help="sources YAML (default: the bundled registry)")
    p.add_argument("--any-domain", action="store_true",
                   help="for --from gdelt: keep the source URLs of any domain, not only the registry's outlets")
    p.add_argument("--no-prefilter", action="store_true",
                   help="store every article page of the outlets, not only those that may mention Idlib")
    p.add_argument("--min-interval", type=float, default=1.0,
                   help="seconds between two requests to one archive host (default 1.0)")
    p.add_argument("--workers", type=int, default=None, help="extraction worker processes (default: one per core)")
    data_option(p)
    p.set_defaults(func=cmd_backfill)


def add_doctor(ssub) -> None:
    c = ssub.add_parser("doctor", help="check each outlet live: entry points, robots.txt, patterns, sample articles")
    c.add_argument("file", nargs="?", default=None, help="a sources YAML (default: the bundled registry)")
    c.add_argument("--outlets", default="", help="comma-separated outlet names (default: all)")
    c.add_argument("--sample", type=positive_arg, default=3, help="accepted articles fetched and extracted per outlet (default 3)")
    c.add_argument("--timeout", type=float, default=30.0, help="seconds per request (default 30)")
    c.add_argument("--json", default=None, help="also write the whole report as JSON to this file")
    c.set_defaults(func=cmd_sources_doctor)
