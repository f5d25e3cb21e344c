# Two commands do all set-up on a fresh machine:
#   make run    install everything, migrate SQLite, seed the demo, serve the hotline
#   make test   install what tests need and run every test (lint, types, unit, integration)

PYTHON ?= $(shell command -v python3.11 || command -v python3)
VENV   := .venv
BIN    := $(VENV)/bin
FLASK  := $(BIN)/flask --app wsgi
HOST   ?= 127.0.0.1
PORT   ?= 8000

.PHONY: setup run test lint unit integration bench clean

setup: $(VENV)/.installed

$(VENV)/.installed: pyproject.toml
	$(PYTHON) -m venv $(VENV)
	$(BIN)/pip install --quiet --upgrade pip
	$(BIN)/pip install --quiet -e '.[test]'
	touch $@

run: setup
	$(FLASK) db upgrade
	$(FLASK) routing load --if-empty
	$(FLASK) demo seed --if-empty
	@echo "Hotline on http://$(HOST):$(PORT)/  (channel API under /api/v1)"
	$(BIN)/gunicorn --workers 2 --threads 4 --bind $(HOST):$(PORT) wsgi:app

lint: setup
	$(BIN)/ruff check hotline crypto integrations tests bench wsgi.py
	$(BIN)/mypy

test: lint
	$(BIN)/python -m pytest tests; status=$$?; \
	if [ $$status -eq 5 ]; then echo "pytest collected no tests" >&2; exit 1; fi; exit $$status

bench: setup
	$(BIN)/python bench/intake.py

clean:
	rm -rf $(VENV) .pytest_cache .mypy_cache .ruff_cache
