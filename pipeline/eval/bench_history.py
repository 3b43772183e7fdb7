"""Dedup bench over stored histories: one daily run of 2,000 articles clustered against
10,000, 100,000 and 1,000,000 stored articles, in a fresh process each (wall time and
peak RSS of the dedup part of the publish: ``update_clusters``), beside the full
``rebuild`` where it still fits.

Histories are synthetic, in Arabic, Turkish, Russian and French words (made-up
words from each alphabet, so the Unicode path of ``normalize`` is what runs),
about 1.6 KB an article, 1,000 a day. They are generated and indexed once
(in chunks of days, each an incremental sync: the way a history grows) and
cached in ``NEWSPIPE_BENCH_CACHE`` (default ``~/.cache/newspipe-bench``).
The daily run is 1,600 new articles of about 5 KB and 400 lightly edited
copies of stored ones; it is removed again after each measurement.
"""
from __future__ import annotations

import json
import multiprocessing as mp
import os
import statistics
import time
from datetime import date, datetime, timedelta, timezone
from pathlib import Path

import numpy as np
import pyarrow as pa

from pipeline.progress import note
from storage.schema import ARTICLES

PER_DAY = 1000
START = date(2015, 1, 1)
_ALPHABETS = ["ابتثجحخدذرزسشصضطظعغفقكلمنهوي", "abcçdefgğhıijklmnoöprsştuüvyz", "абвгдежзийклмнопрстуфхцчшщыэюя",
              "abcdefghijklmnopqrstuvwxyzéèàùçâêîôû"]


def _vocab(rng: np.random.Generator, n: int = 24_000) -> np.ndarray:
    words = []
    for k in range(n):
        letters = _ALPHABETS[k % len(_ALPHABETS)]
        words.append("".join(letters[i] for i in rng.integers(0, len(letters), int(rng.integers(3, 10)))))
    return np.array(words, dtype=object)


def _texts(rng: np.random.Generator, vocab: np.ndarray, n: int, words: int) -> list[str]:
    """``n`` texts of ``words`` words in paragraphs of 40, each paragraph in one language."""
    out = []
    per = len(vocab) // len(_ALPHABETS)
    for _ in range(n):
        lang = int(rng.integers(0, len(_ALPHABETS)))
        idx = rng.integers(0, per, words) * len(_ALPHABETS) + lang
        w = vocab[idx]
        out.append("\n".join(" ".join(w[i:i + 40]) for i in range(0, words, 40)))
    return out


def _edited(rng: np.random.Generator, text: str) -> str:
    """A light edit: the last paragraph dropped and two words changed."""
    paras = text.split("\n")
    paras = paras[:-1] if len(paras) > 2 else paras
    words = " ".join(paras).split(" ")
    for i in rng.integers(0, len(words), 2):
        words[i] = words[i][::-1]
    return " ".join(words)


def day_table(day: date, ids: list[str], texts: list[str], rng: np.random.Generator) -> pa.Table:
    n = len(ids)
    base = datetime(day.year, day.month, day.day, tzinfo=timezone.utc)
    cols = {name: pa.nulls(n, ARTICLES.field(name).type) for name in ARTICLES.names}
    cols.update({
        "article_id": pa.array(ids), "url": pa.array([f"http://x.test/{i}" for i in ids]),
        "outlet": pa.array([f"outlet-{k % 40:02d}" for k in rng.integers(0, 40, n)]).dictionary_encode().cast(
            ARTICLES.field("outlet").type),
        "title": pa.array([t[:60] for t in texts]), "text": pa.array(texts),
        "published_at": pa.array([base + timedelta(seconds=int(s)) for s in rng.integers(0, 86400, n)],
                                 ARTICLES.field("published_at").type),
        "relevant": pa.array(np.ones(n, dtype=bool)),
    })
    return pa.table(cols, schema=ARTICLES)


def _cache(size: int) -> Path:
    base = Path(os.environ.get("NEWSPIPE_BENCH_CACHE") or Path.home() / ".cache" / "newspipe-bench")
    return base / f"history-{size}"


def history(size: int) -> Path:
    """The cached history of ``size`` articles with its index (built the first time)."""
    from pipeline.run.stages import update_clusters
    from storage.dataset import replace_partitions
    from pipeline.dedup.incremental import index_meta
    from pipeline.settings import DedupSettings
    data = _cache(size)
    stamp = index_meta(DedupSettings())
    if (data / "READY").exists() and json.loads((data / "READY").read_text()).get("index") == stamp:
        return data
    if data.exists():  # made by another version: an incremental sync would rebuild it in one go
        import shutil
        shutil.rmtree(data)
    rng = np.random.default_rng(size)
    vocab = _vocab(np.random.default_rng(7))
    days = size // PER_DAY
    chunk = max(1, min(days, 50))
    t = time.perf_counter()
    for k in range(days):
        day = START + timedelta(days=k)
        ids = [f"h{day:%Y%m%d}{i:05d}" for i in range(PER_DAY)]
        replace_partitions(data, "articles", {day: day_table(day, ids, _texts(rng, vocab, PER_DAY, 240), rng)}, [day])
        if (k + 1) % chunk == 0 or k == days - 1:
            update_clusters(data)
            note(f"bench history {size}: {k + 1}/{days} days indexed ({time.perf_counter() - t:.0f} s)")
    (data / "READY").write_text(json.dumps({"articles": size, "build_s": round(time.perf_counter() - t),
                                            "index": stamp}))
    return data


def _daily(data: Path, size: int, seed: int = 99) -> tuple[date, pa.Table]:
    """The daily run's day: 1,600 new ~5 KB articles and 400 edited copies of stored ones
    (another ``seed`` for each repeat: a new day's texts, not ones the index saw before)."""
    from storage.dataset import read_table
    rng = np.random.default_rng(seed)
    vocab = _vocab(np.random.default_rng(7))
    day = START + timedelta(days=size // PER_DAY)
    src_days = [START + timedelta(days=int(d)) for d in rng.integers(0, size // PER_DAY, 20)]
    stored = read_table(data, "articles", ["text"], days=sorted(set(src_days))).column("text").to_pylist()
    texts = _texts(rng, vocab, 1600, 800) + [_edited(rng, stored[int(i)]) for i in rng.integers(0, len(stored), 400)]
    return day, day_table(day, [f"d{day:%Y%m%d}{i:05d}" for i in range(len(texts))], texts, rng)


def _vm_hwm_mb() -> float:
    for line in Path("/proc/self/status").read_text().splitlines():
        if line.startswith("VmHWM:"):
            return int(line.split()[1]) / 1024
    return float("nan")


def _child(data: str, size: int, mode: str, seed: int, out) -> None:
    from pipeline.run.stages import update_clusters
    from storage.dataset import replace_partitions
    if mode == "daily":
        day, table = _daily(Path(data), size, seed)
        replace_partitions(data, "articles", {day: table}, [day])
    base = _vm_hwm_mb()
    t = time.perf_counter()
    result = update_clusters(data, full=(mode == "rebuild"))
    out.send({"s": time.perf_counter() - t, "peak": _vm_hwm_mb(), "before": base, "touched": result.touched,
              "copies": result.totals["copies"]})


def _measure(data: Path, size: int, mode: str, seed: int = 99) -> dict:
    ctx = mp.get_context("spawn")  # a fresh process: its peak memory is this work's alone
    recv, send = ctx.Pipe(duplex=False)
    p = ctx.Process(target=_child, args=(str(data), size, mode, seed, send))
    p.start()
    res = recv.recv()
    p.join()
    if mode == "daily":  # back to the cached history
        import shutil

        from pipeline.run.stages import update_clusters
        shutil.rmtree(data / "articles" / f"date={(START + timedelta(days=size // PER_DAY)).isoformat()}")
        update_clusters(data)
    return res


def bench_history(sizes: tuple[int, ...] = (10_000, 100_000, 1_000_000), repeat: int = 3,
                  rebuild_up_to: int = 100_000) -> list[str]:
    lines = ["dedup over a stored history: a daily run of 2,000 articles (1,600 new ~5 KB, 400 edited copies), "
             "Arabic/Turkish/Russian/French words, fresh process each (median of %d)" % repeat]
    first = None
    for size in sizes:
        data = history(size)
        runs = [_measure(data, size, "daily", 99 + k) for k in range(repeat)]
        s = statistics.median(r["s"] for r in runs)
        first = first or s
        built = json.loads((data / "READY").read_text())
        lines.append(f"  history {size:>9,}: incremental {s:6.2f} s ({s / first:4.2f}x the smallest), peak RSS "
                     f"{max(r['peak'] for r in runs):5.0f} MiB (process at start {runs[0]['before']:.0f} MiB), "
                     f"{runs[0]['touched']} articles clustered, {runs[0]['copies']} copies in all; "
                     f"history built in {built['build_s']} s")
        if size <= rebuild_up_to:
            r = _measure(data, size, "rebuild")
            lines.append(f"  history {size:>9,}: full rebuild {r['s']:6.2f} s, peak RSS {r['peak']:5.0f} MiB "
                         f"(what every run cost before the index: {r['s'] / s:.1f}x the incremental run)")
    return lines
