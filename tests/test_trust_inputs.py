"""Hostile pages and careless input: a clear message naming the file, outlet or record, never a
traceback, and no page that stops a batch (issue: trust)."""
from __future__ import annotations

import json
import os
import random
import shutil
import subprocess
import sys
import time
from contextlib import contextmanager
from datetime import datetime, timedelta, timezone
from pathlib import Path

import pytest

from crawlers.replay.hostile import link_heavy_page
from crawlers.replay.site import OUTLETS, build_site
from pipeline.extract.core import extract
from pipeline.articles.build import extract_pages
from pipeline.settings import ExtractSettings

ROOT = Path(__file__).resolve().parents[1]
VERDICTS = {"article", "index", "paywalled", "too_short", "no_text", "not_html", "empty", "too_large", "error",
            "too_slow"}
_TEXT = "<p>" + "Rescue workers in Idlib said shelling hit the outskirts of Saraqib overnight. " * 8 + "</p>"


def _page(head: str = "", body: str = "") -> bytes:
    return f"<html lang='en'><head><title>T</title>{head}</head><body><article>{body}{_TEXT}</article></body></html>".encode()


CRAFTED = {
    "json-ld date year 1 with offset": _page('<script type="application/ld+json">{"@type": "NewsArticle", '
                                             '"datePublished": "0001-01-01T00:30+05:00"}</script>'),
    "meta date year 9999 with offset": _page('<meta property="article:published_time" content="9999-12-31T23:30-05:00">'),
    "time tag year 1 with offset": _page(body='<time datetime="0001-01-01T00:30+05:00">then</time>'),
    "canonical port out of range": _page('<link rel="canonical" href="http://a:99999999/">'),
    "canonical broken IPv6": _page('<link rel="canonical" href="http://[::1">'),
    "author nested 600 deep": _page('<script type="application/ld+json">{"@type": "NewsArticle", "author": '
                                    + "[" * 600 + '"A"' + "]" * 600 + "}</script>"),
    "graph nested 900 deep": _page('<script type="application/ld+json">' + '{"@graph": ' * 900 + "{}"
                                   + "}" * 900 + "</script>"),
}


@pytest.mark.parametrize("case", sorted(CRAFTED))
def test_crafted_pages_get_a_verdict_not_an_exception(case):
    doc = extract(CRAFTED[case], "http://x.test/a/1")
    assert doc.verdict == "article", (case, doc.reason)


def test_a_bad_url_is_the_pages_error_not_the_batchs():
    pages = [{"body": CRAFTED[c], "url": "http://x.test/a/%d" % i, "final_url": None, "outlet": "x"}
             for i, c in enumerate(sorted(CRAFTED) * 7)]
    pages[5] = dict(pages[5], url="http://x.test:99999999/a/5")  # a URL that cannot be parsed
    docs = extract_pages(pages, workers=2)
    assert len(docs) == len(pages) and docs[5].verdict == "error" and "port" in docs[5].reason.lower()
    assert sum(d.verdict == "article" for d in docs) == len(pages) - 1


_HOSTILE_VALUES = ["0001-01-01T00:30+05:00", "9999-12-31T23:59-12:00", "http://a:99999999/", "http://[::1", "\x00",
                   "[" * 700, "{" * 700, "-1e999", "\ud800", "javascript:alert(1)", "data:text/html,<p>x</p>"]


def _mutate(page: bytes, rng: random.Random) -> bytes:
    text = page.decode("utf-8", "surrogatepass")
    for _ in range(rng.randint(1, 4)):
        op, at = rng.randrange(5), rng.randrange(len(text) + 1)
        if op == 0:
            text = text[:at]  # truncated
        elif op == 1:
            text = text[:at] + rng.choice(_HOSTILE_VALUES) + text[at:]
        elif op == 2:  # an attribute's value replaced
            quote = text.find('"', at)
            end = text.find('"', quote + 1)
            if quote > 0 and end > quote:
                text = text[:quote + 1] + rng.choice(_HOSTILE_VALUES) + text[end:]
        elif op == 3:
            text = text[:at] + text[at:at + rng.randint(1, 2000)] * rng.randint(2, 30) + text[at:]
        else:
            text = text[:at] + "".join(chr(rng.randint(0, 0x2FFF)) for _ in range(rng.randint(1, 50))) + text[at:]
    return text.encode("utf-8", "surrogatepass")


def test_fuzzed_replay_pages_never_raise():
    """Bounded and seeded: 240 mutations of our own replay pages."""
    rng = random.Random(20201002)
    pages = [p.body for name in OUTLETS for path, p in build_site(name, f"http://{name}.test").items()
             if "html" in (p.content_type or "") and p.body]
    for _ in range(240):
        doc = extract(_mutate(rng.choice(pages), rng), "http://fuzz.test/a/1", settings=ExtractSettings(max_seconds=10))
        assert doc.verdict in VERDICTS


def test_a_slow_page_is_given_up_with_its_own_verdict():
    doc = extract(link_heavy_page(2 * 1024 * 1024).body, "http://x.test/a/1", settings=ExtractSettings(max_seconds=0.2))
    assert doc.verdict == "too_slow" and "max_seconds 0.2" in doc.reason
    assert extract(CRAFTED["canonical broken IPv6"], "http://x.test/a/1").verdict == "article"  # no alarm left behind


def _newspipe(*args: str, **kw) -> subprocess.CompletedProcess:
    env = dict(os.environ, PYTHONPATH=str(ROOT))
    return subprocess.run([sys.executable, "-m", "pipeline.cli.main", *args], capture_output=True, text=True, env=env,
                          timeout=300, cwd=ROOT, **kw)


@contextmanager
def _read_only(path: Path):
    """A directory nobody may write to, root included (the immutable attribute), else by its mode."""
    if os.geteuid() == 0:
        if shutil.which("chattr") is None or subprocess.run(["chattr", "+i", str(path)]).returncode != 0:
            pytest.skip("root can write anywhere, and chattr +i is not available here")
        try:
            yield
        finally:
            subprocess.run(["chattr", "-i", str(path)])
    else:
        path.chmod(0o555)
        try:
            yield
        finally:
            path.chmod(0o755)


_BASE = "outlets:\n- name: a-out\n  domains: [a.test]\n  languages: [en]\n  feeds: [http://a.test/f]\n"
_BOMB = ('a: &a ["lol","lol","lol","lol","lol","lol","lol","lol","lol"]\n'
         + "".join(f"{c}: &{c} [" + ",".join([f"*{p}"] * 9) + "]\n" for p, c in zip("abcdefgh", "bcdefghi"))
         + "outlets:\n- name: a-out\n  title: *i\n  domains: [a.test]\n  languages: [en]\n  feeds: [http://a.test/f]\n")


@pytest.mark.parametrize("text, says", [
    (_BASE + "  politeness: {concurrency: .inf}\n", "field 'politeness.concurrency': must be a finite whole number"),
    (_BASE + "  politeness: {timeout: .nan}\n", "field 'politeness.timeout': must be a finite number"),
    (_BASE + "  politeness: {obey_robots: 'false'}\n", "field 'politeness.obey_robots': must be true or false"),
    (_BASE.replace("name: a-out", 'name: "a-out\\n"'), "field 'name': must match"),
    ("outlets: " + "[" * 20000 + "]" * 20000 + "\n", "nested too deeply"),
    (_BOMB, "field 'title': must be a string"),
])
def test_sources_check_names_the_bad_field(tmp_path, text, says):
    f = tmp_path / "bad.yaml"
    f.write_text(text)
    started = time.monotonic()
    p = _newspipe("sources", "check", str(f))
    assert p.returncode == 2 and says in p.stderr and "Traceback" not in p.stderr, p.stderr
    assert time.monotonic() - started < 120  # the alias bomb is never expanded (it took minutes)


def test_an_outlet_named_twice_is_crawled_once(replay, tmp_path):
    from crawlers.registry import load_sources, select_outlets
    from tests.conftest import write_sources
    outlets = load_sources(write_sources(replay, tmp_path / "s.yaml"))
    assert [o.name for o in select_outlets(outlets, ["levant-wire", "levant-wire"])] == ["levant-wire"]


@pytest.mark.parametrize("content, says", [
    (b"[1, 2]\n", "bad.jsonl:1: not a JSON object but list"),
    (b'{"article_id": "a"}\n"text"\n', "bad.jsonl:2: not a JSON object but str"),
    (b'{"article_id": "\xff"}\n', "bad.jsonl:1: not UTF-8 text"),
])
def test_dedup_names_the_bad_line(tmp_path, content, says):
    (tmp_path / "bad.jsonl").write_bytes(content)
    p = _newspipe("dedup", str(tmp_path / "bad.jsonl"), str(tmp_path / "out.parquet"))
    assert p.returncode == 2 and says in p.stderr and "Traceback" not in p.stderr, p.stderr


def test_dedup_takes_an_out_of_range_date_as_no_date(tmp_path):
    row = {"article_id": "a", "url": "http://x.test/a", "outlet": "x", "title": "t", "text": "some text " * 30,
           "published_at": "0001-01-01T00:30+05:00", "language": "en"}
    (tmp_path / "in.jsonl").write_text(json.dumps(row) + "\n")
    p = _newspipe("dedup", str(tmp_path / "in.jsonl"), str(tmp_path / "out.parquet"))
    assert p.returncode == 0 and "1 articles" in p.stdout, p.stderr


def test_a_read_only_data_directory_is_a_message(replay, tmp_path):
    from tests.conftest import write_sources
    sources = write_sources(replay, tmp_path / "s.yaml")  # never the real outlets
    data = tmp_path / "data"
    data.mkdir()
    row = {"article_id": "a", "url": "http://x.test/a", "outlet": "x", "title": "t", "text": "some text " * 30,
           "published_at": "2020-10-01T10:00:00Z", "language": "en"}
    (tmp_path / "in.jsonl").write_text(json.dumps(row) + "\n")
    with _read_only(data):
        p = _newspipe("dedup", str(tmp_path / "in.jsonl"), str(data / "out" / "x.parquet"))
        assert p.returncode == 2 and "Traceback" not in p.stderr, p.stderr
        assert "not permitted" in p.stderr or "Permission denied" in p.stderr
        p = _newspipe("run", "--since", "2020-10-01", "--until", "2020-10-02", "--data", str(data),
                      "--sources", str(sources), "--no-politeness")
        assert p.returncode == 2 and "Traceback" not in p.stderr, p.stderr
        assert str(data) in p.stderr


@pytest.mark.parametrize("host", ["100.64.0.1", "100.100.100.200", "[2002:7f00:1::]", "[2002::]", "2130706433",
                                  "0x7f000001", "127.1", "0", "localhost.", "[::ffff:127.0.0.1]", "10.1.2.3",
                                  "169.254.169.254", "[fd00::1]", "192.0.2.1"])
def test_the_address_guard_refuses_what_is_not_globally_routable(host):
    from crawlers.middlewares import blocked_address
    assert blocked_address(host.strip("[]")) is not None


def test_the_resolver_refuses_a_name_that_resolves_inside():
    from twisted.internet.error import DNSLookupError

    from crawlers.resolver import GuardedResolver
    resolver = GuardedResolver.__new__(GuardedResolver)
    resolver.private_hosts = frozenset({"proxy.internal"})
    with pytest.raises(DNSLookupError, match="resolves to 127.0.0.1"):
        resolver._checked("127.0.0.1", "rebinding.example")
    assert resolver._checked("10.0.0.5", "proxy.internal") == "10.0.0.5"


_FLAKY_DNS = '''
import socket
_real, _calls = socket.gethostbyname, {}
def gethostbyname(name):
    if name == "flaky.example":
        _calls[name] = _calls.get(name, 0) + 1
        if _calls[name] == 1:
            raise socket.gaierror(-3, "Temporary failure in name resolution")
        return "127.0.0.1"
    return _real(name)
socket.gethostbyname = gethostbyname
'''


def test_a_lookup_that_fails_once_then_points_inside_is_refused(fresh_replay, tmp_path, monkeypatch):
    """The guard fails closed: a name whose first lookup fails is not reached, even when a
    second lookup (the download's own) would answer with this machine's address."""
    import yaml

    from crawlers.launcher import run_crawl
    from crawlers.replay.site import Page
    port = fresh_replay.address.rsplit(":", 1)[1]
    base = f"http://flaky.example:{port}"
    site = fresh_replay.add_site("flaky", {
        "/feed.xml": Page(f"<rss><channel><item><link>{base}/a/1</link></item></channel></rss>".encode(),
                          "application/rss+xml"),
        "/a/1": Page(b"<html><body><p>inside</p></body></html>")})
    fresh_replay.sites_by_host["flaky.example"] = site
    shim = tmp_path / "shim"
    shim.mkdir()
    (shim / "sitecustomize.py").write_text(_FLAKY_DNS)
    monkeypatch.setenv("PYTHONPATH", str(shim))
    outlet = {"name": "flaky", "domains": ["flaky.example"], "languages": ["en"], "feeds": [base + "/feed.xml"],
              "politeness": {"download_delay": 0, "obey_robots": False}}
    sources = tmp_path / "s.yaml"
    sources.write_text(yaml.safe_dump({"outlets": [outlet]}))
    t0 = datetime(2020, 10, 1, tzinfo=timezone.utc)
    [res] = run_crawl(sources, t0, t0 + timedelta(days=1), tmp_path / "raw", politeness=False, timeout=120)
    assert sum(site.hits.values()) == 0, site.hits
    assert res.status == "failed" and "could not be resolved" in res.message
