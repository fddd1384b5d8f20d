#!/usr/bin/env bash
# While one run-all.sh holds FS_HOME's lock (starting jobs), a second one fails at once, says
# why, and starts nothing: overlapping cron keep-alives never start a second copy of a job.
source "$(dirname "$0")/lib.sh"
mkdir -p "$FS_HOME/run"
exec 8>"$FS_HOME/run/run-all.lock"
flock -n 8 || die "could not take the lock"

set +e
out="$("$REPO/run-all.sh" 2>&1)"; status=$?
set -e
exec 8>&-
((status != 0)) || die "a second run-all.sh succeeded while the lock was held: $out"
[[ "$out" == *"another run-all.sh is starting jobs in $FS_HOME"* ]] || die "unexpected message: $out"
! compgen -G "$FS_HOME/run/*.pid" >/dev/null || die "it started jobs: $(ls "$FS_HOME/run")"
log "ok"
