"""The analysts' view: the DataFrame functions on the demo data with exact expectations from the
demo stories, and the HTML report opened in a real headless Chromium with the network cut off."""
from __future__ import annotations

import shutil
import statistics
import subprocess
import sys
from collections import Counter, defaultdict
from pathlib import Path

import pandas as pd
import pytest

from crawlers.replay.site import demo_articles
from crawlers.replay.stories import STORIES
from pipeline.analysis.frames import copy_network, coverage, outlet_balance, stories, story_detail
from pipeline.cli.demo import DEMO_SINCE, DEMO_UNTIL
from pipeline.report.build import build_report, write_report
from pipeline.settings import ReportSettings

ROOT = Path(__file__).resolve().parents[1]
ORIGIN = {s["key"]: s for s in STORIES}


@pytest.fixture(scope="module")
def truth():
    """The demo's articles in the window, and its copies with their story's origin."""
    arts = [a for a in demo_articles() if DEMO_SINCE <= a.date < DEMO_UNTIL]
    return arts, [a for a in arts if a.is_copy]


def _hours(copy) -> float:
    from datetime import datetime
    return (copy.date - datetime.fromisoformat(ORIGIN[copy.key]["date"])).total_seconds() / 3600


def test_coverage_counts_every_article_and_the_relevant_ones(demo_run, truth):
    _, data = demo_run
    arts, _ = truth
    cov = coverage(data)
    got = {(r.day.date().isoformat(), r.outlet): (r.articles, r.relevant) for r in cov.itertuples()}
    expected = defaultdict(lambda: [0, 0])
    for a in arts:
        expected[(a.date.date().isoformat(), a.outlet)][0] += 1
        expected[(a.date.date().isoformat(), a.outlet)][1] += a.idlib
    assert got == {k: tuple(v) for k, v in expected.items()}
    one = coverage(data, "2020-10-02", "2020-10-02", outlets=["levant-wire"])
    assert one[["outlet", "articles"]].values.tolist() == [["levant-wire", expected[("2020-10-02", "levant-wire")][0]]]


@pytest.mark.parametrize("relevant_only", [True, False])
def test_copy_network_is_who_copied_whom_with_the_median_delay(demo_run, truth, relevant_only):
    _, data = demo_run
    _, copies = truth
    copies = [c for c in copies if c.idlib or not relevant_only]
    pairs = defaultdict(list)
    for c in copies:
        pairs[(ORIGIN[c.key]["outlet"], c.outlet)].append(c)
    net = copy_network(data, relevant_only=relevant_only)
    got = {(r.origin_outlet, r.copier_outlet): (r.stories, r.median_delay_hours) for r in net.itertuples()}
    assert got == {k: (len({c.key for c in v}), round(statistics.median(_hours(c) for c in v), 2))
                   for k, v in pairs.items()}
    # an outlet filter keeps the pairs it takes part in
    only = copy_network(data, outlets=["neva-herald"], relevant_only=relevant_only)
    assert set(only["copier_outlet"]) | set(only["origin_outlet"]) >= {"neva-herald"}
    assert all("neva-herald" in (r.origin_outlet, r.copier_outlet) for r in only.itertuples())


def test_outlet_balance_and_stories(demo_run, truth):
    _, data = demo_run
    arts, copies = truth
    copies = [c for c in copies if c.idlib]
    bal = outlet_balance(data).set_index("outlet")
    originated = Counter()
    for outlet, key in {(ORIGIN[c.key]["outlet"], c.key) for c in copies}:
        originated[outlet] += 1
    republished = Counter(c.outlet for c in copies)
    for outlet in bal.index:
        assert bal.at[outlet, "articles"] == sum(1 for a in arts if a.outlet == outlet and a.idlib)
        assert (bal.at[outlet, "originated"], bal.at[outlet, "republished"]) == (originated[outlet], republished[outlet])
    assert bal.at["mashriq-aggregator", "origin_share"] == 0.0

    table = stories(data)
    by_key = defaultdict(list)
    for c in copies:
        by_key[c.key].append(c)
    assert len(table) == len(by_key)
    titles = {ORIGIN[k]["title"]: k for k in by_key}
    for row in table.itertuples():
        key = titles[row.title]
        mine = sorted(by_key[key], key=lambda c: c.date)
        assert (row.origin_outlet, row.copies) == (ORIGIN[key]["outlet"], len(mine))
        assert row.outlets == [ORIGIN[key]["outlet"], *[c.outlet for c in mine]]
        assert (row.first_copy_at, row.last_copy_at) == (mine[0].date, mine[-1].date)
        assert sum(row.relations.values()) == len(mine)
    assert list(table["copies"]) == sorted(table["copies"], reverse=True)


def test_story_detail_shows_what_each_copy_changed(demo_run):
    _, data = demo_run
    table = stories(data)
    cid = table.loc[table["title"] == ORIGIN["e04"]["title"], "cluster_id"].item()
    d = story_detail(data, cid).set_index("outlet")
    assert list(d.index) == ["levant-wire", "dimashq-news", "neva-herald"]   # the origin, then by time
    assert d.at["levant-wire", "relation"] == "origin" and d.at["levant-wire", "removed"] == []
    assert d.at["dimashq-news", "relation"] == "truncated"
    assert d.at["dimashq-news", "removed"] and d.at["dimashq-news", "kept_share"] < 1
    assert d.at["neva-herald", "delay"] == pd.Timedelta(hours=6)
    assert any("Levant Wire" in a for a in d.at["neva-herald", "added"])     # its dateline
    assert len(d.at["neva-herald", "moved"]) == 1                            # two paragraphs swapped
    e01 = table.loc[table["title"] == ORIGIN["e01"]["title"], "cluster_id"].item()
    d = story_detail(data, e01).set_index("outlet")
    assert bool(d.at["euro-courier", "title_changed"]) and not d.at["anatolia-post", "title_changed"]
    assert {"from": "carried", "to": "taken"} in d.at["euro-courier", "changed"]
    with pytest.raises(LookupError, match="no story"):
        story_detail(data, "not-a-cluster")


def test_empty_windows_and_windows_without_copies_say_so(demo_run):
    _, data = demo_run
    empty = build_report(data, "2019-01-01", "2019-01-31")
    assert "No articles were published in 2019-01-01 .. 2019-01-31" in empty and "Plotly" not in empty
    quiet = build_report(data, "2020-10-03", "2020-10-03", outlets=["neva-herald"])
    assert "No story was copied in this window" in quiet and 'id="coverage"' in quiet
    assert 'id="network-empty"' in quiet and 'id="delays-empty"' in quiet
    assert coverage(data, "2019-01-01", "2019-01-31").empty and stories(data, "2019-01-01", "2019-01-31").empty


def test_report_command_and_its_bad_input(demo_run, tmp_path):
    _, data = demo_run
    run = [sys.executable, "-m", "pipeline.cli", "report", "--data"]
    out = tmp_path / "r.html"
    p = subprocess.run(run + [str(data), "--out", str(out), "--top", "2"], capture_output=True, text=True, cwd=ROOT)
    assert p.returncode == 0, p.stderr
    assert f"report: {out}" in p.stdout and "building the story pages" in p.stderr
    assert out.read_text().count('class="card story"') == 2
    p = subprocess.run(run + [str(tmp_path / "nowhere")], capture_output=True, text=True, cwd=ROOT)
    assert p.returncode == 2 and "nowhere: no data directory here" in p.stderr
    p = subprocess.run(run + [str(data), "--since", "2020-10-05", "--until", "2020-10-01"],
                       capture_output=True, text=True, cwd=ROOT)
    assert p.returncode == 2 and "--since 2020-10-05 is after --until 2020-10-01" in p.stderr
    # an unreadable clusters file: named in a warning, and the report is written without copies
    bad = tmp_path / "bad"
    shutil.copytree(data, bad, ignore=shutil.ignore_patterns("raw", "_state"))
    (bad / "clusters" / "part-0.parquet").write_bytes(b"PAR1 not parquet")
    p = subprocess.run(run + [str(bad), "--out", str(out)], capture_output=True, text=True, cwd=ROOT)
    assert p.returncode == 0 and "unreadable clusters file" in p.stderr
    assert "No story was copied" in out.read_text()


# ------------------------------------------------------------------ in a real browser

def _browser():
    chromium = shutil.which("chromium") or shutil.which("chromium-browser")
    if not chromium:
        pytest.skip("no chromium on PATH (Debian's `chromium` package; `make test` installs it where apt-get can)")
    sync_api = pytest.importorskip("playwright.sync_api", reason="playwright is in the dev group (`make test`)")
    return chromium, sync_api


@pytest.fixture(scope="module")
def browser():
    chromium, sync_api = _browser()
    with sync_api.sync_playwright() as pw:
        b = pw.chromium.launch(executable_path=chromium, args=[
            "--no-sandbox", "--disable-gpu", "--disable-background-networking", "--disable-component-update",
            "--disable-sync", "--no-first-run", "--disable-quic"])
        yield b
        b.close()


def _open(browser, path: Path):
    """A page on ``path`` with every request but the file itself refused and recorded."""
    ctx = browser.new_context(viewport={"width": 1300, "height": 900}, offline=True)
    page = ctx.new_page()
    problems: list[str] = []
    page.on("console", lambda m: problems.append(f"console {m.type}: {m.text}") if m.type == "error" else None)
    page.on("pageerror", lambda e: problems.append(f"page error: {e}"))
    page.on("requestfailed", lambda r: problems.append(f"failed request: {r.url}"))

    def route(r):
        if r.request.url == path.as_uri():
            return r.continue_()
        problems.append(f"request off the file: {r.request.url}")
        return r.abort()
    page.route("**/*", route)
    page.goto(path.as_uri(), wait_until="load", timeout=120_000)
    return ctx, page, problems


def test_the_report_in_a_browser(demo_run, browser, tmp_path):
    _, data = demo_run
    path = Path(write_report(data, tmp_path / "report.html", settings=ReportSettings(top=100)))
    ctx, page, problems = _open(browser, path)
    try:
        for chart in ("coverage", "network", "delays", "balance"):
            page.wait_for_selector(f"#{chart} svg.main-svg", timeout=60_000)
            marks = page.locator(f"#{chart} g.points path, #{chart} g.points text").count()
            assert marks > 0, f"{chart}: no marks drawn"
            page.locator(f"#{chart}-card").screenshot(path=str(tmp_path / f"chart-{chart}.png"))
        page.screenshot(path=str(tmp_path / "report-full.png"), full_page=True)
        rows = page.locator("#story-table tbody tr")
        total = rows.count()
        assert total == 14
        page.fill("#story-search", "dimashq")
        visible = page.locator("#story-table tbody tr:visible")
        assert 0 < visible.count() < total
        assert all("dimashq" in t.lower() for t in visible.all_inner_texts())
        assert page.inner_text("#story-count") == f"{visible.count()} of {total} stories shown"
        page.locator("#stories").screenshot(path=str(tmp_path / "stories-filtered.png"))
        page.fill("#story-search", "")
        page.locator("#story-table thead th", has_text="copies").click()
        first = page.locator("#story-table tbody tr").first.locator("td").nth(3).inner_text()
        assert first == "1"  # ascending by copies
        page.locator("#story-table tbody tr", has_text=ORIGIN["e04"]["title"]).click()
        panel = page.locator("section.story:visible")
        assert panel.count() == 1 and ORIGIN["e04"]["title"] in panel.locator("h2").inner_text()
        assert panel.locator("del.removed").count() > 0 and panel.locator("ins.added").count() > 0
        panel.screenshot(path=str(tmp_path / "story-e04.png"))
        assert problems == []
    finally:
        ctx.close()


def test_an_empty_report_in_a_browser(demo_run, browser, tmp_path):
    _, data = demo_run
    path = Path(write_report(data, tmp_path / "empty.html", "2019-01-01", "2019-01-31"))
    ctx, page, problems = _open(browser, path)
    try:
        assert "No articles were published" in page.inner_text("#report-empty")
        page.screenshot(path=str(tmp_path / "empty.png"))
        assert problems == []
    finally:
        ctx.close()
