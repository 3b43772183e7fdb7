"""The batch forms the compiled passes share: packed UTF-8 texts, candidate pairs from LSH
buckets, and overlaps measured in one call, each equal to its plain definition."""
import random

import numpy as np
import pytest
import pyarrow as pa

from pipeline.dedup.buckets import bucket_pairs
from pipeline.dedup.overlap import overlap, overlaps
from pipeline.dedup.packed import Packed

TEXTS = ["Idlib, 5 mars", None, "", "إدلب تحت القصف", "İdlib'de çatışma", "Идлиб\nвторой абзац", "x" * 300]


def _bytes(p: Packed) -> list[bytes]:
    return [p.part(i) for i in range(p.bounds.size - 1)]


def test_an_arrow_column_is_read_as_its_texts_utf8_nulls_empty():
    want = [(t or "").encode() for t in TEXTS]
    for array in (pa.array(TEXTS), pa.array(TEXTS, pa.large_string()),
                  pa.chunked_array([pa.array(TEXTS[:3]), pa.array(TEXTS[3:])])):
        assert _bytes(Packed.of_arrow(array)) == want
    assert _bytes(Packed.of_arrow(pa.array(TEXTS).slice(2, 3))) == want[2:5]  # an offset into the buffers
    assert Packed.of_arrow(pa.array([1, 2])) is None  # not text: the caller encodes


def test_splicing_and_taking_texts():
    p = Packed.of([t or "" for t in TEXTS])
    q = p.replace({0: b"new", 3: b"", 6: "é".encode()})
    assert _bytes(q) == [b"new"] + _bytes(p)[1:3] + [b""] + _bytes(p)[4:6] + ["é".encode()]
    assert _bytes(p.take([5, 0, 5])) == [_bytes(p)[5], _bytes(p)[0], _bytes(p)[5]]
    assert p.take(list(range(len(TEXTS)))) is p


def test_bucket_pairs_are_every_pair_sharing_a_value_and_a_star_for_a_large_bucket():
    """Values that differ only above their low four bytes (which the radix sort orders by) too."""
    rng = random.Random(3)
    per_doc, n = 3, 40
    for spread in (1, 1 << 32, 1 << 59):
        codes = np.array([rng.randrange(25) * spread + 7 for _ in range(n * per_doc)], dtype=np.uint64)
        got = sorted(set(bucket_pairs(codes, per_doc, n, 10 ** 6).tolist()))
        docs = [set(codes[d * per_doc:(d + 1) * per_doc].tolist()) for d in range(n)]
        assert got == [i * n + j for i in range(n) for j in range(i + 1, n) if docs[i] & docs[j]], spread
    star = bucket_pairs(np.zeros(6, dtype=np.uint64), 1, 6, 3)  # six equal values, at most three a bucket
    assert sorted(star.tolist()) == [1, 2, 3, 4, 5]  # document 0 joined to each other


def test_overlaps_in_one_call_equal_each_pairs():
    rng = np.random.default_rng(7)
    sets = [np.unique(rng.integers(0, 60, rng.integers(0, 40)).astype(np.uint32)) for _ in range(30)]
    pairs = np.array([(i, j) for i in range(30) for j in range(i + 1, 30)], dtype=np.int64)
    jac, con = overlaps(sets, pairs)
    got = dict(zip(map(tuple, pairs.tolist()), zip(jac.tolist(), con.tolist())))
    assert all(got[i, j] == overlap(sets[i], sets[j]) for i, j in pairs.tolist())
    assert all(a.size == 0 for a in overlaps(sets, np.empty((0, 2), dtype=np.int64)))
    from pipeline.dedup.packed import offsets
    from pipeline.dedup.shingles import Views
    views = Views(np.concatenate(sets), offsets((a.size for a in sets), len(sets)))  # read whole, not copied
    for part in (pairs, pairs[::7]):
        jac, con = overlaps(views, part)
        assert list(zip(jac.tolist(), con.tolist())) == [got[k] for k in map(tuple, part.tolist())]


def test_parquet_read_from_its_buffers_clusters_as_json_lines_do(tmp_path):
    """Out of id order, an id repeated with its text, a null text, texts NFKC changes (a ligature,
    fullwidth letters), one Python folds (a capital sigma), an outlet footer boilerplate strips:
    the command reading the Parquet column's buffers gives the rows it gives from JSON lines."""
    import json

    import pandas as pd

    from pipeline.cli.dedup_io import dedup_file
    words = "army convoy crossed the river near idlib before dawn while monitors counted shells".split()
    rng = random.Random(11)
    body = [" ".join(rng.choice(words) for _ in range(60)) for _ in range(6)]
    footer = "Follow us on our channels for more news"
    texts = [body[0] + "\n" + footer, body[0] + " extra words here\n" + footer, "ﬁrst ＩＤＬＩＢ " + body[1],
             "first idlib " + body[1], "ΣΟΦΙΑ " + body[2], body[2], None, body[3] + "\n" + footer, body[4] + "\n" + footer]
    ids = ["e", "a", "d", "b", "c", "f", "g", "h", "i"]
    outlets = ["o0" if t and footer in t else "o1" for t in texts]  # o0's four pages end in the footer
    rows = [{"article_id": i, "url": f"http://{o}.test/{i}", "outlet": o, "title": i, "text": t,
             "published_at": f"2020-10-0{k + 1}T10:00:00Z", "language": ""}
            for k, (i, t, o) in enumerate(zip(ids, texts, outlets))]
    rows.append(dict(rows[1]))  # the same id and text again: collapsed
    (tmp_path / "in.jsonl").write_text("\n".join(json.dumps(r) for r in rows), encoding="utf-8")
    pd.DataFrame(rows).to_parquet(tmp_path / "in.parquet")
    got = [dedup_file(tmp_path / f"in.{kind}", tmp_path / f"{kind}.out").rows for kind in ("jsonl", "parquet")]
    assert got[0] == got[1]
    assert len(got[0]) == 9 and sum(r.relation != "singleton" for r in got[0]) >= 4


def test_slices_end_to_end_are_signed_without_a_copy_and_as_copies_are():
    from pipeline.dedup.minhash import MinHasher, end_to_end
    flat = np.arange(100, dtype=np.uint32)
    parts = [flat[3:3], flat[5:15], flat[15:15], flat[15:60], flat[60:100]]  # empty ones anywhere
    assert np.shares_memory(end_to_end(parts, 95), flat) and (end_to_end(parts, 95) == flat[5:]).all()
    assert end_to_end([flat[0:10], flat[11:20]], 19) is None  # a gap: copied by the caller
    assert end_to_end([flat[0:10], flat[0:10].copy()], 20) is None
    hasher = MinHasher(16, 1)
    assert (hasher.signatures(parts) == hasher.signatures([p.copy() for p in parts])).all()


def test_deferred_texts_are_decoded_only_when_read_as_strings():
    """A Parquet column's texts stay UTF-8 (``Deferred``) until a step reads one as a string;
    the dedup command then decodes the few it needs (attribution lines, sentences)."""
    from pipeline.dedup.cluster import _TEXT, DedupDoc
    from pipeline.dedup.packed import Texts, as_texts
    p = Packed.of_arrow(pa.array(TEXTS))
    lazy = p.deferred()
    assert [str(d) for d in lazy] == [t or "" for t in TEXTS]
    texts = Texts(lazy)
    assert texts[3] == TEXTS[3] and type(texts._items[3]) is str and type(texts._items[4]) is not str
    assert texts[-1] == TEXTS[-1] and texts[1:3] == ["", ""] and list(texts) == [t or "" for t in TEXTS]
    assert as_texts(texts) is texts and list(as_texts(["a"])) == ["a"]
    doc = DedupDoc("id", "outlet", lazy[5])
    assert type(_TEXT.raw(doc)) is not str and doc.text == TEXTS[5] and _TEXT.raw(doc) is doc.text
    assert doc == DedupDoc("id", "outlet", TEXTS[5]) and DedupDoc("id", "outlet").text == ""


def test_the_dedup_command_reads_parquet_texts_without_decoding_them(tmp_path):
    """``read_input`` gives a Parquet file's texts ``Deferred`` and the result is the one the
    same texts give as strings (JSON lines)."""
    import json

    from pipeline.cli.dedup_io import dedup_file, read_input
    rng = random.Random(2)
    words = "Idlib إدلب İdlib'de Идлиб çatışma 😀 bombardement الطائرات ½ ﬁn".split()
    texts = [" ".join(rng.choice(words) for _ in range(60)) for _ in range(30)]
    texts += [texts[0] + " Source: Levant Wire", texts[1][:200]]
    rows = [{"article_id": f"a{i:02d}", "url": f"http://o{i % 3}.test/{i}", "outlet": f"o{i % 3}", "title": "",
             "text": t, "published_at": f"2020-10-0{1 + i % 9}T10:00:00+00:00", "language": ""}
            for i, t in enumerate(texts)]
    pq_path, js_path = tmp_path / "in.parquet", tmp_path / "in.jsonl"
    table = pa.Table.from_pylist(rows)
    import pyarrow.parquet as pq
    pq.write_table(table, pq_path)
    js_path.write_text("".join(json.dumps(r, ensure_ascii=False) + "\n" for r in rows), encoding="utf-8")
    columns, packed = read_input(pq_path)
    assert packed is not None and not any(isinstance(t, str) for t in columns["text"])
    a = dedup_file(pq_path, tmp_path / "a.parquet").rows
    b = dedup_file(js_path, tmp_path / "b.parquet").rows
    assert a == b and any(r.relation != "singleton" for r in a)


def test_views_forget_their_flat_array_once_changed():
    """MinHash and overlaps read a ``Views``' flat array only while its items are the array's
    slices: any change (a text given character shingles, an append) makes them read the items."""
    from pipeline.dedup.minhash import MinHasher
    from pipeline.dedup.shingles import Views
    flat, bounds = np.arange(10, dtype=np.uint32), np.array([0, 4, 10])
    for change in (lambda v: v.__setitem__(0, np.array([7], np.uint32)), lambda v: v.append(flat[:2]),
                   lambda v: v.extend([]), lambda v: v.pop(), lambda v: v.__iadd__([])):
        views = Views(flat, bounds)
        assert views.whole is not None
        change(views)
        assert views.whole is None
    views = Views(flat, bounds)
    views[1] = np.array([3, 9], dtype=np.uint32)
    hasher = MinHasher(16, 1)
    assert np.array_equal(hasher.signatures(views), hasher.signatures(list(views)))


@pytest.mark.parametrize("type", [pa.string(), pa.large_string()])
def test_a_parquet_text_column_is_packed_batch_by_batch(tmp_path, type):
    """``read_input`` packs the text column a batch at a time (``Packed.of_arrow_batches``): the
    same bytes and bounds as the whole column's, across batches, row groups, nulls (empty texts)
    and a buffer grown past the file's uncompressed size (repeated texts stored once in a
    dictionary page)."""
    import pyarrow.parquet as pq

    from pipeline.cli.dedup_io import TEXT_BATCH_ROWS, read_input
    rng = random.Random(3)
    words = "Idlib إدلب İdlib'de Идлиб çatışma 😀 ½".split()
    texts = [None if i % 97 == 5 else ("" if i % 89 == 7 else " ".join(rng.choice(words) for _ in range(i % 40)))
             for i in range(2 * TEXT_BATCH_ROWS + 37)]
    texts += ["the same long text " * 500] * 300  # dictionary-encoded: stored once, read 300 times
    n = len(texts)
    table = pa.table({"article_id": [f"a{i}" for i in range(n)], "url": [""] * n, "outlet": ["o"] * n,
                      "title": [""] * n, "text": pa.array(texts, type), "published_at": [None] * n,
                      "language": [""] * n})
    path = tmp_path / "in.parquet"
    pq.write_table(table, path, row_group_size=300)
    _, packed = read_input(path)
    want = Packed.of([t or "" for t in texts])
    assert np.array_equal(packed.bounds, want.bounds) and packed.buf.tobytes() == want.buf.tobytes()
    with pytest.raises(TypeError, match="not a string column"):
        Packed.of_arrow_batches([pa.array([1, 2])])
