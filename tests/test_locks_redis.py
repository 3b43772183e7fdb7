"""Locks across machines (``NEWSPIPE_LOCKS``, Redis): refusal naming the holder, a dead
worker's lock expiring, and fencing: a writer whose lock was lost cannot commit."""
from __future__ import annotations

import subprocess
import sys
import threading
import time
import uuid
from datetime import date

import pytest

from storage.dataset import read_table, replace_partitions, to_table
from storage.locks import LockedError, exclusive, partition_locks
from tests.conftest import service_up

ROOT = __import__("pathlib").Path(__file__).resolve().parents[1]

pytestmark = pytest.mark.skipif(not service_up(6379), reason="no Redis at 127.0.0.1:6379 (CI has one)")
DAY = date(2020, 10, 1)


@pytest.fixture
def redis_locks(monkeypatch):
    monkeypatch.setenv("NEWSPIPE_LOCKS", "redis://127.0.0.1:6379/0")
    monkeypatch.setenv("NEWSPIPE_LOCK_TTL", "2")
    return f"s3://bucket-{uuid.uuid4().hex[:8]}/newspipe"  # the scope: one data root, any work directory


def _stats(run: str):
    return to_table("crawl_stats", [{"run_id": run, "outlet": "x", "status": "ok"}])


def test_a_second_machine_is_refused_with_the_holder_named(redis_locks, tmp_path):
    with partition_locks(tmp_path / "worker-a", ["date=2020-10-01"], "run A", redis_locks):
        with pytest.raises(LockedError, match=r"date=2020-10-01 .* is being written by run A \(pid"):
            with partition_locks(tmp_path / "worker-b", ["date=2020-10-01"], "run B", redis_locks):
                pass
        with partition_locks(tmp_path / "worker-b", ["date=2020-10-02"], "run B", redis_locks):
            pass  # another day goes ahead
    with partition_locks(tmp_path / "worker-b", ["date=2020-10-01"], "run B", redis_locks):
        pass  # released on exit


def test_a_dead_workers_lock_expires(redis_locks, tmp_path):
    code = ("import os, sys; from storage.locks import partition_locks\n"
            f"with partition_locks(sys.argv[1], ['date=2020-10-01'], 'worker killed', {redis_locks!r}):\n"
            "    print('held', flush=True); os.kill(os.getpid(), 9)\n")
    p = subprocess.run([sys.executable, "-c", code, str(tmp_path)], cwd=ROOT, capture_output=True, text=True,
                       env=dict(__import__("os").environ))
    assert "held" in p.stdout
    with pytest.raises(LockedError, match="worker killed"):
        with partition_locks(tmp_path, ["date=2020-10-01"], "run B", redis_locks):
            pass
    deadline = time.monotonic() + 30  # generous: a loaded machine
    while True:
        try:
            with partition_locks(tmp_path, ["date=2020-10-01"], "run B", redis_locks):
                break
        except LockedError:
            assert time.monotonic() < deadline, "the dead worker's lock never expired"
            time.sleep(0.5)


def test_a_late_writer_cannot_overwrite_a_newer_run(redis_locks, tmp_path, monkeypatch):
    from storage import locks_redis
    data = tmp_path / "data"
    replace_partitions(data, "crawl_stats", {DAY: _stats("before")}, [DAY])
    monkeypatch.setattr(locks_redis._Held, "_renew", lambda self: None)  # a worker paused: no renewal
    with pytest.raises(LockedError, match="was lost .* this write is refused"):
        with partition_locks(data, ["date=2020-10-01"], "run A", redis_locks):
            time.sleep(2.5)  # past the expiry: another machine takes the day and writes it
            monkeypatch.undo()
            monkeypatch.setenv("NEWSPIPE_LOCKS", "redis://127.0.0.1:6379/0")
            monkeypatch.setenv("NEWSPIPE_LOCK_TTL", "2")

            def run_b():  # another machine: a thread, with none of run A's locks in its context
                with partition_locks(data, ["date=2020-10-01"], "run B", redis_locks):
                    replace_partitions(data, "crawl_stats", {DAY: _stats("newer")}, [DAY])
            t = threading.Thread(target=run_b)
            t.start()
            t.join(60)
            replace_partitions(data, "crawl_stats", {DAY: _stats("late")}, [DAY])  # refused at the commit point
    assert read_table(data, "crawl_stats").column("run_id").to_pylist() == ["newer"]


def test_the_clusters_lock_waits_for_its_holder(redis_locks, tmp_path):
    order = []

    def other():
        with exclusive(tmp_path / "b", "clusters", redis_locks):
            order.append("second")
    with exclusive(tmp_path / "a", "clusters", redis_locks):
        t = threading.Thread(target=other)
        t.start()
        time.sleep(0.8)
        order.append("first")
    t.join(timeout=60)
    assert order == ["first", "second"]


def test_two_checks_at_once_pass_across_machines(redis_locks, tmp_path):
    """Two workers' crawl tasks checking the same day at once: the other check's lock is waited
    out; a run's is refused with its name."""
    from storage.locks import ensure_unlocked
    from tests.test_storage import _held_by_a_check_meanwhile
    _held_by_a_check_meanwhile(tmp_path / "worker-a", redis_locks)
    ensure_unlocked(tmp_path / "worker-b", ["date=2020-10-01"], redis_locks)
    with partition_locks(tmp_path / "worker-a", ["date=2020-10-01"], "run A", redis_locks):
        with pytest.raises(LockedError, match="being written by run A"):
            ensure_unlocked(tmp_path / "worker-b", ["date=2020-10-01"], redis_locks)
