"""``make bench``: speed and memory, each beside a baseline measured in the same run.

- dedup: docs/s of the whole dedup stage (``find_clusters``: boilerplate,
  shingling, signatures, LSH, verification, clustering) on one core, against
  datasketch's ``MinHash.update_batch`` + ``MinHashLSH`` (insert and query)
  on the same documents; plus the memory of 1,000,000 signatures in the
  numpy index;
- crawl: pages/s of a Scrapy crawl of a generated 5,000-page replay outlet
  with politeness off, in one crawl process and in two (both cores), and a
  crawl process's peak memory;
- extraction: pages/s of ``extract`` on the real pages of
  ``../shared/corpora/extraction-dev`` against ``trafilatura.extract`` with
  defaults, on one core and on two (goal: within 20% of trafilatura, and
  scaling with cores); skipped where ``../shared`` is absent;
- storage: see ``pipeline.eval.bench_storage`` (and the report of that history, ``bench_report``).
- history: a daily run's dedup against stored histories of 10k, 100k and 1M articles
  (``pipeline.eval.bench_history``); command: ``newspipe dedup`` on 20,000 articles of
  real sentences and of ASCII words against datasketch (``pipeline.eval.bench_command``).
- archive: see ``pipeline.eval.bench_archive``.

The machines are small and noisy: every figure is the median of ``--repeat``
runs, and ratios compare figures taken in the same run.
"""
from __future__ import annotations

import argparse
import os
import random
import resource
import statistics
import sys
import time
from datetime import datetime, timedelta, timezone

import numpy as np

from pipeline.progress import note, show_notes, track


def _median_time(fn, repeat: int) -> float:
    times = []
    for _ in range(repeat):
        t = time.perf_counter()
        fn()
        times.append(time.perf_counter() - t)
    return statistics.median(times)


def synthetic_docs(n: int, words: int = 800, seed: int = 1, copy_share: float = 0.2):
    """``n`` articles of ~5 KB over a 20,000-word vocabulary; ``copy_share`` of them edited copies."""
    from pipeline.dedup.cluster import DedupDoc
    rng = random.Random(seed)
    vocab = ["".join(rng.choice("abcdefghijklmnopqrstuvwxyz") for _ in range(rng.randint(3, 9))) for _ in range(20000)]
    t0 = datetime(2020, 1, 1, tzinfo=timezone.utc)
    docs = []
    for i in range(n):
        if docs and rng.random() < copy_share:
            src = rng.choice(docs)
            paras = src.text.split("\n")
            paras = paras[: rng.randint(max(2, len(paras) // 2), len(paras))]
            text = "\n".join(paras)
        else:
            text = "\n".join(" ".join(rng.choice(vocab) for _ in range(words // 10)) for _ in range(10))
        docs.append(DedupDoc(f"a{i:07d}", f"outlet{i % 25}", text, t0 + timedelta(minutes=i)))
    return docs


def datasketch_baseline(docs, num_perm: int = 128, threshold: float = 0.5) -> int:
    """What a plain datasketch user writes: word 5-gram MinHash per document, then MinHashLSH."""
    from datasketch import MinHash, MinHashLSH
    lsh = MinHashLSH(threshold=threshold, num_perm=num_perm)
    sigs = []
    for d in docs:
        w = d.text.lower().split()
        m = MinHash(num_perm=num_perm)
        m.update_batch([" ".join(w[i:i + 5]).encode() for i in range(max(1, len(w) - 4))])
        lsh.insert(d.article_id, m)
        sigs.append(m)
    return sum(len(lsh.query(m)) for m in sigs)


def bench_dedup(n: int, repeat: int) -> list[str]:
    from pipeline.dedup.cluster import find_clusters
    docs = synthetic_docs(n)
    size = statistics.mean(len(d.text.encode()) for d in docs)
    # once per process, not per document: loading the compiled kernels (both sides warm up alike)
    first_call = _median_time(lambda: find_clusters(docs[:100]), 1)
    datasketch_baseline(docs[:100])
    ours = _median_time(lambda: find_clusters(docs), repeat)
    base_n = min(n, 2000)  # the baseline is slow; its rate is measured on a prefix of the same docs
    base = _median_time(lambda: datasketch_baseline(docs[:base_n]), repeat)
    r_ours, r_base = n / ours, base_n / base
    return [f"dedup: {n} docs of {size / 1024:.1f} KB, one process "
            f"(first call in a fresh process, 100 docs, loading the compiled kernels: {first_call:.2f} s)",
            f"  newspipe find_clusters        {r_ours:9.0f} docs/s  (median of {repeat}: {ours:.2f} s)",
            f"  datasketch update_batch + LSH {r_base:9.0f} docs/s  (median of {repeat} on the first {base_n} docs)",
            f"  ratio                         {r_ours / r_base:9.1f} x"]


def bench_index_memory(n: int) -> list[str]:
    """Memory of ``n`` 128-permutation signatures and their band hashes (the in-memory index)."""
    from pipeline.dedup.lsh import BandIndex, _band_hashes
    import tracemalloc
    tracemalloc.start()
    sig = np.random.default_rng(0).integers(0, 2**32, (n, 128), dtype=np.uint64).astype(np.uint32)
    idx = BandIndex(0.3, 128)
    bands = _band_hashes(sig, *idx.params)
    cur, peak = tracemalloc.get_traced_memory()
    tracemalloc.stop()
    del bands
    return [f"index memory: {n} signatures x 128 perms: {sig.nbytes / 2**20:.0f} MiB signatures, "
            f"peak {peak / 2**20:.0f} MiB with band hashes ({idx.params[0]} bands x {idx.params[1]} rows)"]


def bench_crawl(pages: int, repeat: int) -> list[str]:
    """Median pages/s of one crawl process (Scrapy's way) and of two (``processes=2``: both cores)."""
    from crawlers.replay.bench_site import crawl_benchmark
    lines = [f"crawl: {pages} article pages of a generated replay outlet, politeness off (median of {repeat})"]
    for procs in (1, 2):
        runs = [crawl_benchmark(pages, procs) for _ in range(repeat)]
        assert all(r["pages"] == pages for r in runs), runs
        rate = statistics.median(r["pages_per_s"] for r in runs)
        lines.append(f"  {procs} crawl process{'es' if procs > 1 else ''}: {rate:5.0f} pages/s "
                     f"(median {statistics.median(r['seconds'] for r in runs):.1f} s), "
                     f"peak RSS of a crawl process {max(r['peak_rss_mb'] for r in runs):.0f} MiB")
    return lines


def bench_extraction(repeat: int) -> list[str]:
    """Median pages/s of newspipe and plain trafilatura, one worker and two (``newspipe eval extraction``)."""
    from pipeline.eval.extraction import DEFAULT_SHARED, eval_extraction
    corpus = DEFAULT_SHARED / "extraction-dev"
    if not (corpus / "ground-truth.json").exists():
        return [f"extraction: skipped ({corpus} is absent)"]
    lines = [f"extraction: {corpus.name}, warmed-up fresh processes (median of {repeat})"]
    one = None
    for workers in (1, 2):
        res = eval_extraction(corpus, workers=workers, repeat=repeat)
        ours, base = res["newspipe"]["pages_per_s"], res["trafilatura (defaults)"]["pages_per_s"]
        one = one or ours
        lines.append(f"  {workers} worker{'s' if workers > 1 else ''}: newspipe {ours:5.1f} pages/s, trafilatura "
                     f"{base:5.1f} pages/s -> {ours / base:.2f}x" + (f"; {ours / one:.2f}x one worker" if workers > 1 else ""))
    return lines


def main(argv: list[str] | None = None) -> int:
    ap = argparse.ArgumentParser(prog="python -m pipeline.eval.bench")
    ap.add_argument("--docs", type=int, default=20000)
    ap.add_argument("--signatures", type=int, default=1_000_000)
    ap.add_argument("--crawl-pages", type=int, default=5000)
    ap.add_argument("--repeat", type=int, default=3)
    ap.add_argument("--only", choices=["dedup", "crawl", "extraction", "storage", "archive", "history", "command",
                                           "shared"],
                    default=None)
    ap.add_argument("--archive-records", type=int, default=50_000)
    args = ap.parse_args(argv)
    os.environ.setdefault("OMP_NUM_THREADS", "1")
    show_notes()
    from pipeline.eval.bench_archive import bench_archive
    from pipeline.eval.bench_command import bench_command
    from pipeline.eval.bench_history import bench_history
    from pipeline.eval.bench_shared import bench_shared
    from pipeline.eval.bench_storage import bench_storage
    parts = {"crawl": lambda: bench_crawl(args.crawl_pages, args.repeat),  # first: the crawl child's peak RSS
             "dedup": lambda: bench_dedup(args.docs, args.repeat) + bench_index_memory(args.signatures),
             "extraction": lambda: bench_extraction(args.repeat), "storage": bench_storage,
             "archive": lambda: bench_archive(args.archive_records, args.repeat),
             "history": lambda: bench_history(repeat=args.repeat), "command": lambda: bench_command(args.docs),
             "shared": lambda: bench_shared(args.repeat)}
    chosen = [p for p in parts if args.only in (None, p)]
    for part in track(chosen, "make bench"):
        note(f"bench: {part} ...")
        print("\n".join(parts[part]()), flush=True)  # each part's figures as soon as it has them
    print(f"max RSS of the bench process: {resource.getrusage(resource.RUSAGE_SELF).ru_maxrss / 1024:.0f} MiB")
    return 0


if __name__ == "__main__":
    sys.exit(main())
