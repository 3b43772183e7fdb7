"""`newspipe sources doctor` against the replay site, with outlets broken on purpose: a moved
domain, a feed whose links the patterns refuse, a robots-disallowed entry point, a dead feed."""
from __future__ import annotations

import json
import subprocess
import sys
from pathlib import Path

import yaml

from crawlers.replay.server import ReplayServer
from crawlers.replay.site import Page

ROOT = Path(__file__).resolve().parents[1]


def _sources(server: ReplayServer, path: Path) -> Path:
    good = server.config("levant-wire")
    levant_feed = server.sites["levant-wire"].pages["/feed/"]
    server.add_site("moved-wire", {"/feed/": Page(b"", None, status=301, headers={"Location": "http://elsewhere.test/feed/"}),
                                   "/robots.txt": Page(b"User-agent: *\n", "text/plain")})
    server.add_site("elsewhere", {"/feed/": levant_feed, "/robots.txt": Page(b"User-agent: *\n", "text/plain")})
    moved = dict(good, name="moved-wire", domains=["moved-wire.test"], feeds=["http://moved-wire.test/feed/"],
                 sitemaps=[])
    refusing = dict(good, name="refusing-wire", article_patterns=["^/nothing-here/"])
    closed = dict(good, name="closed-wire", sections=["http://levant-wire.test/private/list"])
    dead = dict(good, name="dead-wire", feeds=["http://levant-wire.test/dead-feed.xml"], sitemaps=[])
    path.write_text(yaml.safe_dump({"outlets": [good, moved, refusing, closed, dead]}, allow_unicode=True),
                    encoding="utf-8")
    return path


def test_the_doctor_tells_healthy_degraded_and_broken_outlets_apart(tmp_path):
    with ReplayServer() as server:
        sources = _sources(server, tmp_path / "s.yaml")
        report = tmp_path / "doctor.json"
        p = subprocess.run([sys.executable, "-m", "pipeline.cli", "sources", "doctor", str(sources), "--sample", "2",
                            "--json", str(report)], capture_output=True, text=True, cwd=ROOT, timeout=600)
        disallowed_hits = server.sites["levant-wire"].hits["/private/list"]
    assert p.returncode == 3, p.stderr[-3000:]          # not all healthy
    lines = {ln.split()[0]: ln for ln in p.stdout.splitlines() if ln.strip()}
    assert lines["levant-wire"].split()[1] == "healthy"
    assert lines["moved-wire"].split()[1] == "broken" and "redirected to elsewhere.test" in lines["moved-wire"]
    assert lines["refusing-wire"].split()[1] == "broken" and "patterns accept" in lines["refusing-wire"]
    assert lines["closed-wire"].split()[1] == "degraded" and "robots.txt disallows it" in lines["closed-wire"]
    assert lines["dead-wire"].split()[1] == "broken" and "HTTP 404" in lines["dead-wire"]
    data = {r["outlet"]: r for r in json.loads(report.read_text())}
    good = data["levant-wire"]
    assert [e["accepted"] > 0 for e in good["entries"]] == [True, True]
    assert len(good["articles"]) == 2 and all(a["verdict"] == "article" and a["title"] and a["published_at"]
                                              and a["date_source"] and a["chars"] > 300 for a in good["articles"])
    assert disallowed_hits == 0                          # robots.txt obeyed
    assert sorted(x.name for x in tmp_path.iterdir()) == ["doctor.json", "s.yaml"]   # it writes nothing else


def test_the_weekly_dag_shows_broken_outlets_as_failed_tasks(tmp_path):
    """dag.test() of newspipe_sources_doctor in a fresh process: one mapped task per outlet."""
    from tests.test_dags import dag_test
    with ReplayServer() as server:
        sources = _sources(server, tmp_path / "s.yaml")
        home = tmp_path / "airflow"
        home.mkdir()
        r = dag_test(home, "2026-01-08T00:00:00", {}, sources, tmp_path / "data", dag_id="newspipe_sources_doctor")
    assert r["state"] == "failed", r["log"][-3000:]
    states = sorted(v for k, v in r["tasks"].items() if k.startswith("check["))
    # levant-wire and closed-wire (degraded) pass; moved, refusing and dead fail
    assert states == ["failed", "failed", "failed", "success", "success"], r["tasks"]
    assert not (tmp_path / "data").exists()
