# newspipe: `make demo` runs the pipeline offline on the bundled mock outlets; `make test` runs the tests.
# Both bootstrap everything they need: uv (installed with pip when missing) and the locked environment.
SHELL := /bin/bash
PYTHON ?= python3
UV := $(shell command -v uv 2>/dev/null || echo "$(PYTHON) -m uv")
RUN := $(UV) run --frozen
DATA ?= data

.PHONY: setup demo test test-fast bench airflow clean

.venv/.synced: pyproject.toml uv.lock
	@$(UV) --version >/dev/null 2>&1 || $(PYTHON) -m pip install --quiet uv
	$(UV) sync --frozen --compile-bytecode
	@touch $@

# the dedup kernels are compiled once here (numba's on-disk cache), not in every process that dedups
.venv/.kernels: .venv/.synced pipeline/dedup/kernels.py
	$(RUN) python -m pipeline.dedup.kernels
	@touch $@

setup: .venv/.synced .venv/.kernels

demo: setup
	$(RUN) newspipe demo --data $(DATA)

test: setup
	$(RUN) pytest -q

test-fast: setup
	$(RUN) pytest -q -m "not airflow_integration and not slow"

bench: setup
	$(RUN) python -m pipeline.eval.bench

airflow: setup
	$(RUN) python -m pipeline.cli.airflow_local

clean:
	rm -rf $(DATA) .airflow .pytest_cache
