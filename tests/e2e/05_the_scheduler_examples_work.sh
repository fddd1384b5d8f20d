#!/usr/bin/env bash
# The scheduler recipes in examples/ run as written: each crontab line as cron runs it (/bin/sh,
# only the crontab's environment), the Airflow DAG's two commands rendered for today, and the
# systemd ingest unit's ExecStart for one stream (started, first commit, SIGTERM -> exit 0).
source "$(dirname "$0")/lib.sh"
DATA="$FS_HOME/data"

# --- cron -----------------------------------------------------------------------------------------
# /opt/fs is the checkout, /tmp/ifood the FS_HOME, /opt/fs/.build/release the binaries.
render() { sed -e "s#/opt/fs/.build/release#$FS_BIN_DIR#g" -e "s#/opt/fs#$REPO#g" -e "s#/tmp/ifood#$FS_HOME#g"; }
env_lines=(); commands=()
while IFS= read -r line; do
    [[ -z "$line" || "$line" == \#* ]] && continue
    if [[ "$line" =~ ^[A-Z_]+= ]]; then env_lines+=("$(render <<<"$line")"); continue; fi
    commands+=("$(render <<<"$line" | awk '{ $1=$2=$3=$4=$5=""; sub(/^ +/, ""); print }')")
done < "$REPO/examples/cron/crontab"
((${#commands[@]} == 2)) || die "expected 2 cron lines, found ${#commands[@]}"
cron() { env -i "${env_lines[@]}" FS_RATE=200 /bin/sh -c "$1"; }

log "cron: ${commands[0]}"
cron "${commands[0]}" || die "the keep-alive cron line failed: $(tail -20 "$FS_HOME/cron-run-all.log")"
grep -q "everything is up (11 started, 0 already running)" "$FS_HOME/cron-run-all.log" || die "first keep-alive: $(tail -5 "$FS_HOME/cron-run-all.log")"
cron "${commands[0]}" || die "the second keep-alive failed: $(tail -20 "$FS_HOME/cron-run-all.log")"
grep -q "everything is up (0 started, 11 already running)" "$FS_HOME/cron-run-all.log" || die "the second keep-alive started jobs: $(tail -5 "$FS_HOME/cron-run-all.log")"

log "cron: ${commands[1]}"
cron "${commands[1]}" || die "the daily offline cron line failed: $(tail -20 "$FS_HOME/cron-offline.log")"
# Yesterday holds no replayed events (they are re-timed to now): the line must still succeed
# and leave both tables in place.
(( $(version "$DATA/aggregations/offline/order-agg") >= 0 )) || die "the offline table was not written"
(( $(version "$DATA/publisher/aggregations/order-agg-offline") >= 0 )) || die "the offline features were not published"

# --- Airflow: both BashOperator commands, rendered for today ----------------------------------------
today="$(date -u +%F)"; two_days_ago="$(date -u -d "$today - 2 days" +%F)"
for name in OFFLINE_COMMAND PUBLISH_COMMAND; do
    command="$(python3 - "$REPO/examples/airflow/fs_offline_features.py" "$name" <<'PY'
import ast, sys
tree = ast.parse(open(sys.argv[1]).read())
for node in tree.body:
    if isinstance(node, ast.Assign) and node.targets[0].id == sys.argv[2]:
        print(ast.literal_eval(node.value))
PY
)"
    [[ -n "$command" ]] || die "no $name in the DAG"
    command="${command//\{\{ var.value.fs_bin \}\}/$FS_BIN_DIR}"
    command="${command//\{\{ var.value.fs_data \}\}/$DATA}"
    command="${command//\{\{ macros.ds_add(ds, -2) \}\}/$two_days_ago}"
    command="${command//\{\{ ds \}\}/$today}"
    [[ "$command" != *"{{"* ]] || die "unrendered template left in $name: $command"
    log "airflow: $command"
    bash -c "$command" > "$FS_HOME/airflow-$name.out" 2>&1 || die "the DAG's $name failed: $(tail -5 "$FS_HOME/airflow-$name.out")"
done
(( $(rows "$DATA/aggregations/offline/order-agg") > 0 )) || die "the DAG's offline run for $today wrote no rows"
served="$(python3 -c 'import sqlite3, sys; print(sqlite3.connect(sys.argv[1]).execute("SELECT count(*) FROM order_agg_offline WHERE feature_date = ?", (sys.argv[2],)).fetchone()[0])' "$DATA/features.db" "$today")"
((served > 0)) || die "the DAG's publish served no vector for $today"

# --- systemd: the ingest unit's ExecStart for one stream -------------------------------------------
exec_start="$(sed -n 's/^ExecStart=//p' "$REPO/examples/systemd/fs-ingest@.service")"
exec_start="${exec_start//%i/order-events}"
exec_start="${exec_start//\/opt\/fs\/bin/$FS_BIN_DIR}"
exec_start="${exec_start//\$\{KAFKA_BROKERS\}/$(head -1 "$FS_HOME/run/bootstrap")}"
exec_start="${exec_start//\$\{FS_DATA\}/$FS_HOME/systemd-data}"
log "systemd: $exec_start"
bash -c "exec $exec_start" > "$FS_HOME/systemd-ingest.log" 2>&1 &
unit=$!
wait_until 120 "the unit's first commit" test -e "$FS_HOME/systemd-data/ingestion/order-events/_delta_log/00000000000000000000.json"
kill -TERM "$unit"
set +e; wait "$unit"; status=$?; set -e
((status == 0)) || die "the unit's fs-ingest exited $status on SIGTERM: $(tail -5 "$FS_HOME/systemd-ingest.log")"

pids=(); for f in "$FS_HOME"/run/*.pid; do pids+=("$(<"$f")"); done
"$REPO/stop-all.sh" > /dev/null || die "stop-all.sh failed"
no_process_left "${pids[@]}"

# The SQLite follower unit over run-all's data (its own follower stopped): it catches up and
# stops cleanly on SIGTERM.
exec_start="$(sed -n 's/^ExecStart=//p' "$REPO/examples/systemd/fs-publish-online.service")"
exec_start="${exec_start//\/opt\/fs\/bin/$FS_BIN_DIR}"
exec_start="${exec_start//\$\{FS_DATA\}/$DATA}"
log "systemd: $exec_start"
bash -c "exec $exec_start" > "$FS_HOME/systemd-publish.log" 2>&1 &
unit=$!
wait_until 60 "the publish unit to catch up" bash -c "python3 '$REPO/scripts/run/fs_report.py' vectors-equal '$FS_HOME' 0 >/dev/null 2>&1"
kill -TERM "$unit"
set +e; wait "$unit"; status=$?; set -e
((status == 0)) || die "the publish unit exited $status on SIGTERM: $(tail -5 "$FS_HOME/systemd-publish.log")"
log "ok"
