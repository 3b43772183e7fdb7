"""MinHash signatures computed in bulk, compatible with datasketch.

``MinHasher(num_perm, seed).signatures(shingle_arrays)`` gives exactly the
hash values that ``datasketch.MinHash(num_perm, seed, scheme="affine32",
hashfunc=lambda h: h).update_batch(shingles)`` would, but for a whole batch
of documents in one compiled loop. ``to_datasketch()`` hands a row to
datasketch as a LeanMinHash, for its LSH index and storage backends.
"""
from __future__ import annotations

from dataclasses import dataclass
from typing import TYPE_CHECKING

import numpy as np

from pipeline.dedup.packed import offsets

if TYPE_CHECKING:
    from datasketch import LeanMinHash

SCHEME = "affine32"


def permutations(num_perm: int, seed: int) -> tuple[np.ndarray, np.ndarray]:
    """(a, b) of datasketch's ``affine32`` scheme, drawn as it draws them (an odd ``a`` below
    2**32, ``b`` below 2**32, from numpy's ``RandomState(seed)``) without importing it: datasketch
    pulls in scipy, half a second of every process. ``tests/test_kernels.py`` compares them."""
    gen = np.random.RandomState(seed)
    a = gen.randint(0, 1 << 31, num_perm, dtype=np.uint32) * np.uint32(2) + np.uint32(1)
    b = gen.randint(0, 1 << 32, num_perm, dtype=np.uint32)
    return a, b


@dataclass(frozen=True)
class SignatureScheme:
    """What must match for two signatures to be comparable; stored with every signature file."""

    scheme: str
    num_perm: int
    seed: int
    shingle_size: int
    char_shingle_size: int
    shingle_hash: str = "newspipe-poly64-fmix-v1"

    def as_metadata(self) -> dict[str, str]:
        return {f"newspipe.minhash.{k}": str(v) for k, v in self.__dict__.items()}

    @classmethod
    def from_metadata(cls, meta: dict) -> "SignatureScheme | None":
        def get(k):
            v = meta.get(f"newspipe.minhash.{k}".encode()) or meta.get(f"newspipe.minhash.{k}")
            return v.decode() if isinstance(v, bytes) else v
        if get("scheme") is None:
            return None
        return cls(get("scheme"), int(get("num_perm")), int(get("seed")), int(get("shingle_size")),
                   int(get("char_shingle_size")), get("shingle_hash"))


class MinHasher:
    """Bulk MinHash over uint32 shingle hashes (the loop is ``pipeline.dedup.kernels.minhash``).

    ``num_perm``: more permutations estimate Jaccard more precisely (standard
    error about 1/sqrt(num_perm)) at proportional cost in time and storage.
    """

    def __init__(self, num_perm: int = 128, seed: int = 1):
        self.num_perm = num_perm
        self.seed = seed
        self.a, self.b = permutations(num_perm, seed)

    def signature(self, shingles: np.ndarray) -> np.ndarray:
        return self.signatures([shingles])[0]

    def signatures(self, shingle_arrays: list[np.ndarray]) -> np.ndarray:
        """(len(shingle_arrays), num_perm) uint32; an empty document's row is all 0xFFFFFFFF."""
        from pipeline.dedup import kernels

        whole = getattr(shingle_arrays, "whole", None)  # ``shingles.Views``: the flat array at hand
        if whole is not None:
            return kernels.minhash(whole[0], whole[1], self.a, self.b)
        bounds = offsets((s.size for s in shingle_arrays), len(shingle_arrays))
        flat = end_to_end(shingle_arrays, int(bounds[-1]))
        if flat is None:
            flat = np.concatenate(shingle_arrays) if shingle_arrays else np.empty(0, dtype=np.uint32)
        return kernels.minhash(flat.astype(np.uint32, copy=False), bounds, self.a, self.b)


def end_to_end(arrays: list[np.ndarray], total: int) -> np.ndarray | None:
    """The one array ``arrays`` are consecutive slices of, when they are (a batch's documents as
    ``shingle_texts`` gives them): their concatenation without copying 20,000 of them."""
    base = arrays[0].base if arrays else None
    if not isinstance(base, np.ndarray) or base.ndim != 1 or any(a.base is not base for a in arrays):
        return None
    at = np.fromiter((a.__array_interface__["data"][0] for a in arrays), dtype=np.int64, count=len(arrays))
    sizes = np.fromiter((a.nbytes for a in arrays), dtype=np.int64, count=len(arrays))
    at, sizes = at[sizes > 0], sizes[sizes > 0]  # an empty slice's address is not where it was cut
    if not at.size or (at[1:] != at[:-1] + sizes[:-1]).any():
        return None
    start = (int(at[0]) - base.__array_interface__["data"][0]) // base.itemsize
    return base[start:start + total]


def to_datasketch(signature: np.ndarray, seed: int) -> "LeanMinHash":
    """A signature as datasketch's LeanMinHash, for its LSH index and storage backends."""
    from datasketch import LeanMinHash
    return LeanMinHash(seed=seed, hashvalues=signature, scheme=SCHEME)
