# gridprequal: `make run` starts the app on the embedded default; `make test` runs the suite.
PYTHON ?= python3
VENV ?= .venv
BIN := $(VENV)/bin
PYTEST_ARGS ?=

.PHONY: install run test test-sqlite test-postgres lint migrations-check messages clean bench

$(BIN)/.installed: pyproject.toml
	$(PYTHON) -m venv $(VENV)
	$(BIN)/pip install -q --upgrade pip
	$(BIN)/pip install -q -e ".[dev]"
	touch $@

install: $(BIN)/.installed

# The embedded default: SQLite, no external servers, demo data, a login per role printed.
run: install
	DJANGO_DEBUG=true $(BIN)/python manage.py migrate --noinput
	mkdir -p $${CELERY_FILESYSTEM_BROKER_DIR:-var/broker}/control  # the demo's decisions queue e-mails
	DJANGO_DEBUG=true $(BIN)/python manage.py demo_data
	DJANGO_DEBUG=true scripts/run-embedded

lint: install
	$(BIN)/ruff check .

migrations-check: install
	DJANGO_DEBUG=true $(BIN)/python manage.py makemigrations --check --dry-run

test-sqlite: install
	$(BIN)/pytest -n 2 $(PYTEST_ARGS)

test-postgres: install
	scripts/with-postgres $(BIN)/pytest -n 2 $(PYTEST_ARGS)

# The whole suite: lint, migrations, then every test on SQLite and on PostgreSQL.
test: install
	scripts/system-deps
	$(MAKE) lint migrations-check
	$(MAKE) test-sqlite
	$(MAKE) test-postgres

# Every benchmark of SPEC §7 on the reference data set; writes docs/PERFORMANCE.md (about 20 minutes).
# Smaller: make bench BENCH_ARGS="--preset quick --runs 1"
BENCH_ARGS ?= --preset full --runs 3
bench: install
	scripts/system-deps --bench
	scripts/with-postgres $(BIN)/python bench/run_all.py $(BENCH_ARGS)

messages: install
	DJANGO_DEBUG=true $(BIN)/python manage.py makemessages -l sv --ignore=.venv --ignore=staticfiles --ignore=bench --ignore=tests --ignore=media --ignore=var
	DJANGO_DEBUG=true $(BIN)/python manage.py compilemessages --ignore=.venv

clean:
	rm -rf $(VENV) staticfiles var
