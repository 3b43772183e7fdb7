# newspipe: `make demo` runs the pipeline offline on the bundled mock outlets; `make test` runs the tests.
# Both bootstrap everything they need: uv (installed with pip when missing) and the locked environment
# (one uv.lock). `make demo` installs the core only; `make test`, `make bench` and `make airflow` add the
# `dev` and `airflow` dependency groups (pytest, moto, DuckDB, Redis and PostgreSQL clients, Playwright,
# Airflow) and Debian's chromium for the report's browser test.
SHELL := /bin/bash
PYTHON ?= python3
UV := $(shell command -v uv 2>/dev/null || echo "$(PYTHON) -m uv")
CORE := $(UV) run --frozen --no-default-groups
RUN := $(UV) run --frozen
DATA ?= data

.PHONY: setup setup-all browser demo test test-fast bench airflow airflow-celery clean

# the core: what `newspipe demo` and `newspipe run` need (inexact: a full environment stays full)
.venv/.core: pyproject.toml uv.lock
	@$(UV) --version >/dev/null 2>&1 || $(PYTHON) -m pip install --quiet uv
	$(UV) sync --frozen --no-default-groups --inexact --compile-bytecode
	@touch $@

# everything: the tests' tools and Airflow
.venv/.synced: .venv/.core
	$(UV) sync --frozen --compile-bytecode
	@touch $@

# the dedup kernels are built once here (ahead of time, and into numba's on-disk cache; a folder per
# version of the kernel modules, jit.KERNEL_MODULES, older ones removed), not in every process that
# dedups; so is our own bytecode, which a process started with PYTHONDONTWRITEBYTECODE would compile.
# Any module of pipeline/dedup triggers it (a list of the kernel modules here would be a second copy)
.venv/.kernels: .venv/.core $(wildcard pipeline/dedup/*.py)
	$(CORE) python -m pipeline.dedup.aot
	$(CORE) python -m compileall -q crawlers pipeline storage dags
	@touch $@

setup: .venv/.core .venv/.kernels

setup-all: setup .venv/.synced browser

# the report's browser test drives Debian's chromium (never a downloaded browser); where it cannot be
# installed (no root, no apt-get) the test skips and says why
browser:
	@command -v chromium >/dev/null 2>&1 || { [ "$$(id -u)" = 0 ] && command -v apt-get >/dev/null 2>&1 && \
	  { DEBIAN_FRONTEND=noninteractive apt-get install -y -q chromium >/dev/null 2>&1 || \
	    { apt-get update -q >/dev/null 2>&1 && DEBIAN_FRONTEND=noninteractive apt-get install -y -q chromium >/dev/null 2>&1; }; } && \
	  echo "installed Debian's chromium for the browser tests"; } || echo "note: no chromium: the browser tests will skip"

demo: setup
	$(CORE) newspipe demo --data $(DATA)

test: setup-all
	$(RUN) pytest -q --durations=12

test-fast: setup-all
	$(RUN) pytest -q -m "not airflow_integration"

bench: setup-all
	$(RUN) python -m pipeline.eval.bench

airflow: setup-all
	$(RUN) python -m pipeline.cli.airflow_local

# the production shape without Docker: CeleryExecutor, WORKERS Celery workers (2), each with a work directory
# of its own, on this machine's PostgreSQL and Redis at 127.0.0.1 (see pipeline/cli/airflow_celery.py)
WORKERS ?= 2
airflow-celery: setup-all
	$(RUN) python -m pipeline.cli.airflow_celery --workers $(WORKERS)

clean:
	rm -rf $(DATA) .airflow .airflow-celery .pytest_cache
