# Two jobs: `make demo` runs the main job on the embedded chain, `make test` runs the tests.
# Each installs what it needs on first use: Python packages into .venv (pinned by
# requirements.lock), node packages into node_modules (pinned by package-lock.json), and the
# OpenZeppelin governance stand-in compiled into build/oz (cached by source hash).

PYTHON ?= $(shell command -v python3.11 || command -v python3)
VENV := .venv
BIN := $(VENV)/bin
NPM_CACHE_FLAGS := --no-audit --no-fund

.PHONY: setup demo test lint browser bench bench-sim bench-sim-engines bench-cli bench-index clean

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

# The dashboard tests drive Debian's chromium (never a downloaded browser): installed here
# when missing and running as root (CI); otherwise the command to run is printed.
browser:
	@command -v chromium >/dev/null || command -v chromium-browser >/dev/null || \
	  if [ "$$(id -u)" = 0 ]; then apt-get update -qq && DEBIAN_FRONTEND=noninteractive apt-get install -y -qq chromium; \
	  else echo "chromium is missing: run 'sudo apt-get install chromium' (the dashboard tests need it)"; exit 1; fi

test: setup lint browser
	$(BIN)/python -m pytest

bench: setup
	$(BIN)/python bench/gas.py

bench-sim: setup
	$(BIN)/python bench/sim.py

bench-sim-engines: setup
	$(BIN)/python bench/sim_engines.py

bench-cli: setup
	$(BIN)/python bench/cli.py

bench-index: setup
	$(BIN)/python bench/index.py

clean:
	rm -rf $(VENV) node_modules build out
