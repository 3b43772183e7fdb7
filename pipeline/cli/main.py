"""The ``newspipe`` command line. Exit codes: 0 all fine, 2 bad input, 3 some outlets failed."""
from __future__ import annotations

import argparse
import logging
import sys
import warnings
from pathlib import Path

from crawlers.launcher import EXIT_BAD_INPUT, EXIT_OK, EXIT_SOME_FAILED
from crawlers.registry import SourcesError, load_sources
from pipeline.settings import TITLE_SOURCES, DedupSettings, ExtractSettings, ReportSettings, RunEnvironment
from pipeline.progress import show_notes
from pipeline.cli.operators import add_backfill, add_doctor
from pipeline.cli.options import data_option, date_arg, day_arg, positive_arg


def _dedup_options(p: argparse.ArgumentParser) -> None:
    d = DedupSettings()
    p.add_argument("--threshold", type=float, default=d.jaccard_threshold,
                   help=f"Jaccard at which two texts are near-duplicates (default {d.jaccard_threshold})")
    p.add_argument("--containment", type=float, default=d.containment_threshold,
                   help=f"share of the shorter text found in the longer that makes it a truncated copy "
                        f"(default {d.containment_threshold})")
    p.add_argument("--shingle-size", type=int, default=d.shingle_size, help=f"words per shingle (default {d.shingle_size})")
    p.add_argument("--num-perm", type=int, default=d.num_perm, help=f"MinHash permutations (default {d.num_perm})")


def _settings(args) -> DedupSettings:
    from dataclasses import replace
    return replace(DedupSettings(), jaccard_threshold=args.threshold, containment_threshold=args.containment,
                   shingle_size=args.shingle_size, num_perm=args.num_perm)


def cmd_demo(args) -> int:
    from pipeline.cli.demo import run_demo
    from pipeline.run.report import summary
    from pipeline.report.build import write_report
    report = run_demo(args.data, workers=args.workers)
    print(summary(report, args.verbose))
    print(f"report: {write_report(args.data)}  (open it in a browser; it works offline)")
    return EXIT_OK if report.ok else EXIT_SOME_FAILED


def cmd_run(args) -> int:
    from pipeline.run.report import summary
    from pipeline.run.stages import run
    if args.since >= args.until:
        print(f"error: --since {args.since:%Y-%m-%d} is not before --until {args.until:%Y-%m-%d}", file=sys.stderr)
        return EXIT_BAD_INPUT
    outlets = [o for o in (args.outlets or "").split(",") if o]
    report = run(args.sources, args.since, args.until, args.data, outlets=outlets or None,
                 politeness=not args.no_politeness, workers=args.workers, refetch=args.refetch,
                 crawl_processes=args.crawl_processes, repair=args.repair)
    for note in report.notes:
        print(f"note: {note}", file=sys.stderr)
    for c in report.crawls:
        if c.status != "ok":
            print(f"{c.status}: {c.message}", file=sys.stderr)
    print(summary(report, args.verbose))
    return EXIT_OK if report.ok else EXIT_SOME_FAILED


def cmd_dedup(args) -> int:
    from pipeline.cli.dedup_io import dedup_file, dedup_stored, keep_freed_memory
    keep_freed_memory()
    if args.input in ("rebuild", "sync") and args.output is None:
        print(dedup_stored(args.data, args.input == "rebuild", _settings(args), args.sources, args.index))
        return EXIT_OK
    if args.output is None:
        print("error: give INPUT and OUTPUT, or 'rebuild' / 'sync' with --data", file=sys.stderr)
        return EXIT_BAD_INPUT
    result = dedup_file(args.input, args.output, _settings(args), sources=args.sources)
    multi = {r.cluster_id for r in result.rows if r.cluster_size > 1}
    print(f"{len(result.rows)} articles, {len(multi)} duplicate clusters, "
          f"{sum(1 for r in result.rows if r.cluster_size > 1 and not r.is_origin)} copies -> {args.output}")
    if result.oversized_clusters:
        print(f"warning: {len(result.oversized_clusters)} clusters over the size limit: "
              f"{', '.join(result.oversized_clusters[:5])}", file=sys.stderr)
    return EXIT_OK


def cmd_extract(args) -> int:
    from pipeline.cli.extract_io import extract_dir, read_source, render
    settings = ExtractSettings(title_source=args.title_source)
    if (args.source is None) == (args.input_dir is None):
        print("error: give one page (a file, - or a URL) or --input-dir, not both or neither", file=sys.stderr)
        return EXIT_BAD_INPUT
    if args.source is not None:
        from pipeline.extract.core import extract
        html, url = read_source(args.source, args.url, args.allow_private)
        doc = extract(html, url, settings=settings)
        print(render(doc, args.format))
        return EXIT_OK if doc.verdict == "article" else EXIT_SOME_FAILED
    n, bad = extract_dir(args.input_dir, args.output, args.urls, workers=args.workers, settings=settings)
    if n == 0:
        print(f"warning: {args.input_dir} holds no *.html or *.html.gz page", file=sys.stderr)
        return EXIT_BAD_INPUT
    print(f"{n} pages -> {args.output} ({bad} not articles)", file=sys.stderr if args.output == "-" else sys.stdout)
    return EXIT_OK


def cmd_sources_check(args) -> int:
    outlets = load_sources(args.file)
    print(f"{args.file or 'bundled registry'}: {len(outlets)} outlets OK")
    return EXIT_OK


def _existing_data(data: str) -> None:
    """A local data directory that does not exist is an error, not an empty report."""
    if "://" not in str(data) and not Path(data).is_dir():
        raise FileNotFoundError(2, "no data directory here", str(data))


def cmd_dataset_info(args) -> int:
    _existing_data(args.data)
    from pipeline.run.report import last_run
    from storage.admin.info import dataset_info
    print("\n".join(line for line in (dataset_info(args.data), last_run(args.data)) if line))
    return EXIT_OK


def cmd_dataset_compact(args) -> int:
    _existing_data(args.data)
    from storage.admin.compact import compact
    lines = compact(args.data, args.table or None)
    print("\n".join(lines) if lines else "nothing to compact")
    return EXIT_SOME_FAILED if any(": left as it is:" in x or ": skipped:" in x for x in lines) else EXIT_OK


def cmd_show(args) -> int:
    from pipeline.cli.stored import show_article
    _existing_data(args.data)
    try:
        print(show_article(args.data, args.key))
    except LookupError as exc:
        print(f"error: {exc}", file=sys.stderr)
        return EXIT_BAD_INPUT
    return EXIT_OK


def cmd_export(args) -> int:
    from pipeline.cli.stored import export_articles
    _existing_data(args.data)
    n = export_articles(args.data, args.output, args.format, start=args.since, end=args.until,
                        outlets=[o for o in (args.outlets or "").split(",") if o] or None,
                        relevant_only=not args.all, dedup=args.dedup)
    print(f"{n} articles -> {args.output}", file=sys.stderr)
    return EXIT_OK


def cmd_report(args) -> int:
    from pipeline.report.build import write_report
    _existing_data(args.data)
    if args.since and args.until and args.since > args.until:
        print(f"error: --since {args.since} is after --until {args.until}", file=sys.stderr)
        return EXIT_BAD_INPUT
    settings = ReportSettings(top=args.top, table_rows=args.table_rows, relevant_only=not args.all)
    where = write_report(args.data, args.out, since=args.since, until=args.until,
                         outlets=[o for o in (args.outlets or "").split(",") if o] or None, settings=settings)
    print(f"report: {where}")
    return EXIT_OK


def cmd_eval(args) -> int:
    from pipeline.eval.extraction import run_eval
    print(run_eval(args.what, args.corpus, workers=args.workers))
    return EXIT_OK


def build_parser() -> argparse.ArgumentParser:
    ap = argparse.ArgumentParser(prog="newspipe", description="News ingestion and deduplication for the Idlib conflict.")
    ap.add_argument("-v", "--verbose", action="store_true", help="log every library's INFO lines and the LSH figures")
    sub = ap.add_subparsers(dest="command", required=True)

    p = sub.add_parser("demo", help="run the pipeline offline against the bundled mock outlets")
    data_option(p)
    p.add_argument("--workers", type=int, default=None, help="extraction worker processes (default: one per core)")
    p.set_defaults(func=cmd_demo)

    _add_run(sub)
    add_backfill(sub)
    _add_stored(sub)
    _add_tools(sub)
    return ap


def _add_run(sub) -> None:
    p = sub.add_parser("run", help="crawl real outlets in a date window and publish Parquet")
    p.add_argument("--sources", default=None, help="sources YAML (default: the bundled registry)")
    p.add_argument("--since", required=True, type=date_arg,
                   help="window start, ISO 8601 (2020-10-01 or 2020-10-01T06:00, UTC unless an offset is given); "
                        "widened to whole UTC days")
    p.add_argument("--until", required=True, type=date_arg, help="window end, excluded, same format")
    data_option(p)
    p.add_argument("--outlets", default="", help="comma-separated outlet names (default: all)")
    p.add_argument("--no-politeness", action="store_true", help="no delays or AutoThrottle (local sites only)")
    p.add_argument("--refetch", action="store_true",
                   help="fetch article pages again even if an earlier crawl stored them (default: incremental)")
    p.add_argument("--crawl-processes", type=positive_arg, default=1,
                   help="crawl processes sharing each outlet's articles (more cores; politeness is shared out)")
    p.add_argument("--repair", action="store_true",
                   help="replace a day whose stored partition cannot be read (its rows are lost); "
                        "without it such a run stops and names the file")
    p.add_argument("--workers", type=int, default=None, help="extraction worker processes (default: one per core)")
    p.set_defaults(func=cmd_run)


def _add_stored(sub) -> None:
    p = sub.add_parser("show", help="one stored article with its metadata and its cluster")
    p.add_argument("key", help="the article's id, URL or canonical URL")
    data_option(p)
    p.set_defaults(func=cmd_show)
    p = sub.add_parser("export", help="stored articles as CSV or JSON lines, with load_articles' filters")
    p.add_argument("--format", choices=["csv", "jsonl"], default="jsonl", help="csv or jsonl (default jsonl)")
    p.add_argument("--output", default="-", help="the file to write (default -, standard output)")
    p.add_argument("--since", default=None, help="first day, YYYY-MM-DD (default: all)")
    p.add_argument("--until", default=None, help="last day, YYYY-MM-DD, included (default: all)")
    p.add_argument("--outlets", default="", help="comma-separated outlet names (default: all)")
    p.add_argument("--all", action="store_true", help="every article, not only the ones relevant to Idlib")
    p.add_argument("--dedup", choices=["origins", "all"], default="origins",
                   help="origins: one row per story with its copies counted; all: every article with its cluster")
    data_option(p)
    p.set_defaults(func=cmd_export)
    _add_report(sub)


def _add_report(sub) -> None:
    d = ReportSettings()
    p = sub.add_parser("report", help="the coverage and copy report: one HTML file that opens offline")
    p.add_argument("--out", default=None, help="the HTML file to write (default: reports/newspipe-report.html "
                                               "under the data root)")
    p.add_argument("--since", default=None, type=day_arg, help="first day, YYYY-MM-DD (default: all)")
    p.add_argument("--until", default=None, type=day_arg, help="last day, YYYY-MM-DD, included (default: all)")
    p.add_argument("--outlets", default="", help="comma-separated outlet names: their coverage, and the stories "
                                                 "and copy pairs they take part in (default: all)")
    p.add_argument("--all", action="store_true", help="stories on any topic, not only those relevant to Idlib")
    p.add_argument("--top", type=positive_arg, default=d.top,
                   help=f"stories shown in full, origin and copies side by side (default {d.top})")
    p.add_argument("--table-rows", type=positive_arg, default=d.table_rows,
                   help=f"stories listed in the searchable table (default {d.table_rows})")
    data_option(p)
    p.set_defaults(func=cmd_report)


def _add_tools(sub) -> None:
    p = sub.add_parser("dedup", help="cluster near-duplicates: INPUT (Parquet or JSONL) -> OUTPUT Parquet; "
                                     "'dedup rebuild' / 'dedup sync' recompute the stored clusters of --data")
    p.add_argument("input", help="articles: a Parquet file or directory, or a JSON-lines file; or 'rebuild' "
                                 "(every stored article clustered again, the index made anew) or 'sync' (only "
                                 "the days changed since the last run); a file named so: ./rebuild")
    p.add_argument("output", nargs="?", default=None, help="the clusters, a Parquet file")
    data_option(p)
    p.add_argument("--index", default=None, help="for rebuild/sync: the persistent index, redis://HOST:PORT/DB "
                                                 "(default: NEWSPIPE_DEDUP_INDEX, else SQLite in the work directory)")
    p.add_argument("--sources", default=None, help="the registry whose outlet names attributions are matched "
                                                   "against, as the pipeline does (default: the bundled one)")
    _dedup_options(p)
    p.set_defaults(func=cmd_dedup)

    p = sub.add_parser("extract", help="extract one page (a file, - or a URL) to standard output, "
                                       "or every *.html / *.html.gz of a folder to JSON lines")
    p.add_argument("source", nargs="?", default=None,
                   help="one page: a file (.gz too), - for standard input, or an http(s) URL fetched politely "
                        "behind the crawler's address guard and robots.txt")
    p.add_argument("--format", choices=["txt", "markdown", "json", "xml"], default="txt",
                   help="for one page: txt (default), markdown, json or xml")
    p.add_argument("--url", default=None, help="for one page from a file or -: the URL it was published at")
    p.add_argument("--allow-private", action="store_true",
                   help="for a URL: allow a site on this machine or a private network (refused by default)")
    p.add_argument("--input-dir", default=None, help="a folder of *.html / *.html.gz pages")
    p.add_argument("--output", default="-", help="for a folder: the JSON-lines file to write (default -, standard output)")
    p.add_argument("--urls", default=None, help="JSON map of file stem to URL ({id: url} or {id: {url: ...}})")
    p.add_argument("--workers", type=int, default=None, help="extraction worker processes (default: one per core)")
    p.add_argument("--title-source", choices=TITLE_SOURCES, default="auto",
                   help="the headline taken as the title (default: JSON-LD headline, og:title, h1, <title>)")
    p.set_defaults(func=cmd_extract)

    p = sub.add_parser("eval", help="quality harnesses on the shared corpora")
    p.add_argument("what", choices=["extraction", "metadata", "dedup"], help="which harness")
    p.add_argument("--corpus", default=None, help="the corpus folder (default: the matching one in ../shared/corpora)")
    p.add_argument("--workers", type=int, default=None, help="extraction worker processes (default: one per core)")
    p.set_defaults(func=cmd_eval)

    p = sub.add_parser("sources", help="outlet registry tools")
    ssub = p.add_subparsers(dest="sources_command", required=True)
    c = ssub.add_parser("check", help="validate a sources file")
    c.add_argument("file", nargs="?", default=None, help="a sources YAML (default: the bundled registry)")
    c.set_defaults(func=cmd_sources_check)
    add_doctor(ssub)

    p = sub.add_parser("dataset", help="dataset tools")
    dsub = p.add_subparsers(dest="dataset_command", required=True)
    c = dsub.add_parser("info", help="partitions, rows, bytes, schema version, last run")
    data_option(c)
    c.set_defaults(func=cmd_dataset_info)
    c = dsub.add_parser("compact", help="rewrite partitions with several files, small row groups or an old schema")
    data_option(c)
    c.add_argument("--table", action="append", choices=["articles", "signatures", "crawl_stats"],
                   help="only this table (repeatable; default: all)")
    c.set_defaults(func=cmd_dataset_compact)


def _one_line_warnings() -> None:
    """Warnings (a file a reader passed over) as one line each, not Python's two with a source line."""
    def show(message, category, filename, lineno, file=None, line=None):
        print(f"warning: {message}", file=file or sys.stderr)
    warnings.showwarning = show


def main(argv: list[str] | None = None) -> int:
    args = build_parser().parse_args(argv)
    if getattr(args, "data", "") is None:
        args.data = RunEnvironment.read().data
    logging.basicConfig(level=logging.INFO if args.verbose else logging.WARNING, format="%(levelname)s %(name)s: %(message)s")
    show_notes(args.verbose)
    _one_line_warnings()
    from crawlers.errors import FetchError
    from pipeline.dedup.cluster import DedupError
    from pipeline.run.window import WindowError
    from storage.errors import StorageError
    from storage.locks import LockedError
    try:
        return args.func(args)
    except (SourcesError, DedupError, StorageError, LockedError, WindowError, FetchError) as exc:
        print(f"error: {exc}", file=sys.stderr)
        return EXIT_BAD_INPUT
    except OSError as exc:  # a missing file, a read-only or full data directory
        where = f" {exc.filename}" if getattr(exc, "filename", None) else ""
        print(f"error:{where}: {exc.strerror or exc}", file=sys.stderr)
        return EXIT_BAD_INPUT


if __name__ == "__main__":
    sys.exit(main())
