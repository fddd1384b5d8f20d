# Shared by tests/e2e/NN_*.sh (sourced). Each test gets its own FS_HOME under /tmp, removed when
# the test passes and kept (its path printed) when it fails; whatever the test started through
# run-all.sh is stopped by stop-all.sh on the way out, by recorded pid.
set -euo pipefail

REPO="$(cd "$(dirname "${BASH_SOURCE[0]}")/../.." && pwd)"
TEST_NAME="$(basename "$0" .sh)"
export FS_BIN_DIR="${FS_BIN_DIR:-$REPO/.build/debug}"
export FS_HOME="$(mktemp -d "/tmp/fs-e2e-${TEST_NAME%%_*}.XXXXXX")"
export FS_STOP_TIMEOUT="${FS_STOP_TIMEOUT:-30}"
export FS_READY_TIMEOUT="${FS_READY_TIMEOUT:-240}"
unset KAFKA_BROKERS
FS_TABLE="$FS_BIN_DIR/fs-table"

log() { printf '[%s] %s\n' "$TEST_NAME" "$*"; }
die() { printf '[%s] FAIL: %s\n' "$TEST_NAME" "$*" >&2; exit 1; }

finish() {
    local status=$?
    if compgen -G "$FS_HOME/run/*.pid" >/dev/null; then "$REPO/stop-all.sh" >/dev/null 2>&1 || true; fi
    if ((status == 0)); then
        rm -rf "$FS_HOME"
    else
        printf '[%s] failed (status %s); kept %s (logs in %s/logs)\n' "$TEST_NAME" "$status" "$FS_HOME" "$FS_HOME" >&2
    fi
}
trap finish EXIT

# rows TABLE — the table's row count (0 when it does not exist yet).
rows() {
    [[ -e "$1/_delta_log" ]] || { echo 0; return; }
    "$FS_TABLE" info "$1" | python3 -c 'import json,sys; print(json.load(sys.stdin)["numRecords"])'
}

# version TABLE — the table's latest version (-1 when it does not exist yet).
version() {
    [[ -e "$1/_delta_log" ]] || { echo -1; return; }
    "$FS_TABLE" info "$1" | python3 -c 'import json,sys; print(json.load(sys.stdin)["version"])'
}

# wait_until SECONDS DESCRIPTION COMMAND… — polls COMMAND (every 0.2 s) until it succeeds.
wait_until() {
    local limit="$1" what="$2"; shift 2
    local deadline=$((SECONDS + limit))
    until "$@"; do
        ((SECONDS < deadline)) || die "timed out after ${limit}s waiting for $what"
        sleep 0.2
    done
}

# job_pid NAME — the pid run-all.sh recorded for a job.
job_pid() { cat "$FS_HOME/run/$1.pid"; }

# no_process_left PID… — none of these pids is alive and nothing runs with FS_HOME in its command line.
no_process_left() {
    local pid
    for pid in "$@"; do ! kill -0 "$pid" 2>/dev/null || die "pid $pid is still alive after stop-all.sh"; done
    ! pgrep -f "$FS_HOME" >/dev/null || die "processes still mention $FS_HOME: $(pgrep -af "$FS_HOME" | head -5)"
}
