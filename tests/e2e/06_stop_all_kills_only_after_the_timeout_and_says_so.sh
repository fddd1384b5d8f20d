#!/usr/bin/env bash
# A recorded job that ignores SIGTERM is sent SIGKILL only after FS_STOP_TIMEOUT, and stop-all.sh
# says so; a process that is not the recorded binary (a reused pid) is never signalled.
source "$(dirname "$0")/lib.sh"
mkdir -p "$FS_HOME/run"

# Both run detached (not children of this shell), as run-all.sh's jobs are.
stubborn="$(bash -c '( trap "" TERM; exec sleep 300 ) </dev/null >/dev/null 2>&1 & echo $!')"
echo "$stubborn" > "$FS_HOME/run/agg-online.pid"; echo sleep > "$FS_HOME/run/agg-online.bin"
# A live process whose pid file names another binary: stop-all.sh must treat the job as gone.
bystander="$(bash -c 'sleep 300 </dev/null >/dev/null 2>&1 & echo $!')"
echo "$bystander" > "$FS_HOME/run/ingest-order-events.pid"; echo fs-ingest > "$FS_HOME/run/ingest-order-events.bin"

start=$SECONDS
out="$(FS_STOP_TIMEOUT=2 "$REPO/stop-all.sh" 2>&1)" || die "stop-all.sh exited $?: $out"
elapsed=$((SECONDS - start))
[[ "$out" == *"agg-online (pid $stubborn): SIGTERM"* ]] || die "no SIGTERM first: $out"
[[ "$out" == *"agg-online (pid $stubborn) still running after 2s: SIGKILL"* ]] || die "stop-all.sh did not say it used SIGKILL: $out"
[[ "$out" == *"1 with SIGKILL"* ]] || die "the summary does not count the SIGKILL: $out"
[[ "$out" == *"ingest-order-events was not running"* ]] || die "the bystander was taken for the job: $out"
((elapsed >= 2)) || die "SIGKILL came before FS_STOP_TIMEOUT (${elapsed}s)"
! kill -0 "$stubborn" 2>/dev/null || die "the stubborn job survived"
kill -0 "$bystander" 2>/dev/null || die "stop-all.sh signalled a process it did not start"
kill "$bystander"
! compgen -G "$FS_HOME/run/*.pid" >/dev/null || die "pid files left: $(ls "$FS_HOME/run")"
log "ok"
