"""Stored MinHash signatures: made once per article when its day is published, read back for
every later clustering, and refused when they were made with another scheme."""
from __future__ import annotations


import numpy as np
import pyarrow as pa
import pyarrow.parquet as pq

from pipeline.dedup.minhash import SCHEME, MinHasher, SignatureScheme
from pipeline.dedup.shingles import shingle_texts
from pipeline.settings import DedupSettings
from storage.dataset import StorageError, partition_files, to_table, warn
from storage.fs import Root


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


def stored_signatures(root: Root, scheme: SignatureScheme) -> dict[tuple[str, str], np.ndarray]:
    """Every stored signature by (article id, content hash); a file of another scheme is an error
    naming it, an unreadable one is passed over with a warning (its articles are signed again)."""
    out: dict[tuple[str, str], np.ndarray] = {}
    for files in partition_files(root, "signatures").values():  # recovers an interrupted swap first
        for f in files:
            try:
                pf = pq.ParquetFile(f, filesystem=root.fs)  # one footer read for the scheme and the rows
            except (OSError, pa.ArrowInvalid) as exc:  # its articles are signed again
                warn(f"{root.display(f)}: unreadable signatures file, passed over: {str(exc).splitlines()[0]}")
                continue
            stored = SignatureScheme.from_metadata(pf.schema_arrow.metadata or {})
            if stored != scheme:
                raise StorageError(
                    f"{root.display(f)}: signatures were made with {stored} but this run uses {scheme}; "
                    "they cannot be mixed (datasketch 2 changed its default hashing). "
                    "Delete DATA/signatures to sign the history again with the current settings.")
            t = pf.read(columns=["article_id", "content_hash", "signature"])
            sig = t.column("signature").combine_chunks()
            values = sig.values.to_numpy().reshape(len(t), scheme.num_perm) if len(t) else np.empty((0, scheme.num_perm))
            for a, h, row in zip(t.column("article_id").to_pylist(), t.column("content_hash").to_pylist(), values):
                out[(a, h)] = row
    return out


