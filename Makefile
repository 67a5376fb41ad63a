# medcost: `make run` builds everything and runs the pipeline; `make test` runs the tests.
# Both start with `make setup`, which creates .venv with a supported Python (3.11.5+ or 3.12,
# found by scripts/find-python.sh, or PYTHON=/path/to/python) and installs requirements.txt
# only when requirements.txt changed since the last install.

SHELL := /bin/bash
PYTHON ?=
VENV := .venv
BIN := $(VENV)/bin
PY := $(BIN)/python
STAMP := $(VENV)/.requirements.sha256
REQ_HASH := $(shell sha256sum requirements.txt | cut -d' ' -f1)
SPARK_STAMP := $(VENV)/.requirements-spark.sha256
SPARK_HASH := $(shell cat requirements.txt requirements-spark.txt | sha256sum | cut -d' ' -f1)
# Stages run `python -m stages.<name>`: the venv's python must come first on PATH.
export PATH := $(abspath $(BIN)):$(PATH)
export PYTHONDONTWRITEBYTECODE := 1

PORT ?=
BASE ?= main

.PHONY: fresh-lock setup setup-spark data run pages test test-fast lint format lock bench bench-scale bench-repro bench-transform bench-model-search clean-data help serve rollback registry mlflow-ui report exps as-of

help:
	@echo "make setup     create .venv with Python 3.11.5+ or 3.12 (found on PATH, or PYTHON=/path/to/python) and install requirements.txt"
	@echo "make setup-spark  also install PySpark (requirements-spark.txt, ~450 MB; needs Java 17 or 21) for transform.engine: spark"
	@echo "make run       set up, create the demo source database if needed, run the pipeline (dvc repro), make pages"
	@echo "make pages     reports/index.html: links every report (Data Docs, plots, drift, registry), all offline"
	@echo "make test      set up (with PySpark), lint, then run the whole test suite (what CI runs)"
	@echo "make test-fast lint and run the tests without the slow end-to-end ones (-m 'not e2e')"
	@echo "make lint      ruff (lint + format check) and mypy on medcost/, stages/, tests/, bench/"
	@echo "make format    apply ruff's fixes and formatting"
	@echo "make data      create the demo source database (data/source/demo.db) unless MEDCOST_SOURCE_URL is set"
	@echo "make serve     serve the champion on http://127.0.0.1:<port>/invocations: PORT=..., else MEDCOST_SERVE_PORT (environment or .env), else 5001"
	@echo "make rollback  move the champion alias back to the previous champion"
	@echo "make registry  show the registered model's versions and aliases"
	@echo "make mlflow-ui the MLflow UI on http://127.0.0.1:<port> (PORT=, else MEDCOST_MLFLOW_PORT, else 5000), on the runs"
	@echo "make report    report.md: test scores, params, metrics and plots of the workspace against BASE (default main);"
	@echo "               in a browser: dvc plots diff BASE (offline template in .dvc/plots/offline.html)"
	@echo "make as-of     move extract.as_of in params.yaml to the latest 1 January (TODAY=YYYY-MM-DD, default today)"
	@echo "make exps      every DVC experiment: its changed params and both models' test R² and RMSE (< 160 columns)"
	@echo "make lock      recompile requirements.txt from requirements.in"
	@echo "make fresh-lock dvc.lock and tracked metrics as a fresh clone's make run writes them (commit first)"
	@echo "make bench     run the benchmarks under bench/"
	@echo "make bench-scale CLIENTS=1000000 [DB=postgresql] [SOURCE=demo.db]  every stage's time and peak memory at that size (bench/results/)"
	@echo "make bench-repro [BASELINE=rev]  dvc repro at 20,000 clients, this commit against an earlier one, side by side"
	@echo "make bench-transform CLIENTS=200000  the transform engines side by side (time, peak memory, same features)"
	@echo "make bench-model-search  model families x tuned settings x 1-3 training years, by backtest R² on the demo data"

setup:
	@if [ ! -x $(PY) ]; then \
		python="$$(PYTHON='$(PYTHON)' sh scripts/find-python.sh)" || exit 1; \
		echo "creating $(VENV) with $$python ($$($$python -c 'import platform; print(platform.python_version())'))"; \
		$$python -m venv $(VENV) || exit 1; \
	fi
	@PYTHON=$(PY) sh scripts/find-python.sh >/dev/null 2>&1 || { \
		echo "error: setup: $(VENV) was made with Python $$($(PY) -c 'import platform; print(platform.python_version())'), which medcost does not support (3.11.5+ or 3.12): remove it (rm -rf $(VENV)) and run make setup again" >&2; exit 1; }
	@if [ "$$(cat $(STAMP) 2>/dev/null)" != "$(REQ_HASH)" ]; then \
		echo "installing requirements.txt into $(VENV) (a few minutes the first time)"; \
		$(PY) -m pip install --quiet --disable-pip-version-check --progress-bar off -r requirements.txt 2>&1 | grep -v "is ignored: it is neither a file nor a directory" ; \
		test $${PIPESTATUS[0]} -eq 0 && echo "$(REQ_HASH)" > $(STAMP); \
	fi
	@test "$$(cat $(STAMP) 2>/dev/null)" = "$(REQ_HASH)" || { echo "error: setup: installing requirements.txt failed" >&2; exit 1; }

# The optional Spark engine: PySpark into the same .venv, again only when requirements(-spark).txt changed.
setup-spark: setup
	@if [ "$$(cat $(SPARK_STAMP) 2>/dev/null)" != "$(SPARK_HASH)" ]; then \
		echo "installing requirements-spark.txt (PySpark, ~450 MB) into $(VENV)"; \
		$(PY) -m pip install --quiet --disable-pip-version-check --progress-bar off -r requirements-spark.txt 2>&1 | grep -v "is ignored: it is neither a file nor a directory" ; \
		test $${PIPESTATUS[0]} -eq 0 && echo "$(SPARK_HASH)" > $(SPARK_STAMP); \
	fi
	@test "$$(cat $(SPARK_STAMP) 2>/dev/null)" = "$(SPARK_HASH)" || { echo "error: setup-spark: installing requirements-spark.txt failed" >&2; exit 1; }

data: setup
	@$(PY) -m medcost.demo_data --if-missing

run: data
	$(BIN)/dvc repro
	@$(PY) -m medcost.report.pages

pages: setup
	$(PY) -m medcost.report.pages

LINTED := medcost stages tests bench

lint: setup
	$(BIN)/ruff check $(LINTED)
	$(BIN)/ruff format --check $(LINTED)
	$(BIN)/mypy

format: setup
	$(BIN)/ruff check --fix $(LINTED)
	$(BIN)/ruff format $(LINTED)

test: lint setup-spark
	$(PY) -m pytest

test-fast: lint setup-spark
	$(PY) -m pytest -m "not e2e"

serve: setup
	$(PY) -m medcost.serve $(if $(PORT),--port $(PORT))

rollback: setup
	$(PY) -m medcost.registry rollback

registry: setup
	$(PY) -m medcost.registry status

mlflow-ui: setup
	$(PY) -m medcost.registry ui $(if $(PORT),--port $(PORT))

report: setup
	$(PY) -m medcost.report --base $(BASE)

exps: setup
	@$(PY) -m medcost.report.exps

# The scheduled retraining's first step (.github/workflows/retrain.yaml); TODAY is read from the
# environment (make puts command-line variables there), never pasted into the command.
as-of: setup
	@$(PY) -m medcost.report.as_of --today "$$TODAY"

bench: setup
	$(PY) bench/bench_generate.py --clients 1000000 5000000

CLIENTS ?= 1000000
DB ?= sqlite
# Every stage at an insurer's size, beside the database's bulk export (bench/README.md).
bench-scale: setup
	$(PY) bench/bench_scale.py --clients $(CLIENTS) --db $(DB) $(if $(SOURCE),--source $(SOURCE))

# dvc repro at the default size, this commit against BASELINE, in turns (bench/README.md).
bench-repro: setup
	$(PY) bench/bench_repro.py $(if $(BASELINE),--baseline $(BASELINE))

# The transform engines (duckdb, pandas) on one extract, in turns (bench/README.md).
bench-transform: setup
	$(PY) bench/bench_transform.py --clients $(CLIENTS) --rounds 2

# Model families, tuned settings and training years through the real pipeline, by backtest (bench/README.md).
bench-model-search: setup
	$(PY) bench/model_search.py

# Recompile the pinned requirements (Python 3.11) from the direct dependencies.
# ../shared/stack/verified-freeze.txt, when present, is a set of versions known to work together.
lock:
	$(PY) -m pip install --quiet uv
	$(BIN)/uv pip compile requirements.in --python-version 3.11.7 --no-header --annotation-style line \
		$$(test -f ../shared/stack/verified-freeze.txt && echo "-c ../shared/stack/verified-freeze.txt") -o requirements.txt
	$(BIN)/uv pip compile requirements-spark.in --python-version 3.11.7 --no-header --annotation-style line \
		-c requirements.txt -o requirements-spark.txt

# A fresh clone has an empty registry and no lakehouse: commit the outputs it produces (scripts/fresh-lock.sh).
fresh-lock: setup
	sh scripts/fresh-lock.sh

clean-data:
	rm -rf data models metrics plots reports dvclive mlruns mlflow.db
