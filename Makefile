# Madoguchi: `make run` runs the product on SQLite with demo data; `make test` runs every test.
PYTHON ?= python3
VENV ?= .venv
PY := $(VENV)/bin/python
RUN_ENV := DEBUG=true

.PHONY: run test lint setup setup-test system system-test clean

$(VENV)/.installed: pyproject.toml
	test -x $(PY) || $(PYTHON) -m venv $(VENV)
	$(PY) -m pip install --quiet --upgrade pip
	$(PY) -m pip install --quiet -e ".[test]"
	touch $@

system:
	./deploy/system-packages.sh

system-test:
	./deploy/system-packages.sh --test

setup: system $(VENV)/.installed

setup-test: system-test $(VENV)/.installed

run: setup
	$(RUN_ENV) $(PY) manage.py migrate --noinput
	$(RUN_ENV) $(PY) manage.py seed_demo
	$(RUN_ENV) $(PY) manage.py setup_schedules
	@echo "Madoguchi: http://127.0.0.1:8000/  (staff: http://127.0.0.1:8000/staff/day/)  Ctrl-C stops."
	@# The web server runs in the foreground and takes Ctrl-C; on its way out the shell stops the job cluster.
	@bash -c 'trap "kill 0" EXIT; $(RUN_ENV) $(PY) manage.py qcluster & $(RUN_ENV) $(PY) manage.py runserver 127.0.0.1:8000'

test: setup-test
	env -u DATABASE_URL -u TEST_DATABASE_URL $(PY) -m pytest
	@if [ -n "$$TEST_DATABASE_URL" ]; then \
	  echo "--- again on PostgreSQL ($$TEST_DATABASE_URL)"; \
	  env -u DATABASE_URL $(PY) -m pytest; \
	fi

lint: $(VENV)/.installed
	$(VENV)/bin/ruff check .
	$(VENV)/bin/ruff format --check .
	$(VENV)/bin/mypy
	DEBUG=true $(PY) manage.py makemigrations --check --dry-run

clean:
	rm -rf $(VENV) .test-db.sqlite3* .test-media
