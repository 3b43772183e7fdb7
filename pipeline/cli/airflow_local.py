"""``make airflow``: a local Airflow for newspipe's DAGs, on this machine only.

AIRFLOW_HOME is ``.airflow/`` in the project (ignored by git), the DAG folder
is ``dags/``, examples are off, the metadata DB is SQLite. By default the DAGs
crawl the bundled mock outlets, served by the replay server this launcher
starts, so everything works offline; set ``NEWSPIPE_SOURCES`` (a sources file,
e.g. ``crawlers/sources.yaml``) to crawl real outlets instead. Airflow itself
is started as a program: nothing here imports it.

It starts what ``airflow standalone`` starts (the database migration, then
api-server, scheduler, dag-processor and triggerer), with two differences:
the scheduler and triggerer serve no logs (Airflow binds its log servers to
every interface; on one machine the API server reads the log files itself),
and every file is created private to its owner (umask 077: the metadata
database and the generated admin password are 0600).
"""
from __future__ import annotations

import os
import shutil
import signal
import socket
import subprocess
import sys
import time
import urllib.request
from pathlib import Path

import yaml

from pipeline.settings import RunEnvironment

ROOT = Path(__file__).resolve().parents[2]
# SQLite's default 5 s lock timeout is shorter than a busy scheduler holds the database on a
# 2-core machine; the API then answers 503 and a half-written backfill can crash the scheduler
SQLITE_CONNECT_ARGS = {"timeout": 120}


def free_port(preferred: int = 8080) -> int:
    with socket.socket() as s:
        try:
            s.bind(("127.0.0.1", preferred))
        except OSError:
            s.bind(("127.0.0.1", 0))
        return s.getsockname()[1]


def airflow_env(home: Path, port: int, sources: str, data: str) -> dict[str, str]:
    """The environment of a local Airflow serving this project's DAGs."""
    env = dict(os.environ)
    env.update({
        "AIRFLOW_HOME": str(home),
        "AIRFLOW__CORE__DAGS_FOLDER": str(ROOT / "dags"),
        "AIRFLOW__CORE__LOAD_EXAMPLES": "False",
        "AIRFLOW__API__PORT": str(port),
        "AIRFLOW__API__HOST": "127.0.0.1",
        "AIRFLOW__CORE__EXECUTION_API_SERVER_URL": f"http://127.0.0.1:{port}/execution/",
        "AIRFLOW__LOGGING__WORKER_LOG_SERVER_PORT": str(free_port(8793)),
        "AIRFLOW__LOGGING__TRIGGER_LOG_SERVER_PORT": str(free_port(8794)),
        "AIRFLOW__CORE__SIMPLE_AUTH_MANAGER_USERS": "admin:admin",
        "AIRFLOW__DAG_PROCESSOR__REFRESH_INTERVAL": "5",
        # the LocalExecutor starts this many worker processes: 32 by default, idle on a 2-core machine
        "AIRFLOW__CORE__PARALLELISM": env.get("AIRFLOW__CORE__PARALLELISM") or str(max(4, 2 * (os.cpu_count() or 2))),
        "AIRFLOW__SCHEDULER__ENABLE_HEALTH_CHECK": "False",
        "AIRFLOW__DATABASE__SQL_ALCHEMY_CONNECT_ARGS": "pipeline.cli.airflow_local.SQLITE_CONNECT_ARGS",
        "AIRFLOW__DATABASE__SQL_ALCHEMY_CONNECT_ARGS_ASYNC": "pipeline.cli.airflow_local.SQLITE_CONNECT_ARGS",
        "NEWSPIPE_SOURCES": sources,
        "NEWSPIPE_DATA": data,
        "PYTHONPATH": str(ROOT) + os.pathsep + env.get("PYTHONPATH", ""),
        # standalone starts its parts as `airflow ...` programs: the environment's bin first
        "PATH": str(Path(sys.executable).parent) + os.pathsep + env.get("PATH", ""),
    })
    return env


def airflow_bin() -> str:
    return shutil.which("airflow", path=str(Path(sys.executable).parent)) or "airflow"


PRIVATE = 0o077  # umask of every Airflow process: files 0600, directories 0700
COMPONENTS = (["api-server"], ["scheduler", "--skip-serve-logs"], ["dag-processor"],
              ["triggerer", "--skip-serve-logs"])


def start_airflow(env: dict[str, str], log=None) -> list[subprocess.Popen]:
    """Migrate the metadata database, then start each component in a process group of its own."""
    home = Path(env["AIRFLOW_HOME"])
    home.mkdir(parents=True, exist_ok=True)
    home.chmod(0o700)
    subprocess.run([airflow_bin(), "db", "migrate"], env=env, stdout=log, stderr=subprocess.STDOUT, check=True,
                   umask=PRIVATE)
    start = lambda cmd: subprocess.Popen([airflow_bin(), *cmd], env=env, stdout=log, stderr=subprocess.STDOUT,  # noqa: E731
                                         start_new_session=True, umask=PRIVATE)
    api = start(COMPONENTS[0])
    warm_execution_api(env, api)
    return [api, *(start(cmd) for cmd in COMPONENTS[1:])]


def warm_execution_api(env: dict[str, str], api: subprocess.Popen, timeout: float = 300) -> None:
    """Wait for the API server's first answer on its execution API, before a scheduler hands out tasks.

    That first request builds the versioned execution API and holds the server for 7-16 s here,
    longer than the Task SDK client waits (5 s): the first task starts timed out, were retried, and
    the server then answered the abandoned requests with HTTP 400 (a body it could no longer read).
    """
    url = env["AIRFLOW__CORE__EXECUTION_API_SERVER_URL"].rstrip("/") + "/health/ping"
    deadline = time.monotonic() + timeout
    while time.monotonic() < deadline and api.poll() is None:
        try:
            with urllib.request.urlopen(url, timeout=60) as resp:
                if resp.status == 200:
                    return
        except (OSError, ValueError):
            pass
        time.sleep(1)


def stop_airflow(procs: list[subprocess.Popen], timeout: float = 60) -> None:
    """SIGTERM to every component's process group, SIGKILL to what is left after ``timeout``."""
    for p in procs:
        if p.poll() is None:
            os.killpg(p.pid, signal.SIGTERM)
    for p in procs:
        try:
            p.wait(timeout)
        except subprocess.TimeoutExpired:
            os.killpg(p.pid, signal.SIGKILL)
            p.wait()


def local_sources(home: Path):
    """``NEWSPIPE_SOURCES`` when set, else the replay outlets, served by a server started here:
    ``(sources file, server or None)``."""
    sources = os.environ.get("NEWSPIPE_SOURCES")  # unset: the replay outlets, not the bundled registry
    if sources:
        return sources, None
    from crawlers.replay.server import ReplayServer
    server = ReplayServer().start()
    sources = str(home / "replay-sources.yaml")
    Path(sources).write_text(yaml.safe_dump(server.sources_dict(), sort_keys=False, allow_unicode=True), encoding="utf-8")
    print(f"replay outlets served at {server.address}; DAGs crawl them (set NEWSPIPE_SOURCES for real outlets)")
    return sources, server


def supervise(procs: list[subprocess.Popen], server=None, workers: dict[str, subprocess.Popen] | None = None) -> int:
    """Wait until a component dies (status 1) or Ctrl-C / SIGTERM asks for a stop (status 0, a clean
    exit); then stop everything. A Celery worker that dies is reported and the others go on (its
    tasks are retried on them, as when a machine of a cluster is lost)."""
    def stop(*_):
        raise KeyboardInterrupt

    signal.signal(signal.SIGTERM, stop)
    workers, lost = dict(workers or {}), set()
    try:
        while all(p.poll() is None for p in procs):
            for name in sorted(n for n, w in workers.items() if w.poll() is not None and n not in lost):
                lost.add(name)
                print(f"{name} exited {workers[name].returncode}; the other workers go on", file=sys.stderr, flush=True)
            time.sleep(1)
        print("airflow stopped: " + ", ".join(f"{' '.join(map(str, p.args[1:3]))} exited {p.returncode}"
                                              for p in procs if p.poll() is not None), file=sys.stderr)
        return 1
    except KeyboardInterrupt:
        print("stopping airflow ...")
        return 0
    finally:
        signal.signal(signal.SIGTERM, signal.SIG_IGN)  # a second TERM (make, timeout) must not cut the stop short
        stop_airflow([*procs, *workers.values()])
        if server is not None:
            server.stop()


def main() -> int:
    home = Path(os.environ.get("AIRFLOW_HOME_DIR", ROOT / ".airflow"))
    home.mkdir(parents=True, exist_ok=True)
    data = RunEnvironment.read().data
    port = free_port(int(os.environ.get("AIRFLOW_PORT", "8080")))
    sources, server = local_sources(home)
    print(f"Airflow UI: http://127.0.0.1:{port}  (user admin, password in {home}/simple_auth_manager_passwords.json.generated)")
    print(f"AIRFLOW_HOME={home}  DAGs: {ROOT / 'dags'}  data: {data}")
    procs = start_airflow(airflow_env(home, port, sources, data))
    print("started: " + ", ".join(f"{cmd[0]} (pid {p.pid})" for cmd, p in zip(COMPONENTS, procs)))
    return supervise(procs, server)


if __name__ == "__main__":
    sys.exit(main())
