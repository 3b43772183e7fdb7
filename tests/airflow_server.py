"""A real ``airflow standalone`` for tests: temporary AIRFLOW_HOME, free ports, REST API client."""
from __future__ import annotations

import json
import subprocess
import time
import urllib.error
import urllib.request
from pathlib import Path

from pipeline.cli.airflow_local import airflow_env, free_port, start_airflow, stop_airflow


class AirflowStandalone:
    def __init__(self, home: Path, sources: Path, data: Path):
        self.home, self.port = home, free_port(0)
        self.base = f"http://127.0.0.1:{self.port}"
        self.env = airflow_env(home, self.port, str(sources), str(data))
        self.env["AIRFLOW__SCHEDULER__SCHEDULER_HEARTBEAT_SEC"] = "2"
        self.procs: list[subprocess.Popen] = []
        self.token = ""

    def __enter__(self) -> "AirflowStandalone":
        self.log = open(self.home / "standalone.log", "w")
        self.procs = start_airflow(self.env, self.log)  # what `make airflow` starts
        return self._wait_ready()

    def _wait_ready(self):
        deadline = time.time() + 300
        while time.time() < deadline:
            if any(p.poll() is not None for p in self.procs):
                raise RuntimeError(f"an airflow component exited: {self.tail()}")
            pw = self.home / "simple_auth_manager_passwords.json.generated"
            try:
                if pw.exists():
                    password = json.loads(pw.read_text())["admin"]
                    self.token = self.request("POST", "/auth/token", {"username": "admin", "password": password},
                                              auth=False)["access_token"]
                    if any(d["dag_id"] == "newspipe_daily" for d in self.request("GET", "/api/v2/dags")["dags"]):
                        return self
            except (OSError, ValueError, KeyError, AssertionError):
                pass
            time.sleep(2)
        raise TimeoutError(f"airflow standalone did not serve newspipe_daily in time: {self.tail()}")

    def __exit__(self, *exc) -> None:
        stop_airflow(self.procs)
        self.log.close()

    def tail(self, n: int = 4000) -> str:
        return (self.home / "standalone.log").read_text(errors="replace")[-n:]

    def request(self, method: str, path: str, body: dict | None = None, auth: bool = True,
                deadline_s: float = 300) -> dict:
        """One API call, retried as any client would while the server is busy: a 503 (SQLite busy
        while the scheduler writes), a timeout or a refused or reset connection (a loaded 2-core
        machine), with growing pauses until ``deadline_s``. The failure says what the server did."""
        deadline, attempt, last = time.monotonic() + deadline_s, 0, ""
        while True:
            req = urllib.request.Request(self.base + path, method=method,
                                         data=json.dumps(body).encode() if body is not None else None,
                                         headers={"Content-Type": "application/json"})
            if auth:
                req.add_header("Authorization", f"Bearer {self.token}")
            try:
                with urllib.request.urlopen(req, timeout=60) as resp:
                    return json.loads(resp.read() or b"{}")
            except urllib.error.HTTPError as exc:
                last = f"HTTP {exc.code}: {exc.read().decode(errors='replace')[:500]}"
                if exc.code != 503:
                    raise AssertionError(f"{method} {path}: {last}") from None
            except (urllib.error.URLError, TimeoutError, ConnectionError) as exc:
                last = f"{type(exc).__name__}: {exc}"
            attempt += 1
            if time.monotonic() + 2 * attempt > deadline:
                raise TimeoutError(f"{method} {path}: no answer in {deadline_s:.0f}s ({attempt} tries; last: {last}); "
                                   f"the server's log ends: {self.tail(3000)}")
            time.sleep(min(2 * attempt, 15))

    def wait_runs(self, dag_id: str, run_type: str, count: int, timeout: float = 900) -> list[dict]:
        deadline = time.time() + timeout
        while time.time() < deadline:
            runs = [r for r in self.request("GET", f"/api/v2/dags/{dag_id}/dagRuns?limit=100")["dag_runs"]
                    if r["run_type"] == run_type]
            if len(runs) >= count and all(r["state"] in ("success", "failed") for r in runs):
                return runs
            time.sleep(3)
        raise TimeoutError(f"{dag_id}: {run_type} runs not finished in {timeout}s: {self.tail()}")

    def wait_run_state(self, dag_id: str, run_id: str, state: str, after: str, timeout: float = 600) -> dict:
        """Wait until the run ends again (its end_date moves past ``after``) and check its state."""
        deadline = time.time() + timeout
        while time.time() < deadline:
            run = self.request("GET", f"/api/v2/dags/{dag_id}/dagRuns/{run_id}")
            if run["state"] in ("success", "failed") and run.get("end_date") and run["end_date"] > after:
                assert run["state"] == state, self.tail()
                return run
            time.sleep(3)
        raise TimeoutError(f"{dag_id}/{run_id} did not finish again in {timeout}s: {self.tail()}")


class AirflowCelery(AirflowStandalone):
    """``make airflow-celery``'s program, run as it is (``pipeline.cli.airflow_celery``): the components
    with the CeleryExecutor on PostgreSQL and Redis, and Celery workers with work directories and host
    names of their own. ``queue``: a Celery queue of the test's own, so that no other stack on the same
    Redis takes its tasks. ``exit_status``: the program's, after the SIGTERM that stops it."""

    def __init__(self, home: Path, sources: Path, data: str, db: str, redis: str, queue: str,
                 workers: int = 2, extra: dict | None = None):
        import os
        super().__init__(home, sources, Path("."))  # its port and API client; the program makes its own env
        self.env = dict(os.environ, AIRFLOW_HOME_DIR=str(home), AIRFLOW_PORT=str(self.port), NEWSPIPE_DATA=data,
                        NEWSPIPE_SOURCES=str(sources), NEWSPIPE_AIRFLOW_DB=db, NEWSPIPE_REDIS=redis,
                        AIRFLOW__OPERATORS__DEFAULT_QUEUE=queue, **(extra or {}))
        self.count, self.exit_status = workers, None

    def __enter__(self) -> "AirflowCelery":
        import sys
        self.log = open(self.home / "standalone.log", "w")
        self.program = subprocess.Popen([sys.executable, "-m", "pipeline.cli.airflow_celery", "--workers",
                                         str(self.count)], env=self.env, stdout=self.log, stderr=subprocess.STDOUT,
                                        start_new_session=True)
        self.procs = [self.program]
        return self._wait_ready()

    def _wait_ready(self) -> "AirflowCelery":
        deadline = time.time() + 300
        while time.time() < deadline:  # the workers connected to the broker, the API serving the DAG
            if self.tail(10**7).count(" ready.") >= self.count:
                return super()._wait_ready()
            if self.program.poll() is not None:
                raise RuntimeError(f"make airflow-celery exited {self.program.returncode}: {self.tail()}")
            time.sleep(2)
        raise TimeoutError(f"the Celery workers were not ready in time: {self.tail()}")

    def __exit__(self, *exc) -> None:
        import os
        import signal
        if self.program.poll() is None:
            self.program.send_signal(signal.SIGTERM)
            try:
                self.exit_status = self.program.wait(180)
            except subprocess.TimeoutExpired:
                os.killpg(self.program.pid, signal.SIGKILL)
                self.program.wait()
        self.log.close()

    def kill_worker(self, name: str) -> None:
        """SIGKILL a worker and every process under it, as when its machine dies."""
        import re

        import psutil
        pid = re.search(rf"\b{re.escape(name)} \(pid (\d+)", self.tail(10**7))  # what the program said it started
        root = psutil.Process(int(pid[1]))
        for p in [*root.children(recursive=True), root]:
            try:
                p.kill()
            except psutil.NoSuchProcess:
                pass
        psutil.wait_procs([root], timeout=30)
