# Fieldsync. `make help` lists the targets.
SHELL := /bin/bash
PYTHON ?= python3
VENV := .venv
BIN := $(VENV)/bin
STAMP := $(VENV)/.installed
PYTEST_ARGS ?=
# Test files run on this many processes (each file stays on one, with its module fixtures).
PYTEST_WORKERS ?= 2
# Debian packages: Chromium for browser tests, a CJK font and HarfBuzz subsetting for reports,
# poppler for checking PDFs, Pango for WeasyPrint.
DEB_PACKAGES := chromium fonts-noto-cjk libharfbuzz-subset0 poppler-utils libpango-1.0-0 libpangoft2-1.0-0

.DEFAULT_GOAL := help
.PHONY: help run test lint format bench docs system-deps install pwa clean

help: ## List the targets
	@grep -E '^[a-z-]+:.*## ' $(MAKEFILE_LIST) | awk -F':.*## ' '{printf "  make %-13s %s\n", $$1, $$2}'

system-deps: ## Install the Debian packages the project needs (as root), or name them
	@missing=$$(for p in $(DEB_PACKAGES); do dpkg -s $$p >/dev/null 2>&1 || echo $$p; done); \
	if [ -z "$$missing" ]; then exit 0; fi; \
	if [ "$$(id -u)" = 0 ] && command -v apt-get >/dev/null; then \
		echo "installing Debian packages: $$missing"; \
		apt-get update -qq && DEBIAN_FRONTEND=noninteractive apt-get install -y -qq --no-install-recommends $$missing >/dev/null; \
	else \
		echo "Fieldsync needs these Debian packages; please install them:"; \
		echo "  sudo apt-get install $$missing"; \
		if [ "$${CI:-}" = true ]; then exit 1; fi; \
	fi

$(STAMP): pyproject.toml
	@test -x $(BIN)/python || $(PYTHON) -m venv $(VENV)
	$(BIN)/pip install -q --upgrade pip
	$(BIN)/pip install -q -e '.[dev]'
	@touch $(STAMP)

install: $(STAMP) ## Create .venv and install Fieldsync with its test and dev tools

pwa: ## Build the engineer app (pwa/dist) and the office console (pwa/dist/office); npm ci when the lockfile changed
	@if [ -f pwa/package.json ]; then \
		cd pwa && { [ node_modules/.package-lock.json -nt package-lock.json ] || npm ci --no-audit --no-fund; } \
		&& npm run build; \
	fi

run: install pwa ## Migrate, load demo data on first run, and serve (http://127.0.0.1:8000; FIELDSYNC_HOST/PORT)
	$(BIN)/fieldsync db upgrade
	$(BIN)/fieldsync demo
	@echo "serving on http://$${FIELDSYNC_HOST:-127.0.0.1}:$${FIELDSYNC_PORT:-8000}  (API docs: /schema)"
	$(BIN)/fieldsync serve --no-migrate

test: system-deps install pwa ## Install what the tests need and run the whole suite
	@if [ -f pwa/package.json ]; then cd pwa && npm test; fi
	$(BIN)/pytest -q -p no:cacheprovider --timeout=600 -n $(PYTEST_WORKERS) --dist loadfile --no-loadscope-reorder $(PYTEST_ARGS)

lint: install ## ruff, mypy --strict, vue-tsc
	$(BIN)/ruff check api sync pdf tests bench
	$(BIN)/ruff format --check api sync pdf tests bench
	$(BIN)/mypy
	@if [ -f pwa/package.json ]; then \
		cd pwa && { [ node_modules/.package-lock.json -nt package-lock.json ] || npm ci --no-audit --no-fund; } \
		&& npx vue-tsc --noEmit; \
	fi

format: install ## Apply ruff's fixes and formatting
	$(BIN)/ruff check --fix api sync pdf tests bench
	$(BIN)/ruff format api sync pdf tests bench

bench: install ## Run every benchmark in bench/ and print its figures
	@for b in bench/*_bench.py; do [ -e "$$b" ] || continue; echo "== $$b"; $(BIN)/python $$b || exit 1; done

docs: install ## Render the documentation images under docs/ (a demo report's page 1, app and console screenshots)
	@tmp=$$(mktemp -d) && trap 'rm -rf "$$tmp"' EXIT && \
	$(BIN)/python -m pdf.sample "$$tmp/report.pdf" && \
	pdftoppm -png -r 80 -f 1 -l 1 -singlefile "$$tmp/report.pdf" docs/report-page1 && \
	echo "wrote docs/report-page1.png"
	$(MAKE) pwa
	$(BIN)/python pwa/scripts/screenshots.py
	$(BIN)/python pwa/scripts/office_screenshots.py

clean: ## Remove the virtualenv, builds and caches (keeps ./var data)
	rm -rf $(VENV) pwa/dist pwa/node_modules pwa/dev-dist .pytest_cache .mypy_cache .ruff_cache
