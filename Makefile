# llmchain: `make run` serves the app on this machine, `make test` proves it, offline.
# Every target creates or reuses the virtualenv venv/ (the one Pulumi.yaml names too).

PYTHON ?= python3
VENV   ?= venv
PY     := $(VENV)/bin/python
PORT   ?= 8000

RUN_STAMP := $(VENV)/.run-deps
DEV_STAMP := $(VENV)/.dev-deps
APP_REQS  := app/requirements.txt $(wildcard app/requirements/*.txt)

.DEFAULT_GOAL := help
.PHONY: help venv run test lint types check fmt bench clean

help:  ## list the targets
	@grep -E '^[a-z-]+:.*## ' $(MAKEFILE_LIST) | awk -F':.*## ' '{printf "  make %-8s %s\n", $$1, $$2}'

$(PY):
	$(PYTHON) -m venv $(VENV)
	$(PY) -m pip install --quiet --upgrade pip

$(RUN_STAMP): $(PY) $(APP_REQS)
	$(PY) -m pip install --quiet -r app/requirements.txt
	touch $@

$(DEV_STAMP): $(PY) $(APP_REQS) requirements-dev.txt
	$(PY) -m pip install --quiet -r requirements-dev.txt
	touch $@ $(RUN_STAMP)

venv: $(DEV_STAMP)  ## create venv/ with everything the tests and tools need

run: $(RUN_STAMP)  ## serve on http://127.0.0.1:$(PORT) (fake model, SQLite memory in .data/)
	PORT=$(PORT) $(PY) -m app

test: $(DEV_STAMP)  ## every test, offline (starts its own servers and PostgreSQL)
	$(PY) -m pytest

lint: $(DEV_STAMP)  ## ruff: lint and formatting
	$(PY) -m ruff check .
	$(PY) -m ruff format --check .

types: $(DEV_STAMP)  ## mypy
	$(PY) -m mypy

check: lint types test  ## lint + types + tests: what CI runs

fmt: $(DEV_STAMP)  ## format and auto-fix
	$(PY) -m ruff format .
	$(PY) -m ruff check --fix .

bench: $(DEV_STAMP)  ## measure serving performance; writes docs/benchmarks.md
	$(PY) -m benchmarks.serving

clean:  ## remove the virtualenv and caches (keeps .data/)
	rm -rf $(VENV) .pytest_cache .mypy_cache .ruff_cache
