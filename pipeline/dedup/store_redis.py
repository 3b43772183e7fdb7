"""The persistent LSH index in Redis, for workers on several machines (see ``pipeline.dedup.store``).

Keys, under one prefix (``?prefix=`` in the URL, default ``newspipe:dedup``)::

    P:meta  P:days            hashes: settings, clusters token; day -> version
    P:doc                     hash: article id -> "day|digest|component|outlet"
    P:keys  P:paras           hashes: article id -> its keys; its paragraph keys (int64 bytes)
    P:b:KEY  P:h:DIGEST  P:c:COMPONENT  P:d:DAY     sets of article ids

A sync's change is one MULTI/EXEC: other clients see the index before or after it, never half.
"""
from __future__ import annotations

from typing import Iterable
from urllib.parse import parse_qs, urlsplit, urlunsplit

import numpy as np

from pipeline.dedup.store import IndexChange, StoreError
from storage.locks import check_fences

_BATCH = 10_000


class RedisStore:
    def __init__(self, url: str):
        import redis

        parts = urlsplit(url)
        self.prefix = (parse_qs(parts.query).get("prefix") or ["newspipe:dedup"])[0]
        self.url = urlunsplit(parts._replace(query=""))
        self.r = redis.Redis.from_url(self.url)
        try:
            self.r.ping()
        except redis.RedisError as exc:
            raise StoreError(f"dedup index {self.url}: {exc}") from None

    def describe(self) -> str:
        return f"{self.url} (prefix {self.prefix})"

    def close(self) -> None:
        self.r.close()

    def _k(self, *parts: str) -> str:
        return ":".join([self.prefix, *parts])

    def _union(self, keys: list[str]) -> set[str]:
        out: set[str] = set()
        for i in range(0, len(keys), _BATCH):
            pipe = self.r.pipeline(transaction=False)
            for k in keys[i:i + _BATCH]:
                pipe.smembers(k)
            for members in pipe.execute():
                out.update(m.decode() for m in members)
        return out

    def _docs(self, ids: list[str]) -> dict[str, tuple[str, str, str, str]]:
        out = {}
        for i in range(0, len(ids), _BATCH):
            chunk = ids[i:i + _BATCH]
            for a, v in zip(chunk, self.r.hmget(self._k("doc"), chunk) if chunk else []):
                if v is not None:
                    day, digest, comp, outlet = v.decode().split("|", 3)
                    out[a] = (day, digest, comp, outlet)
        return out

    def paragraphs(self, ids: Iterable[str]) -> dict[str, tuple[str, np.ndarray]]:
        docs = self._docs(sorted(set(ids)))
        keys = list(docs)
        values = self.r.hmget(self._k("paras"), keys) if keys else []
        return {a: (docs[a][3], np.frombuffer(v or b"", dtype=np.int64)) for a, v in zip(keys, values)}

    def meta(self) -> dict[str, str]:
        return {k.decode(): v.decode() for k, v in self.r.hgetall(self._k("meta")).items()}

    def day_versions(self) -> dict[str, str]:
        return {k.decode(): v.decode() for k, v in self.r.hgetall(self._k("days")).items()}

    def docs_of_days(self, days: Iterable[str]) -> dict[str, str]:
        ids = self._union([self._k("d", d) for d in days])
        return {a: v[0] for a, v in self._docs(sorted(ids)).items()}

    def days_of(self, ids: Iterable[str]) -> dict[str, str]:
        return {a: v[0] for a, v in self._docs(sorted(set(ids))).items()}

    def lookup(self, keys: np.ndarray) -> set[str]:
        return self._union([self._k("b", str(int(k))) for k in np.unique(keys)])

    def holders(self, keys: Iterable[int]) -> dict[int, set[str]]:
        keys = sorted(set(int(k) for k in keys))
        out: dict[int, set[str]] = {}
        for i in range(0, len(keys), _BATCH):
            pipe = self.r.pipeline(transaction=False)
            for k in keys[i:i + _BATCH]:
                pipe.smembers(self._k("b", str(k)))
            for k, members in zip(keys[i:i + _BATCH], pipe.execute()):
                if members:
                    out[k] = {m.decode() for m in members}
        return out

    def by_digest(self, digests: Iterable[str]) -> set[str]:
        return self._union([self._k("h", h) for h in set(digests) if h])

    def components_of(self, ids: Iterable[str]) -> set[str]:
        return {v[2] for v in self._docs(sorted(set(ids))).values()}

    def members(self, components: Iterable[str]) -> dict[str, str]:
        ids = self._union([self._k("c", c) for c in set(components)])
        return {a: v[0] for a, v in self._docs(sorted(ids)).items()}

    def apply(self, change: IndexChange) -> None:
        old = self._docs(sorted(set(change.removed) | set(change.components)))
        old_keys = dict(zip(change.removed, self.r.hmget(self._k("keys"), change.removed))) if change.removed else {}
        pipe = self.r.pipeline(transaction=True)
        for a in change.removed:
            day, digest, comp, _ = old.get(a, ("", "", "", ""))
            for k in np.frombuffer(old_keys.get(a) or b"", dtype=np.int64):
                pipe.srem(self._k("b", str(int(k))), a)
            pipe.srem(self._k("d", day), a)
            pipe.srem(self._k("h", digest), a)
            pipe.srem(self._k("c", comp), a)
            pipe.hdel(self._k("doc"), a)
            pipe.hdel(self._k("keys"), a)
            pipe.hdel(self._k("paras"), a)
        added = {a.article_id: a for a in change.added}
        for a in change.added:
            keys = np.unique(a.keys.astype(np.int64))
            for k in keys:
                pipe.sadd(self._k("b", str(int(k))), a.article_id)
            pipe.hset(self._k("keys"), a.article_id, keys.tobytes())
            pipe.hset(self._k("paras"), a.article_id, a.paras.astype(np.int64).tobytes())
            pipe.sadd(self._k("d", a.day), a.article_id)
            if a.digest:
                pipe.sadd(self._k("h", a.digest), a.article_id)
        components = {a: a for a in added} | change.components
        for a, comp in components.items():
            prev = old.get(a) if a not in change.removed else None
            if prev and prev[2] != comp:
                pipe.srem(self._k("c", prev[2]), a)
            day, digest, outlet = ((added[a].day, added[a].digest, added[a].outlet) if a in added
                                   else (prev[0], prev[1], prev[3]) if prev else ("", "", ""))
            pipe.hset(self._k("doc"), a, f"{day}|{digest}|{comp}|{outlet}")
            pipe.sadd(self._k("c", comp), a)
        for d, v in change.days.items():
            (pipe.hset(self._k("days"), d, v) if v is not None else pipe.hdel(self._k("days"), d))
        if change.meta:
            pipe.hset(self._k("meta"), mapping=change.meta)
        check_fences()  # a sync whose lock expired must not overwrite a newer one's index
        pipe.execute()

    def clear(self) -> None:
        batch = []
        for key in self.r.scan_iter(match=f"{self.prefix}:*", count=10_000):
            batch.append(key)
            if len(batch) >= _BATCH:
                self.r.unlink(*batch)
                batch = []
        if batch:
            self.r.unlink(*batch)
