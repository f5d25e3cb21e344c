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

BOT_PYTHON ?= $(shell command -v python3.10 >/dev/null 2>&1 && python3.10 -c 'import sys' 2>/dev/null && command -v python3.10 || ls /root/.pyenv/versions/3.10.*/bin/python 2>/dev/null | head -n1)

.PHONY: setup python-deps web-assets translations bot-deps bot-model browser run test lint bench clean

setup: python-deps web-assets translations bot-deps bot-model

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

# The Rasa bot in its own Python 3.10 venv (Rasa 3.6 pins old libraries).
bot-deps: bot/.venv/.installed
bot/.venv/.installed: bot/requirements.txt
	$(BOT_PYTHON) -m venv bot/.venv
	bot/.venv/bin/pip install --quiet --upgrade 'pip<25'
	bot/.venv/bin/pip install --quiet -r bot/requirements.txt
	touch $@

bot-model: bot-deps
	@if bot/.venv/bin/python bot/manage.py stale; then \
	  echo "training the bot model"; \
	  cd bot && RASA_TELEMETRY_ENABLED=false .venv/bin/rasa train --fixed-model-name hotline --out models >/dev/null && \
	  .venv/bin/python manage.py stamp; \
	else echo "bot model is current"; fi

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
	HOTLINE_HOST=$(HOST) HOTLINE_PORT=$(PORT) $(BIN)/python -m hotline.devserver

lint: python-deps
	$(BIN)/ruff check hotline crypto integrations tests bench wsgi.py
	$(BIN)/mypy

test: setup browser lint
	HOTLINE_TEST_CHROMIUM=$(CHROMIUM) $(BIN)/python -m pytest tests; status=$$?; \
	if [ $$status -eq 5 ]; then echo "pytest collected no tests" >&2; exit 1; fi; \
	test $$status -eq 0 || exit $$status
	cd bot && RASA_TELEMETRY_ENABLED=false .venv/bin/python -m pytest tests -p no:cacheprovider; \
	status=$$?; if [ $$status -eq 5 ]; then echo "bot: pytest collected no tests" >&2; exit 1; fi; \
	exit $$status

bench: setup browser
	$(BIN)/python bench/intake.py
	$(BIN)/python bench/case_list.py
	HOTLINE_TEST_CHROMIUM=$(CHROMIUM) $(BIN)/python bench/browser_argon2.py
	$(BIN)/python bench/chat_turns.py

clean:
	rm -rf $(VENV) bot/.venv bot/models web/node_modules web/static/build .pytest_cache .mypy_cache .ruff_cache
