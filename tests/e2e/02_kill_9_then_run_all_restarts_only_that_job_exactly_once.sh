#!/usr/bin/env bash
# kill -9 of one job mid-run; run-all.sh again restarts that job only (the others keep their
# pids); once the replays stop and the streams catch up, every produced event is in the
# ingestion tables exactly once (rows + quarantine = messages in the topic, no Kafka
# coordinate twice).
source "$(dirname "$0")/lib.sh"
DATA="$FS_HOME/data"
VICTIM=ingest-order-events
STREAMS=(order-events order-status-events restaurant-events consumer-events)

FS_RATE=300 "$REPO/run-all.sh" > "$FS_HOME/run-all-1.out" 2>&1 || { cat "$FS_HOME/run-all-1.out"; die "first run-all.sh failed"; }
declare -A before
for f in "$FS_HOME"/run/*.pid; do before[$(basename "$f" .pid)]="$(<"$f")"; done

v="$(version "$DATA/ingestion/order-events")"
wait_until 60 "two more order-events commits" bash -c "(( \$(\"$FS_TABLE\" info '$DATA/ingestion/order-events' | python3 -c 'import json,sys; print(json.load(sys.stdin)[\"version\"])') >= $v + 2 ))"
kill -9 "${before[$VICTIM]}"
wait_until 10 "the waiter to record the kill" test -s "$FS_HOME/run/$VICTIM.exit"
[[ "$(<"$FS_HOME/run/$VICTIM.exit")" == 137 ]] || die "$VICTIM's recorded status is $(<"$FS_HOME/run/$VICTIM.exit"), not 137"
log "killed $VICTIM (pid ${before[$VICTIM]}) with SIGKILL"

"$REPO/run-all.sh" > "$FS_HOME/run-all-2.out" 2>&1 || { cat "$FS_HOME/run-all-2.out"; die "second run-all.sh failed"; }
started="$(grep -c '^run-all: started ' "$FS_HOME/run-all-2.out" || true)"
((started == 1)) || die "the second run-all.sh started $started jobs: $(grep '^run-all: started ' "$FS_HOME/run-all-2.out")"
grep -q "^run-all: started $VICTIM " "$FS_HOME/run-all-2.out" || die "the second run-all.sh did not restart $VICTIM"
for name in "${!before[@]}"; do
    now="$(<"$FS_HOME/run/$name.pid")"
    if [[ "$name" == "$VICTIM" ]]; then
        [[ "$now" != "${before[$name]}" ]] || die "$VICTIM kept its dead pid"
    else
        [[ "$now" == "${before[$name]}" ]] || die "$name was restarted (pid ${before[$name]} -> $now)"
    fi
done

# Stop feeding, then wait for every stream to hold what its topic holds, each event once.
"$REPO/stop-all.sh" replay-order-events replay-order-status-events replay-restaurant-events replay-consumer-events > "$FS_HOME/stop-replays.out"
brokers="$(head -1 "$FS_HOME/run/bootstrap")"
declare -A ID_FIELD=([order-status-events]=status_id)  # the status source repeats events; fs-ingest drops the repeats
for st in "${STREAMS[@]}"; do
    python3 "$REPO/scripts/run/fs_report.py" exactly-once "$DATA/ingestion/$st" "$DATA/quarantine/$st" "$brokers" "de-$st" 120 ${ID_FIELD[$st]:-} \
        || die "$st does not hold every event of de-$st exactly once"
done

pids=(); for f in "$FS_HOME"/run/*.pid; do pids+=("$(<"$f")"); done
out="$("$REPO/stop-all.sh" 2>&1)" || die "stop-all.sh exited $?: $out"
no_process_left "${pids[@]}" "${before[@]}"
log "ok"
