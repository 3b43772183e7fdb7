"""The analysts' questions as DataFrames, from a data root, a window of days and outlets.

Each function reads through ``storage.load`` (partition pruning, only the columns it
needs) and returns a plain pandas DataFrame::

    coverage("data", "2020-10-01", "2020-10-07")        # articles per outlet per day
    copy_network("data")                                # who copied whom, how often, how fast
    outlet_balance("data")                              # who originates, who republishes
    stories("data")                                     # one row per story that was copied
    story_detail("data", cluster_id)                    # a story's origin and every copy, with the diff

A story is a duplicate cluster: its origin (the first publication) and its copies.
``relevant_only`` keeps the stories of which any article is relevant to Idlib (a
shortened copy may have lost the word). ``outlets`` keeps the stories, pairs and
outlets that involve one of them. Days are UTC and both ends are included; an article
is in the window when its publication day is.
"""
from __future__ import annotations

from pathlib import Path

import pandas as pd

from pipeline.analysis.textdiff import diff_passages, summarise
from storage.fs import Root
from storage.load import articles_by_id, load_articles, load_clusters

_MEMBER_COLUMNS = ["outlet", "title", "published_at", "relevant", "url"]
_COPY_LINKS = ["article_id", "origin_article_id", "scope", "similarity", "containment"]


def coverage(data: str | Path | Root = "data", since=None, until=None,
             outlets: list[str] | None = None) -> pd.DataFrame:
    """Articles per outlet and day: ``day, outlet, articles, relevant`` (every article kept, copies included)."""
    df = load_articles(data, since, until, outlets=outlets, relevant_only=False, dedup="all",
                       columns=["outlet", "published_at", "relevant"])
    if df.empty:
        return pd.DataFrame({"day": pd.Series(dtype="datetime64[ns]"), "outlet": pd.Series(dtype=str),
                             "articles": pd.Series(dtype=int), "relevant": pd.Series(dtype=int)})
    df["day"] = df["published_at"].dt.tz_convert("UTC").dt.tz_localize(None).dt.normalize()
    df["outlet"] = df["outlet"].astype(str)
    out = df.groupby(["day", "outlet"]).agg(articles=("article_id", "size"), relevant=("relevant", "sum"))
    return out.astype(int).reset_index().sort_values(["day", "outlet"], ignore_index=True)


def members(data: str | Path | Root = "data", since=None, until=None, outlets: list[str] | None = None,
            relevant_only: bool = True, columns: list[str] | None = None) -> pd.DataFrame:
    """Every article of the window's stories (clusters of two or more), one row each, with its
    cluster, relation, similarity and ``delay`` after its origin. The base of the other frames."""
    df = load_articles(data, since, until, relevant_only=False, dedup="all",
                       columns=list(dict.fromkeys(_MEMBER_COLUMNS + (columns or []))))
    if df.empty or "cluster_id" not in df:
        return _no_members(df)
    df = df[df["cluster_size"].fillna(1) > 1].copy()
    links = load_clusters(data, _COPY_LINKS)
    if links is None or df.empty:
        return _no_members(df)
    df = df.merge(links, on="article_id", how="left")
    df["outlet"] = df["outlet"].astype(str)
    df["is_origin"] = df["is_origin"].fillna(False).astype(bool)
    keep = df.groupby("cluster_id")["is_origin"].transform("any")  # the origin lies in the window
    if relevant_only:
        keep &= df.groupby("cluster_id")["relevant"].transform("any")
    if outlets:
        keep &= df["outlet"].isin(outlets).groupby(df["cluster_id"]).transform("any")
    df = df[keep & (df.groupby("cluster_id")["article_id"].transform("size") > 1)].copy()
    origin_at = df[df["is_origin"]].set_index("cluster_id")["published_at"]
    origin_outlet = df[df["is_origin"]].set_index("cluster_id")["outlet"]
    df["origin_outlet"] = df["cluster_id"].map(origin_outlet)
    df["delay"] = df["published_at"] - df["cluster_id"].map(origin_at)
    return df.sort_values(["cluster_id", "published_at", "outlet"], ignore_index=True)


def _no_members(df: pd.DataFrame) -> pd.DataFrame:
    cols = list(df.columns) + [c for c in ("cluster_id", "is_origin", "relation", "cluster_size", *_COPY_LINKS[1:],
                                           "origin_outlet", "delay") if c not in df.columns]
    return pd.DataFrame(columns=cols)


def copy_network(data: str | Path | Root = "data", since=None, until=None, outlets: list[str] | None = None,
                 relevant_only: bool = True, frame: pd.DataFrame | None = None) -> pd.DataFrame:
    """Per pair of outlets: ``origin_outlet, copier_outlet, stories`` (how many stories the first
    published and the second copied), ``median_delay`` and ``median_delay_hours``. Copies
    within one outlet (a republished page) are not pairs. ``frame``: a ``members`` result to reuse."""
    m = members(data, since, until, outlets, relevant_only) if frame is None else frame
    copies = m[~m["is_origin"] & (m["outlet"] != m["origin_outlet"])]
    if outlets:
        copies = copies[copies["outlet"].isin(outlets) | copies["origin_outlet"].isin(outlets)]
    if copies.empty:
        return pd.DataFrame({"origin_outlet": pd.Series(dtype=str), "copier_outlet": pd.Series(dtype=str),
                             "stories": pd.Series(dtype=int), "median_delay": pd.Series(dtype="timedelta64[ns]"),
                             "median_delay_hours": pd.Series(dtype=float)})
    net = copies.groupby(["origin_outlet", "outlet"]).agg(stories=("cluster_id", "nunique"),
                                                          median_delay=("delay", "median")).reset_index()
    net = net.rename(columns={"outlet": "copier_outlet"})
    net["median_delay_hours"] = (net["median_delay"].dt.total_seconds() / 3600).round(2)
    return net.sort_values(["stories", "origin_outlet", "copier_outlet"], ascending=[False, True, True],
                           ignore_index=True)


def outlet_balance(data: str | Path | Root = "data", since=None, until=None, outlets: list[str] | None = None,
                   relevant_only: bool = True, frame: pd.DataFrame | None = None) -> pd.DataFrame:
    """Per outlet: ``articles`` (in the window), ``originated`` (its stories copied by another outlet),
    ``republished`` (its copies of another outlet's stories) and ``origin_share``
    (originated / (originated + republished); empty when it did neither)."""
    arts = load_articles(data, since, until, outlets=outlets, relevant_only=relevant_only, dedup="all",
                         columns=["outlet"])
    m = members(data, since, until, outlets, relevant_only) if frame is None else frame
    cross = m[~m["is_origin"] & (m["outlet"] != m["origin_outlet"])]
    originated = cross.groupby("origin_outlet")["cluster_id"].nunique()
    republished = cross.groupby("outlet")["article_id"].size()
    out = pd.DataFrame({"articles": arts["outlet"].astype(str).value_counts()})
    out = out.join(originated.rename("originated"), how="outer").join(republished.rename("republished"), how="outer")
    out = out.fillna(0).astype(int)
    if outlets:
        out = out[out.index.isin(outlets)]
    both = out["originated"] + out["republished"]
    out["origin_share"] = (out["originated"] / both.where(both > 0)).round(4)
    return out.rename_axis("outlet").reset_index().sort_values(["articles", "outlet"], ascending=[False, True],
                                                                 ignore_index=True)


def stories(data: str | Path | Root = "data", since=None, until=None, outlets: list[str] | None = None,
            relevant_only: bool = True, frame: pd.DataFrame | None = None) -> pd.DataFrame:
    """One row per story: ``cluster_id, origin_article_id, origin_outlet, origin_at, title, copies,
    outlets`` (every outlet that carried it, the origin's first), ``relations`` (copies per relation),
    ``first_copy_at, last_copy_at``; the most copied first."""
    m = members(data, since, until, outlets, relevant_only) if frame is None else frame
    if m.empty:
        return pd.DataFrame(columns=["cluster_id", "origin_article_id", "origin_outlet", "origin_at", "title",
                                     "copies", "outlets", "relations", "first_copy_at", "last_copy_at"])
    origins = m[m["is_origin"]].set_index("cluster_id")
    copies = m[~m["is_origin"]]
    g = copies.groupby("cluster_id")
    out = pd.DataFrame({
        "origin_article_id": origins["article_id"], "origin_outlet": origins["outlet"],
        "origin_at": origins["published_at"], "title": origins["title"],
        "copies": g.size(), "first_copy_at": g["published_at"].min(), "last_copy_at": g["published_at"].max(),
    })
    carried = copies.sort_values(["cluster_id", "published_at"]).groupby("cluster_id")["outlet"].agg(list)
    out["outlets"] = [list(dict.fromkeys([first, *rest])) for first, rest in zip(out["origin_outlet"],
                                                                                carried.reindex(out.index))]
    per_relation = copies.groupby(["cluster_id", "relation"]).size().unstack(fill_value=0).reindex(out.index)
    names = list(per_relation.columns)
    out["relations"] = [{k: int(v) for k, v in zip(names, row) if v} for row in per_relation.to_numpy()]
    out = out.rename_axis("cluster_id").reset_index()
    return out.sort_values(["copies", "origin_at", "cluster_id"], ascending=[False, True, True], ignore_index=True)


def story_detail(data: str | Path | Root, cluster_id: str) -> pd.DataFrame:
    """A story's origin and every copy: ``outlet, relation, similarity, containment, published_at,
    delay, title, title_changed, kept_share, removed, added, changed, url, text`` (the origin first;
    its diff columns are empty). Only the days the story's articles live in are read."""
    links = load_clusters(data, ["article_id", "cluster_id", "published_at"])
    ids = links[links["cluster_id"] == cluster_id] if links is not None else None
    if ids is None or ids.empty:
        raise LookupError(f"no story (cluster) {cluster_id!r} in {data}")
    m = members(data, ids["published_at"].min(), ids["published_at"].max(), relevant_only=False)
    return detail_rows(with_texts(data, m[m["cluster_id"] == cluster_id]))


def with_texts(data: str | Path | Root, frame: pd.DataFrame) -> pd.DataFrame:
    """``frame`` (rows of ``members``) with each article's ``text``, read from its day's partition only."""
    days = frame["published_at"].dt.tz_convert("UTC").dt.date.dropna().unique().tolist()
    texts = articles_by_id(data, frame["article_id"].tolist(), days, ["text"])
    return frame.drop(columns=["text"], errors="ignore").merge(texts, on="article_id", how="left")


def detail_rows(story: pd.DataFrame) -> pd.DataFrame:
    """``story_detail``'s rows from one cluster's ``members`` rows (with ``text``)."""
    story = story.sort_values(["is_origin", "published_at"], ascending=[False, True], ignore_index=True)
    origin = story.iloc[0]
    rows = []
    for _, a in story.iterrows():
        diff = summarise(diff_passages(origin["text"], a["text"])) if not a["is_origin"] else {
            "kept_share": 1.0, "removed": [], "added": [], "changed": []}
        rows.append({"article_id": a["article_id"], "outlet": a["outlet"], "relation": a["relation"],
                     "similarity": a["similarity"], "containment": a["containment"],
                     "published_at": a["published_at"], "delay": a["delay"], "title": a["title"],
                     "title_changed": bool(a["title"] != origin["title"]), **diff, "url": a["url"],
                     "text": a["text"]})
    return pd.DataFrame(rows)
