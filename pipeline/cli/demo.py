"""``make demo``: the whole pipeline against the bundled mock outlets, offline.

Starts the replay server on 127.0.0.1, writes a sources file pointing at it,
runs the same ``pipeline.run.stages.run`` as production and prints a summary.
"""
from __future__ import annotations

import os
import uuid
from datetime import datetime, timezone
from pathlib import Path

import yaml

from crawlers.replay.server import ReplayServer
from pipeline.run.report import RunReport
from pipeline.run.stages import run
from storage.fs import work_dir
from storage.layout import state_dir

DEMO_SINCE = datetime(2020, 10, 1, tzinfo=timezone.utc)
DEMO_UNTIL = datetime(2020, 10, 8, tzinfo=timezone.utc)


def run_demo(data: str | Path = "data", workers: int | None = None) -> RunReport:
    """``data`` is a directory or a filesystem URI (the crawl's working files stay local)."""
    with ReplayServer() as server:
        # each demo its own file: two demos on one data directory have servers on different ports
        sources = state_dir(work_dir(data)) / f"replay-sources-{os.getpid()}-{uuid.uuid4().hex[:6]}.yaml"
        sources.parent.mkdir(parents=True, exist_ok=True)
        sources.write_text(yaml.safe_dump(server.sources_dict(), sort_keys=False, allow_unicode=True), encoding="utf-8")
        try:
            return run(sources, DEMO_SINCE, DEMO_UNTIL, data, workers=workers, politeness=False)
        finally:
            sources.unlink(missing_ok=True)
