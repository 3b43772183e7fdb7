"""MinHash signatures published with every day (``signatures`` table), for other tools: the
dedup's own index is made from the texts (``pipeline.dedup.incremental``), so a change of
settings rebuilds it instead of mixing schemes."""
from __future__ import annotations

import pyarrow as pa

from pipeline.dedup.minhash import SCHEME, MinHasher, SignatureScheme
from pipeline.dedup.shingles import shingle_texts
from pipeline.settings import DedupSettings
from storage.dataset import to_table


def scheme_of(settings: DedupSettings) -> SignatureScheme:
    """The scheme of signatures made with ``settings``; stored with every signature file."""
    return SignatureScheme(SCHEME, settings.num_perm, settings.seed, settings.shingle_size, settings.char_shingle_size)


def signature_table(ids: list[str], hashes: list[str], texts: list[str], settings: DedupSettings) -> pa.Table:
    """The ``signatures`` rows of articles (id, content hash, MinHash of the text)."""
    hasher = MinHasher(settings.num_perm, settings.seed)
    sigs = hasher.signatures(shingle_texts(texts, settings.shingle_size, settings.char_shingle_size,
                                           lead_words=0).full)  # no lead needed
    return to_table("signatures", [{"article_id": a, "content_hash": h, "signature": s}
                                   for a, h, s in zip(ids, hashes, sigs)])
