#!/usr/bin/env bash
# run-all.sh then stop-all.sh: every table has rows, the online windows written are closed ones,
# the SQLite store serves each key's newest online window (once the publisher caught up), every
# job ends with exit 0 on SIGTERM, and no process of ours is left.
source "$(dirname "$0")/lib.sh"
DATA="$FS_HOME/data"
ONLINE="$DATA/aggregations/online/order-agg"

FS_RATE=300 "$REPO/run-all.sh" > "$FS_HOME/run-all.out" 2>&1 || { cat "$FS_HOME/run-all.out"; die "run-all.sh failed"; }
grep -q "everything is up" "$FS_HOME/run-all.out" || die "run-all.sh did not report readiness"

# Let the online job close a few more windows after readiness.
v0="$(version "$ONLINE")"
wait_until 120 "three more online commits" bash -c "(( \$(\"$FS_TABLE\" info '$ONLINE' | python3 -c 'import json,sys; print(json.load(sys.stdin)[\"version\"])') >= $v0 + 3 ))"

for t in ingestion/order-events ingestion/order-status-events ingestion/restaurant-events ingestion/consumer-events \
         aggregations/online/order-agg aggregations/offline/order-agg publisher/aggregations/order-agg; do
    n="$(rows "$DATA/$t")"
    ((n > 0)) || die "$t has no rows"
    log "$t: $n rows"
done

# Append mode writes a window once, when the watermark (newest event time - 10 s) passed its end.
python3 "$REPO/scripts/run/fs_report.py" windows-closed "$FS_HOME" 10 || die "an online window was written before it closed"

for t in order_agg_online order_agg_offline; do
    n="$(python3 -c 'import sqlite3, sys; print(sqlite3.connect(sys.argv[1]).execute("SELECT count(*) FROM \"%s\"" % sys.argv[2]).fetchone()[0])' "$DATA/features.db" "$t")"
    ((n > 0)) || die "SQLite table $t has no rows"
    log "SQLite $t: $n rows"
done

pids=(); for f in "$FS_HOME"/run/*.pid; do pids+=("$(<"$f")"); done
((${#pids[@]} == 11)) || die "expected 11 recorded jobs, found ${#pids[@]}: $(ls "$FS_HOME/run")"
# Stop what feeds the online table, let the follower publish its last commit, compare.
first="$("$REPO/stop-all.sh" replay-order-events replay-order-status-events replay-restaurant-events replay-consumer-events \
         ingest-order-events ingest-order-status-events ingest-restaurant-events ingest-consumer-events agg-online 2>&1)" \
    || die "stop-all.sh (feeders) exited $?: $first"
python3 "$REPO/scripts/run/fs_report.py" vectors-equal "$FS_HOME" 60 || die "the SQLite store does not serve the online table's newest windows"
rest="$("$REPO/stop-all.sh" 2>&1)" || die "stop-all.sh exited $?: $rest"
out="$first"$'\n'"$rest"
printf '%s\n' "$out" > "$FS_HOME/stop-all.out"
(( $(grep -c ': exited 0$' <<<"$out") == 11 )) || die "not every job exited 0 on SIGTERM: $out"
! grep -q SIGKILL <<<"$out" || die "stop-all.sh needed SIGKILL: $out"
no_process_left "${pids[@]}"
! compgen -G "$FS_HOME/run/*.pid" >/dev/null || die "pid files left: $(ls "$FS_HOME/run")"
log "ok"
