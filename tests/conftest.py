"""Shared fixtures: the replay server on 127.0.0.1, one demo run reused by the end-to-end tests, and an
S3-compatible store (moto) on 127.0.0.1."""
from __future__ import annotations

import socket
import urllib.request
from pathlib import Path

import pytest
import yaml

from crawlers.replay.server import ReplayServer
from storage.fs import open_root

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


@pytest.fixture()
def s3(monkeypatch, tmp_path):
    from moto.server import ThreadedMotoServer
    server = ThreadedMotoServer(ip_address="127.0.0.1", port=0, verbose=False)
    server.start()
    host, port = server.get_host_and_port()
    # moto keeps its buckets in this process, not in the server: start every test from an empty store
    urllib.request.urlopen(urllib.request.Request(f"http://{host}:{port}/moto-api/reset", method="POST"), timeout=30)
    env = {"AWS_ACCESS_KEY_ID": "newspipe", "AWS_SECRET_ACCESS_KEY": "newspipe", "AWS_DEFAULT_REGION": "us-east-1",
           "AWS_EC2_METADATA_DISABLED": "true", "NEWSPIPE_WORK_DIR": str(tmp_path / "work")}
    for k, v in env.items():
        monkeypatch.setenv(k, v)
    uri = f"s3://newspipe-test/data?endpoint_override={host}:{port}&scheme=http&region=us-east-1"
    root = open_root(uri + "&allow_bucket_creation=true")
    root.fs.create_dir("newspipe-test")
    try:
        yield uri, env
    finally:
        server.stop()
