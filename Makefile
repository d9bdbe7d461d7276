# Two commands for a new machine: `make book` builds the report, `make test` runs the tests.
# Both create .venv and install the pinned dependencies first: Python packages from requirements.lock, and the
# book's static assets (US state geometry) from the npm registry, pinned in package-lock.json.

SHELL := /bin/bash
PYTHON ?= python3
VENV := .venv
PY := $(VENV)/bin/python
STAMP := $(VENV)/.installed-$(shell cat requirements.lock pyproject.toml package-lock.json | sha256sum | cut -c1-12)

# Report parameters; empty means the defaults in pyproject.toml [tool.occupation_book].
#   SOC, EDITION; STRICT=1 (for publishing): a pinned source that cannot be had fails the build instead of being
#   noted; RECORD_RUNS=1 keeps Dagster's run history in DAGSTER_HOME.
# Target arguments: SOCS (catalog), URL (export, publish), SOURCE, PART and REASON (accept).
# The shared reference-data folder beside the project stands in for the network when it is there (see README).
ifeq ($(origin SOURCES_MIRROR),undefined)
SOURCES_MIRROR := $(if $(wildcard ../shared/reference-data/MIRROR-INDEX.tsv),$(abspath ../shared/reference-data),)
endif
ifneq ($(origin DAGSTER_HOME),command line)
DAGSTER_HOME := $(CURDIR)/.dagster_home
endif

# Values are data, never make syntax or shell: a value typed on the command line, or one of these taken from the
# environment, is kept literally ($(value): `$(shell ...)` in it is text, not a command run while make expands
# it), exported, and read by the recipes as "$$NAME", which the shell expands without parsing the value again,
# so backticks, $(...) and quotes in a value reach the programs as they were typed.
USER_VALUES := SOC EDITION STRICT RECORD_RUNS SOURCES_MIRROR DAGSTER_HOME SOCS URL SOURCE PART REASON
COMMAND_LINE_VALUES := $(foreach name,$(.VARIABLES),$(if $(filter command line,$(origin $(name))),$(name)))
$(foreach name,$(sort $(USER_VALUES) $(COMMAND_LINE_VALUES)),$(eval override $(name) := $$(value $(name))))
export $(USER_VALUES) $(COMMAND_LINE_VALUES)

.PHONY: book catalog export publish test bench dev refresh lock clean install accept chromium

book: $(STAMP)  ## Build one occupation's book into book/_build/<SOC>/html (offline, from warehouse/sources.lock)
	@mkdir -p "$$DAGSTER_HOME"
	$(PY) -m pipeline.build

# SOCS: the occupations of the catalogue; empty means catalog_socs in pyproject.toml. WORKERS=N builds the books on
# N Celery workers over a Redis broker started for the build, or on a team's broker (CELERY_BROKER_URL; WORKERS=0
# starts none here); with WORKERS, SOCS=all is a book for every occupation of the release: see docs/scaling.md.
# ($(value ...) reads a value without expanding it: a value is data, never make syntax.)
catalog: $(STAMP) $(if $(value CELERY_BROKER_URL),,$(if $(value WORKERS),redis))  ## One site: a book per occupation and a landing page: make catalog SOCS="29-1122 29-1123" [WORKERS=2]
	@mkdir -p "$$DAGSTER_HOME"
	if [ -z "$$WORKERS" ]; then CATALOG_SOCS="$$SOCS" $(PY) -m pipeline.build --catalog; \
	else CATALOG_SOCS="$$SOCS" $(PY) -m pipeline.catalog_workers --workers "$$WORKERS"; fi

# "--" ends the options, so a URL is never read as one.
export: $(STAMP)  ## The warehouse as Parquet, one file per occupation: make export URL=s3://bucket/book/warehouse/2026Q4
	$(PY) -m pipeline.warehouse_export -- "$$URL"

# The catalogue site when one is built (else the book of SOC), under its edition; `latest` moves once every file
# is uploaded and verified by SHA-256 (pipeline/publish.py).
publish: $(STAMP)  ## Upload the built site: make publish URL=s3://bucket/book  (SOC=... for one book)
	$(PY) -m pipeline.publish -- "$$URL"

test: $(STAMP) chromium redis lint  ## Run the linters, then the test suite (includes the browser and Celery tests)
	$(PY) -m pytest

# Static checks, one tool per line so a failure names it: lint, format, the import layering (pyproject.toml
# [tool.importlinter]), types (mypy on pipeline/).
.PHONY: lint
lint: $(STAMP)  ## Static checks: ruff check, ruff format --check, lint-imports, mypy
	$(VENV)/bin/ruff check .
	$(VENV)/bin/ruff format --check .
	$(VENV)/bin/lint-imports
	$(VENV)/bin/mypy

# Debian's redis-server: the broker `make catalog WORKERS=N` starts for its own build (and its tests). Installing the
# package also starts it as a system service, which nothing here uses: that one is stopped and disabled.
.PHONY: redis
redis:
	@command -v redis-server >/dev/null || { \
	  if [ "$$(id -u)" = 0 ]; then apt-get update -qq && DEBIAN_FRONTEND=noninteractive apt-get install -y -qq redis-server \
	    && { systemctl disable --now redis-server >/dev/null 2>&1 || service redis-server stop >/dev/null 2>&1 || true; }; \
	  else echo "make catalog WORKERS=N needs Debian's redis-server: sudo apt-get install redis-server" >&2; exit 1; fi; }

# The browser tests drive Debian's Chromium (Playwright cannot download its own browser offline).
chromium:
	@command -v chromium >/dev/null || { \
	  if [ "$$(id -u)" = 0 ]; then apt-get update -qq && DEBIAN_FRONTEND=noninteractive apt-get install -y -qq chromium; \
	  else echo "The browser tests need Debian's chromium: sudo apt-get install chromium" >&2; exit 1; fi; }

bench: $(STAMP) redis  ## Benchmarks: full-release OEWS load time and peak memory (writes bench/results/*.json)
	$(PY) -m bench.run

dev: $(STAMP)  ## Dagster UI on http://127.0.0.1:3000 over the same definitions; Ctrl-C stops it
	@mkdir -p "$$DAGSTER_HOME"
	exec $(PY) -m pipeline.dev

refresh: $(STAMP)  ## Fetch every source, store new snapshots, re-pin warehouse/sources.lock
	$(PY) -m pipeline.refresh

install: $(STAMP)

$(STAMP): requirements.lock pyproject.toml package-lock.json
	rm -f $(VENV)/.installed-*
	npm ci --no-audit --no-fund --silent
	test -x $(PY) || $(PYTHON) -m venv $(VENV)
	$(VENV)/bin/pip install --quiet --disable-pip-version-check -r requirements.lock
	@# The project itself goes on the path without a build step (an editable install would need setuptools).
	$(PY) -c "import os, site, pathlib; pathlib.Path(site.getsitepackages()[0], 'occupation_market_book.pth').write_text(os.getcwd() + '\n')"
	touch $@

lock:  ## Re-resolve requirements.lock from pyproject.toml in a scratch environment
	rm -rf .venv-lock && $(PYTHON) -m venv .venv-lock
	.venv-lock/bin/pip install --quiet --disable-pip-version-check ".[test]"
	(echo "# Exact versions of every package in .venv, so next quarter's rebuild installs the same set."; \
	 echo "# Regenerate with: make lock  (after changing pyproject.toml)"; \
	 .venv-lock/bin/pip freeze --exclude occupation-market-book) > requirements.lock
	rm -rf .venv-lock

clean:  ## Remove built outputs (keeps snapshots and the lock)
	rm -rf book/_build warehouse/*.duckdb warehouse/*.duckdb.wal warehouse/state warehouse/editions/*/

accept: $(STAMP)  ## Accept a snapshot that moved >25%: make accept SOURCE=oews_history PART=oesm24nat REASON="..."
	$(PY) -m pipeline.acceptance --reason="$$REASON" -- "$$SOURCE" "$$PART"
