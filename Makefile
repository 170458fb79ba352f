# Xinli — the two commands: `make demo` (run the platform on SQLite) and `make test` (ruff + the whole suite).
SHELL := /bin/bash
PYTHON ?= python3.11
VENV := .venv
PY := $(VENV)/bin/python
PIP := $(VENV)/bin/pip
HOST ?= 127.0.0.1
PORT ?= 8000
SIZE ?= small
SEED ?= 1

.PHONY: demo test lint pytest install install-test browser-deps migrate seed serve worker messages prod-check fuzz-api bench-city bench-api bench-campaign bench-alerts bench-indicators bench-load bench-faults clean

$(VENV)/.installed: pyproject.toml
	test -x $(PY) || $(PYTHON) -m venv $(VENV)
	$(PIP) install --quiet --upgrade pip
	$(PIP) install --quiet -e .
	touch $@

$(VENV)/.installed-test: $(VENV)/.installed pyproject.toml
	$(PIP) install --quiet -e ".[test]"
	touch $@

install: $(VENV)/.installed
install-test: $(VENV)/.installed-test

# Debian packages the tests need: Chromium for the browser tests, a CJK font (embedded in every PDF: reports, the
# national SMD forms) and poppler-utils (pdftoppm renders the PDFs to images in the tests). Installed only when missing.
browser-deps:
	@if ! command -v chromium >/dev/null 2>&1 || ! command -v pdftoppm >/dev/null 2>&1 || ! fc-list 2>/dev/null | grep -qi "noto sans cjk\|wenquanyi"; then \
	  echo "installing Debian chromium, fonts-noto-cjk and poppler-utils"; \
	  apt-get update -qq && DEBIAN_FRONTEND=noninteractive apt-get install -y -qq chromium fonts-noto-cjk poppler-utils >/dev/null; \
	fi

var/keys.json: | $(VENV)/.installed
	$(PY) manage.py generate_keys

migrate: $(VENV)/.installed var/keys.json
	$(PY) manage.py migrate --noinput

seed: migrate
	XINLI_DEMO=1 $(PY) manage.py seed_demo --size $(SIZE) --seed $(SEED)

# The demo: SQLite under var/, the demo city, the Huey worker, and the web server on $(HOST):$(PORT).
demo: seed
	@echo "Starting the Huey worker and the web server on http://$(HOST):$(PORT)/ (Ctrl-C stops both)"
	@XINLI_DEMO=1 $(PY) manage.py run_huey --quiet > var/huey.log 2>&1 & echo $$! > var/huey.pid; \
	trap 'kill $$(cat var/huey.pid) 2>/dev/null; rm -f var/huey.pid' EXIT INT TERM; \
	XINLI_DEMO=1 $(VENV)/bin/gunicorn xinli.wsgi --bind $(HOST):$(PORT) --workers 2 --threads 4 --access-logfile -

test: install-test browser-deps lint pytest

lint: install-test
	$(VENV)/bin/ruff check xinli bench
	$(VENV)/bin/lint-imports

pytest: install-test
	$(VENV)/bin/pytest -q $(PYTEST_ARGS)

# Production configuration check: Django's deploy checks plus ours (keys, debug off, HSTS, CSP, secure cookies, ...).
# Run it with the production environment loaded, e.g. `set -a; . /etc/xinli/xinli.env; set +a; make prod-check`.
prod-check: $(VENV)/.installed
	$(PY) manage.py prod_check

# The long schemathesis run over the whole API (make test runs 5 examples per operation).
fuzz-api: install-test
	XINLI_FUZZ_EXAMPLES=$${XINLI_FUZZ_EXAMPLES:-200} $(VENV)/bin/pytest -q xinli/core/tests/test_api_fuzz.py

# Regenerate message catalogues (needs GNU gettext) — the compiled .mo files are committed.
messages: install-test
	$(PY) manage.py makemessages -l zh_Hans -l en --ignore=.venv --ignore=var
	$(PY) manage.py compilemessages --ignore=.venv --ignore=var

# Benchmarks (not part of `make test`); see bench/BENCHMARKS.md.
bench-city: install-test
	bash bench/seed_city.sh

bench-api: install-test
	$(PY) bench/bench_api.py

bench-campaign: install-test
	$(PIP) install --quiet -e ".[bench]"
	$(PY) bench/bench_campaign.py

bench-alerts: install-test
	$(PY) bench/bench_alerts.py all

bench-indicators: install-test
	$(PY) bench/bench_indicators.py

# Mixed production workload with a 10x surge of campaign submissions (gunicorn + PostgreSQL + Redis on loopback).
bench-load: install-test
	$(PIP) install --quiet -e ".[bench]"
	$(PY) bench/bench_load.py

# Fault scripts (needs root: its own PostgreSQL cluster on 5433, dropped afterwards, and a tmpfs); each prints what
# was lost.
bench-faults: install-test
	$(PIP) install --quiet -e ".[bench]"
	$(PY) bench/bench_faults.py all

clean:
	rm -rf var/xinli.sqlite3 var/huey.sqlite3* var/demo-accounts.json
