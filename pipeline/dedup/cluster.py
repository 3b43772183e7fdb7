"""Near-duplicate and cross-post detection.

Layers, each cheap enough to run over the whole history:

1. exact: the same normalised text (or the same article id) is one story;
2. candidates: MinHash-LSH over word shingles of the full text, a second
   LSH over the lead (the first ``lead_words`` words) so that a copy cut down
   to its first paragraphs is still proposed, and a third over shorter
   shingles between texts published within weeks (rewrites; ``tiers``);
3. verification: every candidate pair is checked with exact Jaccard and
   containment of the two shingle sets. A pair is a duplicate when Jaccard
   reaches ``jaccard_threshold`` or the smaller text is contained in the larger
   one to ``containment_threshold`` (a truncated copy), or when the shorter
   text's sentences are found one by one in the longer (a rewrite; ``rewrites``).
   A follow-up that reuses only the lead fails all three and stays apart;
4. digests: a roundup of several stories' leads joins none of them and lists
   what it quotes (``digests``);
5. clustering: connected components of verified pairs, then every member is
   checked against the cluster's origin; members that fail are split off and
   clustered again, so a chain A~B~C never joins A and C through B alone.

The origin is the earliest published member unless members credit another
member's outlet ("originally published on X", "Source: X", a dateline credit,
a byline naming the outlet): then the earliest credited member wins.

Everything is computed from the set of documents, sorted by id, so the result
does not depend on input order or on how the input was split into runs.
"""
from __future__ import annotations

import gc
import hashlib
from collections import defaultdict
from contextlib import contextmanager
from dataclasses import dataclass, field
from datetime import datetime

import numpy as np

from pipeline.articles.attribution import find_attributions
from pipeline.articles.boilerplate import Boilerplate, remove_boilerplate
from pipeline.dedup.lsh import BandIndex, SharedIndex, pairs_sharing
from pipeline.dedup.minhash import MinHasher
from pipeline.dedup.origin import components, fold_members, split
from pipeline.dedup.overlap import overlaps
from pipeline.dedup.packed import Packed, TextField, Texts, utf8
from pipeline.dedup.digests import LongParagraphs, Para, Sources, digests
from pipeline.dedup.tiers import long_enough, rewrite_keys
from pipeline.dedup.rewrites import aligned, sentences
from pipeline.settings import DedupSettings
from pipeline.dedup.shingles import ShingleBatch, normalize, shingle_texts, sizes, sorted_sets


class DedupError(ValueError):
    """Input that cannot be deduplicated safely; the message names the record."""


_TEXT = TextField()


@dataclass
class DedupDoc:
    """One article as the deduplicator sees it (boilerplate already removed). ``text`` may be
    given ``Deferred`` (read from Parquet): decoded only if a step reads it as a string."""

    article_id: str
    outlet: str
    text: str = _TEXT
    published_at: datetime | None = None
    url: str = ""
    title: str = ""
    authors: list[str] = field(default_factory=list)


@dataclass(frozen=True)
class ClusterRow:
    article_id: str
    cluster_id: str
    is_origin: bool
    origin_article_id: str
    relation: str          # origin | exact | near | truncated | contained | rewrite | singleton
    scope: str             # cross_post | same_outlet | "" (origin, singleton)
    similarity: float      # Jaccard of shingle sets with the origin (1.0 for the origin)
    containment: float     # share of the smaller text's shingles found in the larger
    cluster_size: int
    quotes: tuple[str, ...] = ()  # a digest's quoted articles (a roundup of several stories), else empty


@dataclass
class DedupResult:
    rows: list[ClusterRow]
    lsh_params: dict
    oversized_clusters: list[str]


def rows_table(rows: list[ClusterRow], schema, extra: dict[str, list] | None = None):
    """``rows`` as an Arrow table of ``schema`` (column by column: ``dataclasses.asdict`` per
    row cost seconds on 20,000 rows); ``extra`` columns are given whole."""
    import pyarrow as pa

    from storage.columns import column
    cols = {name: [getattr(r, name) for r in rows] for name in ClusterRow.__dataclass_fields__} | (extra or {})
    return pa.table({f.name: column(cols[f.name], f.type) if f.name in cols else pa.nulls(len(rows), f.type)
                     for f in schema}, schema=schema)


def content_hash(text: str) -> str:
    """Hash of the normalised text: equal for copies that differ only in case, spacing, punctuation."""
    return hashlib.sha256(normalize(text).encode("utf-8", "surrogatepass")).hexdigest()[:32]


class _Corpus:
    """Per-document shingles, hashes and outlet names, indexed by position in sorted order."""

    def __init__(self, docs: list[DedupDoc], settings: DedupSettings, outlet_names: dict[str, list[str]],
                 strip: bool | None = None, batch: ShingleBatch | None = None, stripped: Boilerplate | None = None,
                 packed: Packed | None = None):
        """``batch``: the shingles of ``docs``' texts when the caller has them (then no strip);
        ``stripped``: the boilerplate pass over ``docs`` when the caller ran it; ``packed``: the
        texts in UTF-8 when the caller has them (read from Arrow: not encoded again), the docs'
        or, with ``stripped``, the stripped texts' (as ``_without_boilerplate`` gives them)."""
        self.docs = docs
        self.settings = settings
        strip = settings.strip_boilerplate if strip is None else strip
        if stripped is None and strip and batch is None:
            stripped, packed = _without_boilerplate(docs, packed)
        self.texts = Texts([s.text for s in stripped.texts] if stripped is not None else [_TEXT.raw(d) for d in docs])
        self.packed = packed  # ``texts`` in UTF-8, when at hand
        # the paragraph keys the boilerplate pass made are the digests': not made twice
        self._long = None if stripped is None else LongParagraphs.of(stripped.paragraphs)
        self._paragraphs: dict[int, Para] = {}
        batch = batch or corpus_shingles(self.texts, settings, packed)
        self.batch = batch
        self.hashes = batch.digests  # the exact layer: equal normalised texts
        self.shingles, self.lead_shingles, self.short_shingles = batch.full, batch.lead, batch.short
        self.names = {o: [o, o.replace("-", " ")] + list(outlet_names.get(o, [])) for o in {d.outlet for d in docs}}
        self._attr: dict[int, list[str]] = {}
        self.folded: dict[int, bytes] = {}  # ``attribution.folded_ascii`` of texts, where asked (``origin``)
        self._verdicts: dict[tuple[int, int], tuple[bool, float, float]] = {}
        self._sentences: dict[int, list[frozenset[str]]] = {}
        self.rewrites: set[tuple[int, int]] = set()

    def attributions(self, i: int) -> list[str]:
        if i not in self._attr:
            d = self.docs[i]
            self._attr[i] = find_attributions(self.texts[i], d.authors)
        return self._attr[i]

    def long_paragraphs(self) -> LongParagraphs:
        """Every text's paragraph keys (``pipeline.dedup.digests``), keyed once for all texts."""
        if self._long is None:
            self._long = LongParagraphs.of_texts(self.texts)
        return self._long

    def paragraphs(self, i: int) -> Para:
        """(paragraph keys, lead key) of text ``i``."""
        if i not in self._paragraphs:
            self._paragraphs[i] = self.long_paragraphs().para(i)
        return self._paragraphs[i]

    def duplicate(self, i: int, j: int) -> tuple[bool, float, float]:
        """Verified once per pair: edges, the split against the origin and the relation all ask."""
        key = (i, j) if i < j else (j, i)
        if key not in self._verdicts:
            self.measure(np.array([key], dtype=np.int64))
        return self._verdicts[key]

    def measure(self, pairs: np.ndarray) -> np.ndarray:
        """Verifies pairs (i, j) at once, which of them are duplicates: the same normalised text,
        or enough shingles of at least ``min_shingles`` in common (Jaccard or containment), or
        else, where the short shingles pass the gate, the shorter text's sentences found in the
        longer (a rewrite). The overlaps of all pairs are measured in one call, and the short
        shingles' only for the pairs the full ones leave apart; a count that cannot pass stops
        early, its values NaN in the verdict of a pair that is no duplicate."""
        st, pairs = self.settings, np.sort(pairs, axis=1)
        jac, con = overlaps(self.shingles, pairs, min(st.jaccard_threshold, st.containment_threshold))
        size = sizes(self.shingles)
        exact = np.fromiter((self.hashes[i] == self.hashes[j] for i, j in pairs.tolist()), np.bool_, len(pairs))
        small = ~exact & (np.minimum(size[pairs[:, 0]], size[pairs[:, 1]]) < st.min_shingles)
        dup = exact | (~small & ((jac >= st.jaccard_threshold) | (con >= st.containment_threshold)))
        jac[exact], con[exact], jac[small], con[small] = 1.0, 1.0, 0.0, 0.0
        if st.rewrite_lsh_threshold and self.short_shingles is not None:
            weak = np.flatnonzero(~dup & ~small)
            gate = weak[overlaps(*sorted_sets(self.short_shingles, pairs[weak]), st.rewrite_min_overlap)[1]
                        >= st.rewrite_min_overlap]
            for k, (i, j) in zip(gate.tolist(), pairs[gate].tolist()):
                if self._rewrite(i, j):
                    dup[k] = True
                    self.rewrites.add((i, j))
            found = np.flatnonzero(dup & np.isnan(jac))  # a rewrite's own overlaps, stopped early above
            jac[found], con[found] = overlaps(self.shingles, pairs[found])
        self._verdicts.update(zip(map(tuple, pairs.tolist()), zip(dup.tolist(), jac.tolist(), con.tolist())))
        return dup

    def _rewrite(self, i: int, j: int) -> bool:
        """The shorter text's sentences found, one by one, in the longer (``pipeline.dedup.rewrites``)."""
        for k in (i, j):
            if k not in self._sentences:
                self._sentences[k] = sentences(self.texts[k])
        a, b = self._sentences[i], self._sentences[j]
        short, long = (a, b) if sum(map(len, a)) <= sum(map(len, b)) else (b, a)
        share, count = aligned(short, long, self.settings.sentence_match)
        return share >= self.settings.rewrite_min_aligned and count >= self.settings.rewrite_min_sentences


def corpus_shingles(texts: list[str], settings: DedupSettings, packed: Packed | None = None) -> ShingleBatch:
    """The shingles verification and the three LSH tiers read: full text, lead, and the short
    shingles of the rewrite tier when it is on."""
    return shingle_texts(texts, settings.shingle_size, settings.char_shingle_size, settings.lead_words,
                         settings.rewrite_shingle_size if settings.rewrite_lsh_threshold else 0, packed)


def _without_boilerplate(docs: list[DedupDoc], packed: Packed | None = None) -> tuple[Boilerplate, Packed]:
    """Texts without the paragraphs their outlet repeats across articles (footers, mission
    statements): a shared footer must not make two stories look alike, nor hide a copy. With
    them, in UTF-8: ``packed`` (the docs' texts) with the stripped texts spliced in. Nothing
    learned here is stored: the keys are the run's own."""
    packed = packed or Packed.of([d.text for d in docs])
    done = remove_boilerplate([(d.outlet, _TEXT.raw(d)) for d in docs], packed=packed, stored_keys=False)
    return done, packed.replace({i: utf8(s.text) for i, s in enumerate(done.texts) if s.removed})


def _relation(c: _Corpus, origin: int, m: int) -> tuple[str, float, float]:
    if m == origin:
        return "origin", 1.0, 1.0
    if c.hashes[m] == c.hashes[origin]:
        return "exact", 1.0, 1.0
    _, jac, con = c.duplicate(origin, m)
    so, sm = c.shingles[origin].size, c.shingles[m].size
    if jac >= c.settings.near_threshold:
        rel = "near"
    elif con >= c.settings.containment_threshold:
        rel = "truncated" if sm < so else "contained"
    else:
        rel = "rewrite" if (min(origin, m), max(origin, m)) in c.rewrites else "near"
    return rel, round(jac, 4), round(con, 4)


def check_unique_ids(docs: list[DedupDoc]) -> list[DedupDoc]:
    """Collapse rows that repeat an article id with the same text; refuse ids with different texts."""
    return [docs[i] for i in _unique_order(docs)]


def unique_docs(docs: list[DedupDoc], packed: Packed | None) -> tuple[list[DedupDoc], Packed | None]:
    """``check_unique_ids``' rows and, when given, their texts of ``packed`` in the same order."""
    order = _unique_order(docs)
    return [docs[i] for i in order], packed.take(order) if packed is not None else None


def _unique_order(docs: list[DedupDoc]) -> list[int]:
    """``check_unique_ids``'s rows, as positions in ``docs``."""
    by_id: dict[str, int] = {}
    for n, d in enumerate(docs):
        if not d.article_id:
            raise DedupError(f"a record has an empty article_id (url {d.url!r})")
        prev = by_id.get(d.article_id)
        if prev is None:
            by_id[d.article_id] = n
        elif content_hash(docs[prev].text) != content_hash(d.text):
            raise DedupError(f"article_id {d.article_id!r} appears twice with different texts "
                             f"({docs[prev].url or docs[prev].outlet} and {d.url or d.outlet})")
    return sorted(by_id.values(), key=lambda n: docs[n].article_id)


def _indexes(settings: DedupSettings, storage_config: dict | None):
    """(full-text index, lead index): in memory, or shared through a datasketch storage backend.
    The rewrite tier's keys carry a date bucket (``pipeline.dedup.tiers``): always in memory."""
    if storage_config:
        return (SharedIndex(settings.lsh_threshold, settings.num_perm, settings.seed, storage_config, suffix=b"-full"),
                SharedIndex(settings.lead_threshold, settings.num_perm, settings.seed, storage_config, suffix=b"-lead"))
    return BandIndex(settings.lsh_threshold, settings.num_perm), BandIndex(settings.lead_threshold, settings.num_perm)


@contextmanager
def _no_cycle_collection():
    """The stage allocates millions of short-lived tuples and strings, none in a
    reference cycle; the cycle collector would rescan them over and over (~10%
    of the stage's time in ``make bench``). Reference counting still frees them."""
    was_enabled = gc.isenabled()
    gc.disable()
    try:
        yield
    finally:
        if was_enabled:
            gc.enable()


def exact_pairs(c: _Corpus) -> np.ndarray:
    """Pairs joining each group of equal normalised texts (a star around its first member)."""
    by_hash: dict[int, list[int]] = defaultdict(list)
    for i, h in enumerate(c.hashes):
        if c.shingles[i].size:
            by_hash[h].append(i)
    found = [(g[0], k) for g in by_hash.values() if len(g) > 1 for k in g[1:]]
    return np.array(found, dtype=np.int64).reshape(-1, 2)


def cluster_rows(c: _Corpus, pairs: np.ndarray, sources: Sources | None = None
                 ) -> tuple[list[ClusterRow], list[str], list[list[int]]]:
    """(rows, oversized cluster ids, connected components) from candidate ``pairs``: each
    pair verified, digests taken apart from what they quote, components split so every
    member is a duplicate of its origin. The components returned are those before digests
    are taken apart: what a later article can change (``pipeline.dedup.incremental``).
    ``sources``: the texts sharing a paragraph with a text, when they are not all in ``c``."""
    docs, ids, settings = c.docs, [d.article_id for d in c.docs], c.settings
    edges = list(map(tuple, np.sort(pairs, axis=1)[c.measure(pairs)].tolist()))
    comps = components(len(docs), edges)
    fold_members(c, comps)
    quotes = digests(c, sources)
    # a digest holds parts of other texts: it is a copy of none (another outlet may still run the same digest)
    cut = {(i, j) for i, j in edges if (i in quotes or j in quotes) and c.duplicate(i, j)[1] < settings.jaccard_threshold
           and c.hashes[i] != c.hashes[j]}
    edges = [e for e in edges if e not in cut]
    adj: dict[int, set[int]] = defaultdict(set)
    for i, j in edges:
        adj[i].add(j)
        adj[j].add(i)
    rows: list[ClusterRow] = []
    oversized: list[str] = []
    for comp in components(len(docs), edges) if cut else comps:
        for origin, members in split(comp, adj, c):
            cid = ids[origin]
            if len(members) > settings.max_cluster_size:
                oversized.append(cid)
            for m in members:
                rel, jac, con = _relation(c, origin, m)
                if len(members) == 1:
                    rel = "singleton"
                scope = "" if m == origin else ("same_outlet" if docs[m].outlet == docs[origin].outlet else "cross_post")
                rows.append(ClusterRow(ids[m], cid, m == origin, cid, rel, scope, jac, con, len(members),
                                       tuple(quotes.get(m, ()))))
    return rows, oversized, comps


def find_clusters(docs: list[DedupDoc], settings: DedupSettings | None = None, *,
                  signatures: dict[str, np.ndarray] | None = None,
                  outlet_names: dict[str, list[str]] | None = None,
                  storage_config: dict | None = None, packed: Packed | None = None) -> DedupResult:
    """Cluster ``docs``. ``signatures`` maps article ids to precomputed MinHash
    rows (same scheme) so that history is not signed again; the rest are computed.
    ``packed``: the docs' texts in UTF-8, in their order (``Packed.of_arrow`` of the column
    they were read from: not encoded again)."""
    with _no_cycle_collection():
        return _find_clusters(docs, settings or DedupSettings(), signatures, outlet_names, storage_config, packed)


def _find_clusters(docs: list[DedupDoc], settings: DedupSettings, signatures: dict[str, np.ndarray] | None,
                   outlet_names: dict[str, list[str]] | None, storage_config: dict | None,
                   packed: Packed | None) -> DedupResult:
    docs, packed = unique_docs(docs, packed)
    c = _Corpus(docs, settings, outlet_names or {}, packed=packed)
    pairs, params = candidates(c, sign(c, signatures or {}), storage_config)
    rows, oversized, _ = cluster_rows(c, pairs)
    rows.sort(key=lambda r: r.article_id)
    return DedupResult(rows, params, oversized)


@dataclass
class Signed:
    """A corpus's LSH input: which texts are long enough (``eligible``), their full-text and
    lead signatures, and the rewrite tier's band keys (None when the tier is off)."""

    eligible: np.ndarray
    full: np.ndarray
    lead: np.ndarray
    rewrite: np.ndarray | None


def sign(c: _Corpus, known: dict[str, np.ndarray]) -> Signed:
    """The MinHash of every tier; ``known`` signatures (by article id) are not computed again."""
    settings, ids = c.settings, [d.article_id for d in c.docs]
    hasher = MinHasher(settings.num_perm, settings.seed)
    todo = [i for i, a in enumerate(ids) if a not in known]
    # every text new: the batch's flat array as it is (``shingles.Views``), and no copy of the rows
    sig = hasher.signatures(c.shingles if len(todo) == len(ids) else [c.shingles[i] for i in todo])
    if len(todo) < len(ids):  # the known rows in their places
        rows = dict(zip(todo, sig))
        sig = np.array([rows[i] if i in rows else known[a] for i, a in enumerate(ids)], dtype=np.uint32)
    eligible = long_enough(c.shingles, settings)
    every = eligible.size == len(ids)
    rewrite, lead = None, hasher.signatures(c.lead_shingles)
    if settings.rewrite_lsh_threshold and eligible.size:
        when = [c.docs[i].published_at for i in eligible]
        rewrite = rewrite_keys(c.short_shingles if every else [c.short_shingles[i] for i in eligible], when, settings)
    return Signed(eligible, sig if every else sig[eligible], lead if every else lead[eligible], rewrite)


def candidates(c: _Corpus, signed: Signed, storage_config: dict | None) -> tuple[np.ndarray, dict]:
    """(candidate pairs i < j, the LSH parameters used): every tier's buckets and equal texts."""
    eligible, settings = signed.eligible, c.settings
    keys = [c.docs[i].article_id for i in eligible]
    full, heads = _indexes(settings, storage_config)
    found = [eligible[full.pairs(keys, signed.full)], eligible[heads.pairs(keys, signed.lead)], exact_pairs(c)]
    if signed.rewrite is not None:
        found.append(eligible[pairs_sharing(signed.rewrite)])
    params = {"bands": full.params[0], "rows": full.params[1], "lead_bands": heads.params[0],
              "lead_rows": heads.params[1], "num_perm": settings.num_perm}
    return np.unique(np.concatenate(found).reshape(-1, 2), axis=0), params
