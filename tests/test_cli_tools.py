"""`newspipe extract` and `newspipe dataset info` on files we make here."""
from __future__ import annotations

import gzip
import json
import subprocess
import sys
from pathlib import Path

ROOT = Path(__file__).resolve().parents[1]
PAGE = ("<html lang='en'><head><title>Convoy crosses at Kafr Lusin</title>"
        "<meta property='article:published_time' content='2020-10-01T11:20:00+03:00'></head><body><article>"
        "<h1>Convoy crosses at Kafr Lusin</h1><p>" + "A convoy of forty vehicles crossed into Idlib province. " * 12 +
        "</p></article></body></html>")


def _cli(*args):
    return subprocess.run([sys.executable, "-m", "pipeline.cli.main", *args], capture_output=True, text=True, cwd=ROOT,
                          timeout=300)


def test_extract_folder_to_jsonl(tmp_path):
    src = tmp_path / "pages"
    src.mkdir()
    (src / "one.html").write_text(PAGE, encoding="utf-8")
    (src / "two.html.gz").write_bytes(gzip.compress(PAGE.encode()))
    (src / "empty.html").write_bytes(b"")
    (src / "broken.html.gz").write_bytes(b"not gzip")
    urls = tmp_path / "urls.json"
    urls.write_text(json.dumps({"one": {"url": "https://a.test/one", "articleBody": "x"}, "two": "https://a.test/two"}))
    p = _cli("extract", "--input-dir", str(src), "--output", str(tmp_path / "out.jsonl"), "--urls", str(urls))
    assert p.returncode == 0, p.stderr
    rows = {r["id"]: r for r in map(json.loads, (tmp_path / "out.jsonl").read_text().splitlines())}
    assert set(rows) == {"one", "two", "empty", "broken"}
    assert rows["one"]["url"] == "https://a.test/one" and rows["one"]["verdict"] == "article"
    assert rows["one"]["published_at"] == "2020-10-01T08:20:00+00:00"
    assert rows["two"]["title"] == "Convoy crosses at Kafr Lusin" and rows["two"]["title_source"] == "h1"
    p = _cli("extract", "--input-dir", str(src), "--output", str(tmp_path / "t.jsonl"), "--title-source", "title-tag")
    assert p.returncode == 0, p.stderr
    rows = {r["id"]: r for r in map(json.loads, (tmp_path / "t.jsonl").read_text().splitlines())}
    assert rows["one"]["title_source"] == "title-tag" and rows["empty"]["title_source"] == "none"
    p = _cli("extract", "--input-dir", str(src), "--output", str(tmp_path / "t.jsonl"), "--title-source", "lede")
    assert p.returncode == 2 and "invalid choice: 'lede'" in p.stderr
    assert rows["empty"]["verdict"] == rows["broken"]["verdict"] == "empty"


def test_dataset_info(demo_run):
    _, data = demo_run
    p = _cli("dataset", "info", "--data", str(data))
    assert p.returncode == 0, p.stderr
    assert "articles: 7 partition(s), 7 file(s), 61 rows" in p.stdout and "schema v3" in p.stdout
    assert "date=2020-10-01: 9 rows, 7 relevant, last run" in p.stdout
    assert "by outlet: anatolia-post 11 (7 relevant), dimashq-news 8 (5 relevant)" in p.stdout


def test_dataset_compact(demo_run, tmp_path):
    import pyarrow.parquet as pq
    _, data = demo_run
    p = _cli("dataset", "compact", "--data", str(data))
    assert p.returncode == 0 and p.stdout.strip() == "nothing to compact", p.stdout + p.stderr
    # a copy of one day with a second file dropped in by another tool
    copy = tmp_path / "data" / "articles" / "date=2020-10-02"
    copy.mkdir(parents=True)
    table = pq.read_table(data / "articles" / "date=2020-10-02" / "part-0.parquet")
    pq.write_table(table.slice(0, 3), copy / "part-0.parquet")
    pq.write_table(table.slice(3), copy / "from-spark.parquet")
    p = _cli("dataset", "compact", "--data", str(tmp_path / "data"), "--table", "articles")
    assert p.returncode == 0, p.stderr
    assert f"articles/date=2020-10-02: {table.num_rows} rows into one file (2 files" in p.stdout
    assert [f.name for f in copy.iterdir()] == ["part-0.parquet"]


def test_run_rejects_a_bad_process_count():
    p = _cli("run", "--since", "2020-10-01", "--until", "2020-10-02", "--crawl-processes", "0")
    assert p.returncode == 2 and "--crawl-processes" in p.stderr and "at least 1" in p.stderr


def test_extract_to_standard_output_and_bad_folders(tmp_path):
    src = tmp_path / "pages"
    src.mkdir()
    (src / "one.html").write_text(PAGE, encoding="utf-8")
    p = _cli("extract", "--input-dir", str(src), "--output", "-")
    assert p.returncode == 0 and json.loads(p.stdout.splitlines()[0])["verdict"] == "article", p.stderr
    p = _cli("extract", "--input-dir", str(src / "one.html"), "--output", "-")
    assert p.returncode == 2 and "not a folder" in p.stderr and "Traceback" not in p.stderr
    (tmp_path / "empty").mkdir()
    p = _cli("extract", "--input-dir", str(tmp_path / "empty"), "--output", str(tmp_path / "o.jsonl"))
    assert p.returncode == 2 and "holds no *.html" in p.stderr


def test_dataset_tools_on_a_missing_directory(tmp_path):
    for cmd in (("dataset", "info"), ("dataset", "compact")):
        p = _cli(*cmd, "--data", str(tmp_path / "nowhere"))
        assert p.returncode == 2 and "no data directory here" in p.stderr, p.stderr


def test_every_option_has_help():
    import argparse

    from pipeline.cli.main import build_parser
    parsers = [build_parser()]
    missing = []
    while parsers:
        parser = parsers.pop()
        for action in parser._actions:
            if isinstance(action, argparse._SubParsersAction):
                parsers += list(action.choices.values())
            elif not isinstance(action, argparse._HelpAction) and not action.help:
                missing.append(f"{parser.prog}: {action.dest}")
    assert not missing, missing


def test_a_filter_on_an_outlet_without_articles_warns(demo_run):
    import pytest

    from storage.load import load_articles
    _, data = demo_run
    with pytest.warns(UserWarning, match="no articles of sana-en in 2020-10-01 .. 2020-10-02"):
        df = load_articles(data, start="2020-10-01", end="2020-10-02", outlets=["sana-en", "levant-wire"])
    assert set(df["outlet"].astype(str)) == {"levant-wire"}


def test_the_demo_says_what_it_is_doing(demo_run):
    from pipeline.run.report import summary
    report, _ = demo_run
    text = summary(report)
    assert "LSH" not in text and "LSH: 37 bands" in summary(report, verbose=True)
    assert "history after this run: 61 articles, 15 duplicate clusters" in text


def test_show_and_export(demo_run, tmp_path):
    import pandas as pd
    _, data = demo_run
    clusters = pd.read_parquet(data / "clusters")
    origin = clusters[(clusters["cluster_size"] == 4) & clusters["is_origin"]]["article_id"].iloc[0]
    p = _cli("show", origin, "--data", str(data))
    assert p.returncode == 0 and f"cluster {origin}: origin of 4" in p.stdout, p.stderr
    assert _cli("show", "no-such-id", "--data", str(data)).returncode == 2
    p = _cli("export", "--format", "csv", "--all", "--dedup", "all", "--since", "2020-10-02", "--until", "2020-10-02",
             "--outlets", "levant-wire,dimashq-news", "--data", str(data), "--output", str(tmp_path / "a.csv"))
    assert p.returncode == 0, p.stderr
    df = pd.read_csv(tmp_path / "a.csv")
    assert set(df["outlet"]) <= {"levant-wire", "dimashq-news"} and len(df) and "cluster_id" in df
    p = _cli("export", "--data", str(data))
    rows = [json.loads(line) for line in p.stdout.splitlines()]
    from storage.load import load_articles
    assert len(rows) == len(load_articles(data)) == 23  # relevant origins only, by default, as load_articles
    assert all(r["relevant"] for r in rows) and "copies" in rows[0]


def test_extract_one_page_from_a_file_stdin_or_a_url(fresh_replay, tmp_path):
    page = tmp_path / "one.html"
    page.write_text(PAGE, encoding="utf-8")
    for fmt, check in (("txt", lambda out: out.startswith("Convoy crosses") or "convoy of forty" in out),
                       ("markdown", lambda out: out.startswith("# Convoy crosses at Kafr Lusin")),
                       ("json", lambda out: json.loads(out)["published_at"] == "2020-10-01T08:20:00+00:00"),
                       ("xml", lambda out: out.startswith('<doc title="Convoy crosses at Kafr Lusin"'))):
        p = _cli("extract", str(page), "--format", fmt)
        assert p.returncode == 0 and check(p.stdout), (fmt, p.stdout[:300], p.stderr)
    p = subprocess.run([sys.executable, "-m", "pipeline.cli.main", "extract", "-", "--format", "json", "--url",
                        "https://a.test/one"], input=PAGE, capture_output=True, text=True, cwd=ROOT, timeout=300)
    assert json.loads(p.stdout)["url"] == "https://a.test/one"
    from crawlers.replay.site import Page
    site = fresh_replay.add_site("one", {"/a/1": Page(PAGE.encode()), "/robots.txt": Page(b"User-agent: *\nDisallow: /x/",
                                                                                          "text/plain"),
                                         "/x/1": Page(PAGE.encode())})
    fresh_replay.sites_by_host["127.0.0.1"] = site
    url = fresh_replay.address + "/a/1"
    p = _cli("extract", url)  # this machine's address: refused by the guard, before any request
    assert p.returncode == 2 and "loopback address: refused" in p.stderr and site.hits["/a/1"] == 0
    p = _cli("extract", url, "--allow-private", "--format", "json")
    assert p.returncode == 0 and json.loads(p.stdout)["title"] == "Convoy crosses at Kafr Lusin", p.stderr
    p = _cli("extract", fresh_replay.address + "/x/1", "--allow-private")
    assert p.returncode == 2 and "disallowed by robots.txt" in p.stderr and site.hits["/x/1"] == 0


def test_the_python_api_yields_a_windows_articles(replay, tmp_path):
    from pipeline.run.api import crawl
    from tests.conftest import write_sources
    sources = write_sources(replay, tmp_path / "s.yaml", ["levant-wire"])
    articles = list(crawl(["levant-wire"], "2020-10-01", "2020-10-02", sources=sources, politeness=False))
    assert articles and {a["outlet"] for a in articles} == {"levant-wire"}
    assert all(a["published_at"].date().isoformat() == "2020-10-01" for a in articles)
    assert {"title", "text", "cluster_id", "relation"} <= set(articles[0])
