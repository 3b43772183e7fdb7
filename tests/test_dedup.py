"""Near-duplicate detection: verification, origins, order independence, bad input."""
from __future__ import annotations

import json
import random
import subprocess
import sys
from datetime import datetime, timedelta, timezone
from pathlib import Path

import numpy as np
import pandas as pd
import pytest
from datasketch import MinHash

from pipeline.dedup.cluster import DedupDoc, DedupError, find_clusters
from pipeline.dedup.minhash import MinHasher
from pipeline.dedup.shingles import shingle

ROOT = Path(__file__).resolve().parents[1]
T0 = datetime(2020, 10, 1, tzinfo=timezone.utc)

WORDS = ("army rebels shelling village convoy border camp winter aid truck highway patrol ceasefire talks "
         "drone strike commander market raid activists water station fuel school teachers salary olive "
         "harvest police station countryside displaced families tents rain flood clinic doctors").split()


def essay(seed: int, n: int = 220) -> str:
    rng = random.Random(seed)
    sents = []
    for _ in range(n // 11):
        sents.append(" ".join(rng.choice(WORDS) for _ in range(11)).capitalize() + ".")
    paras = [" ".join(sents[i:i + 4]) for i in range(0, len(sents), 4)]
    return "\n".join(paras)


def doc(aid: str, outlet: str, text: str, hours: float = 0, authors=None) -> DedupDoc:
    return DedupDoc(aid, outlet, text, T0 + timedelta(hours=hours), f"http://{outlet}.test/{aid}", authors=authors or [])


def by_id(result):
    return {r.article_id: r for r in result.rows}


def test_minhasher_matches_datasketch():
    s = shingle(essay(1))
    m = MinHash(num_perm=128, seed=1, scheme="affine32", hashfunc=lambda h: h)
    m.update_batch(s.tolist())
    assert np.array_equal(np.asarray(m.hashvalues, dtype=np.uint32), MinHasher(128, 1).signature(s))


def test_truncated_copy_joins_follow_up_does_not():
    original = essay(1)
    paras = original.split("\n")
    truncated = "\n".join(paras[:2]) + "\nThis article was originally published on Levant Wire."
    follow_up = paras[0] + "\n" + essay(2)
    r = by_id(find_clusters([doc("a", "levant-wire", original), doc("b", "mashriq", truncated, 5),
                             doc("c", "levant-wire", follow_up, 30)]))
    assert r["b"].cluster_id == r["a"].cluster_id == "a"
    assert r["b"].relation == "truncated" and r["b"].scope == "cross_post"
    assert r["c"].cluster_id == "c" and r["c"].relation == "singleton"


def test_known_signatures_take_their_rows_and_the_rest_are_computed():
    """``find_clusters(signatures=...)``: rows given for some articles (stored ones) are placed
    where those articles sort and the others computed (``cluster.sign``); with the true rows
    the clusters are those computed from scratch."""
    from pipeline.dedup.cluster import _Corpus, sign
    from pipeline.settings import DedupSettings
    original = essay(5)
    docs = [doc("a", "levant-wire", original), doc("b", "mashriq", original.replace("\n", "\n\n"), 2),
            doc("c", "idlib-monitor", essay(6), 3), doc("d", "mashriq", essay(7), 4)]
    c = _Corpus(docs, DedupSettings(), {})
    fresh = sign(c, {})
    marked = {"d": np.full(128, 7, dtype=np.uint32), "b": np.full(128, 9, dtype=np.uint32)}
    given = sign(c, marked)
    assert fresh.eligible.tolist() == given.eligible.tolist() == [0, 1, 2, 3]
    assert given.full[3].tolist() == [7] * 128 and given.full[1].tolist() == [9] * 128
    assert np.array_equal(given.full[[0, 2]], fresh.full[[0, 2]]) and np.array_equal(given.lead, fresh.lead)
    true_rows = {a: fresh.full[k] for k, a in ((3, "d"), (1, "b"))}
    plain = by_id(find_clusters(docs))
    assert by_id(find_clusters(docs, signatures=true_rows)) == plain and plain["b"].cluster_id == "a"


def test_shared_footer_alone_does_not_join():
    footer = "\n".join(essay(99, 90).split("\n"))
    docs = [doc(f"d{i}", "monitor", essay(10 + i, 120) + "\n" + footer, i) for i in range(4)]
    r = by_id(find_clusters(docs))
    assert len({x.cluster_id for x in r.values()}) == 4


def test_credit_beats_earlier_date():
    text = essay(3)
    copy = "Source: Idlib Monitor\n" + text
    r = by_id(find_clusters([doc("orig", "idlib-monitor", text, 5), doc("copy", "mashriq", copy, 1)],
                            outlet_names={"idlib-monitor": ["Idlib Monitor"]}))
    assert r["orig"].is_origin and not r["copy"].is_origin
    assert r["copy"].relation in ("contained", "near")


def test_chain_does_not_join_through_a_middle_member():
    a = essay(4)
    pa_, pb = a.split("\n"), essay(5).split("\n")
    half = len(pa_) // 2
    b = "\n".join(pa_[:half] + pb[half:])          # half of a, half new
    c = "\n".join(pb)                              # b's new half and more
    r = by_id(find_clusters([doc("a", "x", a, 0), doc("b", "y", b, 1), doc("c", "z", c, 2)]))
    assert r["a"].cluster_id != r["c"].cluster_id


def test_order_and_split_independence():
    base = [essay(i) for i in range(12)]
    docs = []
    for i, t in enumerate(base):
        docs.append(doc(f"o{i:02d}", f"outlet{i % 3}", t, i))
        if i % 2 == 0:
            docs.append(doc(f"c{i:02d}", "aggregator", "\n".join(t.split("\n")[:-1]), i + 3))
        if i % 4 == 0:
            docs.append(doc(f"e{i:02d}", "wire", t.upper(), i + 7))
    expected = find_clusters(docs).rows
    for seed in range(3):
        shuffled = docs[:]
        random.Random(seed).shuffle(shuffled)
        assert find_clusters(shuffled).rows == expected
    exact = by_id(find_clusters(docs))["e00"]
    assert exact.relation == "exact" and exact.similarity == 1.0


def test_texts_without_spaces_get_character_shingles():
    zh = "伊德利卜省南部的炮击持续了整夜，救援人员说至少有六个村庄受到影响，居民开始向北部边境地区转移。" * 3
    other = "土耳其军队的车队今天早上进入叙利亚西北部，携带了预制混凝土墙和燃料罐车，前往高速公路沿线的基地。" * 3
    r = by_id(find_clusters([doc("a", "x", zh), doc("b", "y", zh[:-10], 1), doc("c", "z", other, 2)]))
    assert shingle(zh).size > 30  # character 5-grams, not one "word"
    assert r["a"].cluster_id == r["b"].cluster_id != r["c"].cluster_id


def test_empty_and_tiny_texts_are_only_matched_exactly():
    r = by_id(find_clusters([doc("a", "x", ""), doc("b", "y", "Idlib"), doc("c", "z", "idlib!", 1),
                             doc("d", "z", "")]))
    assert r["a"].relation == r["d"].relation == "singleton"  # empty texts never cluster
    assert r["b"].cluster_id == r["c"].cluster_id  # the same word, normalised


def test_duplicate_ids():
    t = essay(6)
    assert len(find_clusters([doc("a", "x", t), doc("a", "x", t)]).rows) == 1
    with pytest.raises(DedupError, match="article_id 'a' appears twice with different texts"):
        find_clusters([doc("a", "x", t), doc("a", "x", essay(7))])


def _cli(*args):
    return subprocess.run([sys.executable, "-m", "pipeline.cli.main", *args], capture_output=True, text=True, cwd=ROOT,
                          timeout=120)


def test_cli_contract_jsonl_and_parquet(tmp_path):
    t = essay(8)
    rows = [{"article_id": "a", "url": "u1", "outlet": "x", "title": "t", "text": t, "published_at": "2020-10-01T10:00:00Z",
             "language": "en", "extra": 1},
            {"article_id": "b", "url": "u2", "outlet": "y", "title": "t", "text": t + " More.", "published_at": None,
             "language": "en", "extra": 2}]
    src = tmp_path / "in.jsonl"
    src.write_text("\n".join(json.dumps(r) for r in rows), encoding="utf-8")
    p = _cli("dedup", str(src), str(tmp_path / "out.parquet"))
    assert p.returncode == 0, p.stderr
    out = pd.read_parquet(tmp_path / "out.parquet").set_index("article_id")
    assert set(out.columns) >= {"cluster_id", "is_origin", "origin_article_id", "relation", "similarity"}
    assert out.loc["a", "is_origin"] and out.loc["b", "origin_article_id"] == "a"  # a missing date sorts last
    pd.DataFrame(rows).to_parquet(tmp_path / "in.parquet")
    assert _cli("dedup", str(tmp_path / "in.parquet"), str(tmp_path / "out2.parquet")).returncode == 0


def test_cli_wrong_columns(tmp_path):
    pd.DataFrame({"id": ["a"], "body": ["x"]}).to_parquet(tmp_path / "bad.parquet")
    p = _cli("dedup", str(tmp_path / "bad.parquet"), str(tmp_path / "o.parquet"))
    assert p.returncode == 2
    assert "bad.parquet: missing column(s) article_id" in p.stderr
    (tmp_path / "junk.parquet").write_bytes(b"not parquet")
    p = _cli("dedup", str(tmp_path / "junk.parquet"), str(tmp_path / "o.parquet"))
    assert p.returncode == 2 and "junk.parquet" in p.stderr


def test_shared_redis_index_proposes_the_same_pairs_as_the_numpy_index():
    from tests.conftest import service_up
    if not service_up(6379):
        pytest.skip("no Redis on 127.0.0.1:6379")
    import uuid

    from pipeline.dedup.lsh import BandIndex, SharedIndex
    base = [essay(i) for i in range(30)]
    texts = base + ["\n".join(t.split("\n")[:-1]) for t in base[:10]]
    sigs = MinHasher(128, 1).signatures([shingle(t) for t in texts])
    keys = [f"k{i:03d}" for i in range(len(texts))]
    prefix = f"newspipe-test-{uuid.uuid4().hex[:8]}".encode()
    config = {"type": "redis", "redis": {"host": "127.0.0.1", "port": 6379}}
    shared = SharedIndex(0.3, 128, storage_config=config, basename=prefix)
    try:
        got = {tuple(p) for p in shared.pairs(keys, sigs).tolist()}
        want = {tuple(p) for p in BandIndex(0.3, 128).pairs(keys, sigs).tolist()}
        assert got == want and len(want) >= 10
        # a second worker sees what the first inserted
        other = SharedIndex(0.3, 128, storage_config=config, basename=prefix)
        assert set(other.query(sigs[0])) >= {"k000", "k030"}
        # and find_clusters gives the same clusters through Redis
        docs = [doc(k, "x", t, i) for i, (k, t) in enumerate(zip(keys, texts))]
        cfg = dict(config, basename=prefix + b"-fc")
        assert find_clusters(docs, storage_config=cfg).rows == find_clusters(docs).rows
    finally:
        import redis
        r = redis.Redis(host="127.0.0.1", port=6379)
        for key in r.scan_iter(match=prefix + b"*"):
            r.delete(key)


def test_an_index_of_other_settings_is_rebuilt_and_named(demo_run, tmp_path):
    import shutil
    from dataclasses import replace

    from pipeline.run.stages import update_clusters
    from pipeline.settings import DedupSettings
    _, data = demo_run
    copy = tmp_path / "data"
    shutil.copytree(data, copy)
    result = update_clusters(copy, replace(DedupSettings(), num_perm=64))
    assert any("built with other settings" in n and "rebuilt" in n for n in result.notes)
    assert result.totals["articles"] == 61 and result.lsh_params["num_perm"] == 64


def test_the_digests_paragraphs_from_the_boilerplate_keys_equal_those_of_the_stripped_text():
    """The corpus takes the paragraph keys the boilerplate pass made instead of keying the
    stripped text again: the same paragraphs, footer removed, irregular spacing and all. They
    are the run's own keys (nothing of that pass is stored), equal where the stored keys
    (BLAKE2b of the folded paragraph, lowest bit set) are equal, and the index is never asked
    about them."""
    from pipeline.articles.paragraphs import fold_paragraph, key_hash
    from pipeline.dedup.cluster import DedupDoc, _Corpus
    from pipeline.dedup.digests import MIN_WORDS, LongParagraphs
    from pipeline.dedup.incremental import _sources
    from pipeline.settings import DedupSettings
    footer = "Support our independent reporting from northern Syria by becoming a member today."
    body = ["Shelling hit the southern edge of the town at dawn, residents and rescuers said on Monday.",
            "Rescuers  pulled two\u00a0families from the rubble of a house near the central market.",
            "القافلة وصلت إلى المخيمات القريبة من الحدود بعد ظهر اليوم وقال المتطوعون إن الطرق آمنة."]
    docs = [DedupDoc(f"a{i}", "demo-wire", "\n".join([f"{p} ({i})" for p in body[i % 3:] + body[:i % 3]] + [footer]))
            for i in range(4)]
    c = _Corpus(docs, DedupSettings(), {})
    assert all(footer not in t and t.count("\n") == 2 for t in c.texts)
    run, stored = c.long_paragraphs(), LongParagraphs.of_texts(c.texts)
    assert not run.stored and stored.stored and run.bounds.tolist() == stored.bounds.tolist() == [0, 3, 6, 9, 12]
    folded = [k for t in c.texts for k in map(fold_paragraph, t.split("\n")) if k.count(" ") + 1 >= MIN_WORDS]
    assert stored.keys.tolist() == [key_hash(k) | 1 for k in folded]
    pairs = set(zip(stored.keys.tolist(), run.keys.tolist()))  # one run key for each stored key, and back
    assert len(pairs) == len({a for a, _ in pairs}) == len({b for _, b in pairs}) == 12
    with pytest.raises(ValueError, match="run's own"):
        _sources(c, None, set())


def test_the_command_reads_a_file_a_folder_and_json_lines_alike_without_loading_the_crawlers(tmp_path):
    """Parquet with nanosecond times (pandas' default), a folder of parts and JSON lines give the same
    rows; the command's path loads neither Scrapy nor the archive sources (most of a second of start-up)."""
    t = essay(8)
    rows = pd.DataFrame({"article_id": ["a", "b", "c"], "url": ["u1", "u2", "u3"], "outlet": ["x", "y", "z"],
                         "title": ["t"] * 3, "text": [t, t + " More.", essay(9)], "language": ["en"] * 3,
                         "published_at": pd.to_datetime(["2020-10-01T10:00:00.000000123", None,
                                                         "2020-10-01T09:00:00.000000000"], utc=True)})
    rows.to_parquet(tmp_path / "in.parquet")
    (tmp_path / "parts").mkdir()
    rows[:2].to_parquet(tmp_path / "parts" / "0.parquet")
    rows[2:].to_parquet(tmp_path / "parts" / "1.parquet")
    (tmp_path / "in.jsonl").write_text(rows.to_json(orient="records", lines=True, date_format="iso"))
    script = ("import sys; from pipeline.cli.main import main; rc = main(sys.argv[1:]); "
              "print(sorted(m for m in ('scrapy', 'twisted', 'pyarrow.dataset', 'crawlers.archives.sources') "
              "if m in sys.modules)); sys.exit(rc)")
    outs = []
    for name in ("in.parquet", "parts", "in.jsonl"):
        p = subprocess.run([sys.executable, "-c", script, "dedup", str(tmp_path / name), str(tmp_path / f"{name}.out")],
                           capture_output=True, text=True, cwd=ROOT, timeout=120)
        assert p.returncode == 0, p.stderr
        loaded = p.stdout.strip().splitlines()[-1]
        assert loaded == ("['pyarrow.dataset']" if name == "parts" else "[]"), p.stdout  # a folder is a dataset
        outs.append(pd.read_parquet(tmp_path / f"{name}.out").sort_values("article_id", ignore_index=True))
    assert outs[0].equals(outs[1]) and outs[0].equals(outs[2])
    assert outs[0].set_index("article_id").loc["b", "origin_article_id"] == "a"
