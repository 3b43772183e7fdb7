"""Arrow schemas of every table newspipe writes (the published ones and raw pages), chosen on
purpose and versioned.

Timestamps are UTC with a time zone; outlet and language are dictionary
encoded (few distinct values, many rows); authors and matched terms are
lists. ``SCHEMA_VERSION`` is written into every file's metadata so a reader
can tell an old partition from a new one.
"""
from __future__ import annotations

import pyarrow as pa

# 2: articles.title_source and title_variants; 3: articles.paywalled (older files read them as nulls)
SCHEMA_VERSION = "3"
TS = pa.timestamp("us", tz="UTC")
DICT = pa.dictionary(pa.int32(), pa.string())

ARTICLES = pa.schema([
    ("article_id", pa.string()),
    ("url", pa.string()),
    ("canonical_url", pa.string()),
    ("outlet", DICT),
    ("title", pa.string()),
    ("authors", pa.list_(pa.string())),
    ("published_at", TS),
    ("date_source", pa.string()),
    ("modified_at", TS),
    ("language", DICT),
    ("site_name", pa.string()),
    ("description", pa.string()),
    ("text", pa.string()),
    ("boilerplate", pa.list_(pa.string())),
    ("relevant", pa.bool_()),
    ("relevance", pa.float32()),
    ("matched_terms", pa.list_(pa.string())),
    ("fetched_at", TS),
    ("content_hash", pa.string()),
    ("run_id", pa.string()),
    ("discovered_via", pa.string()),
    ("title_source", pa.string()),
    ("title_variants", pa.list_(pa.struct([("source", pa.string()), ("title", pa.string())]))),
    ("paywalled", pa.bool_()),  # the page is behind a paywall: ``text`` is the part it shows (a lead)
])

CLUSTERS = pa.schema([
    ("article_id", pa.string()),
    ("cluster_id", pa.string()),
    ("is_origin", pa.bool_()),
    ("origin_article_id", pa.string()),
    ("relation", pa.string()),
    ("scope", pa.string()),
    ("similarity", pa.float32()),
    ("containment", pa.float32()),
    ("cluster_size", pa.int32()),
    ("quotes", pa.list_(pa.string())),  # a digest's quoted articles (newer files; older read as null)
    ("outlet", DICT),
    ("published_at", TS),
])

SIGNATURES = pa.schema([
    ("article_id", pa.string()),
    ("content_hash", pa.string()),
    ("signature", pa.list_(pa.uint32())),
])

CRAWL_STATS = pa.schema([
    ("run_id", pa.string()),
    ("outlet", pa.string()),
    ("status", pa.string()),
    ("articles_fetched", pa.int64()),
    ("articles_kept", pa.int64()),
    ("relevant", pa.int64()),
    ("rejected", pa.int64()),
    ("message", pa.string()),
    ("stats_json", pa.string()),
    ("since", TS),
    ("until", TS),
])

# raw pages (storage.raw): the HTML as served, re-extracted without refetching
RAW_PAGES = pa.schema([
    ("outlet", pa.string()),
    ("url", pa.string()),
    ("final_url", pa.string()),
    ("status", pa.int16()),
    ("headers", pa.string()),          # JSON object
    ("body", pa.large_binary()),       # the HTML as served; zstd in the file
    ("fetched_at", TS),
    ("discovered_via", pa.string()),
    ("listed_at", TS),
    ("listed_title", pa.string()),
])

TABLES = {"articles": ARTICLES, "clusters": CLUSTERS, "signatures": SIGNATURES, "crawl_stats": CRAWL_STATS}
