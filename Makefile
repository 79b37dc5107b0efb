# Two commands for a fresh machine: `make lab` and `make test`.
# `make lab` creates .venv with the `lab` extra (what a student needs), `make test` with
# the `dev` extra (everything); both install the versions pinned in constraints.txt.
# Without make (Windows, macOS): `python scripts/dev.py lab` / `python scripts/dev.py test`.

PYTHON ?= python3
VENV   := .venv
BIN    := $(VENV)/bin
LOCK   := constraints.txt
DEV_PY := $(PYTHON) scripts/dev.py
STAMP     := $(VENV)/.installed-stamp
LAB_STAMP := $(VENV)/.lab-stamp
# The Pythons tested besides $(PYTHON) (unit and property tests; `make test-pythons`).
OTHER_PYTHONS := 3.12 3.13
# JupyterLab refuses to run as root unless told; CI and these machines run as root.
ROOT_FLAG := $(if $(filter 0,$(shell id -u)),--allow-root,)
SANITIZE  := tests/nbval_sanitize.cfg

.PHONY: lab test lint typecheck unit notebooks-check notebooks test-pythons lock bench clean

# The dev install writes both stamps: the dev extra contains the lab extra.
$(STAMP): pyproject.toml $(LOCK)
	$(DEV_PY) install dev

$(LAB_STAMP): pyproject.toml $(LOCK)
	$(DEV_PY) install lab

## make lab: open the notebook series in JupyterLab (127.0.0.1, token in the printed URL)
lab: $(LAB_STAMP)
	$(BIN)/jupyter lab --ServerApp.ip=127.0.0.1 --ServerApp.root_dir=notebooks $(ROOT_FLAG)

## make test: lint, types, unit/property/widget/browser tests, doctests, then every notebook
test: lint typecheck unit notebooks-check

lint: $(STAMP)
	$(BIN)/ruff check .
	$(BIN)/ruff format --check .

typecheck: $(STAMP)
	$(BIN)/mypy

unit: $(STAMP)
	$(BIN)/python -m pytest

notebooks-check: $(STAMP)
	$(BIN)/python -m pytest -p no:cacheprovider --nbval --nbval-current-env --nbval-sanitize-with $(SANITIZE) -o addopts="" -o testpaths="" notebooks

## make test-pythons: unit and property tests on 3.12 and 3.13, side by side (.venv-3.12,
## .venv-3.13; a missing interpreter is skipped locally and fails under CI=true)
test-pythons:
	$(DEV_PY) pythons --parallel $(OTHER_PYTHONS)

## make lock: refresh constraints.txt to the newest versions pyproject.toml allows
lock: $(STAMP)
	$(BIN)/uv pip compile pyproject.toml --all-extras --universal --python-version 3.11 --upgrade --quiet --custom-compile-command "make lock" --output-file $(LOCK)

## make notebooks: re-execute every notebook in a fresh kernel and store its outputs
notebooks: $(STAMP)
	$(BIN)/python scripts/execute_notebooks.py notebooks

## make bench: the benchmarks (they print ratios; they never fail on timing). The job
## benchmark runs its 200,000-row size here; `BENCH_JOB_ARGS=` runs the README's 1,000,000.
BENCH_JOB_ARGS ?= --quick
bench: $(STAMP)
	@for script in benchmarks/*.py; do \
	    echo "== $$script"; \
	    args=$$( [ "$$script" = benchmarks/bench_job.py ] && echo "$(BENCH_JOB_ARGS)" ); \
	    $(BIN)/python "$$script" $$args || exit 1; \
	done

clean:
	rm -rf $(VENV) $(VENV)-3.12 $(VENV)-3.13 .pytest_cache .mypy_cache .ruff_cache .hypothesis
