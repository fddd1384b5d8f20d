#!/usr/bin/env bash
# The offline features of one day (default: yesterday, UTC), then their publication — what the
# daily cron line (examples/cron/crontab) and the Airflow DAG (examples/airflow/) run.
#
#   offline-daily.sh [YYYY-MM-DD]
#
# fs-agg-offline computes the original's features (3-day and 1-day sums and averages of
# order_total_amount per customer_id) over the three days ending with the date and replaces that
# date's partition of the offline table (a re-run never duplicates); fs-publish copies what is new
# into the historical table and upserts each customer's newest vector into the SQLite store
# (data/features.db, table order_agg_offline). FS_HOME and FS_BIN_DIR as for run-all.sh.
set -euo pipefail
ROOT="$(cd "$(dirname "${BASH_SOURCE[0]}")/../.." && pwd)"
FS_HOME="${FS_HOME:-/tmp/ifood}"
DATA="$FS_HOME/data"
if [[ -n "${FS_BIN_DIR:-}" ]]; then BIN="$FS_BIN_DIR"
elif [[ -x "$ROOT/.build/release/fs-agg-offline" ]]; then BIN="$ROOT/.build/release"
else BIN="$ROOT/.build/debug"; fi
day="${1:-$(date -u -d yesterday +%F)}"
start="$(date -u -d "$day - 2 days" +%F)"

"$BIN/fs-agg-offline" dev --master-mode 'local[*]' --input-data-table "$DATA/ingestion/order-events" \
    --output-data-table "$DATA/aggregations/offline/order-agg" --time-field order_created_at \
    --start-date "$start" --end-date "$day" --group-field customer_id --summary
"$BIN/fs-publish" dev --master-mode 'local[*]' --publisher-type historical \
    --input-table "$DATA/aggregations/offline/order-agg" --output-table "$DATA/publisher/aggregations/order-agg-offline" --summary
"$BIN/fs-publish" dev --publisher-type sqlite --input-table "$DATA/aggregations/offline/order-agg" \
    --sqlite-path "$DATA/features.db" --output-table order_agg_offline --summary
