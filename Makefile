# Two commands for a fresh machine: `make lab` and `make test`.
# Each creates .venv and installs the project with its dev extra on first use.

PYTHON ?= python3
VENV   := .venv
BIN    := $(VENV)/bin
STAMP  := $(VENV)/.installed-stamp
# JupyterLab refuses to run as root unless told; CI and these machines run as root.
ROOT_FLAG := $(if $(filter 0,$(shell id -u)),--allow-root,)
SANITIZE  := tests/nbval_sanitize.cfg

.PHONY: lab test lint typecheck unit notebooks-check notebooks bench clean

$(STAMP): pyproject.toml
	$(PYTHON) -m venv $(VENV)
	$(BIN)/python -m pip install --quiet -e '.[dev]'
	touch $(STAMP)

## make lab: open the notebook series in JupyterLab (127.0.0.1, token in the printed URL)
lab: $(STAMP)
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
	$(BIN)/python -m pytest -p no:cacheprovider --nbval --nbval-current-env \
	    --nbval-sanitize-with $(SANITIZE) -o addopts="" -o testpaths="" notebooks

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
	rm -rf $(VENV) .pytest_cache .mypy_cache .ruff_cache .hypothesis
