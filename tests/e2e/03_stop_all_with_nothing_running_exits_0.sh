#!/usr/bin/env bash
# stop-all.sh with nothing recorded (a fresh FS_HOME, then again after a run stopped) says so and exits 0.
source "$(dirname "$0")/lib.sh"

out="$("$REPO/stop-all.sh" 2>&1)" || die "stop-all.sh on an empty FS_HOME exited $?: $out"
[[ "$out" == *"nothing to stop"* ]] || die "stop-all.sh did not say there was nothing to stop: $out"

# Stale pid files (a job that died long ago) are cleaned up, not signalled, and still exit 0.
mkdir -p "$FS_HOME/run"
sleep 0.01 & dead=$!; wait "$dead"
echo "$dead" > "$FS_HOME/run/ingest-order-events.pid"; echo fs-ingest > "$FS_HOME/run/ingest-order-events.bin"
echo 0 > "$FS_HOME/run/ingest-order-events.exit"
out="$("$REPO/stop-all.sh" 2>&1)" || die "stop-all.sh with a stale pid file exited $?: $out"
[[ "$out" == *"ingest-order-events was not running: exited 0"* ]] || die "unexpected report: $out"
[[ "$out" == *"nothing was running"* ]] || die "unexpected summary: $out"
! compgen -G "$FS_HOME/run/*.pid" >/dev/null || die "stop-all.sh left pid files: $(ls "$FS_HOME/run")"
out="$("$REPO/stop-all.sh" 2>&1)" || die "a second stop-all.sh exited $?: $out"
[[ "$out" == *"nothing to stop"* ]] || die "second stop-all.sh: $out"
log "ok"
