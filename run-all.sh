#!/usr/bin/env bash
# run-all.sh — the whole feature store on one machine (DESIGN §8).
#
#   sandbox broker ─► replay (4 sources, looping, re-timed to now) ─► 4 × fs-ingest
#       ─► fs-agg-online (order stream) ─► fs-publish --follow ─► SQLite store (data/features.db)
#                                      └─► fs-publish historical (once, as cron would)
#       ─► fs-agg-offline once ─► fs-publish ─► SQLite store
#
# Every long-running job is started in the background with its own log (logs/<job>.log) and pid
# file (run/<job>.pid); readiness is observed (bootstrap file, first table commit, first closed
# window), never slept for. Run it again while jobs are running: only the jobs that are not
# alive are started, never a second copy (a keep-alive for cron). stop-all.sh stops them.
#
# Environment (defaults in brackets):
#   FS_HOME [/tmp/ifood]           data/ logs/ run/ live here
#   FS_BIN_DIR [.build/release]    the fs-* binaries (falls back to .build/debug when release is not built)
#   KAFKA_BROKERS [unset]          use these brokers instead of starting the sandbox broker
#   FS_REPLAY [1]                  0: do not replay the sample sources into the topics
#   FS_RATE [400]                  replayed events per second, all four sources together
#   FS_WINDOW ["5 seconds"], FS_SLIDE ["5 seconds"], FS_WATERMARK ["10 seconds"]
#                                  fs-agg-online's windows (the original's run-all.sh values)
#   FS_READY_TIMEOUT [180]         seconds to wait for each readiness sign before failing
#   FS_FRESH [0]                   1: remove data/ first when the sandbox broker must be (re)started
set -euo pipefail

ROOT="$(cd "$(dirname "${BASH_SOURCE[0]}")" && pwd)"
FS_HOME="${FS_HOME:-/tmp/ifood}"
DATA="$FS_HOME/data"
LOGS="$FS_HOME/logs"
RUN="$FS_HOME/run"
FS_RATE="${FS_RATE:-400}"
FS_REPLAY="${FS_REPLAY:-1}"
FS_WINDOW="${FS_WINDOW:-5 seconds}"
FS_SLIDE="${FS_SLIDE:-5 seconds}"
FS_WATERMARK="${FS_WATERMARK:-10 seconds}"
FS_READY_TIMEOUT="${FS_READY_TIMEOUT:-180}"
FS_FRESH="${FS_FRESH:-0}"
STREAMS=(order-events order-status-events restaurant-events consumer-events)
declare -A SOURCE=([order-events]=order.json.gz [order-status-events]=status.json.gz
                   [restaurant-events]=restaurant.csv.gz [consumer-events]=consumer.csv.gz)
ONLINE="$DATA/aggregations/online/order-agg"
OFFLINE="$DATA/aggregations/offline/order-agg"
HISTORICAL="$DATA/publisher/aggregations/order-agg"
STORE="$DATA/features.db"

say() { printf 'run-all: %s\n' "$*"; }
fail() { printf 'run-all: FAILED: %s\n' "$*" >&2; exit 1; }

# --- binaries -------------------------------------------------------------------------------
BINS=(fs-sandbox fs-ingest fs-agg-online fs-agg-offline fs-publish fs-table)
has_all_bins() { local b; for b in "${BINS[@]}"; do [[ -x "$1/$b" ]] || return 1; done; }
if [[ -n "${FS_BIN_DIR:-}" ]]; then
    has_all_bins "$FS_BIN_DIR" || fail "FS_BIN_DIR=$FS_BIN_DIR lacks one of: ${BINS[*]} (build them with 'swift build -c release')"
    BIN="$FS_BIN_DIR"
elif has_all_bins "$ROOT/.build/release"; then
    BIN="$ROOT/.build/release"
elif has_all_bins "$ROOT/.build/debug"; then
    BIN="$ROOT/.build/debug"
    say "no release build in $ROOT/.build/release; using the debug build in $BIN"
else
    fail "no fs-* binaries in $ROOT/.build/release or $ROOT/.build/debug: run 'make release' (or set FS_BIN_DIR)"
fi

BIN="$(cd "$BIN" && pwd)"
PYTHON=python3; [[ -x "$ROOT/.venv/bin/python" ]] && PYTHON="$ROOT/.venv/bin/python"  # DuckDB is in the venv (make venv)
mkdir -p "$DATA" "$LOGS" "$RUN"

# One run-all.sh at a time per FS_HOME (cron keep-alives may overlap a slow start): the lock is
# held on fd 9 until this script exits; the jobs are started with fd 9 closed, so they do not hold it.
exec 9>"$RUN/run-all.lock"
flock -n 9 || fail "another run-all.sh is starting jobs in $FS_HOME (lock $RUN/run-all.lock); not starting a second copy"

# --- jobs: start, observe, fail with the log tail -------------------------------------------

# The pid of a job if it is alive and still the binary we started (a pid file can outlive its
# process and the pid be reused); empty otherwise.
alive_pid() {
    local name="$1" pid bin
    [[ -s "$RUN/$name.pid" ]] || return 0
    pid="$(<"$RUN/$name.pid")"
    bin="$(cat "$RUN/$name.bin" 2>/dev/null || true)"
    if kill -0 "$pid" 2>/dev/null && [[ "$(cat "/proc/$pid/comm" 2>/dev/null)" == "${bin:0:15}" ]]; then echo "$pid"; fi
}

STARTED=()
ALREADY=()

# start NAME BINARY ARGS… — unless NAME is alive: runs BINARY in its own session, output appended
# to logs/NAME.log. A small bash waiter (also in that session) writes the pid to run/NAME.pid
# and, when the job ends, its exit status to run/NAME.exit (stop-all.sh reports it).
start() {
    local name="$1" bin="$2"; shift 2
    local pid; pid="$(alive_pid "$name")"
    if [[ -n "$pid" ]]; then ALREADY+=("$name"); say "$name is running (pid $pid)"; return 0; fi
    rm -f "$RUN/$name.pid" "$RUN/$name.exit"
    echo "$bin" > "$RUN/$name.bin"
    printf '\n=== %s run-all.sh: %s %s\n' "$(date -u +%FT%TZ)" "$bin" "$*" >> "$LOGS/$name.log"
    setsid bash -c 'log="$1" pidf="$2" exitf="$3"; shift 3
        "$@" >>"$log" 2>&1 </dev/null &
        echo $! > "$pidf.tmp"; mv "$pidf.tmp" "$pidf"
        wait $!; echo $? > "$exitf"' fs-waiter "$LOGS/$name.log" "$RUN/$name.pid" "$RUN/$name.exit" \
        "$BIN/$bin" "$@" </dev/null >/dev/null 2>&1 9>&- &
    local i
    for ((i = 0; i < 100; i++)); do [[ -s "$RUN/$name.pid" ]] && break; sleep 0.05; done
    [[ -s "$RUN/$name.pid" ]] || fail "$name: no pid file after starting $bin"
    STARTED+=("$name")
    say "started $name (pid $(<"$RUN/$name.pid")), log $LOGS/$name.log"
}

# Fails with the job's last log lines when a job this run started or found has exited.
check_jobs() {
    local name i
    for name in "${STARTED[@]}" "${ALREADY[@]}"; do
        [[ -n "$(alive_pid "$name")" ]] && continue
        local status="unknown"
        for ((i = 0; i < 20; i++)); do [[ -s "$RUN/$name.exit" ]] && break; sleep 0.05; done
        [[ -s "$RUN/$name.exit" ]] && status="$(<"$RUN/$name.exit")"
        printf 'run-all: FAILED: %s exited (status %s); last lines of %s:\n' "$name" "$status" "$LOGS/$name.log" >&2
        tail -n 15 "$LOGS/$name.log" | sed 's/^/    /' >&2
        exit 1
    done
}

# await DESCRIPTION COMMAND… — polls COMMAND until it succeeds, checking every job meanwhile.
await() {
    local what="$1"; shift
    local deadline=$((SECONDS + FS_READY_TIMEOUT))
    until "$@" >/dev/null 2>&1; do
        check_jobs
        ((SECONDS < deadline)) || fail "timed out after ${FS_READY_TIMEOUT}s waiting for $what"
        sleep 0.2
    done
    say "ready: $what"
}

has_commit() { [[ -e "$1/_delta_log/00000000000000000000.json" ]]; }
has_rows() { has_commit "$1" && "$BIN/fs-table" info "$1" | grep -q '"numRecords":[1-9]'; }
# has_published TABLE — the SQLite store serves at least one vector from TABLE.
has_published() {
    [[ -e "$STORE" ]] && python3 -c 'import sqlite3, sys
con = sqlite3.connect("file:" + sys.argv[1] + "?mode=ro", uri=True)
sys.exit(0 if con.execute("SELECT count(*) FROM \"%s\"" % sys.argv[2]).fetchone()[0] > 0 else 1)' "$STORE" "$1"
}

# run_once NAME BINARY ARGS… — a batch step (as cron would run it): foreground, logged, must exit 0.
run_once() {
    local name="$1" bin="$2"; shift 2
    printf '\n=== %s run-all.sh: %s %s\n' "$(date -u +%FT%TZ)" "$bin" "$*" >> "$LOGS/$name.log"
    say "running $name"
    if ! "$BIN/$bin" "$@" >>"$LOGS/$name.log" 2>&1 </dev/null 9>&-; then
        printf 'run-all: FAILED: %s exited non-zero; last lines of %s:\n' "$name" "$LOGS/$name.log" >&2
        tail -n 15 "$LOGS/$name.log" | sed 's/^/    /' >&2
        exit 1
    fi
}

# --- broker -----------------------------------------------------------------------------------
if [[ -n "${KAFKA_BROKERS:-}" ]]; then
    BROKERS="$KAFKA_BROKERS"
    say "using KAFKA_BROKERS=$BROKERS (no sandbox broker)"
else
    if [[ -z "$(alive_pid broker)" ]]; then
        # The mock broker keeps its topics in memory: a new one starts empty, behind the offsets
        # the ingestion tables committed from the old one.
        if [[ -d "$DATA/ingestion" ]]; then
            if [[ "$FS_FRESH" == 1 ]]; then
                say "FS_FRESH=1: removing $DATA (tables fed by a sandbox broker that is gone)"
                pids=""; for f in "$RUN"/*.pid; do [[ -e "$f" ]] && pids+=" $(basename "$f" .pid)"; done
                for n in $pids; do [[ -z "$(alive_pid "$n")" ]] || fail "$n is still running: run stop-all.sh first"; done
                rm -rf "$DATA"; mkdir -p "$DATA"
            else
                fail "$DATA holds tables fed by a sandbox broker that is no longer running (its topics lived in memory, so a new broker would start behind their committed offsets). Run stop-all.sh, then remove $DATA or run with FS_FRESH=1."
            fi
        fi
        rm -f "$RUN/bootstrap"
    fi
    start broker fs-sandbox broker --partitions 4 --bootstrap-file "$RUN/bootstrap"
    await "sandbox broker (bootstrap file $RUN/bootstrap)" test -s "$RUN/bootstrap"
    BROKERS="$(head -1 "$RUN/bootstrap")"
fi

# --- continuous replay --------------------------------------------------------------------------
if [[ "$FS_REPLAY" == 1 ]]; then
    # FS_RATE is shared in proportion to the sources' sizes, so the four streams loop together.
    declare -A LINES
    total=0
    for st in "${STREAMS[@]}"; do
        LINES[$st]="$(gzip -dc "$ROOT/examples/data/${SOURCE[$st]}" | wc -l)"
        total=$((total + LINES[$st]))
    done
    tag="$(date -u +%s)"
    for st in "${STREAMS[@]}"; do
        rate=$(( FS_RATE * LINES[$st] / total )); ((rate >= 1)) || rate=1
        start "replay-$st" fs-sandbox produce --stream-type "$st" --source "$ROOT/examples/data/${SOURCE[$st]}" \
            --bootstrap-servers "$BROKERS" --loop --rate "$rate" --retime now --id-tag "$tag"
    done
fi

# --- ingestion ----------------------------------------------------------------------------------
for st in "${STREAMS[@]}"; do
    start "ingest-$st" fs-ingest dev --kafka-topics "de-$st" --master-mode 'local[*]' --kafka-brokers "$BROKERS" \
        --output-dir "$DATA/" --stream-type "$st" --max-offsets-per-trigger 50000
done
for st in "${STREAMS[@]}"; do await "fs-ingest $st (first commit of $DATA/ingestion/$st)" has_commit "$DATA/ingestion/$st"; done

# --- online aggregation (the original's line, windows from FS_WINDOW/FS_SLIDE/FS_WATERMARK) ----
start agg-online fs-agg-online dev --master-mode 'local[*]' --input-data-table "$DATA/ingestion/order-events/" \
    --output-data-table "$ONLINE" --window-duration "$FS_WINDOW" --window-slide-duration "$FS_SLIDE" \
    --watermark "$FS_WATERMARK" --time-field fs_ingestion_timestamp --group-field customer_id
await "fs-agg-online (first closed windows in $ONLINE)" has_rows "$ONLINE"

# --- the online features into the SQLite store, following each commit ----------------------------
# Key (customer_id) and time (window_end) come from the properties fs-agg-online records.
start publish-online-sqlite fs-publish dev --publisher-type sqlite --input-table "$ONLINE" \
    --output-table order_agg_online --sqlite-path "$STORE" --follow --trigger-interval 1s
await "fs-publish --follow (first vector in $STORE, table order_agg_online)" has_published order_agg_online

# --- publishing and the offline job, as cron would run them --------------------------------------
run_once publish-historical fs-publish dev --master-mode 'local[*]' --app-name publisher --publisher-type historical \
    --input-table "$ONLINE" --output-table "$HISTORICAL"
run_once agg-offline fs-agg-offline dev --master-mode 'local[*]' --input-data-table "$DATA/ingestion/order-events/" \
    --output-data-table "$OFFLINE" --time-field order_created_at --start-date 2018-02-01 --end-date "$(date -u +%F)" \
    --group-field customer_id
await "fs-agg-offline (rows in $OFFLINE)" has_rows "$OFFLINE"
run_once publish-offline-sqlite fs-publish dev --publisher-type sqlite --input-table "$OFFLINE" \
    --output-table order_agg_offline --sqlite-path "$STORE"
await "the offline features in $STORE (table order_agg_offline)" has_published order_agg_offline
check_jobs

customer="$(python3 -c 'import sqlite3, sys
con = sqlite3.connect("file:" + sys.argv[1] + "?mode=ro", uri=True)
print(con.execute("SELECT customer_id FROM order_agg_online ORDER BY window_end DESC LIMIT 1").fetchone()[0])' "$STORE")"

cat <<EOF

run-all: everything is up (${#STARTED[@]} started, ${#ALREADY[@]} already running). FS_HOME=$FS_HOME
  tables   $DATA/ingestion/{order-events,order-status-events,restaurant-events,consumer-events}
           $ONLINE   (late rows: ${ONLINE}_late)
           $OFFLINE
           $HISTORICAL
  store    $STORE   (SQLite: order_agg_online, followed; order_agg_offline; fs_publish_state)
  logs     $LOGS/<job>.log        pids  $RUN/<job>.pid        stop with  $ROOT/stop-all.sh
  look     sqlite3 -line $STORE "SELECT * FROM order_agg_online WHERE customer_id = '$customer'"
           $BIN/fs-table info $ONLINE
           $BIN/fs-table dump $ONLINE --columns customer_id,window_end,total-amount-sum-1h | tail
           $PYTHON -c "import duckdb; duckdb.sql(\"select count(*), max(window_end) from read_parquet('$ONLINE/*/*/*/*.parquet', hive_partitioning=true)\").show()"
EOF
