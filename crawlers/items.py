"""Items: what a spider hands to the item pipelines."""
from __future__ import annotations

from dataclasses import dataclass

@dataclass
class RawPage:
    """A fetched article page, kept raw so it can be re-extracted without refetching."""

    outlet: str
    url: str                      # canonical URL we asked for
    final_url: str                # after redirects
    status: int
    headers: dict[str, str]
    body: bytes
    fetched_at: str               # ISO 8601 UTC
    discovered_via: str           # feed | sitemap | section | search
    listed_at: str | None = None  # date the feed or sitemap gave, ISO 8601
    listed_title: str | None = None


@dataclass
class KnownPage:
    """An article link whose page an earlier crawl already stored: listed again, not fetched again."""

    outlet: str
    url: str                      # canonical URL
    raw_file: str                 # the Parquet file holding the stored page
    discovered_via: str
    listed_at: str | None = None
    listed_title: str | None = None
