# Serment: `make demo` starts the platform, `make test` runs every check. Both install what they need.
.DEFAULT_GOAL := help
SHELL := /bin/bash

PYTHON ?= $(shell command -v python3.11 || command -v python3)
VENV := .venv
BIN := $(VENV)/bin
STAMP := $(VENV)/.installed
DEMO_DIR ?= serment-data
DEMO_HOST ?= 127.0.0.1
DEMO_PORT ?= 8000
# `make bench` runs every benchmark at the quick scale (about 10-15 minutes); SCALE=full at the documented sizes.
SCALE ?= quick

.PHONY: help install demo test fuzz lint format lock docs bench clean

help:
	@echo "make demo    install, initialise $(DEMO_DIR) and serve on http://$(DEMO_HOST):$(DEMO_PORT)"
	@echo "make test    install, lint, and run the tests"
	@echo "make fuzz    fuzz the API from its OpenAPI document as every role (FUZZ_EXAMPLES, FUZZ_SECONDS, FUZZ_SEED)"
	@echo "make lint    ruff, ruff format --check, mypy --strict, import-linter"
	@echo "make format  rewrite the code in the project's style"
	@echo "make docs    regenerate the parts of docs/ rendered from code"
	@echo "make bench   run every benchmark (SCALE=quick, or SCALE=full: long) and write benchmarks/results/latest.md"
	@echo "make lock    recompile requirements/lock.txt from pyproject.toml (needs network)"

$(BIN)/python:
	@$(PYTHON) -c 'import sys; sys.exit(sys.version_info < (3, 11))' || \
		{ echo "Serment needs Python 3.11 or newer; $(PYTHON) is older (set PYTHON=...)"; exit 1; }
	$(PYTHON) -m venv $(VENV)

# Pinned, hash-checked dependencies first; then Serment itself, editable, without resolving again.
$(STAMP): $(BIN)/python pyproject.toml requirements/lock.txt
	$(BIN)/python -m pip install --quiet --disable-pip-version-check --require-hashes -r requirements/lock.txt
	$(BIN)/python -m pip install --quiet --disable-pip-version-check --no-deps --no-build-isolation -e .
	@touch $@

install: $(STAMP)

demo: install
	$(BIN)/serment demo --data-dir $(DEMO_DIR) --host $(DEMO_HOST) --port $(DEMO_PORT)

lint: install
	$(BIN)/ruff check serment tests scripts benchmarks
	$(BIN)/ruff format --check serment tests scripts benchmarks
	$(BIN)/mypy
	$(BIN)/lint-imports

test: lint
	$(BIN)/pytest

# The long fuzzing run; the bounded one is tests/fuzz/ inside `make test`. Exits 1 on any failure.
FUZZ_EXAMPLES ?= 50
FUZZ_SECONDS ?= 600
FUZZ_SEED ?= 2020
fuzz: install
	FUZZ_EXAMPLES=$(FUZZ_EXAMPLES) FUZZ_SECONDS=$(FUZZ_SECONDS) FUZZ_SEED=$(FUZZ_SEED) $(BIN)/python -m tests.fuzz

format: install
	$(BIN)/ruff check --fix serment tests scripts benchmarks
	$(BIN)/ruff format serment tests scripts benchmarks

docs: install
	$(BIN)/python scripts/render_docs.py

bench: install
	$(BIN)/python -m benchmarks.run --scale $(SCALE)

lock:
	uv pip compile pyproject.toml --extra dev --universal --python-version 3.11 \
		--generate-hashes --no-header -o requirements/lock.txt

clean:
	rm -rf $(VENV) .mypy_cache .ruff_cache .pytest_cache .coverage .import_linter_cache
