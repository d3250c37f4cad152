# The two commands a newcomer needs: `make run` and `make test`. Both set up everything
# they need on a fresh machine (virtual environment, services, database).
SHELL := /bin/bash
PYTHON ?= python3
VENV := .venv
PY := $(VENV)/bin/python
# Reinstall whenever pyproject.toml changes.
STAMP := $(VENV)/.installed-$(shell sha1sum pyproject.toml | cut -c1-12)
# Finds or starts PostgreSQL and Redis and exports DATABASE_URL (the application's role),
# DATABASE_OWNER_URL (the role that owns the tables), REDIS_URL and dev secrets.
SERVICES = eval "$$($(PY) scripts/devservices.py)"
# Migrations run as the owner; everything else as the application's role.
AS_OWNER = DATABASE_URL="$$DATABASE_OWNER_URL"
export PATH := $(CURDIR)/$(VENV)/bin:$(PATH)
# The web server's port; honcho hands it to the first process of the Procfile.
export PORT ?= 8000

.PHONY: run test lint setup

$(STAMP): pyproject.toml
	test -x $(PY) || $(PYTHON) -m venv $(VENV)
	$(PY) -m pip install --quiet --upgrade pip
	$(PY) -m pip install --quiet '.[dev,embedded]'
	rm -f $(VENV)/.installed-*
	touch $@

setup: $(STAMP)

run: $(STAMP)
	@$(SERVICES) && export DJANGO_DEBUG=1 && \
	$(AS_OWNER) $(PY) manage.py migrate --noinput && \
	$(PY) manage.py seed_demo && \
	$(PY) manage.py demo_logins && \
	$(PY) manage.py demo_pharmacy_keys && \
	$(PY) manage.py demo_fhir_clients && \
	exec honcho --no-prefix start --procfile Procfile --port $(PORT)

lint: $(STAMP)
	$(VENV)/bin/ruff check .
	$(VENV)/bin/lint-imports

test: $(STAMP) lint
	@$(SERVICES) && export DJANGO_DEBUG=1 && \
	$(PY) manage.py makemigrations --check --dry-run >/dev/null && \
	$(AS_OWNER) $(PY) -m pytest $(PYTEST_ARGS)

# Nightly: the schemathesis run over the API for every role, with many more examples than
# the test suite's (FUZZ_EXAMPLES per operation; the suite's default is 1).
FUZZ_EXAMPLES ?= 50
.PHONY: fuzz
fuzz: $(STAMP)
	@$(SERVICES) && export DJANGO_DEBUG=1 FUZZ_EXAMPLES=$(FUZZ_EXAMPLES) && \
	$(AS_OWNER) $(PY) -m pytest tests/dmed/test_api_fuzz.py $(PYTEST_ARGS)
