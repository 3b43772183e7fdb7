"""Jaccard and containment of shingle sets (sorted unique hash arrays): of one pair, or of
every candidate pair of a batch in one compiled call (``kernels.common_pairs``)."""
from __future__ import annotations

import numpy as np

from pipeline.dedup.packed import offsets


def overlap(a: np.ndarray, b: np.ndarray) -> tuple[float, float]:
    """(Jaccard, containment of the smaller set) of two sorted unique arrays."""
    if a.size == 0 or b.size == 0:
        return 0.0, 0.0
    from pipeline.dedup.kernels import common
    inter = common(a, b)
    return inter / (a.size + b.size - inter), inter / min(a.size, b.size)


def overlaps(sets: list[np.ndarray], pairs: np.ndarray, floor: float = 0.0) -> tuple[np.ndarray, np.ndarray]:
    """``overlap(sets[i], sets[j])`` for every row (i, j) of ``pairs``, the same values: (Jaccard,
    containment) as two float arrays. ``floor``: a containment below which the caller needs no
    value (a Jaccard is never above the containment): NaN there, where the count stopped early."""
    if not len(pairs):
        return np.empty(0), np.empty(0)
    from pipeline.dedup import kernels
    whole = getattr(sets, "whole", None)  # ``shingles.Views``: the flat array at hand
    if whole is not None:
        flat, bounds = whole
        local, sizes = pairs, np.diff(bounds)
    else:
        used, local = np.unique(pairs, return_inverse=True)  # only the sets the pairs name are copied
        local = local.reshape(pairs.shape)
        sizes = np.fromiter((sets[i].size for i in used.tolist()), dtype=np.int64, count=used.size)
        bounds = offsets(sizes.tolist(), used.size)
        flat = np.concatenate([sets[i] for i in used.tolist()])
    inter = kernels.common_pairs(flat, bounds, np.ascontiguousarray(local, dtype=np.int64), float(floor)
                                 ).astype(np.float64)
    inter[inter < 0] = np.nan
    sa, sb = sizes[local[:, 0]], sizes[local[:, 1]]
    with np.errstate(divide="ignore", invalid="ignore"):
        jac, con = inter / (sa + sb - inter), inter / np.minimum(sa, sb)
    empty = (sa == 0) | (sb == 0)
    jac[empty], con[empty] = 0.0, 0.0
    return jac, con
