"""Airflow DAG: the offline features of each day ({{ ds }}), then their publication to the SQLite
store applications read (table order_agg_offline, each customer's newest vector).

Commands of examples/cron/offline-daily.sh, one task each, so a failed publish is retried
without recomputing the features. fs-agg-offline replaces the day's partition, so a
backfill or a retry never duplicates; fs-publish copies only what is new. Set the Airflow
Variables fs_bin (the directory of the fs-* binaries) and fs_data (the data directory).
tests/e2e/05_the_scheduler_examples_work.sh renders and runs both commands.
"""
from datetime import datetime, timedelta

from airflow import DAG
from airflow.operators.bash import BashOperator

OFFLINE_COMMAND = (
    "{{ var.value.fs_bin }}/fs-agg-offline dev --master-mode 'local[*]'"
    " --input-data-table {{ var.value.fs_data }}/ingestion/order-events"
    " --output-data-table {{ var.value.fs_data }}/aggregations/offline/order-agg"
    " --time-field order_created_at --start-date {{ macros.ds_add(ds, -2) }} --end-date {{ ds }}"
    " --group-field customer_id --summary"
)
PUBLISH_COMMAND = (
    "{{ var.value.fs_bin }}/fs-publish dev --publisher-type sqlite"
    " --input-table {{ var.value.fs_data }}/aggregations/offline/order-agg"
    " --sqlite-path {{ var.value.fs_data }}/features.db --output-table order_agg_offline --summary"
)

with DAG(
    dag_id="fs_offline_features",
    start_date=datetime(2024, 1, 1),
    schedule="30 0 * * *",
    catchup=False,
    default_args={"retries": 2, "retry_delay": timedelta(minutes=5)},
    tags=["fs"],
) as dag:
    offline = BashOperator(task_id="fs_agg_offline", bash_command=OFFLINE_COMMAND)
    publish = BashOperator(task_id="fs_publish", bash_command=PUBLISH_COMMAND)
    offline >> publish
