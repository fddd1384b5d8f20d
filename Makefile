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

# `make run`: where the sample pipeline writes its tables, and how many rows.
DATA_DIR    ?= /tmp/ifood/data
RUN_ROWS    ?= 20000

.PHONY: help deps deps-java venv venv-bench build release test interop e2e golden bench bench-smoke run clean distclean

help: ## List the targets
	@echo "fs — make targets (variables: SCRATCH=$(SCRATCH) BENCH_ROWS=$(BENCH_ROWS) BENCH_OFFLINE_ROWS=$(BENCH_OFFLINE_ROWS) BENCH_RUNS=$(BENCH_RUNS) BENCH_SPARK=$(BENCH_SPARK) DATA_DIR=$(DATA_DIR))"
	@grep -E '^[a-z-]+:.*## ' $(MAKEFILE_LIST) | sed -E 's/^([a-z-]+):.*## (.*)/  \1\t\2/' | expand -t 16

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

# The sample pipeline that exists today: a generated order-like table (every column type,
# several commits, a checkpoint), then the historical publisher copying and compacting it.
# The ingest issue replaces the first step with fs-ingest on the sandbox broker.
run: deps release venv ## Release build, sandbox broker + the examples ingested into DATA_DIR, then the sample publish
	@dir="$(DATA_DIR)"; mkdir -p "$$dir"; bf="$$dir/.sandbox-bootstrap"; rm -f "$$bf"; \
	for st in order-events order-status-events restaurant-events consumer-events; do rm -rf "$$dir/ingestion/$$st" "$$dir/quarantine/$$st"; done; \
	echo "+ fs-sandbox broker --bootstrap-file $$bf &"; \
	$(RELEASE_BIN)/fs-sandbox broker --bootstrap-file "$$bf" > "$$dir/sandbox-broker.log" 2>&1 & broker=$$!; \
	trap 'kill $$broker 2>/dev/null || true' EXIT; \
	for i in $$(seq 100); do [[ -s "$$bf" ]] && break; sleep 0.1; done; \
	[[ -s "$$bf" ]] || { echo "fs-sandbox broker did not start (see $$dir/sandbox-broker.log)"; exit 1; }; \
	brokers="$$(head -1 "$$bf")"; echo "  broker pid $$broker at $$brokers"; \
	for pair in order-events:order.json.gz order-status-events:status.json.gz restaurant-events:restaurant.csv.gz consumer-events:consumer.csv.gz; do \
	  st="$${pair%%:*}"; src="examples/data/$${pair#*:}"; \
	  echo "+ fs-sandbox produce --stream-type $$st --source $$src --retime keep"; \
	  $(RELEASE_BIN)/fs-sandbox produce --stream-type "$$st" --source "$$src" --bootstrap-servers "$$brokers" --retime keep >/dev/null; \
	done; \
	for st in order-events order-status-events restaurant-events consumer-events; do \
	  echo "+ fs-ingest dev --kafka-brokers $$brokers --data-dir $$dir --stream-type $$st --available-now --summary"; \
	  $(RELEASE_BIN)/fs-ingest dev --kafka-brokers "$$brokers" --data-dir "$$dir" --stream-type "$$st" --available-now --summary --log-level warning; \
	done; \
	kill $$broker; wait $$broker || true; trap - EXIT; echo "  broker pid $$broker stopped"; \
	echo; echo "ingested tables (Delta, partitioned fs_year/fs_month/fs_day):"; \
	for st in order-events order-status-events restaurant-events consumer-events; do echo "  $$dir/ingestion/$$st   (quarantine: $$dir/quarantine/$$st)"; done; \
	echo "read with DuckDB:"; \
	echo "  $(PY) -c \"import duckdb; duckdb.sql(\\\"select fs_year, fs_month, count(*), sum(order_total_amount) from read_parquet('$$dir/ingestion/order-events/*/*/*/*.parquet', hive_partitioning=true) group by all order by all\\\").show()\""; \
	echo
	@in="$(DATA_DIR)/ingestion/sample"; out="$(DATA_DIR)/publisher/historical-sample"; \
	rm -rf "$$in" "$$out"; mkdir -p "$(DATA_DIR)/ingestion" "$(DATA_DIR)/publisher"; \
	echo "+ fs-table write-sample $$in --rows $(RUN_ROWS) --commits 12 --checkpoint-interval 10"; \
	$(RELEASE_BIN)/fs-table write-sample "$$in" --rows $(RUN_ROWS) --commits 12 --checkpoint-interval 10 >/dev/null; \
	echo "+ fs-publish --publisher-type historical --input-table $$in --output-table $$out"; \
	$(RELEASE_BIN)/fs-publish --publisher-type historical --input-table "$$in" --output-table "$$out"; \
	echo; echo "tables:"; \
	for t in "$$in" "$$out"; do echo "  $$t"; $(RELEASE_BIN)/fs-table info "$$t" | $(PY) -c 'import json,sys; i=json.load(sys.stdin); print("    version %s, %s files, %s rows" % (i["version"], i["numFiles"], i["numRecords"]))'; done; \
	echo "read with DuckDB:"; \
	echo "  $(PY) -c \"import duckdb; duckdb.sql(\\\"select fs_year, fs_month, count(*) from read_parquet('$$out/*/*/*/*.parquet', hive_partitioning=true) group by all order by all\\\").show()\""

clean: ## Remove build products and benchmark scratch data (keeps .venv)
	rm -rf $(SCRATCH) .bench bench-data

distclean: clean ## clean, and remove .venv too
	rm -rf $(VENV)
