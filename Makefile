# fs — build, test, benchmark and run the sample pipeline.  `make help` lists the targets.
#
# GNU make. Everything a fresh Debian bookworm machine lacks is installed on demand:
# system packages by `deps` (apt-get, sudo only when not root), Python readers into .venv by
# `venv`. Swift is taken from PATH, else from /opt/swift/usr/bin.

SHELL := /bin/bash
.SHELLFLAGS := -eu -o pipefail -c
.DEFAULT_GOAL := help
MAKEFLAGS += --no-print-directory

ifeq ($(shell command -v swift 2>/dev/null),)
export PATH := /opt/swift/usr/bin:$(PATH)
endif

SWIFT       ?= swift
# SwiftPM's default scratch directory; pass SCRATCH=.build-x to build elsewhere.
SCRATCH     ?= .build
SWIFTPM     := $(if $(filter-out .build,$(SCRATCH)),--scratch-path $(SCRATCH))
DEBUG_BIN   := $(SCRATCH)/debug
RELEASE_BIN := $(SCRATCH)/release

# The interpreter that creates the venv (Python 3.11: the pinned wheels are cp311).
PYTHON_BOOT ?= python3
VENV        ?= .venv
PY          := $(VENV)/bin/python
PIP         := $(PY) -m pip --disable-pip-version-check -q

# Benchmarks: rows of generated orders, runs per workload, Spark peer on/off.
BENCH_ROWS  ?= 1000000
# The offline workload's own dataset: the issue's reference workload is 10M orders.
BENCH_OFFLINE_ROWS ?= 10000000
BENCH_RUNS  ?= 3
BENCH_SPARK ?= 1
export BENCH_SPARK

# `make run`: where run-all.sh keeps data/, logs/ and run/, and how long the pipeline works.
FS_HOME     ?= /tmp/ifood
RUN_SECONDS ?= 60

.PHONY: help deps deps-java venv venv-bench build release test interop e2e golden bench bench-smoke run clean distclean

help: ## List the targets
	@echo "fs — make targets (variables: SCRATCH=$(SCRATCH) BENCH_ROWS=$(BENCH_ROWS) BENCH_OFFLINE_ROWS=$(BENCH_OFFLINE_ROWS) BENCH_RUNS=$(BENCH_RUNS) BENCH_SPARK=$(BENCH_SPARK) FS_HOME=$(FS_HOME) RUN_SECONDS=$(RUN_SECONDS))"
	@grep -E '^[a-z0-9-]+:.*## ' $(MAKEFILE_LIST) | sed -E 's/^([a-z0-9-]+):.*## (.*)/  \1\t\2/' | expand -t 16

deps: ## Install missing system packages (C libraries, kcat, the store servers the tests start, wrk)
	@scripts/setup/install-deps.sh

deps-java: ## Install a Java 17 runtime for PySpark when `java` is missing (skipped with BENCH_SPARK=0)
	@if [[ "$(BENCH_SPARK)" != 0 ]]; then scripts/setup/install-deps.sh --java; fi

$(VENV)/.interop.stamp: python/requirements-interop.txt
	@[[ -x $(PY) ]] || $(PYTHON_BOOT) -m venv $(VENV)
	$(PIP) install -r python/requirements-interop.txt
	@touch $@

$(VENV)/.bench.stamp: python/requirements-bench.txt $(VENV)/.interop.stamp
	$(PIP) install -r python/requirements-bench.txt
	@touch $@

venv: deps $(VENV)/.interop.stamp ## Create .venv with the pinned interop readers (pyarrow, DuckDB, Polars, deltalake, pytest)

venv-bench: deps $(VENV)/.bench.stamp ## Add the benchmark peers (PySpark) to .venv

build: ## Debug build of every target
	$(SWIFT) build $(SWIFTPM)

release: ## Release build of every target
	$(SWIFT) build $(SWIFTPM) -c release

# Each step runs even when an earlier one failed, so one CI run reports every failure. The
# `swift test` output is kept in $(SCRATCH)/swift-test.log; at the end the failed steps and the
# failing tests' lines are repeated, and the last line printed is `swift test`'s own closing
# line (CI reads it). Exit status: non-zero if any step failed.
test: deps venv ## swift test, then the interop suite, the e2e shell tests and bench-smoke; non-zero on any failure
	@failed=(); log="$(SCRATCH)/swift-test.log"; mkdir -p "$(SCRATCH)"; \
	$(SWIFT) test $(SWIFTPM) 2>&1 | tee "$$log" || failed+=("swift-test"); \
	$(MAKE) interop || failed+=("interop"); \
	$(MAKE) e2e || failed+=("e2e"); \
	$(MAKE) bench-smoke || failed+=("bench-smoke"); \
	closing="$$(grep -aE 'Test run with [0-9]+ tests? ' "$$log" | tail -1 || true)"; \
	if (( $${#failed[@]} )); then \
	  echo "make test: FAILED: $${failed[*]}"; \
	  if [[ " $${failed[*]} " == *" swift-test "* ]]; then \
	    echo "failing swift tests ($$log):"; \
	    grep -aE '✘|error: |Fatal error|fatal error|Caught signal|signal [0-9]+' "$$log" | cut -c1-400 | head -60 || true; \
	    [[ -n "$$closing" ]] || { echo "swift test printed no closing line; its last lines:"; tail -n 30 "$$log"; }; \
	  fi; \
	else echo "make test: swift test, interop, e2e and bench-smoke passed"; fi; \
	[[ -z "$$closing" ]] || echo "$$closing"; \
	(( ! $${#failed[@]} ))

# pytest exits 5 when it collected no tests; like any non-zero status that fails the target.
interop: venv build ## Interop suite: our tables read by DuckDB/pyarrow/Polars/deltalake, theirs by us
	FS_BIN_DIR=$(DEBUG_BIN) $(PY) -m pytest tests/interop -p no:cacheprovider -q -rfEs

# Each tests/e2e/NN_*.sh runs run-all.sh/stop-all.sh on the debug build in its own temporary
# FS_HOME (kept on failure).
e2e: build ## End-to-end shell tests: run-all.sh, kill -9 and restart, stop-all.sh (tests/e2e)
	FS_BIN_DIR=$(DEBUG_BIN) tests/e2e/run.sh

golden: venv-bench deps-java ## Regenerate the golden files with their reference scripts (scripts/golden/*.py)
	@shopt -s nullglob; scripts=(scripts/golden/*.py); \
	if (( ! $${#scripts[@]} )); then echo "golden: no scripts in scripts/golden/"; exit 0; fi; \
	for s in "$${scripts[@]}"; do echo "golden: $$s"; $(PY) "$$s"; done

bench: release venv-bench deps-java ## Release build + full benchmark (BENCH_ROWS orders); rewrites BENCHMARKS.md
	$(PY) bench/run.py --rows $(BENCH_ROWS) --offline-rows $(BENCH_OFFLINE_ROWS) --runs $(BENCH_RUNS) --bin-dir $(RELEASE_BIN) \
	    --report BENCHMARKS.md --command "make bench BENCH_ROWS=$(BENCH_ROWS) BENCH_OFFLINE_ROWS=$(BENCH_OFFLINE_ROWS) BENCH_RUNS=$(BENCH_RUNS)"

bench-smoke: build venv-bench deps-java ## Every workload at a tiny size (debug build): outputs must agree
	$(PY) bench/run.py --smoke --bin-dir $(DEBUG_BIN)

# The whole system on this machine for RUN_SECONDS (run-all.sh: sandbox broker, looping replay,
# four ingest streams, online aggregation, publishers, the offline job once), then what each stage
# produced (scripts/run/fs_report.py: row counts, late and quarantine counts, served vectors next
# to the online table's newest windows), then stop-all.sh. Packages first, then the release build:
# on a fresh machine the build needs the C headers that `deps` installs. Non-zero if a stage
# produced nothing. FS_FRESH=1: a previous run's tables (fed by a sandbox broker that is gone) are
# removed from FS_HOME/data.
run: deps ## deps, release build, run-all.sh, RUN_SECONDS of work, per-stage counts and served vectors, stop-all.sh
	@$(MAKE) release
	@export FS_HOME="$(FS_HOME)" FS_BIN_DIR="$(RELEASE_BIN)" FS_FRESH=1; \
	trap './stop-all.sh' EXIT; \
	./run-all.sh; \
	echo; echo "run: letting the pipeline work for $(RUN_SECONDS) s (RUN_SECONDS)"; sleep $(RUN_SECONDS); echo; \
	python3 scripts/run/fs_report.py report "$$FS_HOME"

clean: ## Remove build products and benchmark scratch data (keeps .venv)
	rm -rf $(SCRATCH) .bench bench-data

distclean: clean ## clean, and remove .venv too
	rm -rf $(VENV)
