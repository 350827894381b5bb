# Madoguchi: `make run` runs the product on SQLite with demo data; `make test` runs every test.
PYTHON ?= python3
VENV ?= .venv
PY := $(VENV)/bin/python
RUN_ENV := DEBUG=true

.PHONY: run test lint setup setup-test system system-test clean lock lock-upgrade

# Dependencies come from the locks only: exact versions, each file checked against its SHA-256. The project itself
# is then installed without dependencies, and `pip check` fails when pyproject.toml names a package the lock lacks.
$(VENV)/.installed: pyproject.toml requirements.lock
	test -x $(PY) || $(PYTHON) -m venv $(VENV)
	$(PY) -m pip install --quiet --require-hashes -r requirements.lock
	$(PY) -m pip install --quiet --no-deps -e .
	$(PY) -m pip check
	touch $@

$(VENV)/.installed-test: $(VENV)/.installed requirements-test.lock
	$(PY) -m pip install --quiet --require-hashes -r requirements-test.lock
	$(PY) -m pip check
	touch $@

system:
	./deploy/system-packages.sh

system-test:
	./deploy/system-packages.sh --test

setup: system $(VENV)/.installed

setup-test: system-test $(VENV)/.installed-test

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

lint: $(VENV)/.installed-test
	$(VENV)/bin/ruff check .
	$(VENV)/bin/ruff format --check .
	$(VENV)/bin/mypy
	DEBUG=true $(PY) manage.py makemigrations --check --dry-run

# Refresh the locks after a change to the dependencies in pyproject.toml: `make lock` keeps every pin it can and
# adds what is new; `make lock-upgrade` moves every package to its newest version within pyproject.toml's bounds.
# pip-tools runs in its own virtualenv (.venv-lock), so it is not part of the product's environment.
LOCK_VENV := .venv-lock
PIP_COMPILE = $(LOCK_VENV)/bin/pip-compile --quiet --generate-hashes --no-emit-index-url --no-emit-find-links \
	--strip-extras $(LOCK_FLAGS)

$(LOCK_VENV)/bin/pip-compile:
	$(PYTHON) -m venv $(LOCK_VENV)
	$(LOCK_VENV)/bin/pip install --quiet pip-tools

lock: $(LOCK_VENV)/bin/pip-compile
	$(PIP_COMPILE) --extra test -o requirements-test.lock pyproject.toml
	$(PIP_COMPILE) -c requirements-test.lock -o requirements.lock pyproject.toml

lock-upgrade:
	$(MAKE) lock LOCK_FLAGS=--upgrade

clean:
	rm -rf $(VENV) $(LOCK_VENV) .test-db.sqlite3* .test-media
