# The two commands a newcomer needs: `make demo` and `make test`. Every target sets up and reuses the
# project's virtual environment (.venv), so a fresh machine needs only python3, make and PyPI.
PYTHON ?= python3
VENV := .venv
BIN := $(VENV)/bin
STAMP := $(VENV)/.installed-stamp

.PHONY: help venv generate check lint typecheck test test-matrix demo bench check-docs new-endpoint update-specs clean

help:
	@echo "make demo       every endpoint once on the built-in sandbox exchange, then every venue's borrowing capacity"
	@echo "make test       everything CI checks: drift, ruff, mypy --strict, pytest on 3.11, 3.12 and 3.13"
	@echo "make test-matrix   only the pytest runs on the other Pythons pyproject.toml claims, each in its .venv-3.X"
	@echo "make generate   bundle specs/ and regenerate generated/ (then commit both)"
	@echo "make check      drift check, ruff and mypy --strict, without the tests"
	@echo "make bench      benchmarks, as ratios against a floor measured in the same run"
	@echo "make new-endpoint PAGE=<page>   draft specs/<exchange>/endpoints/<tag>.<operationId>.yaml from a saved doc page"
	@echo "make update-specs DOCS=<folder> apply the doc pages' changes to specs/ (then make generate && make test)"
	@echo "make check-docs DOCS=<folder>   compare saved exchange doc pages (a scraped tree, any depth) with specs/"

$(STAMP): pyproject.toml
	test -x $(BIN)/python || $(PYTHON) -m venv $(VENV)
	$(BIN)/python -m pip install --quiet --upgrade pip
	$(BIN)/python -m pip install --quiet -e '.[dev]'
	touch $(STAMP)

venv: $(STAMP)

generate: $(STAMP)
	$(BIN)/python -m scripts.codegen
	$(BIN)/mypy --strict generated

check: $(STAMP)
	$(BIN)/python -m scripts.codegen --check
	$(BIN)/ruff check .
	$(BIN)/ruff format --check .
	$(BIN)/mypy

# Each interpreter's run is spread over the machine's cores by pytest-xdist (worksteal: a long test does not
# leave a worker idle). PYTEST_WORKERS=4 sets the number of workers; PYTEST_WORKERS=0 runs in one process.
PYTEST_WORKERS ?= auto
PARALLEL := -n $(PYTEST_WORKERS) --dist worksteal

# The suite starts hundreds of interpreters (workers, the subprocesses tests run): their bytecode goes to one cache
# in the venv, never beside the sources, and is written even where PYTHONDONTWRITEBYTECODE is set, so each module
# is compiled once per Python instead of once per process (the 3.11 suite: 143 s instead of 186 s in one run).
test test-matrix: export PYTHONPYCACHEPREFIX ?= $(CURDIR)/$(VENV)/pycache
test test-matrix: export PYTHONDONTWRITEBYTECODE =

# Everything CI checks: the suite on .venv's Python, then on every other Python the classifiers claim, one after
# the other (tried all at once on a shared 2-core machine: slower, and some tests failed).
test: check
	$(BIN)/pytest $(PARALLEL)
	$(BIN)/python -m scripts.matrix $(PARALLEL)

# The suite on the other interpreters the classifiers claim (scripts/matrix.py: how each is found, or skipped);
# PYTEST_ARGS picks a subset, e.g. PYTEST_ARGS=tests/telemetry.
test-matrix: $(STAMP)
	$(BIN)/python -m scripts.matrix $(PARALLEL) $(PYTEST_ARGS)

# Default: the shared doc pages when present, else the snapshot the specs were last checked against.
DOCS ?= $(if $(wildcard ../shared/exchange-docs),../shared/exchange-docs,tests/fixtures/exchange-docs)

check-docs: $(STAMP)
	$(BIN)/python -m scripts.docs_check $(DOCS)

# The doc tools are maintainer tools over a checkout's specs/, so they live in scripts/ (not in the wheel).
new-endpoint: $(STAMP)
	@test -n "$(PAGE)" || { echo "usage: make new-endpoint PAGE=<saved doc page>" >&2; exit 2; }
	$(BIN)/python -m scripts.docs_check new-endpoint $(PAGE)

update-specs: $(STAMP)
	$(BIN)/python -m scripts.docs_check update-specs $(DOCS)

# What the generated code is made from. An endpoints/ folder is listed too: adding or deleting a file changes it.
SPEC_SOURCES := $(wildcard specs/*/*.yaml specs/*/endpoints specs/*/endpoints/*.yaml scripts/codegen/config/*.yaml)
SPECS_STAMP := $(VENV)/.specs-checked-stamp

# Before the demo, regenerate if the specs changed since the last look. The drift check decides, not file
# times alone, so a fresh clone (all files equally new) is only checked, never rewritten needlessly.
$(SPECS_STAMP): $(STAMP) $(SPEC_SOURCES)
	@$(BIN)/python -m scripts.codegen --check >/dev/null 2>&1 || { \
		echo "specs changed: regenerating generated/"; $(BIN)/python -m scripts.codegen; }
	@touch $@

demo: $(SPECS_STAMP)
	$(BIN)/python -m scripts.demo

# Minutes; prints the tables and writes build/bench.json (method and figures: scripts/bench/README.md).
# BENCH_ARGS="--quick" for a seconds-long smoke run; BENCH_ARGS="--sections scale --scale-sizes 0,200
# --scale-make-test" also times the whole make test at 0 and 200 endpoints per exchange (issue 22: <= 600 s).
bench: $(STAMP)
	$(BIN)/python -m scripts.bench $(BENCH_ARGS)

clean:
	rm -rf $(VENV) $(VENV)-3.* build *.egg-info .mypy_cache .ruff_cache .pytest_cache .hypothesis
