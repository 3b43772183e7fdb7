"""``newspipe eval dedup``: a labelled syndication set built from real article texts.

Real texts (the extraction corpus's ground truth and the outlet-pages
paragraphs, for other languages) are published by synthetic outlets, each
with its own long footer, and republished with the edits wires and
aggregators make: dateline prefixes, outlet headers and footers, truncation,
dropped or swapped paragraphs, light word edits, attribution lines, earlier
publication with a credit. Hard negatives: articles of one outlet sharing a
long footer, and follow-ups that reuse a lead paragraph then go elsewhere.
The generator is seeded; the texts are read from ``../shared`` at run time
and never stored in the repo.

Reported beside a naive baseline measured on the same documents in the same
run (datasketch MinHash on word 5-grams of the raw text, MinHashLSH at 0.5,
every candidate pair joined): pair precision, recall and F1, the adjusted Rand
index, and the share of clusters whose origin is right.
"""
from __future__ import annotations

import json
import random
import re
import time
from collections import Counter, defaultdict
from dataclasses import dataclass
from datetime import datetime, timedelta, timezone
from pathlib import Path

from pipeline.dedup.cluster import DedupDoc, find_clusters
from pipeline.settings import DedupSettings

T0 = datetime(2020, 10, 1, tzinfo=timezone.utc)
OUTLETS = [f"outlet-{c}" for c in "abcdefghij"]
AGGREGATORS = ["roundup-x", "roundup-y"]
FOOTER_WORDS = ("independent reporting readers support newsletter subscribe rights reserved reproduction permission "
                "editorial standards contact corrections privacy policy cookies terms advertising partners donate "
                "journalism region coverage since founded team network").split()


@dataclass
class LabelledDoc:
    doc: DedupDoc
    label: str          # the story: copies share their original's label
    is_origin: bool
    kind: str = "original"  # original | copy | rewrite | follow-up | digest


_SENT = re.compile(r"(?<=[.!?])\s+")
SYNONYMS = ("said stated reported noted announced added told claimed confirmed explained "
            "people residents civilians forces troops fighters officials sources town city area region").split()


def _rewrite(paras: list[str], rng: random.Random) -> list[str]:
    """An outlet retyping a story: one sentence per paragraph dropped, sentences reordered,
    about 12% of the words changed."""
    out = []
    for p in paras:
        sents = _SENT.split(p)
        if len(sents) >= 2:
            del sents[rng.randrange(len(sents))]
        if len(sents) >= 2:
            i = rng.randrange(len(sents) - 1)
            sents[i], sents[i + 1] = sents[i + 1], sents[i]
        words = " ".join(sents).split(" ")
        for k in range(len(words)):
            if rng.random() < 0.12:
                words[k] = rng.choice(SYNONYMS)
        out.append(" ".join(words))
    if len(out) >= 4:
        i = rng.randrange(1, len(out) - 1)
        out[i], out[i + 1] = out[i + 1], out[i]
    return out


def load_texts(shared: Path, min_words: int = 150) -> list[str]:
    """Article texts from the shared corpora, paragraphs separated by newlines."""
    texts: list[str] = []
    gt = shared / "extraction-dev" / "ground-truth.json"
    if gt.exists():
        for _, v in sorted(json.loads(gt.read_text(encoding="utf-8")).items()):
            texts.append(re.sub(r"\n\s*\n+", "\n", v.get("articleBody", "")).strip())
    for f in sorted((shared / "outlet-pages").glob("*/*.json")):
        for _, v in sorted(json.loads(f.read_text(encoding="utf-8")).items()):
            body = v.get("body") or {}
            paras = list(body.get("summary") or [])
            for sec in body.get("sections") or []:
                paras += sec.get("paragraphs") or []
            texts.append("\n".join(p.strip() for p in paras if isinstance(p, str) and p.strip()))
    # keep texts that are not near-duplicates of one another (some corpus pages overlap)
    from pipeline.dedup.overlap import overlap
    from pipeline.dedup.shingles import shingle
    out, kept = [], []
    for t in texts:
        if len(t.split()) < min_words or t.count("\n") < 2:
            continue
        s = shingle(t)
        if all(overlap(s, k)[1] < 0.2 for k in kept):
            kept.append(s)
            out.append(t)
    return out


def _footer(rng: random.Random, words: int) -> str:
    return " ".join(rng.choice(FOOTER_WORDS) for _ in range(words)).capitalize() + "."


def _edit_words(text: str, rng: random.Random, rate: float) -> str:
    words = text.split(" ")
    for i in range(len(words)):
        if rng.random() < rate and len(words[i]) > 3:
            words[i] = words[i][::-1] if rng.random() < 0.5 else words[i].upper()
    return " ".join(words)


def _copy(paras: list[str], rng: random.Random, origin_name: str) -> tuple[list[str], list[str]]:
    """A republished copy and the edits applied."""
    ops = rng.sample(["dateline", "truncate", "drop", "swap", "edit", "attribution", "header"], k=rng.randint(1, 3))
    out = list(paras)
    if "truncate" in ops and len(out) >= 4:
        out = out[: max(2, int(len(out) * rng.uniform(0.4, 0.8)))]
    if "drop" in ops and len(out) >= 4:
        del out[rng.randrange(1, len(out))]
    if "swap" in ops and len(out) >= 4:
        i = rng.randrange(1, len(out) - 1)
        out[i], out[i + 1] = out[i + 1], out[i]
    if "edit" in ops:
        out = [_edit_words(p, rng, 0.03) for p in out]
    if "dateline" in ops:
        out[0] = f"IDLIB, Syria ({origin_name.upper()}) - {out[0]}"
    if "header" in ops:
        out.insert(0, "Breaking news from our partners in the region")
    if "attribution" in ops:
        out.append(rng.choice([f"This article was originally published on {origin_name}.", f"Source: {origin_name}"]))
    return out, ops


def build_set(texts: list[str], seed: int = 7) -> list[LabelledDoc]:
    rng = random.Random(seed)
    # some outlets append a long footer (a mission statement, a disclaimer) to every article
    footers = {o: _footer(rng, 160 if k % 3 == 0 else 45) for k, o in enumerate(OUTLETS + AGGREGATORS)}
    docs: list[LabelledDoc] = []
    pool = list(range(len(texts)))
    rng.shuffle(pool)
    fillers = pool[: len(pool) // 6]  # texts used only as the "elsewhere" part of follow-ups
    pool = pool[len(pool) // 6:]
    n = 0

    def add(outlet: str, paras: list[str], label: str, hours: float, origin: bool, kind: str = "original") -> None:
        nonlocal n
        n += 1
        text = "\n".join(paras + [footers[outlet]])
        docs.append(LabelledDoc(DedupDoc(f"d{n:05d}", outlet, text, T0 + timedelta(hours=hours), f"http://{outlet}.test/{n}"),
                                label, origin, kind))

    for rank, idx in enumerate(pool):
        paras = texts[idx].split("\n")
        if rank % 7 == 6:  # a brief: the first paragraphs only, so the footer is a large share of the page
            paras = paras[:2]
        outlet = OUTLETS[rank % len(OUTLETS)]
        label = f"s{idx}"
        t = rng.uniform(0, 24 * 30)
        kind = rank % 5
        add(outlet, paras, label, t, True)
        if kind in (0, 1, 2):  # syndicated to 1..4 other outlets
            others = rng.sample([o for o in OUTLETS if o != outlet], k=rng.randint(1, 4))
            for o in others:
                copy, ops = _copy(paras, rng, outlet)
                early = "attribution" in ops and rng.random() < 0.3  # an aggregator ran it first, crediting it
                add(o, copy, label, t - 2 if early else t + rng.uniform(0.5, 48), False, "copy")
        elif kind == 3 and len(paras) >= 3 and fillers:  # a follow-up: the same lead, then another story
            other = texts[fillers.pop()].split("\n")
            add(outlet, paras[:1] + other[1:] + ["Updated with new details."], f"f{idx}", t + 30, True, "follow-up")
        elif kind == 4 and len(paras) >= 3:  # retyped by one or two outlets
            for o in rng.sample([o for o in OUTLETS if o != outlet], k=rng.randint(1, 2)):
                add(o, _rewrite(paras, rng), label, t + rng.uniform(1, 24), False, "rewrite")
    _add_digests(docs, rng, add)
    return docs


def _add_digests(docs: list[LabelledDoc], rng: random.Random, add) -> None:
    """Roundups by aggregators: the lead paragraphs of four different stories on one page
    (negatives: a digest must neither join those stories nor count as a copy of any)."""
    originals = [d for d in docs if d.is_origin and d.kind == "original"]
    for k in range(0, len(originals) - 3, 12):
        quoted = originals[k:k + 4]
        paras = [p for d in quoted for p in d.doc.text.split("\n")[:2]]
        hours = max((d.doc.published_at - T0).total_seconds() / 3600 for d in quoted) + 6
        add(rng.choice(AGGREGATORS), paras, f"g{k}", hours, True, "digest")


# -- metrics ----------------------------------------------------------------------------------------

def _pairs(assign: dict[str, str]) -> set[tuple[str, str]]:
    groups = defaultdict(list)
    for k, c in assign.items():
        groups[c].append(k)
    out = set()
    for members in groups.values():
        members.sort()
        out.update((a, b) for i, a in enumerate(members) for b in members[i + 1:])
    return out


def _comb2(n: int) -> float:
    return n * (n - 1) / 2


def adjusted_rand_index(truth: dict[str, str], pred: dict[str, str]) -> float:
    keys = sorted(truth)
    cont = Counter((truth[k], pred[k]) for k in keys)
    a, b = Counter(truth[k] for k in keys), Counter(pred[k] for k in keys)
    index = sum(_comb2(v) for v in cont.values())
    sa, sb = sum(_comb2(v) for v in a.values()), sum(_comb2(v) for v in b.values())
    expected = sa * sb / _comb2(len(keys)) if len(keys) > 1 else 0.0
    maximum = (sa + sb) / 2
    return 1.0 if maximum == expected else (index - expected) / (maximum - expected)


def score(docs: list[LabelledDoc], pred: dict[str, str], origins: dict[str, bool] | None = None) -> dict:
    truth = {d.doc.article_id: d.label for d in docs}
    tp_pairs, pp = _pairs(truth), _pairs(pred)
    tp = len(tp_pairs & pp)
    p = tp / len(pp) if pp else 1.0
    r = tp / len(tp_pairs) if tp_pairs else 1.0
    out = {"precision": p, "recall": r, "f1": 2 * p * r / (p + r) if p + r else 0.0,
           "ari": adjusted_rand_index(truth, pred), "docs": len(docs), "true_pairs": len(tp_pairs)}
    if origins is not None:
        sizes = Counter(truth.values())
        right = total = 0
        for d in docs:
            if d.is_origin and sizes[d.label] > 1:
                total += 1
                right += bool(origins.get(d.doc.article_id))
        out["origin_accuracy"] = right / total if total else 1.0
    out.update(_per_kind(docs, pred))
    return out


def _per_kind(docs: list[LabelledDoc], pred: dict[str, str]) -> dict[str, float]:
    """Recall of each kind of copy (found with its original), and the share of each kind of
    negative kept apart (in a cluster of no other story's article)."""
    origin = {d.label: d.doc.article_id for d in docs if d.is_origin}
    members: dict[str, set[str]] = defaultdict(set)
    for d in docs:
        members[pred[d.doc.article_id]].add(d.label)
    found: dict[str, list[bool]] = defaultdict(list)
    for d in docs:
        if d.kind in ("copy", "rewrite"):
            found[f"recall_{d.kind}"].append(pred[d.doc.article_id] == pred[origin[d.label]])
        elif d.kind in ("follow-up", "digest"):
            found[f"apart_{d.kind}"].append(members[pred[d.doc.article_id]] == {d.label})
    return {k: sum(v) / len(v) for k, v in sorted(found.items())}


def naive_baseline(docs: list[DedupDoc], threshold: float = 0.5, num_perm: int = 128) -> dict[str, str]:
    """datasketch MinHash over word 5-grams of the raw text, MinHashLSH, union of all candidates."""
    from datasketch import MinHash, MinHashLSH
    lsh = MinHashLSH(threshold=threshold, num_perm=num_perm)
    sigs = {}
    for d in docs:
        words = d.text.lower().split()
        m = MinHash(num_perm=num_perm)
        m.update_batch([" ".join(words[i:i + 5]).encode() for i in range(max(1, len(words) - 4))])
        sigs[d.article_id] = m
        lsh.insert(d.article_id, m)
    parent = {d.article_id: d.article_id for d in docs}

    def find(x):
        while parent[x] != x:
            parent[x] = parent[parent[x]]
            x = parent[x]
        return x
    for k, m in sigs.items():
        for other in lsh.query(m):
            ra, rb = find(k), find(other)
            if ra != rb:
                parent[max(ra, rb)] = min(ra, rb)
    return {k: find(k) for k in parent}


def evaluate(shared: Path, seed: int = 7, settings: DedupSettings | None = None) -> dict:
    docs = build_set(load_texts(shared), seed)
    plain = [d.doc for d in docs]
    t = time.perf_counter()
    base = naive_baseline(plain)
    t_base = time.perf_counter() - t
    t = time.perf_counter()
    result = find_clusters(plain, settings, outlet_names={o: [o] for o in OUTLETS + AGGREGATORS})
    t_ours = time.perf_counter() - t
    pred = {r.article_id: r.cluster_id for r in result.rows}
    origins = {r.article_id: r.is_origin for r in result.rows}
    return {"naive MinHash-LSH 0.5": dict(score(docs, base), seconds=t_base),
            "newspipe": dict(score(docs, pred, origins), seconds=t_ours, lsh=result.lsh_params)}


def run_dedup_eval(shared: Path) -> str:
    res = evaluate(shared)
    lines = ["newspipe eval dedup (seeded syndication set from ../shared texts)"]
    for name, r in res.items():
        lines.append("  " + f"{name:24} " + ", ".join(
            f"{k} {v:.4f}" if isinstance(v, float) else f"{k} {v}" for k, v in r.items()))
    return "\n".join(lines)
