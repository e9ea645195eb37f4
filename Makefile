# The two commands of the README: `make run` and `make test`.
SHELL := /bin/bash
PYTHON ?= $(shell command -v python3.11 || command -v python3)
VENV := .venv
BIN := $(VENV)/bin
HOST ?= 127.0.0.1
PORT ?= 8000

# Test processes (pytest-xdist, one file per worker at a time, each with its
# own test database); TEST_WORKERS=0 runs the suite in one process.
TEST_WORKERS ?= 2
# Test services on this machine; override with the environment.
TEST_DATABASE_URL ?= $(or $(DATABASE_URL),postgres://postgres@127.0.0.1:5432/xsreform)
TEST_REDIS_URL ?= $(or $(REDIS_URL),redis://127.0.0.1:6379/0)

.PHONY: run test install lint fmt bench clean

$(BIN)/python:
	$(PYTHON) -m venv $(VENV)
	$(BIN)/pip install --quiet --upgrade pip

$(VENV)/.installed-run: requirements.txt | $(BIN)/python
	$(BIN)/pip install --quiet -r requirements.txt
	touch $@

$(VENV)/.installed-dev: requirements.txt requirements-dev.txt | $(BIN)/python
	$(BIN)/pip install --quiet -r requirements-dev.txt
	touch $@ $(VENV)/.installed-run

install: $(VENV)/.installed-dev

# Run a command again whenever it exits (a crash, a lost broker), as a
# supervisor does in production (docs/reminders.md).
respawn = while true; do $(1); echo "$(2) exited ($$?); starting it again in 2 s" >&2; sleep 2; done

# The demo: SQLite, an on-disk broker and e-mail to var/mail unless
# DATABASE_URL / REDIS_URL / EMAIL_HOST say otherwise. The worker and beat
# are started again if they exit. Ctrl-C stops all three.
run: export DJANGO_DEBUG ?= 1
run: export SITE_URL ?= http://$(HOST):$(PORT)
run: $(VENV)/.installed-run
	mkdir -p var
	$(BIN)/python -m xsreform.env .env SITE_URL=$(SITE_URL)
	$(BIN)/python manage.py migrate --noinput
	$(BIN)/python manage.py bootstrap_demo $(if $(YEAR),--year $(YEAR))
	@trap 'kill 0' EXIT; \
	$(call respawn,$(BIN)/celery -A xsreform worker --loglevel=INFO --hostname=demo@%h,celery worker) & \
	$(call respawn,$(BIN)/celery -A xsreform beat --loglevel=INFO --pidfile=var/celerybeat.pid,celery beat) & \
	$(BIN)/python manage.py runserver $(HOST):$(PORT)

test: export DJANGO_DEBUG := 0
test: export DJANGO_SECRET_KEY ?= test-only-secret-key-not-for-production-use-0123456789
test: export CHANNEL_SECRET_KEY ?= dGVzdC1vbmx5LWNoYW5uZWwta2V5LTAxMjM0NTY3ODk=
test: export DATABASE_URL := $(TEST_DATABASE_URL)
test: export REDIS_URL := $(TEST_REDIS_URL)
test: export DJANGO_SECURE_SSL_REDIRECT := 0
test: export DJANGO_STATIC_MANIFEST := 0
test: export ALLOWED_HOSTS := testserver,127.0.0.1,localhost
# A demo .env left by `make run` plays no part in the tests.
test: export XSREFORM_ENV_FILE := /dev/null
test: $(VENV)/.installed-dev
	$(BIN)/ruff check .
	$(BIN)/ruff format --check .
	DATABASE_URL=sqlite://:memory: $(BIN)/python manage.py makemigrations --check --dry-run  # models only: no database needed
	$(BIN)/python -m pytest $(if $(filter-out 0,$(TEST_WORKERS)),-n $(TEST_WORKERS) --dist loadfile) $(PYTEST_ARGS)

# Province-scale benchmark (PostgreSQL; its own database, recreated): three
# runs of the pages and their min/median/max, as kept in docs/benchmarks.md.
# About five minutes.
bench: $(VENV)/.installed-dev
	$(BIN)/python bench/province.py --generate --rounds 100 --runs 3

lint: $(VENV)/.installed-dev
	$(BIN)/ruff check --fix .
	$(BIN)/ruff format .

clean:
	rm -rf var .pytest_cache
