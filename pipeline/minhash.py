"""MinHash signatures computed in bulk with numpy, compatible with datasketch.

``MinHasher(num_perm, seed).signatures(shingle_arrays)`` gives exactly the
hash values that ``datasketch.MinHash(num_perm, seed, scheme="affine32",
hashfunc=lambda h: h).update_batch(shingles)`` would, but for a whole batch
of documents at once: the permutations are applied to every shingle of many
documents as one matrix operation and ``np.minimum.reduceat`` takes each
document's minima. ``to_datasketch()`` hands a row to datasketch as a
LeanMinHash, for its LSH index and storage backends.
"""
from __future__ import annotations

from dataclasses import dataclass

import numpy as np
from datasketch import LeanMinHash, MinHash

SCHEME = "affine32"
_EMPTY = np.uint32(0xFFFFFFFF)
_F1, _F2 = np.uint32(0x85EBCA6B), np.uint32(0xC2B2AE35)


def fmix32(h: np.ndarray) -> np.ndarray:
    """MurmurHash3's 32-bit finalizer, as datasketch's affine32 scheme pre-mixes inputs."""
    with np.errstate(over="ignore"):
        h = h ^ (h >> np.uint32(16))
        h = h * _F1
        h = h ^ (h >> np.uint32(13))
        h = h * _F2
        return h ^ (h >> np.uint32(16))


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
    """Bulk MinHash over uint32 shingle hashes.

    ``num_perm``: more permutations estimate Jaccard more precisely (standard
    error about 1/sqrt(num_perm)) at proportional cost in time and storage.
    """

    def __init__(self, num_perm: int = 128, seed: int = 1, chunk_cells: int = 1_000_000):
        self.num_perm = num_perm
        self.seed = seed
        # bounds the temporary (num_perm x shingles) matrix; ~4 MB stays in cache, which is
        # several times faster than one large matrix (measured in `make bench`)
        self.chunk_cells = chunk_cells
        a, b = MinHash(num_perm=num_perm, seed=seed, scheme=SCHEME).permutations
        self.a = np.asarray(a, dtype=np.uint32)
        self.b = np.asarray(b, dtype=np.uint32)

    def signature(self, shingles: np.ndarray) -> np.ndarray:
        return self.signatures([shingles])[0]

    def signatures(self, shingle_arrays: list[np.ndarray]) -> np.ndarray:
        """(len(shingle_arrays), num_perm) uint32; an empty document's row is all 0xFFFFFFFF."""
        out = np.full((len(shingle_arrays), self.num_perm), _EMPTY, dtype=np.uint32)
        sizes = np.fromiter((s.size for s in shingle_arrays), dtype=np.int64, count=len(shingle_arrays))
        per_chunk = max(1, self.chunk_cells // self.num_perm)
        b = self.b[:, None]
        start = 0
        while start < len(shingle_arrays):
            # take whole documents until the chunk holds ~per_chunk shingles
            stop = start + 1
            total = sizes[start]
            while stop < len(shingle_arrays) and total + sizes[stop] <= per_chunk:
                total += sizes[stop]
                stop += 1
            idx = [i for i in range(start, stop) if sizes[i] > 0]
            if idx:
                hv = fmix32(np.concatenate([shingle_arrays[i] for i in idx]).astype(np.uint32, copy=False))
                with np.errstate(over="ignore"):
                    phv = np.multiply.outer(self.a, hv)  # (num_perm, shingles): rows are contiguous
                    phv += b
                offsets = np.concatenate(([0], np.cumsum(sizes[idx])[:-1]))
                out[idx] = np.minimum.reduceat(phv, offsets, axis=1).T
            start = stop
        return out

    def to_datasketch(self, signature: np.ndarray) -> LeanMinHash:
        return LeanMinHash(seed=self.seed, hashvalues=signature, scheme=SCHEME)
