# Two commands set everything up on a fresh machine: `make run` and `make test`.
SHELL := /bin/bash
PYTHON ?= python3.11
VENV := .venv
BIN := $(VENV)/bin
STAMP := $(VENV)/.installed
HOST ?= 127.0.0.1
PORT ?= 8000

SETUP_LOG := var/log/setup.log
# The browser tests drive Debian's Chromium; Playwright never downloads a browser of its own.
export PLAYWRIGHT_SKIP_BROWSER_DOWNLOAD := 1

.PHONY: run test lint bench chaos install migrate demo worker beat clean system-packages system-packages-app

# $(call step,WHAT,COMMAND): one progress line; the command's own output goes to $(SETUP_LOG) and
# is shown only when it fails. (No commas inside COMMAND.)
define step
	@mkdir -p $(dir $(SETUP_LOG)); printf '  %-52s' '$(1)'; \
	if { $(2); } >>$(SETUP_LOG) 2>&1; then echo 'done'; \
	else echo 'FAILED'; echo '  Last lines of $(SETUP_LOG):'; tail -n 25 $(SETUP_LOG); exit 1; fi
endef

$(BIN)/python:
	$(call step,Creating the virtualenv ($(VENV)),$(PYTHON) -m venv $(VENV) && $(BIN)/python -m pip install --quiet --upgrade pip)

$(STAMP): $(BIN)/python requirements.txt requirements-dev.txt
	$(call step,Installing Python packages (first time: minutes),$(BIN)/pip install --quiet --disable-pip-version-check -r requirements-dev.txt && touch $(STAMP))

install: $(STAMP)

## system-packages: the Debian packages the suite needs; installed when root, else checked.
system-packages:
	@if [ "$$(id -u)" = 0 ]; then bash scripts/system-packages.sh --install; else bash scripts/system-packages.sh --check; fi

system-packages-app:
	@if [ "$$(id -u)" = 0 ]; then bash scripts/system-packages.sh --install --app; else bash scripts/system-packages.sh --check --app; fi

migrate: install
	$(call step,Migrating the database,$(BIN)/python manage.py migrate --noinput)

# Links in the demo's emails point at the address the app is served on.
run demo: export SITE_URL ?= http://$(HOST):$(PORT)

demo: migrate
	$(call step,Loading the rule packs,$(BIN)/python manage.py load_rulepacks)
	$(call step,Importing the sample lists and the UN list,$(BIN)/python manage.py import_sample_lists)
	$(call step,Loading the demo data,$(BIN)/python manage.py load_demo)
	$(call step,Replaying three weeks of demo activity,$(BIN)/python manage.py load_demo_activity)

## run: set up and serve the app at http://$(HOST):$(PORT) (SQLite, in-process checks, no Redis needed).
run: system-packages-app demo
	@HOST=$(HOST) PORT=$(PORT) bash scripts/run.sh

## test: set up and run the whole suite (DATABASE_URL / REDIS_URL select PostgreSQL and Redis).
test: system-packages install
	$(BIN)/python -m pytest -q -p no:cacheprovider

# Spectral lints the generated OpenAPI schema (.spectral.yaml: the spectral:oas ruleset); npm installs
# the pinned CLI into .tools/ (not committed) the first time.
SPECTRAL_VERSION := 6.16.3
SPECTRAL_DIR := .tools/spectral
SPECTRAL_STAMP := $(SPECTRAL_DIR)/.installed-$(SPECTRAL_VERSION)

$(SPECTRAL_STAMP):
	$(call step,Installing Spectral $(SPECTRAL_VERSION) with npm,npm install --prefix $(SPECTRAL_DIR) --no-audit --no-fund --loglevel error @stoplight/spectral-cli@$(SPECTRAL_VERSION) && touch $(SPECTRAL_STAMP))

lint: install $(SPECTRAL_STAMP)
	$(BIN)/ruff check .
	$(BIN)/ruff format --check .
	$(BIN)/mypy compliance/engine compliance/screening
	$(BIN)/lint-imports --no-cache
	$(BIN)/bandit -q -r compliance dispatch config -x '*/migrations/*' --severity-level high
	@# The audit needs PyPI's vulnerability data; where it cannot be reached every package is
	@# reported as skipped, which the output says.
	$(BIN)/pip-audit -r requirements.txt --progress-spinner off
	DJANGO_SETTINGS_MODULE=config.settings.production DJANGO_SECRET_KEY=lint-only-key-0123456789-abcdefghijklmnopqrstuvwxyz-ABCDEFGHIJ REDIS_URL=redis://127.0.0.1:6379/0 DJANGO_ALLOWED_HOSTS=example.com $(BIN)/python manage.py check --deploy --fail-level WARNING
	$(BIN)/python manage.py makemigrations --check --dry-run
	@mkdir -p var
	$(BIN)/python manage.py spectacular --file var/openapi.yaml --validate --fail-on-warn
	$(SPECTRAL_DIR)/node_modules/.bin/spectral lint var/openapi.yaml --ruleset .spectral.yaml --fail-severity warn

bench: install
	$(BIN)/python bench/run_all.py

## chaos: 1,000 visits through the API while the worker is killed, Redis and PostgreSQL restart.
chaos: install
	$(BIN)/python scripts/chaos.py

worker: install
	$(BIN)/celery -A config.celery_app worker -Q compliance --concurrency 2 --prefetch-multiplier 1 --loglevel INFO

beat: install
	$(BIN)/celery -A config.celery_app beat --loglevel INFO

clean:
	rm -rf $(VENV) var/db.sqlite3 .pytest_cache .mypy_cache .ruff_cache
