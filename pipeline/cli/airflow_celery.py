"""``make airflow-celery``: the production shape of ``docker-compose.yml`` without Docker.

The components ``make airflow`` starts (api-server, scheduler, dag-processor,
triggerer) with the CeleryExecutor, and N Celery workers, on this machine's
own servers:

- the metadata database and Celery's results in PostgreSQL
  (``NEWSPIPE_AIRFLOW_DB``, default ``postgresql://postgres@127.0.0.1:5432/newspipe_airflow``,
  created when missing);
- Redis (``NEWSPIPE_REDIS``, default ``redis://127.0.0.1:6379``) as Celery's broker
  (database 3), for the day and clusters locks (4) and for the dedup index (5),
  as the compose file sets them (``NEWSPIPE_LOCKS``, ``NEWSPIPE_DEDUP_INDEX``
  already set are kept).

Each worker runs as if on a machine of its own: its own work directory
(``NEWSPIPE_WORK_DIR``, under ``AIRFLOW_HOME/workers/worker-I``) and host name
(``NEWSPIPE_WORKER_NAME``, what the task instances show), with one data root
for all (``NEWSPIPE_DATA``: a directory they all reach, or an object store, whose
``_work/`` then carries raw pages and crawl state between them:
``storage.shared_work``). Ctrl-C or SIGTERM stops everything and exits 0.
"""
from __future__ import annotations

import argparse
import os
import socket
import subprocess
import sys
from pathlib import Path
from urllib.parse import urlsplit, urlunsplit

from pipeline.cli.airflow_local import (ROOT, airflow_bin, airflow_env, free_port, local_sources, start_airflow,
                                        supervise)

DEFAULT_DB = "postgresql://postgres@127.0.0.1:5432/newspipe_airflow"
DEFAULT_REDIS = "redis://127.0.0.1:6379"


def worker_hostname() -> str:
    """The host name a worker's task instances record (``[core] hostname_callable``)."""
    return os.environ.get("NEWSPIPE_WORKER_NAME") or socket.getfqdn()


def ensure_database(url: str) -> None:
    """Create the PostgreSQL database ``url`` names if it does not exist (its server must be up)."""
    import psycopg2
    parts = urlsplit(url)
    name = parts.path.lstrip("/")
    admin = urlunsplit(parts._replace(scheme="postgresql", path="/postgres"))
    conn = psycopg2.connect(admin, connect_timeout=10)
    try:
        conn.autocommit = True
        with conn.cursor() as cur:
            cur.execute("SELECT 1 FROM pg_database WHERE datname = %s", (name,))
            if cur.fetchone() is None:
                cur.execute(f'CREATE DATABASE "{name}"')
    finally:
        conn.close()


def celery_env(env: dict[str, str], db: str, redis: str) -> dict[str, str]:
    """``airflow_env`` turned into the Celery stack's environment (``docker-compose.yml``'s settings)."""
    pg = urlsplit(db)._replace(scheme="postgresql+psycopg2").geturl()
    redis = redis.rstrip("/")
    env = dict(env)
    for key in ("AIRFLOW__DATABASE__SQL_ALCHEMY_CONNECT_ARGS", "AIRFLOW__DATABASE__SQL_ALCHEMY_CONNECT_ARGS_ASYNC"):
        env.pop(key, None)  # SQLite's
    env.update({
        "AIRFLOW__CORE__EXECUTOR": "CeleryExecutor",
        "AIRFLOW__DATABASE__SQL_ALCHEMY_CONN": pg,
        "AIRFLOW__CELERY__RESULT_BACKEND": "db+" + pg,
        "AIRFLOW__CELERY__BROKER_URL": f"{redis}/3",
        "AIRFLOW__CORE__HOSTNAME_CALLABLE": "pipeline.cli.airflow_celery.worker_hostname",
        "NEWSPIPE_LOCKS": env.get("NEWSPIPE_LOCKS") or f"{redis}/4",
        "NEWSPIPE_DEDUP_INDEX": env.get("NEWSPIPE_DEDUP_INDEX") or f"{redis}/5",
    })
    return env


def start_workers(env: dict[str, str], count: int, concurrency: int = 2, log=None) -> dict[str, subprocess.Popen]:
    """Start ``count`` Celery workers, each with its own work directory and host name."""
    home = Path(env["AIRFLOW_HOME"])
    workers = {}
    queue = env.get("AIRFLOW__OPERATORS__DEFAULT_QUEUE")  # the queue tasks go to, when not Celery's default
    for name in (f"worker-{i + 1}" for i in range(count)):
        workers[name] = start_worker(env, home / "workers" / name, name, concurrency, log, queue)
    return workers


def start_worker(env: dict[str, str], work: Path, name: str, concurrency: int = 2, log=None,
                 queues: str | None = None) -> subprocess.Popen:
    """One Celery worker named ``name`` with the work directory ``work`` (its logs are read from the
    shared log folder, so it serves none)."""
    work.mkdir(parents=True, exist_ok=True)
    own = dict(env, NEWSPIPE_WORK_DIR=str(work), NEWSPIPE_WORKER_NAME=name)
    cmd = [airflow_bin(), "celery", "worker", "--concurrency", str(concurrency), "--skip-serve-logs",
           "--celery-hostname", f"{name}@%h", "--without-mingle", "--without-gossip",
           *(["--queues", queues] if queues else [])]
    return subprocess.Popen(cmd, env=own, stdout=log, stderr=subprocess.STDOUT, start_new_session=True, umask=0o077)


def main(argv: list[str] | None = None) -> int:
    ap = argparse.ArgumentParser(prog="make airflow-celery", description=__doc__.split("\n\n")[0])
    ap.add_argument("--workers", type=int, default=int(os.environ.get("WORKERS") or 2), help="Celery workers (2)")
    ap.add_argument("--concurrency", type=int, default=2, help="task slots per worker (2)")
    args = ap.parse_args(argv)
    from pipeline.settings import RunEnvironment
    home = Path(os.environ.get("AIRFLOW_HOME_DIR", ROOT / ".airflow-celery"))
    home.mkdir(parents=True, exist_ok=True)
    db, redis = os.environ.get("NEWSPIPE_AIRFLOW_DB") or DEFAULT_DB, os.environ.get("NEWSPIPE_REDIS") or DEFAULT_REDIS
    try:
        ensure_database(db)
    except Exception as exc:  # noqa: BLE001 - the operator is told what is missing
        print(f"cannot reach PostgreSQL at {db} ({exc}); set NEWSPIPE_AIRFLOW_DB", file=sys.stderr)
        return 2
    port = free_port(int(os.environ.get("AIRFLOW_PORT", "8080")))
    data = RunEnvironment.read().data
    sources, server = local_sources(home)
    env = celery_env(airflow_env(home, port, sources, data), db, redis)
    procs = start_airflow(env)
    workers = start_workers(env, args.workers, args.concurrency)
    print(f"Airflow UI: http://127.0.0.1:{port}  (user admin, password in {home}/simple_auth_manager_passwords.json.generated)")
    print(f"CeleryExecutor: metadata {db}, broker {env['AIRFLOW__CELERY__BROKER_URL']}, locks {env['NEWSPIPE_LOCKS']}, "
          f"dedup index {env['NEWSPIPE_DEDUP_INDEX']}; data: {data}")
    print("started: " + ", ".join(f"{p.args[1]} (pid {p.pid})" for p in procs) + "; " +
          ", ".join(f"{name} (pid {p.pid}, work {home / 'workers' / name})" for name, p in workers.items()))
    return supervise(procs, server, workers)


if __name__ == "__main__":
    sys.exit(main())
