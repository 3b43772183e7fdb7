"""Clusters kept up to date with the ``articles`` table at the cost of what changed.

``sync`` compares each day's partition with the version the index last saw
(``storage.versions``), so the days a run published, a rerun replaced, an
operator deleted or a killed run half-wrote are all found the same way. For
those days only:

1. their articles are read (whole partitions, only the columns needed) and
   their band keys looked up in the persistent index (``store``): every
   stored article sharing a band (full text or lead) or the exact digest;
2. the connected components of those candidates, and of the articles the
   days held before, are read back whole (the index keeps each article's
   component), with their texts fetched by id from their own days;
3. that closed set is clustered exactly as a full run would (the same
   candidate relation, verification, split and origin choice), its
   components written back, and the ``clusters`` rows of its members
   replaced: the rows of every untouched component stay as they were.

Many changed days (a rebuild, a first sync) are taken ``SYNC_DAYS`` at a
time, each step exact, so memory holds a month of articles, not the history.

A component is closed under verified edges: an article outside it that
matched a member would be a candidate of that member, so nothing outside the
set can change. The result equals ``rebuild`` (an empty index, every day
changed) row for row, whatever the order in which days were published.

The dedup text is the stored text: boilerplate was removed once, when the
article was built, and the same text feeds the signature and verification.
"""
from __future__ import annotations

import json
from collections import Counter, defaultdict
from dataclasses import dataclass, field, fields
from datetime import date

import numpy as np
import pyarrow as pa
import pyarrow.compute as pc

from pipeline.dedup import clusters_table
from pipeline.dedup.cluster import DedupDoc, _Corpus, _no_cycle_collection, cluster_rows, exact_pairs
from pipeline.dedup.clusters_table import UnreadableDays
from pipeline.dedup.digests import LocalSources, as_para, texts_digest_keys
from pipeline.dedup.lsh import lsh_params, pairs_sharing
from pipeline.dedup.shingles import ShingleBatch
from pipeline.dedup.signatures import scheme_of
from pipeline.dedup.tiers import long_enough, tier_keys
from pipeline.dedup.store import FORMAT, Added, IndexChange, IndexStore
from pipeline.settings import DedupSettings
from storage.columns import values
from storage.dataset import StorageError, read_table
from storage.fs import Root, open_root
from storage.versions import partition_versions

COLUMNS = ["article_id", "url", "outlet", "title", "text", "published_at", "authors"]
# days read per step: a rebuild of years, or a first sync of an existing dataset, holds a month's
# articles (and the stories they join) in memory at a time, not the history
SYNC_DAYS = 31


@dataclass
class SyncResult:
    totals: dict[str, int] = field(default_factory=dict)  # the history's articles, clusters, copies, cross-posts
    days: list[str] = field(default_factory=list)      # the days re-indexed
    touched: int = 0                        # articles whose rows were recomputed
    oversized: list[str] = field(default_factory=list)
    lsh_params: dict = field(default_factory=dict)
    notes: list[str] = field(default_factory=list)


def index_meta(settings: DedupSettings) -> dict[str, str]:
    """What the stored keys and components depend on: another value means a rebuild."""
    return {"format": FORMAT, "settings": json.dumps({f.name: getattr(settings, f.name) for f in fields(settings)
                                                      if f.name != "strip_boilerplate"}, sort_keys=True),
            "scheme": json.dumps(scheme_of(settings).__dict__, sort_keys=True)}


def _lsh(settings: DedupSettings) -> dict:
    full, lead = lsh_params(settings.lsh_threshold, settings.num_perm), lsh_params(settings.lead_threshold,
                                                                                 settings.num_perm)
    return {"bands": full[0], "rows": full[1], "lead_bands": lead[0], "lead_rows": lead[1],
            "num_perm": settings.num_perm}


def _trusted(store: IndexStore, settings: DedupSettings, notes: list[str]) -> None:
    """Clear an index made with other settings, by another version, or without its metadata."""
    meta = store.meta()
    if not meta and not store.day_versions():
        return
    if not meta or {k: meta.get(k) for k in index_meta(settings)} != index_meta(settings):
        notes.append(f"dedup index {store.describe()}: built with other settings or by another version; "
                     "rebuilt from the articles")
        store.clear()


def _versions(root: Root) -> dict[str, str]:
    """Each day's ``articles`` and ``clusters`` versions, as the index records them: a day whose
    clusters partition was deleted or replaced behind the index's back is read again too."""
    art, cl = partition_versions(root, "articles"), partition_versions(root, "clusters")
    return {d: f"{art.get(d, '')}#{cl.get(d, '')}" for d in set(art) | set(cl)}


def _changed_days(root: Root, store: IndexStore) -> tuple[list[str], dict[str, str]]:
    versions = _versions(root)
    held = store.day_versions()
    return sorted(d for d in set(versions) | set(held) if versions.get(d) != held.get(d)), versions


def _read_days(root: Root, days: list[str], notes: list[str]) -> tuple[dict[str, list[DedupDoc]], list[str]]:
    """The docs of each readable day; an unreadable day keeps its index entries (named)."""
    out: dict[str, list[DedupDoc]] = {}
    bad = []
    for d in days:
        try:
            t = read_table(root, "articles", COLUMNS, days=[date.fromisoformat(d)], strict=True)
        except StorageError as exc:
            notes.append(f"{exc}; its clusters are left as they were until it can be read")
            bad.append(d)
            continue
        out[d] = _docs(t)
    return out, bad


def _docs(t: pa.Table) -> list[DedupDoc]:
    cols = {c: values(t.column(c)) for c in COLUMNS}
    return [DedupDoc(a, o, text or "", when, url or "", title=title or "", authors=authors or [])
            for a, url, o, title, text, when, authors in zip(*(cols[c] for c in COLUMNS))]


def _fetch(root: Root, ids: dict[str, str]) -> list[DedupDoc]:
    """Articles by id, reading only the days they live in and only the columns needed. A day
    that cannot be read stops the sync, naming its file: clustering its stories without
    them would drop their rows."""
    by_day: dict[str, set[str]] = defaultdict(set)
    for a, d in ids.items():
        by_day[d].add(a)
    docs = []
    for d, wanted in sorted(by_day.items()):
        t = read_table(root, "articles", COLUMNS, days=[date.fromisoformat(d)], strict=True)
        docs.extend(_docs(t.filter(pc.is_in(t.column("article_id"), pa.array(sorted(wanted))))))
    return docs


def _first_day(by_day: dict[str, list[DedupDoc]]) -> dict[str, tuple[str, DedupDoc]]:
    """One doc per id: an article stored on several days counts once, on its earliest day."""
    out: dict[str, tuple[str, DedupDoc]] = {}
    for d in sorted(by_day):
        for doc in by_day[d]:
            if doc.article_id in out:
                continue
            out[doc.article_id] = (d, doc)
    return out


def _keys(c: _Corpus, settings: DedupSettings, mode: str = "pairs") -> tuple[np.ndarray, np.ndarray]:
    """(eligible positions, their band keys): texts long enough for LSH, every tier (``tiers.tier_keys``)."""
    eligible = long_enough(c.shingles, settings)
    if not eligible.size:
        return eligible, np.empty((0, 0), dtype=np.int64)
    return eligible, tier_keys(c, eligible, settings, mode)


def _joined(a: _Corpus, b: _Corpus, settings: DedupSettings, names: dict[str, list[str]]) -> _Corpus:
    """One corpus of both, in article id order, each text shingled once."""
    both = a.docs + b.docs
    order = sorted(range(len(both)), key=lambda i: both[i].article_id)
    parts = [a.batch.digests + b.batch.digests, a.batch.full + b.batch.full, a.batch.lead + b.batch.lead]
    if a.batch.short is not None:
        parts.append(a.batch.short + b.batch.short)
    batch = ShingleBatch(*[[part[i] for i in order] for part in parts])
    return _Corpus([both[i] for i in order], settings, names, strip=False, batch=batch)


def _digest(c: _Corpus, i: int) -> str:
    return f"{c.hashes[i]:032x}" if c.shingles[i].size else ""


def sync(data: str | Root, store: IndexStore, settings: DedupSettings | None = None,
         outlet_names: dict[str, list[str]] | None = None) -> SyncResult:
    """Bring ``clusters`` and the index up to date with ``articles`` (see the module's docstring)."""
    with _no_cycle_collection():
        return _sync(open_root(data), store, settings or DedupSettings(), outlet_names or {})


def _sync(root: Root, store: IndexStore, settings: DedupSettings, names: dict[str, list[str]]) -> SyncResult:
    notes: list[str] = []
    _trusted(store, settings, notes)
    changed, _ = _changed_days(root, store)
    result = SyncResult(_totals(store), lsh_params=_lsh(settings), notes=notes)
    for start in range(0, len(changed), SYNC_DAYS):  # a rebuild too: in steps, each as exact as the whole
        step = _retrying(root, store, settings, names, changed[start:start + SYNC_DAYS], notes)
        result.totals, result.days = step.totals, result.days + step.days
        result.touched += step.touched
        result.oversized += step.oversized
    return result


def _retrying(root: Root, store: IndexStore, settings: DedupSettings, names: dict[str, list[str]],
              changed: list[str], notes: list[str]) -> SyncResult:
    for _ in range(3):
        try:
            return _update(root, store, settings, names, changed, notes)
        except UnreadableDays as exc:  # their other rows would be lost: those days are clustered again whole
            notes.append(f"{exc}; the clusters of {', '.join(exc.days)} are made again")
            changed = sorted(set(changed) | set(exc.days))
    raise StorageError(f"clusters partitions stay unreadable: {', '.join(changed)}")


def _update(root: Root, store: IndexStore, settings: DedupSettings, names: dict[str, list[str]],
            changed: list[str], notes: list[str]) -> SyncResult:
    by_day, bad = _read_days(root, changed, notes)
    changed = [d for d in changed if d not in bad]
    removed = store.docs_of_days(changed)
    new = _first_day(by_day)
    held = {a: d for a, d in store.days_of(new).items() if a not in removed}  # on days not re-read
    new = {a: v for a, v in new.items() if not (a in held and held[a] < v[0])}
    gone = {**removed, **{a: held[a] for a in held if a in new}}  # held on a later day: the earliest counts
    fresh = _Corpus(sorted((doc for _, doc in new.values()), key=lambda d: d.article_id), settings, names, strip=False)
    eligible, keys = _keys(fresh, settings, "stored")
    _, queries = _keys(fresh, settings, "query")
    paras = texts_digest_keys(fresh.texts)
    found = store.lookup(queries.ravel()) | store.by_digest({_digest(fresh, i) for i in range(len(fresh.docs))} - {""})
    quoting = _quoting(store, [(d.outlet, p) for d, p in zip(fresh.docs, paras)]
                       + list(store.paragraphs(gone).values()), set(gone))
    old = {a: d for a, d in store.members(store.components_of(found | set(gone) | quoting)).items()
           if a not in gone and a not in new}
    c = _joined(fresh, _Corpus(_fetch(root, old), settings, names, strip=False), settings, names)
    pos, all_keys = _keys(c, settings)
    pairs = [pos[pairs_sharing(all_keys)], exact_pairs(c)]
    rows, oversized, comps = cluster_rows(c, np.unique(np.concatenate(pairs).reshape(-1, 2), axis=0),
                                          _sources(c, store, set(gone)))
    day_of = {**old, **{a: v[0] for a, v in new.items()}}
    touched = set(changed) | set(day_of.values()) | set(gone.values())
    delta = clusters_table.write(root, rows, c.docs, day_of, set(gone) | set(day_of), touched,
                                 {"newspipe.lsh": json.dumps(_lsh(settings))})
    versions = _versions(root)
    fresh_keys = dict(zip(eligible.tolist(), keys))
    empty = np.empty(0, dtype=np.int64)
    added, dropped = delta
    kept = bool(store.day_versions())  # an empty index: every old row was dropped, none counted yet
    totals = Counter(_totals(store) if kept else {})
    totals.update(added)
    if kept:
        totals.subtract(dropped)
    store.apply(IndexChange(
        removed=sorted(gone),
        added=[Added(d.article_id, new[d.article_id][0], _digest(fresh, i),
                     np.concatenate([fresh_keys.get(i, empty), paras[i]]), d.outlet, paras[i])
               for i, d in enumerate(fresh.docs)],
        components={c.docs[m].article_id: c.docs[comp[0]].article_id for comp in comps for m in comp},
        days={d: versions.get(d) for d in touched},
        meta=dict(index_meta(settings), **{f"total_{k}": str(totals[k]) for k in clusters_table.TOTALS})))
    return SyncResult({k: totals[k] for k in clusters_table.TOTALS}, changed, len(c.docs), oversized,
                      _lsh(settings), notes)


def _totals(store: IndexStore) -> dict[str, int]:
    meta = store.meta()
    return {k: int(meta.get(f"total_{k}", 0)) for k in clusters_table.TOTALS}


def _quoting(store: IndexStore, texts: list[tuple[str, np.ndarray]], gone: set[str]) -> set[str]:
    """Stored articles of another outlet sharing a paragraph with one of ``texts`` ((outlet,
    paragraph keys)): a digest among them decides on all it quotes, so it is clustered again."""
    held = store.holders(int(k) for _, p in texts for k in p)
    ids = {a for ids in held.values() for a in ids} - gone
    outlet = {a: o for a, (o, _) in store.paragraphs(ids).items()}
    return {a for o, p in texts for k in p.tolist() for a in held.get(k, ()) if a in outlet and outlet[a] != o}


def _sources(c: _Corpus, store: IndexStore, gone: set[str]):
    """The texts sharing a paragraph with text ``i``: those being clustered, and the index's
    others (looked up once for all of ``c``), whose keys are stored ones (BLAKE2b)."""
    if not c.long_paragraphs().stored:
        raise ValueError("the corpus' paragraph keys are the run's own: they cannot be looked up in the index")
    local = LocalSources(c)
    ids = {d.article_id for d in c.docs}
    held = store.holders({k for i in range(len(c.docs)) for k in c.paragraphs(i)[0]})
    others = {a for s in held.values() for a in s} - gone - ids
    stored = {a: (o, as_para(p)) for a, (o, p) in store.paragraphs(others).items()}

    def sources(i: int) -> list:
        near = sorted({a for k in c.paragraphs(i)[0] for a in held.get(k, ()) if a in stored})
        return local(i) + [(a, *stored[a]) for a in near]
    return sources


def rebuild(data: str | Root, store: IndexStore, settings: DedupSettings | None = None,
            outlet_names: dict[str, list[str]] | None = None) -> SyncResult:
    """The full recompute: an empty index, every day read, every article clustered again."""
    store.clear()
    return sync(data, store, settings, outlet_names)
