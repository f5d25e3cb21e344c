# Two commands do all set-up on a fresh machine:
#   make run    install everything, migrate SQLite, seed the demo, serve the hotline
#   make test   install what tests need (Chromium included) and run every test
# Each step says what it does in one line; tools' own chatter goes to $(LOGS)/setup.log.

PYTHON   ?= $(shell command -v python3.11 || command -v python3)
VENV     := .venv
BIN      := $(VENV)/bin
FLASK    := $(BIN)/flask --app wsgi
HOST     ?= 127.0.0.1
PORT     ?= 8000
CHROMIUM ?= /usr/bin/chromium
INSTANCE := $(or $(HOTLINE_INSTANCE_PATH),instance)
LOGS     := $(INSTANCE)/logs
# Run a noisy tool with its output in the setup log; show the log's end if it fails.
MKLOGS    = mkdir -p -m 700 $(INSTANCE) && mkdir -p $(LOGS)
QUIET     = >>$(LOGS)/setup.log 2>&1 || { tail -n 40 $(LOGS)/setup.log >&2; exit 1; }

BOT_PYTHON ?= $(shell command -v python3.10 >/dev/null 2>&1 && python3.10 -c 'import sys' 2>/dev/null && command -v python3.10 || ls /root/.pyenv/versions/3.10.*/bin/python 2>/dev/null | head -n1)

.PHONY: setup python-deps web-assets translations bot-deps bot-model bot-eval browser haproxy run test lint bench prod-smoke clean demo-reset

setup: python-deps web-assets translations bot-deps bot-model

python-deps: $(VENV)/.installed
$(VENV)/.installed: pyproject.toml
	@echo "==> the app's Python packages (.venv, about 0.5 GB)"
	@$(PYTHON) -m venv $(VENV)
	@$(BIN)/pip install --quiet --upgrade pip
	@$(BIN)/pip install --quiet -e '.[test]'
	@# gunicorn runs under python -OO (hotline/serving.py): its bytecode, compiled once
	@$(BIN)/python -OO -m compileall -q -j 0 $(VENV)/lib hotline crypto integrations wsgi.py > /dev/null
	@touch $@

# Browser crypto: libsodium-wrappers-sumo and @noble/post-quantum from npm (lockfile),
# bundled into web/static/build by esbuild (and a test-only bundle into web/build/test).
# Nothing is fetched at run time.
web-assets: web/node_modules/.installed web/static/build/.built
web/node_modules/.installed: web/package.json web/package-lock.json
	@$(MKLOGS) && echo "==> the browser crypto libraries (npm, from the lockfile)"
	@npm --prefix web ci --no-audit --no-fund $(QUIET)
	@touch $@
web/static/build/.built: web/node_modules/.installed $(wildcard web/js/*.js web/js/*/*.js)
	@$(MKLOGS) && echo "==> bundling the browser code (web/static/build)"
	@npm --prefix web run build $(QUIET)
	@touch $@

# The Rasa bot in its own Python 3.10 venv (Rasa 3.6 pins old libraries).
bot-deps: bot/.venv/.installed
bot/.venv/.installed: bot/requirements.txt
	@echo "==> the chat bot's Python 3.10 venv with Rasa (bot/.venv, about 2.7 GB)"
	@$(BOT_PYTHON) -m venv bot/.venv
	@bot/.venv/bin/pip install --quiet --upgrade 'pip<25'
	@bot/.venv/bin/pip install --quiet -r bot/requirements.txt
	@touch $@

bot-model: bot-deps
	@$(MKLOGS)
	@if bot/.venv/bin/python bot/manage.py stale; then \
	  echo "==> training the chat bot's model (log: $(LOGS)/setup.log)"; \
	  ( cd bot && RASA_TELEMETRY_ENABLED=false .venv/bin/rasa train --fixed-model-name hotline \
	      --out models && .venv/bin/python manage.py stamp ) $(QUIET); \
	fi

# The held-out conversations against the trained bot, the action server and a real app:
# per language, % ended as expected, accidental submissions and discards, turns per report.
bot-eval: python-deps bot-model
	cd bot && RASA_TELEMETRY_ENABLED=false .venv/bin/python manage.py evaluate

translations: python-deps
	@$(BIN)/pybabel -q compile -d web/translations

# Debian's Chromium and CJK fonts for the browser tests (Playwright downloads no browser).
browser:
	@{ test -x $(CHROMIUM) && dpkg -s fonts-noto-cjk >/dev/null 2>&1; } || { apt-get update -qq && \
	  DEBIAN_FRONTEND=noninteractive apt-get install -y -qq chromium fonts-noto-cjk; }

# Debian's HAProxy for the production-shape smoke test (the load balancer in front of two
# app instances); nothing is downloaded outside the distribution's packages.
haproxy:
	@command -v haproxy >/dev/null 2>&1 || test -x /usr/sbin/haproxy || { apt-get update -qq && \
	  DEBIAN_FRONTEND=noninteractive apt-get install -y -qq haproxy; }

# Two app instances behind HAProxy, the job worker, the scheduler, the bot, against local
# PostgreSQL and a Redis of its own; journeys through the balancer, a kill -9, a Redis restart.
prod-smoke: setup haproxy
	PATH="$$PATH:/usr/sbin" $(BIN)/python deploy/prod_smoke.py

# The demo keeps its organisation root key ONLINE (demo-keys/, outside the instance folder)
# so new handlers' keys are signed at once; the app warns about it at every start. Real
# installations keep the root offline: docs/keys.md.
DEMO_ROOT       := demo-keys/root.key
DEMO_ROOT_PHRASE := demo-root-passphrase-not-a-secret
DEMO_KEYS       := HOTLINE_KEYS_ONLINE_ROOT_FILE=$(CURDIR)/$(DEMO_ROOT) HOTLINE_KEYS_ONLINE_ROOT_PASSPHRASE=$(DEMO_ROOT_PHRASE)

run: setup
	@echo "==> database, routing policy and demo accounts ($(INSTANCE))"
	@$(FLASK) db upgrade >/dev/null
	@test -f $(DEMO_ROOT) || { mkdir -p -m 700 demo-keys && echo '$(DEMO_ROOT_PHRASE)' | \
	  $(FLASK) keys init-root --out $(DEMO_ROOT) --passphrase-stdin >/dev/null; }
	@$(DEMO_KEYS) $(FLASK) routing load --if-empty >/dev/null
	@$(DEMO_KEYS) $(FLASK) demo seed --if-empty
	@$(DEMO_KEYS) $(FLASK) keys request-missing >/dev/null
	@HOTLINE_HOST=$(HOST) HOTLINE_PORT=$(PORT) $(DEMO_KEYS) $(BIN)/python -m hotline.devserver

# Start the demo over (new passwords, every case gone); refuses an instance with real accounts.
demo-reset: python-deps
	@$(DEMO_KEYS) $(FLASK) demo reset

lint: python-deps
	$(BIN)/ruff check hotline crypto integrations tests bench deploy wsgi.py gunicorn.conf.py
	$(BIN)/mypy

test: setup browser lint
	HOTLINE_TEST_CHROMIUM=$(CHROMIUM) $(BIN)/python -m pytest -p randomly tests; status=$$?; \
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
	$(BIN)/python bench/sms_webhook.py

clean:
	rm -rf $(VENV) bot/.venv bot/models web/node_modules web/static/build web/build .pytest_cache .mypy_cache .ruff_cache
