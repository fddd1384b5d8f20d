#!/usr/bin/env bash
# A job that cannot start (fs-agg-online given a window it rejects) makes run-all.sh fail with
# that job's own error message, and the jobs started before it are left for stop-all.sh.
source "$(dirname "$0")/lib.sh"

set +e
out="$(FS_WINDOW="5 lightyears" FS_RATE=100 "$REPO/run-all.sh" 2>&1)"; status=$?
set -e
((status != 0)) || die "run-all.sh succeeded with FS_WINDOW='5 lightyears': $out"
[[ "$out" == *"FAILED: agg-online exited (status 64)"* ]] || die "run-all.sh did not name the failed job and its status: $out"
[[ "$out" == *"fs-agg-online: error: --window-duration"* ]] || die "run-all.sh did not show fs-agg-online's message: $out"
[[ "$out" == *"lightyears"* ]] || die "the message does not quote the bad value: $out"

pids=(); for f in "$FS_HOME"/run/*.pid; do pids+=("$(<"$f")"); done
"$REPO/stop-all.sh" >/dev/null
no_process_left "${pids[@]}"
log "ok"
