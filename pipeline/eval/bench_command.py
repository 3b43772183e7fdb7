"""``newspipe dedup`` as a command on text like ours, against datasketch on the same file.

Documents are recombined from real sentences of ``../shared/corpora`` (English,
French, Turkish, Russian, Arabic and the other languages there): about 5 KB
each in paragraphs of four sentences, one in five a lightly edited copy of an
earlier one (a paragraph dropped, two words changed). The same count of ASCII
documents (``bench.synthetic_docs``) is measured beside them. Each side runs
as its own process pinned to one core (``taskset``): ``newspipe dedup IN OUT``,
a script doing what a datasketch user writes (``MinHash.update_batch`` on
word 5-grams, ``MinHashLSH`` insert and query), and the same with rensa (Rust
MinHash and LSH, shingles made in Python; skipped where it is not installed),
in rounds in which the sides take turns; each figure is the median of its rounds.
The split of our time comes from the same stages run in this process.
"""
from __future__ import annotations

import random
import re
import shutil
import statistics
import subprocess
import sys
import tempfile
import time
from datetime import datetime, timedelta, timezone
from importlib.util import find_spec
from pathlib import Path

import pandas as pd
import pyarrow as pa

_SENTENCE = re.compile(r"(?<=[.!?\u061f\u3002])\s+")
_DATASKETCH = """
import sys, pandas as pd
from datasketch import MinHash, MinHashLSH
df = pd.read_parquet(sys.argv[1], columns=["article_id", "text"])
lsh, sigs = MinHashLSH(threshold=0.5, num_perm=128), []
for a, t in zip(df.article_id, df.text):
    w = t.lower().split()
    m = MinHash(num_perm=128)
    m.update_batch([" ".join(w[i:i + 5]).encode() for i in range(max(1, len(w) - 4))])
    lsh.insert(a, m)
    sigs.append(m)
print(sum(len(lsh.query(m)) for m in sigs))
"""
_RENSA = """
import sys, pandas as pd
from rensa import RMinHash, RMinHashLSH
df = pd.read_parquet(sys.argv[1], columns=["article_id", "text"])
lsh, sigs = RMinHashLSH(threshold=0.5, num_perm=128, num_bands=16), []
for k, t in enumerate(df.text):
    w = t.lower().split()
    m = RMinHash(num_perm=128, seed=1)
    m.update([" ".join(w[i:i + 5]) for i in range(max(1, len(w) - 4))])
    lsh.insert(k, m)
    sigs.append(m)
print(sum(len(lsh.query(m)) for m in sigs))
"""


def sentence_docs(n: int, shared: Path, seed: int = 1) -> pd.DataFrame | None:
    """``n`` articles recombined from the shared corpora's sentences (None where they are absent)."""
    from pipeline.eval.dedup import load_texts
    texts = load_texts(shared, min_words=40) if shared.exists() else []
    sents = [s for t in texts for p in t.split("\n") for s in _SENTENCE.split(p) if len(s.split()) >= 5]
    if len(sents) < 1000:
        return None
    rng = random.Random(seed)
    out: list[str] = []
    for _ in range(n):
        if out and rng.random() < 0.2:
            paras = rng.choice(out).split("\n")
            del paras[rng.randrange(len(paras))]
            words = "\n".join(paras).split(" ")
            for k in rng.sample(range(len(words)), 2):
                words[k] = words[k][::-1]
            out.append(" ".join(words))
            continue
        paras, size = [], 0
        while size < 5000:
            p = " ".join(rng.choice(sents) for _ in range(4))
            paras.append(p)
            size += len(p.encode())
        out.append("\n".join(paras))
    return _frame(out)


def _frame(texts: list[str]) -> pd.DataFrame:
    t0 = datetime(2020, 1, 1, tzinfo=timezone.utc)
    return pd.DataFrame({"article_id": [f"a{i:06d}" for i in range(len(texts))],
                         "url": [f"http://outlet{i % 25}.test/{i}" for i in range(len(texts))],
                         "outlet": [f"outlet{i % 25}" for i in range(len(texts))],
                         "title": [t[:60] for t in texts], "text": texts,
                         "published_at": [t0 + timedelta(minutes=i) for i in range(len(texts))],
                         "language": [""] * len(texts)})


_STARTUP = """
import json, sys, time
t0 = time.perf_counter()
import numpy as np, pyarrow.parquet
import pipeline.cli.main, pipeline.cli.dedup_io, pipeline.dedup.cluster
from pipeline.dedup import kernels
t1 = time.perf_counter()
kernels.common(np.zeros(1, dtype=np.uint32), np.zeros(1, dtype=np.uint32))
t2 = time.perf_counter()
from pipeline.articles.attribution import ascii_folds
from pipeline.articles.paragraphs import _tables
from pipeline.dedup.shingles import fold_tables, nfkc_tables
fold_tables(), nfkc_tables(), _tables(), ascii_folds()  # before warm(), which loads them too
t3 = time.perf_counter()
kernels.warm()
t4 = time.perf_counter()
how = "numba's JIT" if "numba" in sys.modules else "built ahead of time"
print(json.dumps({"imports": t1 - t0, f"the first kernel ({how})": t2 - t1, "the other kernels": t4 - t3,
                  "Unicode tables": t3 - t2}))
"""


def startup_split() -> dict[str, float]:
    """Seconds of what a new process pays before it reads a row, each measured in a fresh
    process on one core (interpreter start not included)."""
    import json
    done = subprocess.run(_pin() + [sys.executable, "-c", _STARTUP], check=True, capture_output=True, text=True)
    return json.loads(done.stdout)


def _pin() -> list[str]:
    """The prefix that keeps a process on one core, where ``taskset`` exists."""
    return ["taskset", "-c", "0"] if shutil.which("taskset") else []


def _pinned(args: list[str]) -> float:
    t = time.perf_counter()
    subprocess.run(_pin() + args, check=True, capture_output=True)
    return time.perf_counter() - t


def _split(path: Path) -> dict[str, float]:
    """Seconds of each stage of ``newspipe dedup`` on ``path``, in this process: the command's
    own functions, one after the other."""
    from pipeline.cli.dedup_io import read_input, to_docs
    from pipeline.dedup.cluster import (_Corpus, _without_boilerplate, candidates, cluster_rows, corpus_shingles, sign,
                                        unique_docs)
    from pipeline.settings import DedupSettings
    out, t = {}, time.perf_counter()

    def lap(name: str) -> None:
        nonlocal t
        now = time.perf_counter()
        out[name], t = now - t, now
    settings = DedupSettings()
    columns, packed = read_input(path)
    docs, packed = unique_docs(to_docs(columns, str(path)), packed)
    lap("reading")
    stripped, packed = _without_boilerplate(docs, packed)
    lap("boilerplate")
    batch = corpus_shingles([s.text for s in stripped.texts], settings, packed)
    lap("normalising and shingling")
    c = _Corpus(docs, settings, {}, batch=batch, stripped=stripped, packed=packed)
    lap("paragraph keys (digests)")
    signed = sign(c, {})
    lap("signatures (three tiers)")
    pairs, _ = candidates(c, signed, None)
    lap("LSH candidates")
    rows, _, _ = cluster_rows(c, pairs)
    lap("verification and clustering")
    from pipeline.dedup.cluster import ClusterRow, rows_table
    from storage.schema import CLUSTERS
    import pyarrow.parquet as pq
    table = rows_table(rows, pa.schema([CLUSTERS.field(f) for f in ClusterRow.__dataclass_fields__]))
    pq.write_table(table, str(path) + ".out.parquet", compression="zstd")
    lap("writing")
    return out


def _medians(sides: dict[str, list[str]], rounds: int) -> dict[str, float]:
    """The median seconds of each side's command over ``rounds`` rounds, the sides taking turns
    in each (a busy spell of the machine falls on all of them, not on one)."""
    times: dict[str, list[float]] = {k: [] for k in sides}
    for _ in range(rounds):
        for name, args in sides.items():
            times[name].append(_pinned(args))
    return {k: statistics.median(v) for k, v in times.items()}


def bench_command(n: int = 20_000, shared: Path | None = None, rounds: int = 3) -> list[str]:
    from pipeline.eval.bench import synthetic_docs
    from pipeline.eval.extraction import DEFAULT_SHARED
    lines = [f"dedup as a command: {n} articles, each side one process on one core, medians of {rounds} "
             "rounds taken in turn"]
    sets = {"ASCII words": _frame([d.text for d in synthetic_docs(n)])}
    ours = sentence_docs(n, shared or DEFAULT_SHARED)
    if ours is None:
        lines.append("  sentences of ../shared: skipped (absent)")
    else:
        sets["sentences of ../shared (ar, tr, ru, fr, en, ...)"] = ours
    with tempfile.TemporaryDirectory() as tmp:
        for name, df in sets.items():
            path = Path(tmp) / "in.parquet"
            df.to_parquet(path)
            df[:1].to_parquet(Path(tmp) / "one.parquet")  # start-up: the command on one article
            start = _medians({"one": [sys.executable, "-m", "pipeline.cli", "dedup", str(Path(tmp) / "one.parquet"),
                                      str(Path(tmp) / "one.out.parquet")]}, rounds)["one"]
            sides = {"ours": [sys.executable, "-m", "pipeline.cli", "dedup", str(path), str(Path(tmp) / "out.parquet")],
                     "datasketch": [sys.executable, "-c", _DATASKETCH, str(path)]}
            if find_spec("rensa"):
                sides["rensa"] = [sys.executable, "-c", _RENSA, str(path)]
            seconds = _medians(sides, rounds)
            mine, base, rensa = seconds["ours"], seconds["datasketch"], seconds.get("rensa")
            split = _split(path)
            lines.append(f"  {name}: {df.text.str.len().mean() / 1024:.1f} KB a text; newspipe dedup {mine:.2f} s, "
                         f"datasketch {base:.1f} s -> {base / mine:.1f}x"
                         + (f", rensa {rensa:.2f} s -> {rensa / mine:.2f}x" if rensa else "")
                         + f"; start-up {start:.2f} s; split: " + ", ".join(f"{k} {v:.1f} s" for k, v in split.items()))
    lines.append("  start-up's parts (a fresh process): "
                 + ", ".join(f"{k} {v:.2f} s" for k, v in startup_split().items()))
    return lines
