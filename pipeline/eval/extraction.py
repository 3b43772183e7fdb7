"""Quality harnesses on the shared corpora: ``newspipe eval extraction|metadata|dedup``.

Each harness measures newspipe beside a plain baseline in the same run, so a
change is kept only when the numbers say it helps:

- extraction: token 4-gram shingle precision, recall and F1 per page,
  averaged (the article-extraction-benchmark metric), newspipe's ``extract``
  beside ``trafilatura.extract`` with default settings, and pages/s of both;
- metadata: title, publication day and authors against the expectations of
  the outlet-pages corpus;
- dedup: see ``pipeline.eval.dedup``.
"""
from __future__ import annotations

import functools
import gzip
import json
import re
import statistics
import time
import unicodedata
from collections import Counter
from concurrent.futures import ProcessPoolExecutor
from pathlib import Path

from pipeline.progress import track

DEFAULT_SHARED = Path(__file__).resolve().parents[3] / "shared" / "corpora"
_TOKEN = re.compile(r"\w+", re.UNICODE)


def shingle_counts(text: str, n: int = 4) -> Counter:
    tokens = _TOKEN.findall(text or "")
    return Counter(tuple(tokens[i:i + n]) for i in range(max(1, len(tokens) - n + 1)) if tokens[i:i + n])


def prf(truth: str, pred: str) -> tuple[float, float]:
    """(precision, recall) of ``pred`` against ``truth`` on token 4-gram shingles."""
    t, p = shingle_counts(truth), shingle_counts(pred)
    tp = sum((t & p).values())
    fp = sum((p - t).values())
    fn = sum((t - p).values())
    precision = tp / (tp + fp) if tp + fp else (1.0 if not t else 0.0)
    recall = tp / (tp + fn) if tp + fn else 1.0
    return precision, recall


def _f1(p: float, r: float) -> float:
    return 2 * p * r / (p + r) if p + r else 0.0


def _read_gz(path: Path) -> bytes:
    return gzip.decompress(path.read_bytes()) if path.suffix == ".gz" else path.read_bytes()


def _ours(args: tuple[bytes, str]) -> str:
    from pipeline.extract.core import extract
    html, url = args
    return extract(html, url).text


def _baseline(args: tuple[bytes, str]) -> str:
    import trafilatura
    html, url = args
    return trafilatura.extract(html, url=url) or ""


# Our own pages, extracted before the clock starts: imports and lazy one-time set-up (htmldate
# hands a date only dateparser reads to it, and dateparser builds its time-zone tables on first
# use, ~0.4-2 s) are paid once per worker process, not per page.
_LD = ("<script type='application/ld+json'>{\"@type\": \"NewsArticle\", \"headline\": \"Ceasefire holds\", "
       "\"datePublished\": \"2021-03-03T10:15:00Z\", \"author\": {\"name\": \"Demo Desk\"}}</script>")
_WARM_UP = [(f"<html lang='en'><head><title>Ceasefire holds in Idlib | Demo Wire</title>{ld}</head><body><article>"
             "<h1>Ceasefire holds in Idlib</h1><div class='date'>Posted March 3 10:15 2021</div>"
             + "<p>The ceasefire held for a third day and some civilians returned to their homes.</p>" * 12
             + "</article></body></html>", f"https://demo.test/news/{i}") for i, ld in enumerate((_LD, ""))]


def _warm_up(fn) -> None:
    for item in _WARM_UP:
        fn(item)


def _map_timed(fn, items: list) -> tuple[list, float]:
    _warm_up(fn)
    t = time.perf_counter()
    out = [fn(i) for i in items]
    return out, time.perf_counter() - t


def _timed_map(fn, items: list, workers: int) -> tuple[list, float]:
    """Each extractor runs in fresh processes, warmed up on our own pages (``_WARM_UP``):
    the one measured second must not find trafilatura's caches (keyed on the same
    pages' strings) warmed by the first, and neither pays one-time set-up per page."""
    if workers <= 1:
        with ProcessPoolExecutor(1) as pool:
            return pool.submit(_map_timed, fn, items).result()
    with ProcessPoolExecutor(workers) as pool:
        list(pool.map(_warm_up, [fn] * workers * 2))
        t = time.perf_counter()
        out = list(pool.map(fn, items, chunksize=4))
    return out, time.perf_counter() - t


def eval_extraction(corpus: Path, workers: int = 1, repeat: int = 5) -> dict:
    """Quality once, speed as the median of ``repeat`` runs (each in fresh processes)."""
    truth = json.loads((corpus / "ground-truth.json").read_text(encoding="utf-8"))
    ids = sorted(truth)
    items = [(_read_gz(corpus / "html" / f"{i}.html.gz"), truth[i].get("url", "")) for i in ids]
    results = {}
    for name, fn in (("trafilatura (defaults)", _baseline), ("newspipe", _ours)):
        runs = [_timed_map(fn, items, workers) for _ in track(range(repeat), f"{name}: {len(items)} pages, {repeat} runs")]
        texts, seconds = runs[0][0], statistics.median(r[1] for r in runs)
        scores = [prf(truth[i]["articleBody"], t) for i, t in zip(ids, texts)]
        p = statistics.mean(s[0] for s in scores)
        r = statistics.mean(s[1] for s in scores)
        results[name] = {"precision": p, "recall": r, "f1": _f1(p, r),
                         "mean_page_f1": statistics.mean(_f1(*s) for s in scores),
                         "pages_per_s": len(items) / seconds, "pages": len(items), "workers": workers}
    base = results["trafilatura (defaults)"]["pages_per_s"]
    results["newspipe"]["speed_vs_trafilatura"] = results["newspipe"]["pages_per_s"] / base
    verdicts = [_verdict(item) for item in items]  # every page of the corpus is an article
    results["newspipe"]["verdict_article"] = sum(v == "article" for v in verdicts) / len(items)
    results["newspipe"]["misses"] = [f"verdict {i}: {v}" for i, v in zip(ids, verdicts) if v != "article"]
    return results


def _verdict(args: tuple[bytes, str]) -> str:
    """newspipe's verdict on a page, with its reason when it is not ``article``."""
    from pipeline.extract.core import extract
    d = extract(*args)
    return d.verdict if d.verdict == "article" else f"{d.verdict} ({d.reason})"


# -- metadata ---------------------------------------------------------------------------------------

def _version_key(v: str) -> tuple[int, ...]:
    return tuple(int(x) for x in re.findall(r"\d+", v)) or (0,)


def _norm(s: str) -> str:
    s = unicodedata.normalize("NFKC", s or "").replace("\u00ad", "").casefold()  # soft hyphens are invisible
    return re.sub(r"\W+", " ", s).strip()


def _as_list(value) -> list[str]:
    if isinstance(value, list):
        return [str(v) for v in value]
    if isinstance(value, str) and value.startswith("["):
        import ast
        try:
            return [str(v) for v in ast.literal_eval(value)]
        except (ValueError, SyntaxError):
            return [value]
    return [value] if value else []


def date_erratum(want: str, crawled: str | None) -> str | None:
    """The corrected expectation when the expected day is impossible: more than a day after the
    page was crawled (a page is not crawled before it is published), and with day and month
    swapped it falls on or before the crawl. The harness reports the date score as given and,
    beside it, with these corrected (``date_errata``)."""
    from datetime import date
    try:
        day, crawl = date.fromisoformat(str(want)[:10]), date.fromisoformat(str(crawled or "")[:10])
        swapped = day.replace(month=day.day, day=day.month)
    except ValueError:
        return None
    if (day - crawl).days > 1 and swapped <= crawl:
        return swapped.isoformat()
    return None


def _outlet_pages(corpus: Path) -> list[dict]:
    """Pages with their expectations. A publisher's JSON holds one entry per
    page (V1, V1_1, V2, ...), in the order of its pages' dates."""
    cases = []
    for country in sorted(p for p in corpus.iterdir() if p.is_dir()):
        meta_file = country / "meta.info"
        meta = json.loads(meta_file.read_text(encoding="utf-8")) if meta_file.exists() else {}
        for expect_file in sorted(country.glob("*.json")):
            publisher = expect_file.stem
            pages = sorted(country.glob(f"{publisher}_*.html.gz"))
            expect = json.loads(expect_file.read_text(encoding="utf-8"))
            versions = sorted(expect, key=_version_key)
            if len(versions) != len(pages):
                continue
            for page, version in zip(pages, versions):
                cases.append({"id": f"{country.name}/{page.name}", "path": page, "publisher": f"{country.name}/{publisher}",
                              "url": meta.get(page.name, {}).get("url", ""), "expect": expect[version],
                              "crawled": meta.get(page.name, {}).get("crawl_date")})
    return cases


@functools.lru_cache(maxsize=1)
def _registry_settings() -> list[tuple[object, object]]:
    """(outlet, its extraction settings) of the registry's outlets whose settings differ from the
    defaults: a page on their domains is extracted as the pipeline extracts it."""
    from crawlers.registry import load_sources
    from pipeline.articles.build import extract_settings_by_outlet
    outlets = load_sources()
    per = extract_settings_by_outlet(outlets)
    return [(o, per[o.name]) for o in outlets if o.name in per]


def _extract_meta(args: tuple[bytes, str]) -> dict:
    from pipeline.extract.core import extract
    from pipeline.settings import TITLE_SOURCES
    html, url = args
    d = extract(html, url, settings=next((s for o, s in _registry_settings() if o.owns(url)), None))
    # the title each title_source would give: its variant where the wording differs, else the title
    variants = {v["source"]: v["title"] for v in d.title_variants}
    titles = {s: variants.get(s, d.title) for s in TITLE_SOURCES if s != "auto"}
    return {"title": d.title, "titles": titles, "authors": d.authors,
            "date": d.published_at.isoformat() if d.published_at else None, "text": d.text or "",
            "verdict": d.verdict if d.verdict == "article" else f"{d.verdict} ({d.reason})"}


def _learned_title_hits(cases: list[dict], got: list[dict]) -> int:
    """Titles right when each publisher's ``title_source`` is the one that was right most
    often on its *other* pages (leave one out: a page never sees its own expectation);
    ``auto`` where that is not better, or the publisher has no other page."""
    by_pub: dict[str, list[int]] = {}
    for i, c in enumerate(cases):
        by_pub.setdefault(c["publisher"], []).append(i)

    def right(i: int, title: str | None) -> bool:
        return _norm(title or "") == _norm(cases[i]["expect"].get("title") or "")

    hits = 0
    for i, c in enumerate(cases):
        others = [j for j in by_pub[c["publisher"]] if j != i]
        score = {s: sum(right(j, got[j]["titles"][s]) for j in others) for s in got[i]["titles"]}
        best = max(score, key=score.get)
        learned = score[best] > sum(right(j, got[j]["title"]) for j in others)
        hits += right(i, got[i]["titles"][best] if learned else got[i]["title"])
    return hits


def _baseline_meta(args: tuple[bytes, str]) -> dict:
    import trafilatura
    html, url = args
    doc = trafilatura.bare_extraction(html, url=url, with_metadata=True)
    if doc is None:
        return {"title": None, "authors": [], "date": None, "text": ""}
    authors = [a.strip() for a in (doc.author or "").split(";") if a.strip()]
    return {"title": doc.title, "authors": authors, "date": doc.date, "text": doc.text or ""}


def eval_metadata(corpus: Path, workers: int = 1) -> dict:
    cases = _outlet_pages(corpus)
    items = [(_read_gz(c["path"]), c["url"]) for c in cases]
    results = {}
    for name, fn in track((("trafilatura (defaults)", _baseline_meta), ("newspipe", _extract_meta)),
                          f"metadata of {len(items)} pages, two extractors"):
        got, seconds = _timed_map(fn, items, workers)
        title = date = date_errata = authors = dated = 0
        misses: list[str] = []
        for c, g in zip(cases, got):
            e = c["expect"]
            ok_title = _norm(g["title"] or "") == _norm(e.get("title") or "")
            title += ok_title
            if e.get("publishing_date"):
                dated += 1
                ok_date = _same_day(g["date"], e["publishing_date"])
                date += ok_date
                fixed = date_erratum(e["publishing_date"], c["crawled"])
                date_errata += _same_day(g["date"], fixed) if fixed else ok_date
                if not ok_date:
                    misses.append(f"date {c['id']}: got {g['date']} want {e['publishing_date']}"
                                  + (f" (erratum {fixed}: the page was crawled {c['crawled'][:10]})" if fixed else ""))
            want_auth = sorted(_norm(a) for a in _as_list(e.get("authors")))
            ok_auth = sorted(_norm(a) for a in g["authors"]) == want_auth
            authors += ok_auth
            if not ok_auth:
                misses.append(f"authors {c['id']}: got {g['authors']} want {_as_list(e.get('authors'))}")
            if not ok_title:
                misses.append(f"title {c['id']}: got {g['title']!r} want {e.get('title')!r}")
        n = len(cases)
        results[name] = {"pages": n, "title": title / n, "date": date / max(dated, 1),
                         "date_errata": date_errata / max(dated, 1), "authors": authors / n,
                         "dated_pages": dated, "pages_per_s": n / seconds, "misses": misses}
        if name == "newspipe":
            results[name]["title_per_publisher_loo"] = _learned_title_hits(cases, got) / n
            results[name]["verdict_article"] = sum(g["verdict"] == "article" for g in got) / n
            misses[:0] = [f"verdict {c['id']}: {g['verdict']}" for c, g in zip(cases, got) if g["verdict"] != "article"]
        subset = [i for i, c in enumerate(cases) if c["id"].split("/")[0] in OUR_REGION]
        if subset:
            results[f"{name} [{' '.join(OUR_REGION)}]"] = _region_scores([cases[i] for i in subset],
                                                                        [got[i] for i in subset])
    return results


# the corpus's pages from the countries whose outlets write like ours (Turkish, Lebanese, Russian,
# Ukrainian): their figures on a line of their own, since the corpus is mostly Western European
OUR_REGION = ("tr", "lb", "ru", "ua")


def _region_scores(cases: list[dict], got: list[dict]) -> dict:
    """Title, date and authors as above, and text P/R/F1 against the expected body paragraphs."""
    def body(e: dict) -> str:
        b = e.get("body") or {}
        paras = list(b.get("summary") or []) + [p for s in b.get("sections") or [] for p in s.get("paragraphs") or []]
        return "\n".join(paras)
    p_sum = r_sum = 0.0
    for c, g in zip(cases, got):
        p, r = prf(body(c["expect"]), g["text"])
        p_sum, r_sum = p_sum + p, r_sum + r
    n = len(cases)
    dated = [(c, g) for c, g in zip(cases, got) if c["expect"].get("publishing_date")]
    return {"pages": n, "title": sum(_norm(g["title"] or "") == _norm(c["expect"].get("title") or "")
                                     for c, g in zip(cases, got)) / n,
            "date": sum(_same_day(g["date"], c["expect"]["publishing_date"]) for c, g in dated) / max(len(dated), 1),
            "authors": sum(sorted(_norm(a) for a in g["authors"]) == sorted(_norm(a) for a in
                                                                             _as_list(c["expect"].get("authors")))
                           for c, g in zip(cases, got)) / n,
            "text_precision": p_sum / n, "text_recall": r_sum / n, "text_f1": _f1(p_sum / n, r_sum / n)}


def _same_day(got: str | None, want: str) -> bool:
    if not got:
        return False
    from crawlers.dates import parse_date
    g, w = parse_date(got), parse_date(str(want).replace(" ", "T", 1))
    if g is None or w is None:
        return str(got)[:10] == str(want)[:10]
    # the same instant, or the same calendar day as the outlet printed it (local offset of the expectation)
    return g.astimezone(w.tzinfo).date() == w.date() or g.date() == w.date()


def format_results(what: str, results: dict) -> str:
    lines = [f"newspipe eval {what}"]
    for name, r in results.items():
        nums = ", ".join(f"{k} {v:.4f}" if isinstance(v, float) else f"{k} {v}"
                         for k, v in r.items() if k != "misses")
        lines.append(f"  {name:24} {nums}")
    ours = results.get("newspipe", {})
    for m in ours.get("misses", [])[:40]:
        lines.append(f"    miss: {m}")
    return "\n".join(lines)


def run_eval(what: str, corpus: str | None, workers: int | None = None) -> str:
    workers = workers or 1
    if what == "extraction":
        path = Path(corpus) if corpus else DEFAULT_SHARED / "extraction-dev"
        return format_results(what, eval_extraction(path, workers))
    if what == "metadata":
        path = Path(corpus) if corpus else DEFAULT_SHARED / "outlet-pages"
        return format_results(what, eval_metadata(path, workers))
    from pipeline.eval.dedup import run_dedup_eval
    return run_dedup_eval(Path(corpus) if corpus else DEFAULT_SHARED)
