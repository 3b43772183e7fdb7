"""Clustering's last step: connected components of verified pairs, the origin of each
(the earliest member, unless members credit another member's outlet), and each component
split until every member is a verified duplicate of its origin, so that a chain A~B~C never
joins A and C through B alone (``pipeline.dedup.cluster`` has the whole picture)."""
from __future__ import annotations

from collections import defaultdict
from datetime import datetime, timezone
from typing import TYPE_CHECKING

from pipeline.articles.attribution import could_name, credits_outlet, folded_ascii, folded_ascii_of
from pipeline.dedup.packed import Packed

if TYPE_CHECKING:
    from pipeline.dedup.cluster import DedupDoc, _Corpus

_NEVER = datetime.max.replace(tzinfo=timezone.utc)


def _sort_key(doc: DedupDoc) -> tuple:
    return (doc.published_at or _NEVER, doc.article_id)


def fold_members(c: _Corpus, comps: list[list[int]]) -> None:
    """``attribution.folded_ascii`` of every member of a component of several outlets (what
    ``_credits`` reads), in one batch from the texts' UTF-8: not decoded, nor NFKD'd one by one."""
    todo = [m for comp in comps if len({c.docs[m].outlet for m in comp}) > 1 for m in comp if m not in c.folded]
    if todo and c.packed is not None:
        c.folded.update(zip(todo, folded_ascii_of(c.packed, todo)))
    elif todo:
        c.folded.update(zip(todo, folded_ascii_of(Packed.of([c.texts[m] for m in todo]), list(range(len(todo))))))


def _credits(c: _Corpus, m: int, outlet: str) -> bool:
    """Does member ``m`` credit ``outlet``? Its attribution lines are searched only where its
    text could name the outlet (``attribution.could_name``): most texts name no other member."""
    if not c.docs[m].authors:
        if m not in c.folded:
            c.folded[m] = folded_ascii(c.texts[m])
        if not could_name(c.folded[m], c.names[outlet]):
            return False
    return credits_outlet(c.attributions(m), c.names[outlet])


def _choose_origin(members: list[int], c: _Corpus) -> int:
    outlets = {c.docs[m].outlet for m in members}
    if len(outlets) == 1:  # credits only name other outlets: the earliest member it is
        return min(members, key=lambda m: _sort_key(c.docs[m]))
    credited = {o for m in members for o in outlets - {c.docs[m].outlet} if _credits(c, m, o)}
    pool = [m for m in members if c.docs[m].outlet in credited] or members
    # among credited outlets, one that credits another credited outlet copied it
    primary = [m for m in pool if not any(_credits(c, m, o) for o in credited - {c.docs[m].outlet})]
    return min(primary or pool, key=lambda m: _sort_key(c.docs[m]))


def components(n: int, edges: list[tuple[int, int]]) -> list[list[int]]:
    """The connected components of ``n`` nodes, each sorted, in order of their first node."""
    parent = list(range(n))

    def find(x: int) -> int:
        while parent[x] != x:
            parent[x] = parent[parent[x]]
            x = parent[x]
        return x

    for a, b in edges:
        ra, rb = find(a), find(b)
        if ra != rb:
            parent[max(ra, rb)] = min(ra, rb)
    groups: dict[int, list[int]] = defaultdict(list)
    for i in range(n):
        groups[find(i)].append(i)
    return sorted(groups.values())


def split(members: list[int], adj: dict[int, set[int]], c: _Corpus) -> list[tuple[int, list[int]]]:
    """(origin, members) groups in which every member is a verified duplicate of the origin."""
    if len(members) == 1:
        return [(members[0], members)]
    origin = _choose_origin(members, c)
    keep = [origin] + [m for m in members if m != origin and c.duplicate(origin, m)[0]]
    rest = sorted(set(members) - set(keep))
    out = [(origin, sorted(keep))]
    if rest:
        sub_edges = [(a, b) for a in rest for b in adj.get(a, ()) if b in rest and a < b]
        local = {m: k for k, m in enumerate(rest)}
        for comp in components(len(rest), [(local[a], local[b]) for a, b in sub_edges]):
            out.extend(split([rest[k] for k in comp], adj, c))
    return out
