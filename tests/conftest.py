"""Shared fixtures: the replay server on 127.0.0.1 and one demo run reused by the end-to-end tests."""
from __future__ import annotations

import socket
from pathlib import Path

import pytest
import yaml

from crawlers.replay.server import ReplayServer

SHARED = Path(__file__).resolve().parents[1].parent / "shared"


@pytest.fixture(scope="session")
def replay():
    with ReplayServer() as server:
        yield server


@pytest.fixture()
def fresh_replay():
    """A server of its own, for tests that add faults."""
    with ReplayServer() as server:
        yield server


def write_sources(server: ReplayServer, path: Path, names: list[str] | None = None, extra: list[dict] | None = None) -> Path:
    data = server.sources_dict(names)
    data["outlets"] += extra or []
    path.write_text(yaml.safe_dump(data, sort_keys=False, allow_unicode=True), encoding="utf-8")
    return path


@pytest.fixture(scope="session")
def demo_run(tmp_path_factory):
    from pipeline.cli.demo import run_demo
    data = tmp_path_factory.mktemp("demo") / "data"
    report = run_demo(data)
    return report, data


def free_port() -> int:
    with socket.socket() as s:
        s.bind(("127.0.0.1", 0))
        return s.getsockname()[1]


def service_up(port: int) -> bool:
    with socket.socket() as s:
        s.settimeout(0.5)
        return s.connect_ex(("127.0.0.1", port)) == 0


def need_shared(*parts: str) -> Path:
    path = SHARED.joinpath(*parts)
    if not path.exists():
        pytest.skip(f"{path} is absent (the shared corpora sit beside the repo in ../shared)")
    return path
