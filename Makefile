# Two commands do all set-up on a fresh machine:
#   make run    install everything, migrate SQLite, seed the demo, serve the hotline
#   make test   install what tests need (Chromium included) and run every test

PYTHON   ?= $(shell command -v python3.11 || command -v python3)
VENV     := .venv
BIN      := $(VENV)/bin
FLASK    := $(BIN)/flask --app wsgi
HOST     ?= 127.0.0.1
PORT     ?= 8000
CHROMIUM ?= /usr/bin/chromium

.PHONY: setup python-deps web-assets translations browser run test lint bench clean

setup: python-deps web-assets translations

python-deps: $(VENV)/.installed
$(VENV)/.installed: pyproject.toml
	$(PYTHON) -m venv $(VENV)
	$(BIN)/pip install --quiet --upgrade pip
	$(BIN)/pip install --quiet -e '.[test]'
	touch $@

# Browser crypto: libsodium-wrappers-sumo and @noble/post-quantum from npm (lockfile),
# bundled into web/static/build by esbuild. Nothing is fetched at run time.
web-assets: web/node_modules/.installed web/static/build/.built
web/node_modules/.installed: web/package.json web/package-lock.json
	npm --prefix web ci --no-audit --no-fund
	touch $@
web/static/build/.built: web/node_modules/.installed $(wildcard web/js/*.js)
	npm --prefix web run build
	touch $@

translations: python-deps
	$(BIN)/pybabel compile -d web/translations

# Debian's Chromium and CJK fonts for the browser tests (Playwright downloads no browser).
browser:
	@{ test -x $(CHROMIUM) && dpkg -s fonts-noto-cjk >/dev/null 2>&1; } || { apt-get update -qq && \
	  DEBIAN_FRONTEND=noninteractive apt-get install -y -qq chromium fonts-noto-cjk; }

run: setup
	$(FLASK) db upgrade
	$(FLASK) routing load --if-empty
	$(FLASK) demo seed --if-empty
	@echo "Hotline on http://$(HOST):$(PORT)/  (channel API under /api/v1)"
	$(BIN)/gunicorn --workers 1 --threads 8 --bind $(HOST):$(PORT) wsgi:app

lint: python-deps
	$(BIN)/ruff check hotline crypto integrations tests bench wsgi.py
	$(BIN)/mypy

test: setup browser lint
	HOTLINE_TEST_CHROMIUM=$(CHROMIUM) $(BIN)/python -m pytest tests; status=$$?; \
	if [ $$status -eq 5 ]; then echo "pytest collected no tests" >&2; exit 1; fi; exit $$status

bench: setup browser
	$(BIN)/python bench/intake.py
	HOTLINE_TEST_CHROMIUM=$(CHROMIUM) $(BIN)/python bench/browser_argon2.py

clean:
	rm -rf $(VENV) web/node_modules web/static/build .pytest_cache .mypy_cache .ruff_cache
