"""Bad input for runs: a clear one-line error naming the file or outlet, the
other outlets go on, what was collected is written, the exit code tells."""
from __future__ import annotations

import os
import subprocess
import sys
from pathlib import Path

import pandas as pd

from crawlers.replay.site import Page, demo_articles
from tests.conftest import free_port, write_sources

ROOT = Path(__file__).resolve().parents[1]


def newspipe(*args: str) -> subprocess.CompletedProcess:
    env = dict(os.environ, PYTHONPATH=str(ROOT))
    return subprocess.run([sys.executable, "-m", "pipeline.cli.main", *args], capture_output=True, text=True, env=env,
                          timeout=300, cwd=ROOT)


WINDOW = ("--since", "2020-10-01", "--until", "2020-10-03")


def test_missing_sources_file(tmp_path):
    p = newspipe("run", "--sources", str(tmp_path / "nope.yaml"), *WINDOW, "--data", str(tmp_path / "d"))
    assert p.returncode == 2
    assert "nope.yaml: sources file not found" in p.stderr
    assert "Traceback" not in p.stderr


def test_malformed_sources_file(tmp_path):
    bad = tmp_path / "bad.yaml"
    bad.write_text("outlets:\n  - name: x\n   domains: [\n", encoding="utf-8")
    p = newspipe("run", "--sources", str(bad), *WINDOW, "--data", str(tmp_path / "d"))
    assert p.returncode == 2 and "bad.yaml: malformed YAML" in p.stderr


def test_bad_field_is_named(tmp_path):
    bad = tmp_path / "bad.yaml"
    bad.write_text("outlets:\n- name: good-one\n  domains: [a.test]\n  languages: [english]\n  feeds: [http://a.test/f]\n")
    p = newspipe("sources", "check", str(bad))
    assert p.returncode == 2
    assert "bad.yaml: outlet 'good-one': field 'languages': 'english' is not an ISO 639 code" in p.stderr


def test_unknown_outlet(replay, tmp_path):
    sources = write_sources(replay, tmp_path / "s.yaml")
    p = newspipe("run", "--sources", str(sources), *WINDOW, "--outlets", "levant-wire,no-such-outlet",
                 "--data", str(tmp_path / "d"))
    assert p.returncode == 2 and "unknown outlet(s): no-such-outlet" in p.stderr
    assert not (tmp_path / "d").exists()


def test_window_start_after_end(tmp_path):
    p = newspipe("run", "--since", "2020-10-05", "--until", "2020-10-01", "--data", str(tmp_path / "d"))
    assert p.returncode == 2 and "is not before --until" in p.stderr


def test_unreachable_and_non_html_outlets_do_not_stop_the_others(fresh_replay, tmp_path):
    # an outlet whose proxy (its only way in) refuses connections
    gone = dict(fresh_replay.config("euro-courier"), name="gone-outlet", proxy=f"http://127.0.0.1:{free_port()}")
    # an outlet that serves a PDF where the feed promises an article
    pdf = fresh_replay.sites["neva-herald"]
    target = next(a.path for a in demo_articles() if a.outlet == "neva-herald" and a.date.day == 2)
    pdf.pages[target] = Page(b"%PDF-1.4 binary", "application/pdf")
    sources = write_sources(fresh_replay, tmp_path / "s.yaml", ["levant-wire", "neva-herald"], extra=[gone])
    p = newspipe("run", "--sources", str(sources), *WINDOW, "--data", str(tmp_path / "d"), "--no-politeness")
    assert p.returncode == 3, p.stderr
    # progress lines name the outlet too; the one-line failure message is there
    failed = [ln for ln in p.stderr.splitlines() if ln.startswith("failed: outlet 'gone-outlet'")]
    assert failed
    assert "Connection" in failed[0] or "refused" in failed[0]
    assert any("neva-herald" in ln and "not_html" in ln for ln in p.stderr.splitlines())
    articles = pd.read_parquet(tmp_path / "d" / "articles")
    assert set(articles["outlet"].astype(str)) == {"levant-wire", "neva-herald"}
    assert not articles["url"].str.endswith(target).any()
    stats = pd.read_parquet(tmp_path / "d" / "crawl_stats")
    assert dict(zip(stats["outlet"], stats["status"])) == {"levant-wire": "ok", "neva-herald": "degraded",
                                                          "gone-outlet": "failed"}
