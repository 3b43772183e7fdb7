"""One boilerplate pass, learned across days: a footer too rare in one day is learned over
several, the stored text is what both the signature and the verification see, and the
clusters stay equal to a rebuild."""
from __future__ import annotations

import random
from datetime import datetime, timedelta, timezone

import pandas as pd

from crawlers.launcher import OutletCrawl
from pipeline.run.report import RunReport
from pipeline.run.stages import crawled_rows, load_sources, publish_pages, recluster

FOOTER = "Readers can reach the North Wire night desk at desk@northwire.test with tips and corrections."
WORDS = ("convoy shelling border camp winter aid highway patrol ceasefire talks drone market bakery school "
         "clinic road bridge village council water power fuel grain tent rain mud night morning envoy").split()
DAY0 = datetime(2020, 11, 1, tzinfo=timezone.utc)


def _story(rng: random.Random) -> list[str]:
    return [" ".join(rng.choice(WORDS) for _ in range(45)) + "." for _ in range(4)]


def _html(paras: list[str], when: datetime) -> bytes:
    body = "".join(f"<p>{p}</p>" for p in paras)
    return (f'<html><head><meta property="article:published_time" content="{when.isoformat()}"></head>'
            f"<body><article><h1>{paras[0][:50]}</h1>{body}</article></body></html>").encode()


def _pages(day: int) -> list[dict]:
    """Five North Wire pages a day, the footer on two of them; on the last day South Post
    republishes North Wire's first story without the footer."""
    rng = random.Random(day)
    when = DAY0 + timedelta(days=day, hours=6)
    out = []
    for k in range(5):
        paras = _story(rng) + ([FOOTER] if k < 2 else [])
        out.append({"outlet": "north-wire", "url": f"http://north.test/{day}/{k}", "final_url": "",
                    "body": _html(paras, when + timedelta(minutes=k)), "fetched_at": when, "listed_at": when})
        if day == 9 and k == 0:
            out.append({"outlet": "south-post", "url": f"http://south.test/{day}/copy", "final_url": "",
                        "body": _html(paras[:-1], when + timedelta(hours=2)), "fetched_at": when, "listed_at": when})
    return out


def _publish(data, day: int) -> None:
    since = DAY0 + timedelta(days=day)
    pages = _pages(day)
    outlets = sorted({p["outlet"] for p in pages})
    report = RunReport(f"run-{day}", since, since + timedelta(days=1), str(data),
                       crawls=[OutletCrawl(o, "ok", articles_fetched=5) for o in outlets])
    publish_pages(report, pages, load_sources(None), data, crawled_rows, workers=1)


def _footer_where(data, day: int) -> tuple[int, int]:
    """(pages of the day whose text keeps the footer, pages where it was removed as boilerplate)."""
    a = pd.read_parquet(data / "articles" / f"date={(DAY0 + timedelta(days=day)).date()}")
    a = a[a["outlet"] == "north-wire"]
    return int(a["text"].str.contains("night desk").sum()), int(a["boilerplate"].map(lambda b: FOOTER in b).sum())


def test_a_footer_too_rare_in_a_day_is_learned_over_days(tmp_path):
    data = tmp_path / "data"
    _publish(data, 0)
    assert _footer_where(data, 0) == (2, 0)  # 2 of 5 pages: under min_pages in one day
    for day in range(1, 10):
        _publish(data, day)
    assert _footer_where(data, 1) == (0, 2)  # 4 of 10 pages over two days: learned
    assert _footer_where(data, 9) == (0, 2)
    assert _footer_where(data, 0) == (2, 0)  # an earlier day keeps its text until it is rerun
    _publish(data, 0)  # a rerun of the first day: learned from the nine others
    assert _footer_where(data, 0) == (0, 2)
    clusters = pd.read_parquet(data / "clusters")
    copies = clusters[clusters["cluster_size"] > 1]
    assert set(copies["outlet"].astype(str)) == {"north-wire", "south-post"} and len(copies) == 2
    assert copies["relation"].isin(["origin", "exact"]).all()  # the footer stripped: the same text
    incremental = clusters.sort_values("article_id").reset_index(drop=True)
    recluster(data)
    pd.testing.assert_frame_equal(pd.read_parquet(data / "clusters").sort_values("article_id").reset_index(drop=True),
                                  incremental)
