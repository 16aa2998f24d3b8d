# Two jobs: `make demo` runs the main job on the embedded chain, `make test` runs the tests.
# Each installs what it needs on first use: Python packages into .venv (pinned by
# requirements.lock), node packages into node_modules (pinned by package-lock.json), and the
# OpenZeppelin governance stand-in compiled into build/oz (cached by source hash).

PYTHON ?= $(shell command -v python3.11 || command -v python3)
VENV := .venv
BIN := $(VENV)/bin
NPM_CACHE_FLAGS := --no-audit --no-fund

.PHONY: setup demo test lint bench bench-sim bench-cli clean

$(BIN)/.installed: pyproject.toml requirements.lock
	$(PYTHON) -m venv $(VENV)
	$(BIN)/python -m pip install --quiet -r requirements.lock
	$(BIN)/python -m pip install --quiet --no-deps -e .
	touch $@

node_modules/.installed: package.json package-lock.json
	npm ci $(NPM_CACHE_FLAGS)
	touch $@

setup: $(BIN)/.installed node_modules/.installed
	$(BIN)/python -m tpp.chain.artifacts

demo: setup
	$(BIN)/tpp demo

# The layer contracts (import-linter), lint, the formatter's check and mypy, then the tests.
lint: $(BIN)/.installed
	$(BIN)/lint-imports
	$(BIN)/ruff check src tests bench scripts
	$(BIN)/ruff format --check src tests bench scripts
	$(BIN)/mypy

test: setup lint
	$(BIN)/python -m pytest

bench: setup
	$(BIN)/python bench/gas.py

bench-sim: setup
	$(BIN)/python bench/sim.py

bench-cli: setup
	$(BIN)/python bench/cli.py

clean:
	rm -rf $(VENV) node_modules build out
