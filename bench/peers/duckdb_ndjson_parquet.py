#!/usr/bin/env python3
"""The ingest workload's second peer, without Kafka: DuckDB converting the NDJSON order events
from files into a year/month/day-partitioned ZSTD Parquet dataset.

    duckdb_ndjson_parquet.py --source orders.ndjson --out DIR [--threads N]

The work fs-ingest does per message minus the broker: parse JSON, type the columns (fs-ingest's
order-events schema: timestamps, the `items` JSON text as a string, doubles, booleans), derive
the event-time partition columns from `order_created_at`, and write ZSTD Parquet under
`fs_year=/fs_month=/fs_day=` directories (`COPY … (FORMAT parquet, PARTITION_BY …)`). DuckDB
uses every core. Prints {"rows": n, "files": n, "seconds": wall time of the conversion}.
"""

from __future__ import annotations

import argparse
import json
import os
import shutil
import sys
import time

STRING_FIELDS = [
    "customer_id", "cpf", "customer_name", "delivery_address_city", "delivery_address_country",
    "delivery_address_district", "delivery_address_external_id", "delivery_address_latitude",
    "delivery_address_longitude", "delivery_address_state", "delivery_address_zip_code", "items", "merchant_id",
    "merchant_latitude", "merchant_longitude", "merchant_timezone", "order_id", "origin_platform",
]


def main() -> int:
    ap = argparse.ArgumentParser()
    ap.add_argument("--source", required=True)
    ap.add_argument("--out", required=True)
    ap.add_argument("--threads", type=int, default=os.cpu_count() or 1)
    args = ap.parse_args()
    import duckdb

    shutil.rmtree(args.out, ignore_errors=True)
    # The schema is given, not sniffed: fs-ingest knows its stream's schema too.
    columns = {name: "VARCHAR" for name in STRING_FIELDS}
    columns.update({"order_created_at": "TIMESTAMP", "order_scheduled": "BOOLEAN", "order_total_amount": "DOUBLE"})
    spec = "{" + ", ".join(f"'{k}': '{v}'" for k, v in columns.items()) + "}"
    started = time.monotonic()
    con = duckdb.connect()
    con.execute(f"SET threads = {args.threads}")
    con.execute(f"""
        COPY (
            SELECT *, year(order_created_at)::INTEGER AS fs_year, month(order_created_at)::INTEGER AS fs_month,
                   day(order_created_at)::INTEGER AS fs_day
            FROM read_json('{args.source}', format = 'newline_delimited', columns = {spec})
        ) TO '{args.out}' (FORMAT parquet, COMPRESSION zstd, PARTITION_BY (fs_year, fs_month, fs_day))
    """)
    seconds = time.monotonic() - started
    rows = con.execute(f"SELECT count(*) FROM read_parquet('{args.out}/**/*.parquet')").fetchone()[0]
    files = sum(len([f for f in fs if f.endswith(".parquet")]) for _, _, fs in os.walk(args.out))
    print(json.dumps({"rows": int(rows), "files": files, "seconds": round(seconds, 3)}))
    return 0


if __name__ == "__main__":
    sys.exit(main())
