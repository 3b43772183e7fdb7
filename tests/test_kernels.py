"""The compiled dedup kernels give the values their definitions say (plain Python here),
so stored signatures stay comparable across versions and processes."""
import random
import sys

import numpy as np
import pytest

from pipeline.articles.paragraphs import fold_paragraph, key_hash, paragraph_keys
from pipeline.dedup.minhash import MinHasher
from pipeline.dedup.packed import utf8
from pipeline.dedup.shingles import normalize, shingle, shingle_texts

MASK = (1 << 64) - 1
P, Q = 0x100000001B3, 0x9E3779B97F4A7C15


def fmix64(h: int) -> int:
    h ^= h >> 33
    h = (h * 0xFF51AFD7ED558CCD) & MASK
    h ^= h >> 33
    h = (h * 0xC4CEB9FE1A85EC53) & MASK
    return h ^ (h >> 33)


def reference_shingles(text: str, size: int = 5) -> list[int]:
    """``newspipe-poly64-fmix-v1``: sum(byte_i * P**i) + length per token, n-grams by Horner in Q."""
    tokens = [fmix64((sum(b * pow(P, i, 1 << 64) for i, b in enumerate(utf8(t))) + len(utf8(t))) & MASK)
              for t in normalize(text).split()]
    n = min(size, len(tokens))
    out = set()
    for k in range(len(tokens) - n + 1) if tokens else ():
        acc = tokens[k]
        for j in range(1, n):
            acc = (acc * Q + tokens[k + j]) & MASK
        out.add(fmix64(acc) >> 32)
    return sorted(out)


TEXTS = [
    "", "one", "Two words.", "A b c d", "Hello, World!  It's   a test -- of, punctuation.\n\nNew para",
    "قالت وكالة الأنباء إن القوات السورية تقدمت في ريف إدلب الجنوبي، قرب سراقب ومعرة النعمان.",
    "Центр по примирению сообщил о нарушениях режима прекращения огня в Идлибе.",
    "İdlib'de Türk Silahlı Kuvvetleri… «quoted» — dash’s ＦＵＬＬＷＩＤＴＨ ﬁ\u00a0nbsp\u2003em\ttab\r\nline",
    " ".join(f"word{i % 37}" for i in range(300)),
]


def test_word_shingles_and_leads_follow_their_definition():
    batch = shingle_texts(TEXTS, size=5, lead_words=7)
    for text, full, lead in zip(TEXTS, batch.full, batch.lead):
        assert full.tolist() == reference_shingles(text), text[:30]
        assert lead.tolist() == reference_shingles(" ".join(normalize(text).split()[:7])), text[:30]
        assert np.array_equal(shingle(text), full)


def test_many_tiny_texts():
    """One-letter texts hold more tokens than bytes/2 in all: the kernel's buffers must still fit."""
    batch = shingle_texts(["a"] * 5000 + ["b c"] * 5000)
    assert len(set(batch.digests)) == 2 and {tuple(s.tolist()) for s in batch.full} == {
        tuple(reference_shingles("a")), tuple(reference_shingles("b c"))}


def test_a_text_gives_the_same_shingles_in_any_batch():
    alone = [shingle(t).tolist() for t in TEXTS]
    shuffled = TEXTS[::-1] + TEXTS
    batch = shingle_texts(shuffled)
    assert [s.tolist() for s in batch.full] == alone[::-1] + alone


def test_exact_digests_are_equal_exactly_when_normalised_texts_are():
    texts = TEXTS + ["HELLO, World!", "hello world", " hello  world ", "Hello\nWorld.", "hello worlds",
                     "伊德利卜省的局势仍然紧张，土耳其军队在该地区增加了观察哨所。", "伊德利卜省的局势仍然紧张。"]
    digests = shingle_texts(texts).digests
    for i, a in enumerate(texts):
        for j, b in enumerate(texts):
            assert (digests[i] == digests[j]) == (normalize(a) == normalize(b)), (a, b)


def test_minhash_kernel_follows_datasketch_affine32():
    hasher = MinHasher(16, 3)
    shingles = shingle_texts(TEXTS).full
    sigs = hasher.signatures(shingles)
    for s, row in zip(shingles, sigs):
        expect = [0xFFFFFFFF] * 16
        for v in s.tolist():
            h = v
            h ^= h >> 16
            h = (h * 0x85EBCA6B) & 0xFFFFFFFF
            h ^= h >> 13
            h = (h * 0xC2B2AE35) & 0xFFFFFFFF
            h ^= h >> 16
            expect = [min(e, (int(a) * h + int(b)) & 0xFFFFFFFF) for e, a, b in zip(expect, hasher.a, hasher.b)]
        assert row.tolist() == expect


def test_paragraph_keys_are_the_hashes_of_the_folded_paragraphs():
    """The compiled pass folds case and whitespace as ``fold_paragraph`` does (every Unicode
    space, a capital sigma by its neighbours, U+0130, characters beyond the BMP, lone
    surrogates) and hashes as ``key_hash`` does: the boilerplate memory and the persistent
    index keep the keys they stored."""
    spaces = [chr(c) for c in range(sys.maxunicode + 1) if chr(c).isspace()]
    pieces = ["a", "B", "ΟΔΟΣ", "Σ", "İ", "é", "Ⱥ", "ẞ", "ǅ", "\u2010", "\u200b", "\x00", "\x7f", "x y", "حرب",
              "Идлиб", "\U0001F600", "\U00010400", "\ud800", "ﬁ", "\n"] + spaces + [" ", "  "]
    rng = random.Random(7)
    texts = ["".join(rng.choice(pieces) for _ in range(rng.randint(0, 12))) for _ in range(20000)]
    texts += [f"a{w}b\nc" for w in spaces] + [f"a\n{w}" for w in spaces] + ["", "\n", "A" * 300]
    keys = paragraph_keys(texts)
    for i, text in enumerate(texts):
        folded = [fold_paragraph(p) for p in text.split("\n")]
        rows = keys.of(i)
        assert keys.keys[rows].tolist() == [key_hash(k) for k in folded], repr(text)
        assert keys.chars[rows].tolist() == [len(k) for k in folded], repr(text)
        assert keys.words[rows].tolist() == [k.count(" ") + 1 for k in folded], repr(text)
    # the run's own keys (``stored=False``): the same paragraphs, one key for each folded
    # paragraph and one folded paragraph for each key, in the kernel and in Python's fallback
    run = paragraph_keys(texts, stored=False)
    assert not run.stored and run.bounds.tolist() == keys.bounds.tolist() and run.words.tolist() == keys.words.tolist()
    folded = [fold_paragraph(p) for text in texts for p in text.split("\n")]
    pairs = set(zip(folded, run.keys.tolist()))
    assert len(pairs) == len(set(folded)) == len(set(run.keys.tolist())) > 1000
    assert any(not text.isascii() and "Σ" in text for text in texts)  # some take the fallback


def test_blake2b64_is_hashlibs_and_only_the_known_astral_range_changes_case():
    import hashlib

    from pipeline.dedup.blake import blake2b64
    from pipeline.dedup.utf8 import ASTRAL_CASED_HI, ASTRAL_CASED_LO
    rng = random.Random(3)
    h, m = np.zeros(8, dtype=np.uint64), np.zeros(16, dtype=np.uint64)
    for n in [0, 1, 7, 8, 127, 128, 129, 255, 256, 257, 1000, 5000]:
        data = bytes(rng.randrange(256) for _ in range(n))
        buf = np.frombuffer(b"xx" + data, dtype=np.uint8)
        assert blake2b64(buf, 2, 2 + n, h, m) == int.from_bytes(hashlib.blake2b(data, digest_size=8).digest(), "big",
                                                                  signed=True), n
    changed = [c for c in range(0x10000, sys.maxunicode + 1) if chr(c).lower() != chr(c)]
    assert changed and ASTRAL_CASED_LO <= min(changed) and max(changed) < ASTRAL_CASED_HI


def test_lone_surrogates_from_json_input_are_shingled_not_fatal():
    from pipeline.dedup.cluster import DedupDoc, content_hash, find_clusters
    text = "Reports from Idlib \ud800 describe shelling near Saraqib on the M5 highway again today"
    assert len(shingle(text)) > 5 and content_hash(text) == content_hash(text.upper())
    rows = find_clusters([DedupDoc("a", "o1", text), DedupDoc("b", "o2", text)]).rows
    assert {r.relation for r in rows} == {"origin", "exact"}


def test_the_kernels_folding_equals_pythons_on_every_script():
    """The kernel lower-cases and splits text beyond ASCII itself (``shingles.fold_tables``) and
    decides which texts take character shingles; a text it cannot fold goes to Python. Either
    way the shingles are the reference's, on random mixes of every case: Turkish dotted and
    dotless i, Greek final sigma, Cyrillic and Latin capitals, Arabic and its punctuation,
    combining marks, compatibility forms, emoji, lone surrogates, Unicode spaces and dashes,
    Chinese, Korean and Thai in every share around the threshold, long texts past the sample."""
    pieces = ["İdlib", "IŞIK", "ıi", "ΟΔΟΣ ΣΟΦΟΣ", "ΣΑ", "ÉCOLE", "Ünlü", "ПРИВЕТ Мир", "ёЁ", "إدلب، سوريا؛",
              "ﻻ", "ﬁ", "e\u0301", "Ⅻ", "😀", "\ud800", "\u00a0", "\u2014", "\u3000", "«»", "x",
              " ", "\n", ", ", "K\u212a", "ǅ", "ß", "ﬀ", "Ω", "伊德利卜", "이들립 ", "ไทย", "，",
              # NFKC's quick check in the kernel: compatibility spaces and dots, fractions, presentation
              # forms, marks out of canonical order, pairs that compose, Hangul jamo
              "…", "\u2009", "½", "ﺃ", "\u0651\u064e", "\u064e\u0651", "e\u0323\u0301", "\u0627\u0653", "ᄀ",
              "ᅡ", "\u11a8", "가", "\u0301", "．", "\u037e", "٫", "\u3001",
              # beyond the BMP: emoji and flags the kernel folds, a squared letter and a segmented
              # digit NFKC replaces, a cased mathematical letter and an ideograph Python folds
              "🇸🇾", "🏳\ufe0f\u200d🌈", "🂡", "\U0001F130", "\U0001FBF1", "𝐀", "𠀀"]
    rng = random.Random(11)
    texts = ["".join(rng.choice(pieces) for _ in range(rng.choice([3, 14, 40, 900]))) for _ in range(3000)]
    texts += ["".join(rng.choice(pieces[:20] + ["伊德利卜"] * k) for _ in range(60)) for k in range(1, 40)
              for _ in range(20)]
    for text, full in zip(texts, shingle_texts(texts, size=3).full):
        assert full.tolist() == reference_any(text, 3), repr(text)


def reference_any(text: str, size: int) -> list[int]:
    """Character 5-grams for a text in a script without spaces, else the words' reference."""
    from pipeline.dedup.shingles import _char_shingles, uses_char_shingles
    norm = normalize(text)
    return _char_shingles(norm, 5).tolist() if uses_char_shingles(norm) else reference_shingles(text, size)


def test_datasketchs_choices_are_reproduced_without_importing_it():
    """The permutations and the (bands, rows) of the thresholds in use are datasketch's."""
    from datasketch import MinHash, MinHashLSH

    from pipeline.dedup.lsh import KNOWN_PARAMS
    from pipeline.dedup.minhash import SCHEME, permutations
    for num_perm, seed in ((16, 3), (128, 1), (256, 7)):
        a, b = MinHash(num_perm=num_perm, seed=seed, scheme=SCHEME).permutations
        ours = permutations(num_perm, seed)
        assert ours[0].tolist() == list(a) and ours[1].tolist() == list(b)
        assert ours[0].dtype == ours[1].dtype == np.uint32
    for (threshold, num_perm), params in KNOWN_PARAMS.items():
        lsh = MinHashLSH(threshold=threshold, num_perm=num_perm)
        assert (lsh.b, lsh.r) == params


def test_common_counts_the_values_two_sorted_sets_share():
    from pipeline.dedup.kernels import common
    rng = np.random.default_rng(5)
    for _ in range(200):
        a = np.unique(rng.integers(0, 400, rng.integers(0, 120)).astype(np.uint32))
        b = np.unique(rng.integers(0, 400, rng.integers(0, 120)).astype(np.uint32))
        assert common(a, b) == np.intersect1d(a, b).size == common(b, a)


def test_a_count_stops_early_only_where_no_verdict_can_pass():
    """``common_above``: the exact count, or -1 only where the count over the smaller set's size
    is below the floor; sets sharing little stop, sets sharing much never do."""
    from pipeline.dedup.kernels import common_above
    rng = np.random.default_rng(6)
    stopped = 0
    for _ in range(400):
        a = np.unique(rng.integers(0, 3000, rng.integers(0, 900)).astype(np.uint32))
        b = np.unique(np.concatenate([a[: rng.integers(0, a.size + 1)],
                                      rng.integers(0, 3000, rng.integers(0, 900))]).astype(np.uint32))
        exact, small = np.intersect1d(a, b).size, min(a.size, b.size)
        for floor in (0.0, 0.3, 0.5, 0.8):
            got = common_above(a, b, floor)
            assert got == exact or (got == -1 and exact / small < floor), (got, exact, small, floor)
            stopped += got == -1
    assert stopped > 100


def test_repeated_paragraphs_are_those_counted_page_by_page():
    """The sorted count of ``ParagraphKeys.repeated`` is the per-page Counter it replaces: a key
    counts once per page, per outlet, and only among the short paragraphs."""
    from collections import Counter
    rng = random.Random(1)
    paras = [f"line {i} of the footer" for i in range(30)] + ["", "x" * 50]
    texts = ["\n".join(rng.choice(paras) for _ in range(rng.randint(1, 6))) for _ in range(3000)]
    outlets = [rng.choice("abcd") for _ in texts]
    keys = paragraph_keys(texts)
    short = keys.short(40)
    sets = keys.key_sets(short)
    counts = Counter((o, k) for o, s in zip(outlets, sets) for k in s)
    group = np.unique(np.array(outlets, dtype=object), return_inverse=True)[1]
    for min_pages in (1, 3, 85, 10_000):
        want = [{k for k in s if counts[o, k] >= min_pages} for o, s in zip(outlets, sets)]
        assert keys.key_sets(keys.repeated(short, group, min_pages)) == want, min_pages
    assert any(want for want in keys.key_sets(keys.repeated(short, group, 85))) and short.sum() < len(keys.keys)


def test_the_bench_splits_a_new_processs_start_up():
    """``make bench`` prints what a new process pays before it reads a row (figures, not asserted)."""
    from pipeline.eval.bench_command import startup_split
    parts = startup_split()
    assert [k.split(" (")[0] for k in parts] == ["imports", "the first kernel", "the other kernels", "Unicode tables"]
    assert all(v >= 0 for v in parts.values())


def test_nfkc_of_the_words_around_the_flagged_characters_is_the_texts_nfkc():
    """Only the words between the first and the last character the quick check flags are put
    through ``unicodedata``: spaces and newlines split NFKC exactly, whatever surrounds them."""
    import unicodedata

    from pipeline.dedup import kernels
    from pipeline.dedup.packed import Packed
    from pipeline.dedup.shingles import fold_tables, nfkc_between, nfkc_tables
    from pipeline.dedup.utf8 import FOLDS
    quick, ccc = nfkc_tables()
    rng = random.Random(4)
    # combining marks of several classes, compatibility forms (a ligature, a fraction, fullwidth and
    # Arabic presentation letters, a spacing diaeresis that NFKC turns into a space and a mark),
    # Hangul jamo that compose by rule, a nukta, a capital sigma (not the characters NFKC turns into
    # punctuation only, U+00A0, U+2026, U+3000: the check leaves them, a space to the tokenizer anyway)
    pool = list("\u0301\u0316\u0308\u00a8\u00bd\ufb01\uff29\ufe8e\ufefb\u1100\u1161\u11a8\uac00\u093c"
                "\u0915\u2460\u0344\u1e9b\u0323\u212b\u0130\u03a3\U0001F130\U0001FBF1😀") + list("ab éç\n  Idlib")
    texts = ["".join(rng.choice(pool) for _ in range(rng.randrange(1, 40))) for _ in range(3000)]
    packed = Packed.of(texts)
    state, spans = kernels.unfoldable(*packed, fold_tables()[0], quick, ccc, np.zeros(len(texts), np.bool_), True)
    checked = 0
    for i, t in enumerate(texts):
        if state[i] == kernels.NFKC:
            checked += 1
            assert nfkc_between(utf8(t), *spans[i].tolist()) == utf8(unicodedata.normalize("NFKC", t)), repr(t)
        elif state[i] == FOLDS:
            assert unicodedata.is_normalized("NFKC", t), repr(t)
    assert checked > 1000


def test_the_astral_characters_the_kernel_folds_compose_with_nothing():
    """NFKC's quick check in the kernel reads the pairs' seconds of the Basic Multilingual Plane
    only: no canonical pair anywhere ends in the astral range the kernel folds, and no character
    there combines."""
    import unicodedata

    from pipeline.dedup.shingles import _astral
    seconds = {int(parts[1], 16) for c in range(sys.maxunicode + 1)
               if len(parts := unicodedata.decomposition(chr(c)).split()) == 2 and not parts[0].startswith("<")}
    assert seconds and not seconds & set(_astral())
    assert not any(unicodedata.combining(chr(c)) for c in _astral())


def test_unicode_tables_kept_on_disk_are_those_built_and_a_damaged_file_is_built_again():
    """The tables a process loads from ``__pycache__`` equal those ``unicodedata`` builds; a file
    that cannot be read (damaged, cut short) is built and written again, not trusted."""
    from pipeline.articles.paragraphs import _tables
    from pipeline.dedup.shingles import fold_tables, nfkc_tables
    from pipeline.dedup.utf8 import lower_table
    for table in (lower_table, _tables, fold_tables, nfkc_tables):
        load = table.__wrapped__  # the process's cache aside
        build = load.__wrapped__
        want = build() if isinstance(build(), tuple) else (build(),)
        path = load.path()
        for damage in (None, b"not a zip", path.read_bytes()[:100] if path.exists() else b""):
            if damage is not None:
                path.write_bytes(damage)
            got = load()
            got = got if isinstance(got, tuple) else (got,)
            assert len(got) == len(want) and all(np.array_equal(a, b) for a, b in zip(got, want)), table.__name__
        assert path.exists()


def test_unicode_tables_go_where_numbas_cache_goes(tmp_path, monkeypatch):
    """A read-only install moves numba's cache to ``NUMBA_CACHE_DIR`` (``jit``): the tables follow."""
    from pipeline.dedup.utf8 import lower_table
    monkeypatch.setenv("NUMBA_CACHE_DIR", str(tmp_path))
    load = lower_table.__wrapped__
    assert load.path().parent == tmp_path / "newspipe-tables"
    assert np.array_equal(load(), load.__wrapped__()) and load.path().exists()


def test_band_hashes_mix_each_bands_values_as_defined():
    """A band's hash is ``h = (h ^ value) * MIX[k]; h ^= h >> 29`` over its values (plain Python
    here): the persistent index stores keys made from it, so the compiled pass must keep it."""
    import pytest

    from pipeline.dedup.lsh import _MIX, _band_hashes
    rng = np.random.default_rng(3)
    sigs = rng.integers(0, 1 << 32, size=(50, 128), dtype=np.uint64).astype(np.uint32)
    got = _band_hashes(sigs[::2], 37, 3)  # a strided view too
    for i, row in enumerate(sigs[::2].tolist()):
        for band in range(37):
            h = 0
            for k in range(3):
                h = ((h ^ row[band * 3 + k]) * int(_MIX[k % len(_MIX)])) & MASK
                h ^= h >> 29
            assert int(got[i, band]) == h
    with pytest.raises(ValueError, match="fewer than 43 bands"):
        _band_hashes(sigs, 43, 3)


def test_ascii_docs_is_str_isascii_wherever_the_first_other_byte_falls():
    from pipeline.dedup.packed import Packed
    from pipeline.dedup.utf8 import ascii_docs
    texts = ["", "a", "é", "x" * 2000]
    texts += ["x" * n + "é" + "y" * 7 for n in (0, 1, 510, 511, 512, 513, 1023, 1024, 1500)]
    assert ascii_docs(*Packed.of(texts)).tolist() == [t.isascii() for t in texts]


def test_utf8_decoding_reads_every_length_and_drops_what_is_cut_or_malformed():
    """``utf8.decode`` (written out per length) read through ``replace_chars``, which copies each
    character's part: a part of its own UTF-8 for every character of a sample of each length
    gives the text back; a sequence cut by the text's end, or a stray continuation byte, is
    dropped, never read past the end."""
    from pipeline.dedup.packed import pack
    from pipeline.dedup.utf8 import replace_chars
    rng = random.Random(5)
    chars = ([chr(c) for c in range(0x80, 0x800, 7)] + [chr(c) for c in range(0x800, 0x10000, 97)]
             + [chr(c) for c in range(0x10000, 0x110000, 4099)])
    slot = np.zeros(0x110000, dtype=np.uint16)
    slot[[ord(c) for c in chars]] = np.arange(1, len(chars) + 1)
    parts, part_bounds = (np.array(a) for a in pack([b""] + [c.encode("utf-8", "surrogatepass") for c in chars]))
    texts = ["".join(rng.choice(chars + ["a", "Z", " "]) for _ in range(rng.randint(0, 40))) for _ in range(500)]
    data = [t.encode("utf-8", "surrogatepass") for t in texts]
    cut = [b"a\xe4\xb8", b"\xf0\x9f\x98", b"\xc3", b"x\x80y", b"\xf8\x88\x80\x80z"]
    buf, bounds = pack(data + cut)
    out, out_b = replace_chars(np.array(buf), bounds, np.arange(len(data) + len(cut), dtype=np.int64), slot, parts,
                               part_bounds, False)
    got = [out[a:b].tobytes() for a, b in zip(out_b[:-1].tolist(), out_b[1:].tolist())]
    assert got[:len(data)] == data
    assert got[len(data):] == [b"a", b"", b"", b"xy", b"z"]


def test_sorted_sets_sort_only_the_texts_the_pairs_name():
    """``shingles.sorted_sets``: from a batch's flat array (``Views``) or a plain list alike, the
    sorted unique set of each text a pair names, and the pairs renumbered among them."""
    from pipeline.dedup.packed import offsets
    from pipeline.dedup.shingles import Views, sorted_sets
    rng = np.random.default_rng(4)
    arrays = [rng.integers(0, 50, rng.integers(0, 30)).astype(np.uint32) for _ in range(40)]
    pairs = np.array([[3, 7], [7, 12], [0, 39], [12, 3]], dtype=np.int64)
    flat = np.concatenate(arrays)
    for given in (Views(flat, offsets((a.size for a in arrays), len(arrays))), list(arrays)):
        sets, local = sorted_sets(given, pairs)
        used = sorted({3, 7, 12, 0, 39})
        assert [s.tolist() for s in sets] == [np.unique(arrays[i]).tolist() for i in used]
        assert [[used[a], used[b]] for a, b in local.tolist()] == pairs.tolist()


@pytest.mark.parametrize("values", [
    np.zeros(0, np.uint32), np.array([7], np.uint32), np.array([9, 9, 3], np.uint32),
    np.random.default_rng(1).integers(0, 2**32, 1000, dtype=np.uint64).astype(np.uint32),  # hashes: buckets
    np.random.default_rng(2).integers(0, 2**32, 70_000, dtype=np.uint64).astype(np.uint32),  # past 16 bits
    np.random.default_rng(3).integers(0, 2**32, 300, dtype=np.uint64).astype(np.uint32).repeat(3),  # repeats
    np.random.default_rng(4).integers(0, 1000, 5000).astype(np.uint32),  # crowded: the radix sort
    np.full(400, 2**31 + 5, np.uint32)])
def test_sort_unique_gives_numpys_unique(values):
    """``sorting._sort_unique`` (buckets by the top bits, then insertion; crowded values radix-sorted)
    sorts a range of an array in place, repeats dropped, and leaves the rest of the array alone."""
    from pipeline.dedup.sorting import SORT_COUNTS, _sort_unique
    arr = np.concatenate([np.array([5, 1], np.uint32), values, np.array([8], np.uint32)])
    stop = _sort_unique(arr, 2, 2 + values.size, np.empty(max(values.size, 1), np.uint32),
                        np.zeros(SORT_COUNTS, np.int64))
    assert arr[2:stop].tolist() == np.unique(values).tolist() and arr[:2].tolist() == [5, 1]
    assert arr[-1] == 8


def test_texts_nfkc_turns_unfoldable_are_found_from_the_words_it_changed():
    """``shingles._normalized`` asks which texts hold a character the tokenizer's table cannot fold
    (Python folds them) of the words NFKC changed only (the rest was read already): the same
    answer as reading each whole text in NFKC. U+03F9 becomes a capital sigma under NFKC."""
    import unicodedata

    from pipeline.dedup import kernels
    from pipeline.dedup.packed import Packed, Texts
    from pipeline.dedup.shingles import _normalized, fold_tables, nfkc_tables
    table, (quick, ccc) = fold_tables()[0], nfkc_tables()
    rng = random.Random(6)
    pool = list("\u03f9\u03a3\u00bd\ufb01\u0301\ufe8e") + list("ab éç\n  Idlib")
    texts = ["".join(rng.choice(pool) for _ in range(rng.randrange(1, 30))) for _ in range(2000)]
    packed = Packed.of(texts)
    changed, plain = _normalized(Texts(texts), packed, kernels.ascii_docs(*packed), table)
    nfkc = [unicodedata.normalize("NFKC", t) for t in texts]
    assert [changed[i].decode() if i in changed else t for i, t in enumerate(texts)] == nfkc
    whole = kernels.unfoldable(*Packed.of(nfkc), table, quick, ccc, np.zeros(len(texts), np.bool_), False)[0]
    assert plain.tolist() == (whole == kernels.PYTHON).tolist() and 100 < plain.sum() < len(texts) - 100
