#!/usr/bin/env bash
# stop-all.sh — stops the jobs run-all.sh started, and only those: the pids recorded in
# $FS_HOME/run/<job>.pid (never by process name). SIGTERM first — the streams finish and commit
# the batch in flight, then exit 0 — SIGKILL only for a job still alive after FS_STOP_TIMEOUT
# seconds (default 30), and it says so. Prints how each job ended and removes the pid files.
# Idempotent: with nothing running it says so and exits 0.
#
#   stop-all.sh            every job, in pipeline order (replays, ingest, online, publishers, broker)
#   stop-all.sh JOB…       only these jobs (names as in run/, e.g. replay-order-events)
set -euo pipefail

FS_HOME="${FS_HOME:-/tmp/ifood}"
RUN="$FS_HOME/run"
FS_STOP_TIMEOUT="${FS_STOP_TIMEOUT:-30}"

say() { printf 'stop-all: %s\n' "$*"; }

# Jobs recorded in run/, in the order they are stopped: producers before their consumers, so
# each stage commits what the stage before handed it; the broker last.
stage_of() {
    case "$1" in
        replay-*) echo 1 ;; ingest-*) echo 2 ;; agg-*) echo 3 ;; publish-*) echo 4 ;; broker) echo 6 ;; *) echo 5 ;;
    esac
}

if (($#)); then
    jobs=("$@")
    for name in "${jobs[@]}"; do [[ -e "$RUN/$name.pid" ]] || { say "no job '$name' recorded in $RUN"; exit 1; }; done
else
    jobs=()
    shopt -s nullglob
    for f in "$RUN"/*.pid; do jobs+=("$(basename "$f" .pid)"); done
fi
if ((${#jobs[@]} == 0)); then say "nothing to stop (no pid files in $RUN)"; exit 0; fi

# The recorded pid when it is alive and still runs the binary that was started (pid reuse).
alive_pid() {
    local name="$1" pid bin
    [[ -s "$RUN/$name.pid" ]] || return 0
    pid="$(<"$RUN/$name.pid")"
    bin="$(cat "$RUN/$name.bin" 2>/dev/null || true)"
    if kill -0 "$pid" 2>/dev/null && [[ "$(cat "/proc/$pid/comm" 2>/dev/null)" == "${bin:0:15}" ]]; then echo "$pid"; fi
}

# How a job ended, from the status its waiter recorded (run-all.sh's start()). WAIT=1: the job
# was just stopped, give its waiter up to 5 s to write the status.
describe_exit() {
    local name="$1" wait="${2:-0}" i status
    if ((wait)); then for ((i = 0; i < 50; i++)); do [[ -s "$RUN/$name.exit" ]] && break; sleep 0.1; done; fi
    if [[ ! -s "$RUN/$name.exit" ]]; then echo "ended (exit status not recorded)"; return; fi
    status="$(<"$RUN/$name.exit")"
    if ((status > 128)); then
        echo "killed by signal $((status - 128)) (status $status)"
    else
        echo "exited $status"
    fi
}

killed=0
running=0
for stage in 1 2 3 4 5 6; do
    members=()
    for name in "${jobs[@]}"; do [[ "$(stage_of "$name")" == "$stage" ]] && members+=("$name"); done
    ((${#members[@]})) || continue
    declare -A PIDS=()
    for name in "${members[@]}"; do
        pid="$(alive_pid "$name")"
        if [[ -z "$pid" ]]; then
            say "$name was not running: $(describe_exit "$name")"
            continue
        fi
        PIDS[$name]="$pid"
        running=$((running + 1))
        kill -TERM "$pid" 2>/dev/null || true
        say "$name (pid $pid): SIGTERM"
    done
    deadline=$((SECONDS + FS_STOP_TIMEOUT))
    while :; do
        left=()
        for name in "${!PIDS[@]}"; do kill -0 "${PIDS[$name]}" 2>/dev/null && left+=("$name"); done
        ((${#left[@]})) || break
        if ((SECONDS >= deadline)); then
            for name in "${left[@]}"; do
                say "$name (pid ${PIDS[$name]}) still running after ${FS_STOP_TIMEOUT}s: SIGKILL"
                kill -KILL "${PIDS[$name]}" 2>/dev/null || true
                killed=$((killed + 1))
            done
            deadline=$((SECONDS + 5))
            FS_STOP_TIMEOUT=5
        fi
        sleep 0.1
    done
    for name in "${members[@]}"; do
        [[ -n "${PIDS[$name]:-}" ]] && say "$name (pid ${PIDS[$name]}): $(describe_exit "$name" 1)"
    done
    unset PIDS
done
for name in "${jobs[@]}"; do rm -f "$RUN/$name.pid" "$RUN/$name.exit" "$RUN/$name.bin"; done
if ((running == 0)); then say "nothing was running"; else say "stopped $running job(s)$( ((killed)) && echo ", $killed with SIGKILL" )"; fi
