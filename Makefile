# Two commands set everything up on a fresh machine: `make run` and `make test`.
SHELL := /bin/bash
PYTHON ?= python3.11
VENV := .venv
BIN := $(VENV)/bin
STAMP := $(VENV)/.installed
HOST ?= 127.0.0.1
PORT ?= 8000

.PHONY: run test lint bench chaos install migrate demo worker beat clean

$(BIN)/python:
	$(PYTHON) -m venv $(VENV)
	$(BIN)/python -m pip install --quiet --upgrade pip

$(STAMP): $(BIN)/python requirements.txt requirements-dev.txt
	$(BIN)/pip install --quiet -r requirements-dev.txt
	touch $(STAMP)

install: $(STAMP)

migrate: install
	$(BIN)/python manage.py migrate --noinput

demo: migrate
	$(BIN)/python manage.py load_rulepacks
	$(BIN)/python manage.py import_screening_list compliance/screening/data/sample_csl.csv --if-changed
	$(BIN)/python manage.py load_demo
	$(BIN)/python manage.py load_demo_activity

## run: set up and serve the app at http://$(HOST):$(PORT) (SQLite, in-process checks, no Redis needed).
run: demo
	@if [ -n "$$REDIS_URL" ]; then \
		echo "REDIS_URL is set: starting a Celery worker and beat beside the web app."; \
		$(BIN)/celery -A config.celery_app worker -Q compliance --concurrency 2 --loglevel INFO & \
		$(BIN)/celery -A config.celery_app beat --loglevel INFO & \
	fi; \
	echo ""; \
	echo "  Open http://$(HOST):$(PORT)/ (pages) or http://$(HOST):$(PORT)/admin/ (admin)."; \
	$(BIN)/python manage.py load_demo --print-users; \
	$(BIN)/python manage.py runserver $(HOST):$(PORT)

## test: set up and run the whole suite (DATABASE_URL / REDIS_URL select PostgreSQL and Redis).
test: install
	$(BIN)/python -m pytest -q -p no:cacheprovider

lint: install
	$(BIN)/ruff check .
	$(BIN)/ruff format --check .
	$(BIN)/mypy compliance/engine compliance/screening
	$(BIN)/bandit -q -r compliance dispatch config -x '*/migrations/*' --severity-level high
	@# The audit needs PyPI's vulnerability data; where it cannot be reached every package is
	@# reported as skipped, which the output says.
	$(BIN)/pip-audit -r requirements.txt --progress-spinner off
	DJANGO_SETTINGS_MODULE=config.settings.production DJANGO_SECRET_KEY=lint-only-key-0123456789-abcdefghijklmnopqrstuvwxyz-ABCDEFGHIJ REDIS_URL=redis://127.0.0.1:6379/0 DJANGO_ALLOWED_HOSTS=example.com $(BIN)/python manage.py check --deploy --fail-level WARNING
	$(BIN)/python manage.py makemigrations --check --dry-run

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
