# llmchain: `make run` serves the app on this machine, `make test` proves it, offline.
# Every target creates or reuses the virtualenv venv/, the one Pulumi.yaml names too, and
# leaves it complete for the Pulumi program: Pulumi installs requirements.txt only into a
# venv it creates itself, so a venv made here without them would fail `pulumi up` with
# "Pulumi SDK has not been installed" (the language host only creates a missing venv, it
# does not sync one: https://github.com/pulumi/pulumi/pull/20808, read 2026-11-29).

PYTHON ?= python3
VENV   ?= venv
PY     := $(VENV)/bin/python
PORT   ?= 8000

RUN_STAMP := $(VENV)/.run-deps
DEV_STAMP := $(VENV)/.dev-deps
# The lock files (make lock): every package pinned with its hashes; the .txt files are inputs.
RUN_LOCKS := app/requirements.lock requirements.lock

.DEFAULT_GOAL := help
# The image: docker when its engine answers, else podman. BASE_IMAGE=... to override.
IMAGE      ?= localhost/llmchain:dev
BASE_IMAGE ?= python:3.11-slim
PROVIDERS  ?= fake,openai
ENGINE     ?= $(shell if docker info >/dev/null 2>&1; then echo docker; \
                elif command -v podman >/dev/null 2>&1; then echo podman; fi)
# podman drops HEALTHCHECK unless the image is in docker format.
ENGINE_FLAGS = $(if $(filter podman,$(ENGINE)),--format docker)

.PHONY: help venv deps lock run test lint types check fmt bench policy readiness cost image base-image clean

help:  ## list the targets
	@grep -E '^[a-z-]+:.*## ' $(MAKEFILE_LIST) | awk -F':.*## ' '{printf "  make %-11s %s\n", $$1, $$2}'

$(PY):
	$(PYTHON) -m venv $(VENV)
	$(PY) -m pip install --quiet --upgrade pip

$(RUN_STAMP): $(PY) $(RUN_LOCKS)
	$(PY) -m pip install --quiet --require-hashes -r app/requirements.lock -r requirements.lock
	touch $@

$(DEV_STAMP): $(PY) $(RUN_LOCKS) requirements-dev.lock requirements-checkov.txt
	$(PY) -m pip install --quiet --require-hashes -r requirements-dev.lock
	# checkov pins old boto3 and packaging: it gets a virtualenv of its own.
	test -x $(VENV)/checkov/bin/python || $(PYTHON) -m venv $(VENV)/checkov
	$(VENV)/checkov/bin/python -m pip install --quiet -r requirements-checkov.txt
	touch $@ $(RUN_STAMP)

venv: $(DEV_STAMP)  ## create venv/ with everything the tests and tools need

deps: $(RUN_STAMP)  ## venv/ with just what the service and `pulumi up` need (CI's preview and deploy)

lock: $(PY)  ## re-resolve the *.lock files from the requirements*.txt inputs (UPGRADE=1: newest)
	test -x $(VENV)/bin/uv || $(PY) -m pip install --quiet "$$(grep -E '^uv==' requirements-dev.txt | cut -d' ' -f1)"
	UV=$(abspath $(VENV))/bin/uv scripts/lock.sh

run: $(RUN_STAMP)  ## serve on http://127.0.0.1:$(PORT) (fake model, SQLite in .data/); venv/ serves `pulumi up` too
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

bench: $(DEV_STAMP)  ## measure serving and memory performance; writes docs/benchmarks.md
	$(PY) -m benchmarks.serving
	$(PY) -m benchmarks.resilience
	$(PY) -m benchmarks.memory

policy: $(DEV_STAMP)  ## check every stack's offline plan against the policy pack (policy/)
	$(PY) -m infra.plan --stack dev --policy
	$(PY) -m infra.plan --stack aws --policy
	$(PY) -m infra.plan --stack azure --policy
	$(PY) -m infra.plan --stack gcp --set gcp:project=demo-project --policy

readiness: $(DEV_STAMP)  ## readiness rules over every stack x mode x variant (docs/deploy-readiness.md)
	$(PY) -m infra.readiness

cost: $(DEV_STAMP)  ## monthly cost of every stack x mode at its defaults (docs/costs.md)
	$(PY) -m infra.cost

image:  ## build app/ into an image (override IMAGE, PROVIDERS, BASE_IMAGE)
	@test -n "$(ENGINE)" || { echo "make image: no container engine (docker or podman)" >&2; exit 1; }
	$(ENGINE) build $(ENGINE_FLAGS) $(IMAGE_BUILD_FLAGS) \
	  --build-arg BASE_IMAGE=$(BASE_IMAGE) --build-arg PROVIDERS=$(PROVIDERS) -t $(IMAGE) app/

base-image:  ## make localhost/llmchain-base:bookworm from Debian packages (no registry needed)
	scripts/local-base-image.sh

clean:  ## remove the virtualenv and caches (keeps .data/)
	rm -rf $(VENV) .pytest_cache .mypy_cache .ruff_cache
