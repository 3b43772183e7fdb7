"""docker-compose.yml: the production-shaped stack is complete, keeps no secret of its own, publishes
nothing beyond this host by default and, where the docker CLI has compose, is valid."""
from __future__ import annotations

import re
import shutil
import subprocess
from pathlib import Path

import pytest
import yaml

ROOT = Path(__file__).resolve().parents[1]
SECRETS = ("POSTGRES_PASSWORD", "REDIS_PASSWORD", "AIRFLOW_FERNET_KEY", "AIRFLOW_JWT_SECRET", "AIRFLOW_API_SECRET_KEY",
           "AIRFLOW_ADMIN_PASSWORD")


def _spec() -> dict:
    return yaml.safe_load((ROOT / "docker-compose.yml").read_text())


def test_compose_has_the_airflow3_services():
    spec = _spec()
    assert {"postgres", "redis", "airflow-apiserver", "airflow-scheduler", "airflow-dag-processor", "airflow-triggerer",
            "airflow-worker", "airflow-init"} <= set(spec["services"])
    env = spec["services"]["airflow-worker"]["environment"]
    assert env["AIRFLOW__CORE__EXECUTOR"] == "CeleryExecutor"
    assert env["AIRFLOW__CORE__DAGS_FOLDER"] == "/opt/newspipe/dags"
    assert "newspipe-data" in spec["volumes"]
    assert "RUN python -m pipeline.dedup.aot" in (ROOT / "Dockerfile").read_text()


def test_every_secret_comes_from_env_and_is_required():
    text = (ROOT / "docker-compose.yml").read_text()
    for name in SECRETS:  # ${NAME:?…}: compose refuses to start while it is unset or empty
        assert re.search(r"\$\{" + name + r":\?", text), name
        assert re.search(rf"^{name}=", (ROOT / ".env.example").read_text(), re.M), name
    env = _spec()["services"]["airflow-scheduler"]["environment"]
    assert "airflow:airflow@" not in env["AIRFLOW__DATABASE__SQL_ALCHEMY_CONN"]
    assert "${REDIS_PASSWORD" in env["AIRFLOW__CELERY__BROKER_URL"]
    for key in ("AIRFLOW__CORE__FERNET_KEY", "AIRFLOW__API_AUTH__JWT_SECRET", "AIRFLOW__API__SECRET_KEY"):
        assert env[key].startswith("${") and ":?" in env[key], key  # shared by every component, never empty
    assert "--requirepass" in _spec()["services"]["redis"]["command"]
    assert ":-airflow}" not in text and "POSTGRES_PASSWORD: airflow" not in text
    assert ".env" in (ROOT / ".gitignore").read_text().split()


def test_published_ports_bind_to_this_host_unless_asked():
    for name, service in _spec()["services"].items():
        for port in service.get("ports", []):
            assert str(port).startswith("${NEWSPIPE_BIND_ADDRESS:-127.0.0.1}:"), (name, port)


def _compose() -> list[str]:
    if shutil.which("docker") is None:
        pytest.skip("no docker CLI on this machine")
    if subprocess.run(["docker", "compose", "version"], capture_output=True).returncode != 0:
        pytest.skip("the docker CLI here has no compose plugin")
    return ["docker", "compose", "-f", str(ROOT / "docker-compose.yml")]


def test_docker_compose_config(tmp_path):
    env_file = tmp_path / ".env"
    env_file.write_text("".join(f"{name}=test-{name.lower()}\n" for name in SECRETS))
    p = subprocess.run([*_compose(), "--env-file", str(env_file), "config", "-q"], capture_output=True, text=True,
                       cwd=ROOT)
    assert p.returncode == 0, p.stderr
    empty = tmp_path / "empty.env"
    empty.write_text("")
    p = subprocess.run([*_compose(), "--env-file", str(empty), "config", "-q"], capture_output=True, text=True, cwd=ROOT)
    assert p.returncode != 0 and "POSTGRES_PASSWORD" in p.stderr


def test_compose_and_make_airflow_celery_set_the_same_stack():
    """What the Celery integration test runs (``make airflow-celery``'s environment) and the compose
    file name the same executor, drivers and Redis databases, and the same newspipe settings."""
    from pipeline.cli.airflow_celery import celery_env
    env = _spec()["x-airflow-common"]["environment"]
    ours = celery_env({"AIRFLOW_HOME": "/x"}, "postgresql://u@h:5432/airflow", "redis://h:6379")
    for key, value in ours.items():
        if key == "AIRFLOW_HOME":
            continue
        if key == "AIRFLOW__CORE__HOSTNAME_CALLABLE":  # one machine only: containers have host names of their own
            assert key not in env
            continue
        assert key in env, key
        if key == "AIRFLOW__CORE__EXECUTOR":
            assert env[key] == value
        elif "://" in value:  # same scheme (driver) and database number
            scheme, tail = value.split("://")[0], value.rsplit("/", 1)[1]
            assert env[key].startswith(scheme + "://") and env[key].rsplit("/", 1)[1] == tail, key
    assert "NEWSPIPE_WORK_DIR" in env  # each container a work directory of its own, as each worker has here
