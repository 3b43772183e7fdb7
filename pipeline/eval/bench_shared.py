"""What sharing a crawl between machines costs on the crawl path (``storage.shared_work``).

The replay outlets' crawl of one week, on a local data directory (the work directory is the root:
nothing copied) and on an S3-compatible store (moto's server on 127.0.0.1: raw pages, lists, stats
and crawl state uploaded when each crawl ends, crawl state fetched and merged before it starts).
Wall time of ``crawl_stage``, median of ``repeat`` runs each from nothing, and the ratio.
"""
from __future__ import annotations

import os
import statistics
import tempfile
import time
from datetime import datetime, timezone
from pathlib import Path

import yaml

SINCE, UNTIL = datetime(2020, 10, 1, tzinfo=timezone.utc), datetime(2020, 10, 8, tzinfo=timezone.utc)


def bench_shared(repeat: int = 3) -> list[str]:
    from moto.server import ThreadedMotoServer

    from crawlers.replay.server import ReplayServer
    from pipeline.run.stages import crawl_stage
    from storage.fs import open_root
    saved = {k: os.environ.get(k) for k in ("AWS_ACCESS_KEY_ID", "AWS_SECRET_ACCESS_KEY", "AWS_DEFAULT_REGION",
                                            "AWS_EC2_METADATA_DISABLED", "NEWSPIPE_WORK_DIR")}
    os.environ.update({"AWS_ACCESS_KEY_ID": "bench", "AWS_SECRET_ACCESS_KEY": "bench", "AWS_DEFAULT_REGION": "us-east-1",
                       "AWS_EC2_METADATA_DISABLED": "true"})
    server = ThreadedMotoServer(ip_address="127.0.0.1", port=0, verbose=False)
    server.start()
    host, port = server.get_host_and_port()
    times: dict[str, list[float]] = {"local": [], "s3": []}
    pages = 0
    try:
        with ReplayServer() as replay, tempfile.TemporaryDirectory() as tmp:
            sources = Path(tmp) / "sources.yaml"
            sources.write_text(yaml.safe_dump(replay.sources_dict()), encoding="utf-8")
            for i in range(repeat):
                uri = f"s3://bench-{i}/data?endpoint_override={host}:{port}&scheme=http&region=us-east-1"
                open_root(uri + "&allow_bucket_creation=true").fs.create_dir(f"bench-{i}")
                os.environ["NEWSPIPE_WORK_DIR"] = f"{tmp}/work-{i}"
                for kind, data in (("local", f"{tmp}/data-{i}"), ("s3", uri)):
                    started = time.perf_counter()
                    crawls = crawl_stage(sources, SINCE, UNTIL, data, politeness=False)
                    times[kind].append(time.perf_counter() - started)
                    pages = sum(c.articles_fetched for c in crawls)
    finally:
        server.stop()
        for k, v in saved.items():
            os.environ.pop(k, None) if v is None else os.environ.__setitem__(k, v)
    local, s3 = (statistics.median(times[k]) for k in ("local", "s3"))
    return [f"shared crawl ({len(times['local'])} runs, {pages} pages of the replay outlets, one week): "
            f"local root {local:.2f} s, S3 root with raw pages and crawl state shared {s3:.2f} s "
            f"(ratio {s3 / local:.2f}, medians)"]
