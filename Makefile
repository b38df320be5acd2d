# The hub's build, test and run commands. `make demo` and `make test` work on a fresh Debian
# machine with Python 3.11; CI runs `make test` (through .ci/run) in a fresh clone.

SHELL := /bin/bash
.SHELLFLAGS := -euo pipefail -c
.DEFAULT_GOAL := help
MAKEFLAGS += --no-print-directory

PYTHON ?= python3
VENV := .venv
BIN := $(VENV)/bin
# Reinstall only when pyproject.toml changes: each stamp is newer than pyproject.toml once
# its install has succeeded.
STAMP := $(VENV)/.installed
TEST_STAMP := $(VENV)/.installed-test
PYTEST_ARGS ?=
# The demo's and the tests' OpenID Provider (oidc/provider.mjs): npm ci from the lock file.
OIDC_STAMP := oidc/node_modules/.package-lock.json

export PIP_DISABLE_PIP_VERSION_CHECK := 1

.PHONY: help demo test lint docker-lint migration bench clean chromium nodejs

help:
	@echo "make demo         install into .venv and run the hub with demo data on http://$${HUB_HOST:-127.0.0.1}:$${HUB_PORT:-8000}"
	@echo "make test         install test tools, lint, make sure PostgreSQL answers, run the whole suite"
	@echo "make lint         ruff check . and the import rule (.importlinter: doors on top, stages below)"
	@echo "make docker-lint  hadolint both Dockerfiles (hub, proxy) and check docker/compose.yaml against the compose spec"
	@echo "make migration    regenerate the initial Alembic revision from hub/db/models.py"
	@echo "make bench        run every bench/*.py"
	@echo "make clean        remove .venv and caches, stop the test PostgreSQL cluster"

$(BIN)/python:
	$(PYTHON) -m venv $(VENV)

$(STAMP): pyproject.toml | $(BIN)/python
	$(BIN)/pip install -e .
	touch $@

# The test install includes the plain one, so it renews both stamps.
$(TEST_STAMP): pyproject.toml | $(BIN)/python
	$(BIN)/pip install -e '.[test]'
	touch $(STAMP) $@

# Debian's nodejs and npm, for the OpenID Provider.
nodejs:
	@if command -v node >/dev/null 2>&1 && command -v npm >/dev/null 2>&1; then exit 0; fi; \
	scripts/apt-install nodejs npm

$(OIDC_STAMP): oidc/package.json oidc/package-lock.json | nodejs
	cd oidc && npm ci --no-audit --no-fund

demo: $(STAMP) $(OIDC_STAMP)
	$(BIN)/hub demo

test: $(TEST_STAMP) chromium $(OIDC_STAMP)
	$(MAKE) lint
	$(MAKE) docker-lint
	url="$$(scripts/ensure-test-postgres)"; \
	redis="$$(scripts/ensure-test-redis)"; \
	echo "HUB_TEST_DATABASE_URL=$$url HUB_TEST_REDIS_URL=$$redis"; \
	HUB_TEST_DATABASE_URL="$$url" HUB_TEST_REDIS_URL="$$redis" $(BIN)/pytest $(PYTEST_ARGS)

# Debian's Chromium for the end-to-end tests (Playwright drives /usr/bin/chromium).
chromium:
	@if command -v chromium >/dev/null 2>&1; then exit 0; fi; \
	scripts/apt-install chromium

lint: $(TEST_STAMP)
	$(BIN)/ruff check .
	$(BIN)/lint-imports --no-cache

docker-lint: $(TEST_STAMP)
	$(BIN)/hadolint docker/Dockerfile
	$(BIN)/hadolint docker/proxy/Dockerfile
	$(BIN)/check-jsonschema --builtin-schema vendor.compose-spec docker/compose.yaml

migration: $(STAMP)
	$(BIN)/python scripts/regen-initial-migration.py

bench: $(STAMP)
	@shopt -s nullglob; ran=0; \
	for script in bench/*.py; do \
		case "$$(basename "$$script")" in _*) continue;; esac; \
		echo "bench: $(BIN)/python $$script"; \
		$(BIN)/python "$$script"; \
		ran=$$((ran + 1)); \
	done; \
	echo "bench: ran $$ran benchmark(s)"

clean:
	-scripts/ensure-test-postgres --stop
	-scripts/ensure-test-redis --stop
	rm -rf $(VENV) build dist *.egg-info .pytest_cache .ruff_cache test-results oidc/node_modules
	find . -name __pycache__ -type d -prune -exec rm -rf {} +
