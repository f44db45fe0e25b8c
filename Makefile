# Development tasks. `make example` runs the example site, `make test` runs every check and test.
VENV ?= .venv
PYTHON ?= python3
BIN := $(VENV)/bin
STAMP := $(VENV)/.installed

.PHONY: example test lint bench translations clean

$(STAMP): pyproject.toml
	$(PYTHON) -m venv $(VENV)
	$(BIN)/pip install --quiet --upgrade pip
	$(BIN)/pip install --quiet -e ".[dev]"
	touch $@

node_modules/.installed: package.json package-lock.json
	npm ci --no-audit --no-fund --loglevel=error
	touch $@

# The example's consent ledger: $CONSENT_LEDGER_URL, else SQLite in its instance folder.
LEDGER_URL ?= $(or $(CONSENT_LEDGER_URL),sqlite:///$(CURDIR)/examples/reviews/instance/ledger.sqlite3)
# Its checkpoint log: each start signs the chain's head, after checking the ledger against the last ones.
# (A real site keeps this log out of the database's reach: see "Rollback and checkpoints" in README.md.)
LEDGER_CHECKPOINTS ?= $(CURDIR)/examples/reviews/instance/ledger-checkpoints.jsonl
# The key the example signs its ledger with: $CONSENT_LEDGER_KEY, else derived from its SECRET_KEY.
EXAMPLE_SECRET_KEY = $${REVIEWS_SECRET_KEY:-dev-only-secret-change-me}

example: $(STAMP)
	$(BIN)/consent ledger init --url "$(LEDGER_URL)"
	mkdir -p "$(dir $(LEDGER_CHECKPOINTS))"
	SECRET_KEY="$(EXAMPLE_SECRET_KEY)" $(BIN)/consent ledger checkpoint --url "$(LEDGER_URL)" --output "$(LEDGER_CHECKPOINTS)"
	CONSENT_LEDGER_URL="$(LEDGER_URL)" $(BIN)/flask --app examples.reviews.app:create_app run --host 127.0.0.1 --port 5000

lint: $(STAMP)
	$(BIN)/ruff check .
	$(BIN)/ruff format --check .
	$(BIN)/mypy

test: $(STAMP) node_modules/.installed lint
	$(BIN)/pytest

bench: $(STAMP) node_modules/.installed
	$(BIN)/python -m benchmarks

translations: $(STAMP)
	$(BIN)/pybabel extract -F widget/translations/babel.cfg -k _ -k gettext -k ngettext:1,2 --no-location --omit-header -o widget/translations/messages.pot .
	$(BIN)/pybabel update -i widget/translations/messages.pot -d widget/translations --ignore-obsolete --no-fuzzy-matching
	$(BIN)/pybabel compile -d widget/translations

clean:
	rm -rf $(VENV) node_modules build dist *.egg-info test-artifacts
