# writeas-py developer tasks (GNU make).
#   make install                        # .venv with the package + dev tools
#   make run                            # migrate, then serve with gunicorn
#   HOST=0.0.0.0 PORT=8000 make run     # any of HOST/PORT/WORKERS from the environment
#   make test                           # ruff + import contracts + pytest on SQLite, then PostgreSQL
#   make test PYTEST_ARGS='-k foo'      # extra pytest arguments (both passes)

SHELL := bash
.SHELLFLAGS := -eu -o pipefail -c
.DEFAULT_GOAL := help
# Passes must run in order (lint, SQLite, PostgreSQL) even under `make -j`.
.NOTPARALLEL:

PYTHON ?= $(shell command -v python3.11 2>/dev/null || command -v python3)
VENV := .venv
BIN := $(VENV)/bin
STAMP := $(VENV)/.installed
PGTEST := bash scripts/pg-test-server
ATPROTO := tests/support/atproto
ATPROTO_STAMP := $(ATPROTO)/node_modules/.installed

HOST ?= 127.0.0.1
PORT ?= 5000
WORKERS ?= 2
PYTEST_ARGS ?=

export PIP_DISABLE_PIP_VERSION_CHECK := 1

.PHONY: help install browser atproto run test lint test-sqlite test-postgres clean

# help: list the targets.
help:
	@echo 'targets: install atproto run test lint test-sqlite test-postgres clean'
	@echo 'vars: HOST=$(HOST) PORT=$(PORT) WORKERS=$(WORKERS) PYTEST_ARGS=$(PYTEST_ARGS)'

# install: create .venv and install the package with dev extras (no-op if up to date).
install: $(STAMP)

$(STAMP): pyproject.toml
	@if ! $(BIN)/python -c 'import sys' >/dev/null 2>&1; then \
	  echo "==> creating $(VENV) with $(PYTHON)"; \
	  rm -rf $(VENV); \
	  $(PYTHON) -m venv $(VENV); \
	fi
	$(BIN)/python -m pip install --quiet --upgrade pip
	$(BIN)/python -m pip install --quiet -e '.[dev]'
	@touch $@

# browser: Debian's chromium for the browser tests (installed when root; else they skip, unless CI=true).
browser:
	@rc=0; bash scripts/install-chromium || rc=$$?; \
	if [ "$$rc" -eq 3 ] && [ "$${CI:-}" != true ]; then \
	  echo '*** chromium not installed and not root: browser tests will be skipped'; \
	elif [ "$$rc" -ne 0 ]; then exit "$$rc"; fi

# atproto: the reference Bluesky PDS and PLC directory from npm (tests/support/atproto), for
# the tests against a real PDS: `npm ci` there, again only when the lockfile changed. Its one
# native module (better-sqlite3) builds from source against the system's Node headers, with
# no prebuilt download, and at -O1, which compiles SQLite in well under half the time of
# its -O3 (a test server needs no faster). Without npm those tests skip, unless CI=true.
atproto: $(ATPROTO_STAMP)

$(ATPROTO_STAMP): $(ATPROTO)/package.json $(ATPROTO)/package-lock.json
	@if ! command -v npm >/dev/null 2>&1; then \
	  if [ "$${CI:-}" = true ]; then echo '*** npm not found; required because CI=true' >&2; exit 1; fi; \
	  echo '*** npm not found: the reference PDS tests will be skipped'; exit 0; \
	fi; \
	if [ -d /usr/include/node ]; then export npm_config_nodedir=/usr; fi; \
	echo '==> npm ci ($(ATPROTO))'; \
	cd $(ATPROTO) && CFLAGS=-O1 npm_config_build_from_source=true \
	  npm ci --no-audit --no-fund --loglevel=error; \
	touch node_modules/.installed

# run: apply migrations, then serve with gunicorn on $(HOST):$(PORT) and the crosspost worker.
run: install
	HOST=$(HOST) PORT=$(PORT) WORKERS=$(WORKERS) exec bash scripts/serve

# test: lint, then the pytest suite on SQLite, then on PostgreSQL.
test: lint test-sqlite test-postgres

# lint: ruff check, and the import contracts between the layers (pyproject.toml).
lint: install
	@echo '==> ruff check'
	$(BIN)/ruff check .
	@echo '==> lint-imports'
	$(BIN)/lint-imports

# test-sqlite: pytest on the default SQLite database (TEST_DATABASE_URL unset).
test-sqlite: install browser atproto
	@echo '==> pytest (SQLite)'
	env -u TEST_DATABASE_URL $(BIN)/pytest $(PYTEST_ARGS)

# test-postgres: pytest against a throwaway PostgreSQL cluster (scripts/pg-test-server),
# always stopped afterwards. Skipped (exit 0) where PostgreSQL cannot be provided, unless CI=true.
test-postgres: install browser atproto
	@echo '==> pytest (PostgreSQL, with Redis for the multi-node tests)'
	@trap '$(PGTEST) stop; bash scripts/redis-test-server stop' EXIT; \
	rc=0; out=$$($(PGTEST) start) || rc=$$?; \
	if [ "$$rc" -eq 3 ]; then \
	  if [ "$${CI:-}" = true ]; then \
	    echo '*** PostgreSQL test pass FAILED: no PostgreSQL server binaries and not root (cannot apt-get install them); required because CI=true' >&2; \
	    exit 1; \
	  fi; \
	  echo '*** PostgreSQL test pass SKIPPED: no PostgreSQL server binaries (/usr/lib/postgresql/*/bin/initdb) and not root, so they cannot be installed. Run as root or install postgresql.'; \
	  exit 0; \
	elif [ "$$rc" -ne 0 ]; then \
	  echo "*** could not start the PostgreSQL test server (exit $$rc)" >&2; \
	  exit "$$rc"; \
	fi; \
	url=$$(printf '%s\n' "$$out" | tail -n 1); \
	rrc=0; redis=$$(bash scripts/redis-test-server start) || rrc=$$?; \
	if [ "$$rrc" -ne 0 ]; then \
	  if [ "$${CI:-}" = true ]; then echo '*** could not start Redis; required because CI=true' >&2; exit 1; fi; \
	  echo '*** Redis unavailable: the multi-node tests will be skipped'; redis=''; \
	fi; \
	echo "TEST_DATABASE_URL=$${url%%:*}://...@$${url##*@} TEST_REDIS_URL=$$redis"; \
	TEST_DATABASE_URL="$$url" TEST_REDIS_URL="$$redis" $(BIN)/pytest $(PYTEST_ARGS)

# clean: stop any test cluster, remove .venv, caches and build leftovers.
clean:
	-$(PGTEST) stop
	rm -rf $(VENV) .pytest_cache .ruff_cache .pgtest build dist *.egg-info
	find . -name __pycache__ -type d -prune -exec rm -rf {} +
