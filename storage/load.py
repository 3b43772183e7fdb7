"""The analysts' entry point: ``load_articles`` returns a pandas DataFrame.

Partitions outside ``[start, end]`` are never opened (the day is in the
directory name), only the requested columns are read, and outlet, language
and relevance filters are pushed down to the Parquet reader. The same data in
DuckDB, with one line::

    duckdb.sql("SELECT * FROM read_parquet('data/articles/*/*.parquet', hive_partitioning = true)")
"""
from __future__ import annotations

from datetime import date, datetime
from pathlib import Path

import pandas as pd
import pyarrow as pa
import pyarrow.compute as pc
import pyarrow.dataset as ds
import pyarrow.parquet as pq

from storage.dataset import partition_files, read_table, warn
from storage.fs import Root, open_root
from storage.layout import CLUSTERS_FILE
from storage.schema import ARTICLES


def _as_date(value) -> date | None:
    if value is None:
        return None
    if isinstance(value, datetime):
        return value.date()
    if isinstance(value, date):
        return value
    return date.fromisoformat(str(value)[:10])


def load_articles(data: str | Path | Root = "data", start=None, end=None, outlets: list[str] | None = None,
                  languages: list[str] | None = None, relevant_only: bool = True, dedup: str = "origins",
                  columns: list[str] | None = None) -> pd.DataFrame:
    """Articles published from ``start`` to ``end`` (days, both included).

    ``dedup="origins"`` keeps one row per story (the cluster's origin) and adds
    ``copies`` (how many other articles republished it); ``"all"`` keeps every
    article and adds its ``cluster_id``, ``is_origin`` and ``relation``.
    ``data`` is a directory or a filesystem URI (``s3://bucket/newspipe``).
    """
    if dedup not in ("origins", "all"):
        raise ValueError(f"dedup must be 'origins' or 'all', got {dedup!r}")
    root = open_root(data)
    wanted = list(dict.fromkeys((columns or ARTICLES.names) + ["article_id"]))
    read_cols = list(dict.fromkeys(wanted + (["relevant"] if relevant_only else [])
                                   + (["outlet"] if outlets else []) + (["language"] if languages else [])))
    files = [f for part in partition_files(root, "articles", first=_as_date(start), last=_as_date(end)).values()
             for f in part]
    flt = None
    for cond in ([pc.field("relevant") == True] if relevant_only else []) + (  # noqa: E712
            [pc.field("outlet").isin(outlets)] if outlets else []) + (
            [pc.field("language").isin(languages)] if languages else []):
        flt = cond if flt is None else flt & cond
    table = _read_articles(root, files, read_cols, flt)
    if outlets:
        found = set(pc.unique(table.column("outlet")).to_pylist()) if table.num_rows else set()
        if set(outlets) - found:
            warn(f"{root.display(root.base)}: no articles of {', '.join(sorted(set(outlets) - found))} "
                 f"in {start or 'the start'} .. {end or 'the end'}" + (" (relevant only)" if relevant_only else ""))
    df = table.select(wanted).to_pandas()
    cl = load_clusters(root, CLUSTER_COLUMNS) if len(df) else None
    if cl is not None:
        df = df.merge(cl, on="article_id", how="left")
        if dedup == "origins":
            df = df[df["is_origin"].fillna(True).astype(bool)].copy()
            df["copies"] = (df["cluster_size"].fillna(1) - 1).astype(int)
            df = df.drop(columns=["is_origin", "relation", "cluster_size"])
    return df.reset_index(drop=True)


def articles_by_id(data: str | Path | Root, ids: list[str], days: list[date], columns: list[str]) -> pd.DataFrame:
    """The articles ``ids``, which live in the partitions of ``days``: only those days are opened
    and only ``columns`` read (a story's texts without a scan of the history)."""
    root = open_root(data)
    files = [f for part in partition_files(root, "articles", days=sorted(set(days))).values() for f in part]
    wanted = list(dict.fromkeys(["article_id", *columns]))
    return _read_articles(root, files, wanted, pc.field("article_id").isin(list(ids))).to_pandas()


def _read_articles(root: Root, files: list[str], columns: list[str], flt) -> pa.Table:
    """One scan of every file; when one of them cannot be read, each file on its own,
    the unreadable ones named in a warning and passed over."""
    if not files:
        return read_table(root, "articles", columns, days=[])
    try:
        return ds.dataset(files, format="parquet", schema=ARTICLES, filesystem=root.fs).to_table(
            columns=columns, filter=flt)
    except (OSError, pa.ArrowInvalid):
        pass
    tables = []
    for f in files:
        try:
            tables.append(ds.dataset([f], format="parquet", schema=ARTICLES, filesystem=root.fs).to_table(
                columns=columns, filter=flt))
        except (OSError, pa.ArrowInvalid) as exc:
            warn(f"{root.display(f)}: unreadable Parquet file, passed over: {str(exc).splitlines()[0]}")
    return pa.concat_tables(tables) if tables else read_table(root, "articles", columns, days=[])


CLUSTER_COLUMNS = ["article_id", "cluster_id", "is_origin", "relation", "cluster_size"]


def load_clusters(data: str | Path | Root = "data", columns: list[str] | None = None) -> pd.DataFrame | None:
    """The ``clusters`` table (every stored article's cluster, relation and similarity), or None
    when there is none. A file that cannot be read is named in a warning and passed over.
    A dataset of an earlier version has one file, ``clusters/part-0.parquet``: read as it is."""
    root = open_root(data)
    legacy = root.path(CLUSTERS_FILE)
    if root.exists(legacy):
        try:
            return pq.read_table(legacy, filesystem=root.fs, columns=columns).to_pandas()
        except (OSError, pa.ArrowInvalid) as exc:
            warn(f"{root.display(legacy)}: unreadable clusters file, articles returned without clusters: "
                 f"{str(exc).splitlines()[0]}")
            return None
    if not partition_files(root, "clusters"):
        return None
    return read_table(root, "clusters", columns).to_pandas()
