"""The candidate tiers as band keys: what the persistent index stores and looks up.

Three tiers, each MinHash-LSH with the bands and rows datasketch picks for
its threshold: the full text (word ``shingle_size``-grams, ``lsh_threshold``),
the lead (its first ``lead_words`` words, ``lead_threshold``: truncated
copies), and the rewrite tier (``rewrite_shingle_size``-grams,
``rewrite_lsh_threshold``). Short shingles are shared by unrelated texts far
more often than long ones, so the rewrite tier only pairs texts published
in ``REWRITE_WEEKS``-week buckets at most one apart (two to four weeks): the
index stores a text's keys made for its own bucket and a run looks up keys
made for its bucket and both neighbours; in memory, each text's keys for its
bucket and the next are paired, which is the same relation. A retyped wire
story follows its original within days; without the buckets a history of a
million articles would propose hundreds of unrelated candidates per text.
"""
from __future__ import annotations

from datetime import datetime

import numpy as np

from pipeline.dedup.lsh import _MIX, band_keys, lsh_params
from pipeline.dedup.minhash import MinHasher
from pipeline.dedup.shingles import sizes
from pipeline.settings import DedupSettings

FULL, LEAD, SHORT = 1, 2, 3  # salts of the tiers' keys
REWRITE_WEEKS = 2


def _bucket(when: datetime | None) -> int:
    return 0 if when is None else int(when.timestamp() // (REWRITE_WEEKS * 7 * 86400)) + 1


SHIFTS = {"stored": (0,), "query": (-1, 0, 1), "pairs": (0, 1)}  # time buckets a text's rewrite keys are made for


def dated(keys: np.ndarray, when: list[datetime | None], shifts: tuple[int, ...]) -> np.ndarray:
    """Each row's keys made for its time bucket moved by each of ``shifts`` (lowest bit kept 0)."""
    b = np.array([_bucket(w) for w in when], dtype=np.int64)[:, None]
    u, width = keys.view(np.uint64), keys.shape[1]
    out = np.empty((keys.shape[0], width * len(shifts)), dtype=np.uint64)
    with np.errstate(over="ignore"):
        for k, d in enumerate(shifts):  # in place, column block by block (no temporaries to stack)
            part = out[:, k * width:(k + 1) * width]
            np.bitwise_xor(u, (b + d).astype(np.uint64) * _MIX[5], out=part)
            np.multiply(part, _MIX[6], out=part)
    out &= ~np.uint64(1)
    return out.view(np.int64)


def long_enough(shingles: list[np.ndarray], settings: DedupSettings) -> np.ndarray:
    """Positions of the texts with ``min_shingles`` shingles or more: those LSH indexes."""
    return np.flatnonzero(sizes(shingles) >= settings.min_shingles)


def rewrite_keys(short_shingles: list[np.ndarray], when: list[datetime | None], settings: DedupSettings,
                 mode: str = "pairs") -> np.ndarray:
    hasher = MinHasher(settings.num_perm, settings.seed)
    sig = hasher.signatures(short_shingles)
    return dated(band_keys(sig, lsh_params(settings.rewrite_lsh_threshold, settings.num_perm), SHORT), when,
                 SHIFTS[mode])


def tier_keys(c, eligible: np.ndarray, settings: DedupSettings, mode: str = "pairs") -> np.ndarray:
    """(len(eligible), keys) of corpus ``c``'s texts at ``eligible``: every tier's band keys, the
    rewrite tier's made for ``mode``: "stored" in the index, "query" to look up, "pairs" in memory."""
    hasher = MinHasher(settings.num_perm, settings.seed)
    keys = [band_keys(hasher.signatures([shingles[i] for i in eligible]), lsh_params(t, settings.num_perm), salt)
            for shingles, t, salt in ((c.shingles, settings.lsh_threshold, FULL),
                                      (c.lead_shingles, settings.lead_threshold, LEAD))]
    if settings.rewrite_lsh_threshold:
        keys.append(rewrite_keys([c.short_shingles[i] for i in eligible],
                                 [c.docs[i].published_at for i in eligible], settings, mode))
    return np.hstack(keys)
