"""A Python API for notebooks, like fundus's crawler: articles of some outlets in a window.

    from pipeline.run.api import crawl
    for article in crawl(["levant-wire"], "2020-10-01", "2020-10-02", sources="my-sources.yaml"):
        print(article["published_at"], article["title"])

It is ``newspipe run`` (the same crawl, extraction, dedup and storage), then
the window's rows as dicts, every article with its cluster and relation.
"""
from __future__ import annotations

import tempfile
from datetime import datetime, timedelta
from pathlib import Path
from typing import Iterator

from crawlers.dates import as_utc
from pipeline.run.stages import run
from storage.load import load_articles


def crawl(outlets: list[str] | None, since: datetime | str, until: datetime | str, *, sources: str | Path | None = None,
          data: str | Path | None = None, politeness: bool = True, relevant_only: bool = False) -> Iterator[dict]:
    """Crawl ``outlets`` (None: every outlet of the registry) over ``[since, until)``, whole UTC days, and
    yield the articles. ``data``: where the run's tables go (default a temporary directory, gone after the
    last article); ``sources``: the registry (default the bundled one)."""
    with tempfile.TemporaryDirectory(prefix="newspipe-") as tmp:
        root = data or tmp
        report = run(sources, as_utc(since), as_utc(until), root, outlets=outlets, politeness=politeness)
        last = report.until - timedelta(days=1)
        df = load_articles(root, start=report.since.date(), end=last.date(), outlets=outlets,
                           relevant_only=relevant_only, dedup="all")
        yield from df.to_dict("records")
