# make run  - a working app on this machine (SQLite, embedded broker, development identity provider, demo data)
# make test - the test suite
PYTHON ?= $(shell command -v python3.11 || command -v python3)
VENV := .venv
BIN := $(VENV)/bin
STAMP := $(VENV)/.installed-stamp
HOST ?= 127.0.0.1
PORT ?= 5000
# Two pytest-xdist workers (one Redis database each, see tests/conftest.py): the suite in about half the time.
PYTEST_ARGS ?= -n 2

.PHONY: run test install translations messages lint clean

$(STAMP): pyproject.toml
	test -x $(BIN)/python || $(PYTHON) -m venv $(VENV)
	$(BIN)/python -m pip install --quiet --upgrade pip
	$(BIN)/python -m pip install --quiet -e '.[dev]'
	touch $(STAMP)

install: $(STAMP) translations

translations: $(STAMP)
	$(BIN)/pybabel compile --use-fuzzy -d lms/translations

run: install
	LMS_DEV_IDP=$${LMS_DEV_IDP-1} $(BIN)/lms db upgrade
	LMS_DEV_IDP=$${LMS_DEV_IDP-1} $(BIN)/lms demo
	@echo "lms: http://$(HOST):$(PORT)/  (Ctrl-C stops the server and the worker)"
	LMS_DEV_IDP=$${LMS_DEV_IDP-1} LMS_BASE_URL=$${LMS_BASE_URL-http://$(HOST):$(PORT)} \
	  sh -c '$(BIN)/lms worker --concurrency 1 --loglevel WARNING & worker=$$!; \
	         trap "kill $$worker 2>/dev/null" EXIT INT TERM; \
	         $(BIN)/lms serve --host $(HOST) --port $(PORT)'

test: install
	$(BIN)/python -m pytest $(PYTEST_ARGS)

lint: $(STAMP)
	$(BIN)/ruff check .

clean:
	rm -rf $(VENV) instance .pytest_cache

# Re-extract user-facing strings and merge them into the English catalog (then translate the new entries).
messages: $(STAMP)
	$(BIN)/pybabel extract -F babel.cfg -k _l -k lazy_gettext --no-location --sort-output -o lms/translations/messages.pot .
	$(BIN)/pybabel update -i lms/translations/messages.pot -d lms/translations --no-fuzzy-matching -w 120
