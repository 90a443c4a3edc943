# Two commands: `make run` (the shop on its embedded default) and `make test` (the whole suite).
PYTHON ?= python3
VENV ?= .venv
PY := $(VENV)/bin/python
HOST ?= 127.0.0.1
PORT ?= 8000

.PHONY: run test faults lint format install migrate seed worker bench clean

$(VENV)/.installed: requirements.txt requirements-dev.txt
	test -x $(PY) || $(PYTHON) -m venv $(VENV)
	$(PY) -m pip install --quiet --upgrade pip
	$(PY) -m pip install --quiet -r requirements-dev.txt
	touch $@

install: $(VENV)/.installed

migrate: install
	$(PY) manage.py migrate --no-input

seed: migrate
	$(PY) manage.py seed

# First run only: local settings, so `manage.py simulate` (another process) signs DMs the way the server checks them.
.env:
	@echo "Writing .env for local use (DEBUG on, a random local TikTok signing secret). Edit it for production."
	@printf '# Written by `make run` for local use; see .env.example for every setting.\nDEBUG=true\nTIKTOK_APP_SECRET=%s\nTIKTOK_BUSINESS_ID=philia-local-business\n' \
		"$$($(PYTHON) -c 'import secrets; print(secrets.token_hex(24))')" > .env

## run: set up and serve the shop at http://$(HOST):$(PORT) (admin at /admin/)
run: .env seed
	$(PY) manage.py ensure_staff
	@if [ -n "$$REDIS_URL" ]; then \
		echo "REDIS_URL is set: starting a Dramatiq worker (rundramatiq) and the scheduler (crontab) beside the web server"; \
		$(PY) manage.py rundramatiq --processes 1 --threads 4 & worker=$$!; \
		$(PY) manage.py crontab & scheduler=$$!; \
		trap "kill $$worker $$scheduler 2>/dev/null" EXIT INT TERM; \
		DEBUG=$${DEBUG:-true} $(PY) manage.py runserver $(HOST):$(PORT); \
	else \
		DEBUG=$${DEBUG:-true} $(PY) manage.py runserver $(HOST):$(PORT); \
	fi

## worker: the production worker (needs REDIS_URL)
worker: install
	$(PY) manage.py rundramatiq

## test: the whole suite against PostgreSQL and Redis at 127.0.0.1
test: install
	$(PY) -m pytest $(PYTEST_ARGS)

## faults: real processes killed and services stopped (faults/; about 6 minutes); not part of `make test`
faults: install
	$(PY) -m pytest faults -s $(PYTEST_ARGS)

## lint: ruff's checks and its formatter's check (configured in pyproject.toml)
lint: install
	$(VENV)/bin/ruff check .
	$(VENV)/bin/ruff format --check .

## format: fix what ruff can fix and format the tree
format: install
	$(VENV)/bin/ruff check --fix .
	$(VENV)/bin/ruff format .

## bench: every benchmark (PostgreSQL and Redis at 127.0.0.1, as for `make test`); fails if any misses its goal
bench: install
	@status=0; \
	$(PY) bench/intake.py || status=1; \
	$(PY) bench/assistant.py || status=1; \
	$(PY) bench/reserve.py || status=1; \
	$(PY) bench/pipeline.py || status=1; \
	$(PY) bench/drop.py || status=1; \
	exit $$status

clean:
	rm -rf $(VENV) db.sqlite3 staticfiles .pytest_cache
