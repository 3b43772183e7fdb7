"""``newspipe show`` and ``newspipe export``: stored articles for a reader and for other tools,
through the same ``load_articles`` an analyst calls."""
from __future__ import annotations

import json
import sys
from pathlib import Path

import pandas as pd

from storage.load import load_articles

EXPORT_FORMATS = ("csv", "jsonl")


def show_article(data: str | Path, key: str) -> str:
    """One article (by id, URL or canonical URL) with its metadata, its cluster and the cluster's members."""
    df = load_articles(data, relevant_only=False, dedup="all")
    hit = df[(df["article_id"] == key) | (df["url"] == key) | (df["canonical_url"] == key)]
    if hit.empty:
        raise LookupError(f"{data}: no article with id or URL {key!r}")
    a = hit.iloc[0]
    lines = [f"{a['title']}", f"  {a['outlet']} · {a['published_at']} ({a['date_source']}) · {', '.join(a['authors'])}",
             f"  id {a['article_id']} · {a['url']}", f"  relevant {bool(a['relevant'])} ({a['relevance']}: "
             f"{', '.join(a['matched_terms'])})"]
    if "cluster_id" in df and pd.notna(a.get("cluster_id")):
        members = df[df["cluster_id"] == a["cluster_id"]].sort_values("published_at")
        lines.append(f"  cluster {a['cluster_id']}: {a['relation']} of {len(members)}")
        lines += [f"    {m['relation']:10} {m['outlet']:20} {m['published_at']}  {m['title']}"
                  for _, m in members.iterrows()]
    return "\n".join(lines + ["", a["text"]])


def export_articles(data: str | Path, out: str, fmt: str, **filters) -> int:
    """Write the articles ``load_articles(data, **filters)`` returns as CSV or JSON lines; ``-`` is
    standard output. Lists become JSON text in CSV. Returns the number of rows."""
    df = load_articles(data, **filters)
    for col in df.columns:  # list and struct columns arrive as numpy arrays of objects
        if df[col].dtype == object and df[col].map(lambda v: isinstance(v, (list, dict)) or hasattr(v, "tolist")).any():
            df[col] = df[col].map(lambda v: json.dumps(v.tolist() if hasattr(v, "tolist") else v, default=str,
                                                         ensure_ascii=False))
    target = sys.stdout if out == "-" else out
    if fmt == "csv":
        df.to_csv(target, index=False)
    else:
        df.to_json(target, orient="records", lines=True, date_format="iso", force_ascii=False)
    return len(df)
