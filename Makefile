# Two commands: `make run` (the shop on its embedded PostgreSQL and Redis) and `make test` (the whole suite).
# With DATABASE_URL / REDIS_URL set, every target uses those servers instead of the embedded ones.
PYTHON ?= python3
VENV ?= .venv
PY := $(VENV)/bin/python
HOST ?= 127.0.0.1
PORT ?= 8000

.PHONY: run stop test faults lint format install migrate seed worker bench clean

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

## run: set up and run the shop at http://$(HOST):$(PORT) (admin at /admin/): web server, worker, scheduler
run: .env install
	DEBUG=$${DEBUG:-true} $(PY) manage.py runshop --host $(HOST) --port $(PORT)

## stop: stop the embedded PostgreSQL and Redis (unless a command still uses them; FORCE=1 stops them anyway)
stop:
	@if [ -x $(PY) ]; then $(PY) -m philia.embedded stop $(if $(FORCE),--force); fi

## worker: a Dramatiq worker on its own (make run starts one)
worker: install
	$(PY) manage.py rundramatiq

## test: the whole suite, on the embedded PostgreSQL and Redis (stopped after, if it started them)
test: install
	$(PY) -m pytest $(PYTEST_ARGS)

## faults: real processes killed and servers stopped (faults/; about 6 minutes); not part of `make test`
faults: install
	$(PY) -m pytest faults -s $(PYTEST_ARGS)

## lint: ruff's checks, its formatter's check and mypy with django-stubs (configured in pyproject.toml)
# mypy's Django plugin loads the settings: these values keep them from starting the embedded PostgreSQL and Redis
# (nothing connects to them).
lint: install
	$(VENV)/bin/ruff check .
	$(VENV)/bin/ruff format --check .
	DEBUG=true DATABASE_URL=postgres://lint@localhost/none REDIS_URL=redis://localhost:6379/0 $(VENV)/bin/mypy .

## format: fix what ruff can fix and format the tree
format: install
	$(VENV)/bin/ruff check --fix .
	$(VENV)/bin/ruff format .

## bench: every benchmark (on the embedded servers, as `make test`); fails if any misses its goal
bench: install
	@status=0; \
	$(PY) bench/intake.py || status=1; \
	$(PY) bench/assistant.py || status=1; \
	$(PY) bench/reserve.py || status=1; \
	$(PY) bench/pipeline.py || status=1; \
	$(PY) bench/drop.py || status=1; \
	$(PY) bench/live.py || status=1; \
	$(PY) bench/metrics.py || status=1; \
	$(PY) bench/propositions.py || status=1; \
	$(PY) bench/lost_claims.py || status=1; \
	exit $$status

## clean: remove the virtualenv and built files (keeps var/, the embedded servers' data: `make stop` first)
clean: stop
	rm -rf $(VENV) staticfiles .pytest_cache
