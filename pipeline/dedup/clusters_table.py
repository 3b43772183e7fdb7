"""The ``clusters`` table, partitioned by day like ``articles``: each article's row sits in its
article's day, so a sync rewrites only the days holding an article it clustered again
(one atomic swap for all of them) and a reader of one month reads one month.

The history's totals (articles, clusters, copies, cross-posts) are kept in the index's
metadata and moved by each sync's difference, so a run's summary needs no scan either.
"""
from __future__ import annotations

from collections import Counter
from datetime import date

import pyarrow as pa
import pyarrow.compute as pc

from pipeline.dedup.cluster import ClusterRow, DedupDoc, rows_table
from storage.dataset import StorageError, read_table, replace_partitions
from storage.fs import Root
from storage.layout import CLUSTERS_FILE
from storage.schema import TABLES

TOTALS = ("articles", "clusters", "copies", "cross_posts")


class UnreadableDays(StorageError):
    """Clusters partitions a sync must rewrite but cannot read: their days are clustered again whole."""

    def __init__(self, days: list[str], message: str):
        super().__init__(message)
        self.days = days


def totals(t: pa.Table) -> Counter:
    """(articles, multi-article clusters, copies, cross-posts) of clusters rows."""
    if not t.num_rows:
        return Counter()
    multi = pc.greater(t.column("cluster_size"), 1)
    origin = pc.fill_null(t.column("is_origin"), False)
    count = lambda mask: int(pc.sum(pc.cast(pc.fill_null(mask, False), pa.int64())).as_py() or 0)  # noqa: E731
    return Counter(articles=t.num_rows, clusters=count(pc.and_(multi, origin)),
                   copies=count(pc.and_(multi, pc.invert(origin))),
                   cross_posts=count(pc.equal(t.column("scope"), "cross_post")))


def _old(root: Root, days: list[str]) -> dict[str, pa.Table]:
    out, bad, why = {}, [], ""
    for d in days:
        try:
            out[d] = read_table(root, "clusters", days=[date.fromisoformat(d)], strict=True)
        except StorageError as exc:
            bad.append(d)
            why = str(exc)
    if bad:
        raise UnreadableDays(bad, why)
    return out


def write(root: Root, rows: list[ClusterRow], docs: list[DedupDoc], day_of: dict[str, str],
          replaced: set[str], days: set[str], metadata: dict[str, str] | None = None) -> tuple[Counter, Counter]:
    """Replace the rows of ``replaced`` articles with ``rows`` in the partitions of ``days``
    (``day_of``: each new row's day); the totals of those partitions after and before."""
    meta = {d.article_id: d for d in docs}
    new = rows_table(rows, TABLES["clusters"], {"outlet": [meta[r.article_id].outlet for r in rows],
                                                "published_at": [meta[r.article_id].published_at for r in rows]})
    row_days = pa.array([day_of[r.article_id] for r in rows], pa.string())
    old = _old(root, sorted(days))
    gone = pa.array(sorted(replaced), pa.string())
    after, before_all = Counter(), Counter()
    tables = {}
    for d in sorted(days):
        before = old[d]
        keep = before.filter(pc.invert(pc.is_in(before.column("article_id"), gone)))
        mine = new.filter(pc.equal(row_days, d))
        table = pa.concat_tables([_conform(keep, new.schema), mine]).sort_by("article_id")
        after.update(totals(table))
        before_all.update(totals(before))
        if table.num_rows:
            tables[date.fromisoformat(d)] = table
    replace_partitions(root, "clusters", tables, [date.fromisoformat(d) for d in days], metadata)
    legacy = root.path(CLUSTERS_FILE)  # the one-file table of earlier versions: read alongside, it would double rows
    if root.exists(legacy):
        root.fs.delete_file(legacy)
    return after, before_all


def _conform(t: pa.Table, schema: pa.Schema) -> pa.Table:
    return pa.table({f.name: t.column(f.name) if f.name in t.column_names else pa.nulls(t.num_rows, f.type)
                     for f in schema}).cast(schema)
