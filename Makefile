# The two set-up commands (README): `make run` and `make test`. Everything a machine needs is
# installed from here: the virtual environment, the npm front-end libraries, and Chromium.
PYTHON ?= python3
VENV := .venv
BIN := $(VENV)/bin
HOST ?= 127.0.0.1
PORT ?= 8000
PYTEST_ARGS ?=
# `make bench` runs each benchmark's smoke run; `make bench BENCH=full` runs them at full size (minutes).
BENCH ?= quick
BENCH_QUICK := $(if $(filter quick,$(BENCH)),--quick,)
EDITOR_QUICK := $(if $(filter quick,$(BENCH)),--chars 300 --rounds 1,)
# daphne drops a websocket message over 1 MiB without a word; with a larger cap the app itself answers
# telemetry frames over its 256 KiB limit with the protocol's too_large (tests/conftest.py matches).
DAPHNE_FLAGS := --websocket-max-message-size 4194304 --websocket-max-frame-size 4194304

.PHONY: run test install install-test install-bench static chromium lint bench clean

$(BIN)/python:
	$(PYTHON) -m venv $(VENV)
	$(BIN)/pip install -q --upgrade pip

install: $(BIN)/python static
	$(BIN)/pip install -q -e .

install-test: $(BIN)/python static
	$(BIN)/pip install -q -e '.[test]'

static:
	@command -v npm >/dev/null || { echo "npm is needed for the front-end libraries (htmx, chart.js)"; exit 1; }
	npm install --no-audit --no-fund --loglevel=error

install-bench: $(BIN)/python static
	$(BIN)/pip install -q -e '.[bench]'

chromium:
	@bash scripts/ensure-chromium $(BIN)

run: install
	$(BIN)/python manage.py migrate --noinput -v0
	$(BIN)/python manage.py seed_demo --url http://$(HOST):$(PORT)
	@echo "Serving the workstation at http://$(HOST):$(PORT)/ (Ctrl+C stops it)"
	$(BIN)/python -m daphne -b $(HOST) -p $(PORT) $(DAPHNE_FLAGS) workstation.asgi:application

test: install-test chromium
	$(BIN)/ruff check .
	$(BIN)/python -m pytest $(PYTEST_ARGS)

bench: install-bench chromium
	$(BIN)/python bench/annotator_loop.py $(BENCH_QUICK)
	$(BIN)/python bench/ingest.py $(BENCH_QUICK)
	$(BIN)/python bench/editor_overhead.py $(EDITOR_QUICK)

lint:
	$(BIN)/ruff check . && $(BIN)/ruff format --check .

clean:
	rm -rf $(VENV) node_modules staticfiles db.sqlite3* .test-db.sqlite3*
