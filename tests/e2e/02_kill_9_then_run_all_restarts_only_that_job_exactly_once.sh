#!/usr/bin/env bash
# kill -9 of one job mid-run; run-all.sh again restarts that job only (the others keep their
# pids); once the replays stop and the streams catch up, every produced event is in the
# ingestion tables exactly once (rows + quarantine = messages in the topic, no Kafka
# coordinate twice; the status stream by status_id, as its source repeats events), and the
# SQLite store serves each key's newest online window.
# Default: fs-ingest of the order stream is killed. FS_LONG_TESTS=1: then fs-agg-online, the
# SQLite follower and the status stream's fs-ingest too, one after another.
source "$(dirname "$0")/lib.sh"
DATA="$FS_HOME/data"
STREAMS=(order-events order-status-events restaurant-events consumer-events)
VICTIMS=(ingest-order-events)
if [[ "${FS_LONG_TESTS:-}" == 1 ]]; then VICTIMS+=(agg-online publish-online-sqlite ingest-order-status-events agg-online); fi

FS_RATE=300 "$REPO/run-all.sh" > "$FS_HOME/run-all-0.out" 2>&1 || { cat "$FS_HOME/run-all-0.out"; die "first run-all.sh failed"; }
declare -A before
for f in "$FS_HOME"/run/*.pid; do before[$(basename "$f" .pid)]="$(<"$f")"; done
all_pids=("${before[@]}")

cycle=0
for victim in "${VICTIMS[@]}"; do
    cycle=$((cycle + 1))
    v="$(version "$DATA/aggregations/online/order-agg")"
    wait_until 90 "two more online commits" bash -c "(( \$(\"$FS_TABLE\" info '$DATA/aggregations/online/order-agg' | python3 -c 'import json,sys; print(json.load(sys.stdin)[\"version\"])') >= $v + 2 ))"
    kill -9 "${before[$victim]}"
    wait_until 10 "the waiter to record the kill" test -s "$FS_HOME/run/$victim.exit"
    [[ "$(<"$FS_HOME/run/$victim.exit")" == 137 ]] || die "$victim's recorded status is $(<"$FS_HOME/run/$victim.exit"), not 137"
    log "cycle $cycle: killed $victim (pid ${before[$victim]}) with SIGKILL"

    "$REPO/run-all.sh" > "$FS_HOME/run-all-$cycle.out" 2>&1 || { cat "$FS_HOME/run-all-$cycle.out"; die "run-all.sh after killing $victim failed"; }
    started="$(grep -c '^run-all: started ' "$FS_HOME/run-all-$cycle.out" || true)"
    ((started == 1)) || die "run-all.sh started $started jobs after $victim died: $(grep '^run-all: started ' "$FS_HOME/run-all-$cycle.out")"
    grep -q "^run-all: started $victim " "$FS_HOME/run-all-$cycle.out" || die "run-all.sh did not restart $victim"
    for name in "${!before[@]}"; do
        now="$(<"$FS_HOME/run/$name.pid")"
        if [[ "$name" == "$victim" ]]; then
            [[ "$now" != "${before[$name]}" ]] || die "$victim kept its dead pid"
            before[$name]="$now"; all_pids+=("$now")
        else
            [[ "$now" == "${before[$name]}" ]] || die "$name was restarted (pid ${before[$name]} -> $now)"
        fi
    done
done

# Stop feeding, then wait for every stream to hold what its topic holds, each event once.
"$REPO/stop-all.sh" replay-order-events replay-order-status-events replay-restaurant-events replay-consumer-events > "$FS_HOME/stop-replays.out"
brokers="$(head -1 "$FS_HOME/run/bootstrap")"
declare -A ID_FIELD=([order-status-events]=status_id)  # the status source repeats events; fs-ingest drops the repeats
for st in "${STREAMS[@]}"; do
    python3 "$REPO/scripts/run/fs_report.py" exactly-once "$DATA/ingestion/$st" "$DATA/quarantine/$st" "$brokers" "de-$st" 120 ${ID_FIELD[$st]:-} \
        || die "$st does not hold every event of de-$st exactly once"
done
"$REPO/stop-all.sh" ingest-order-events ingest-order-status-events ingest-restaurant-events ingest-consumer-events agg-online > "$FS_HOME/stop-feeders.out"
python3 "$REPO/scripts/run/fs_report.py" vectors-equal "$FS_HOME" 60 || die "the SQLite store does not serve the online table's newest windows"

out="$("$REPO/stop-all.sh" 2>&1)" || die "stop-all.sh exited $?: $out"
no_process_left "${all_pids[@]}"
log "ok"
