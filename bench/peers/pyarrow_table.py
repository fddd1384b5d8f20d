#!/usr/bin/env python3
"""pyarrow peer of the table workloads: times pq.write_table / pq.read_table in-process.

    pyarrow_table.py write --input orders.parquet --output out.parquet
    pyarrow_table.py scan  --input out.parquet
    pyarrow_table.py checksum --input out.parquet
    pyarrow_table.py compare --input a.parquet --expected b.parquet
    pyarrow_table.py write-dataset --input orders.parquet --output dir
    pyarrow_table.py checksum-dataset --input dir      (hive directories, plain reader)
    pyarrow_table.py checksum-delta --input dir        (Delta table, read with deltalake)

`write` reads the input into memory first (untimed), then times only `pq.write_table(...,
compression='zstd')` — the same split `fs-bench table-write` makes. `scan` times only
`pq.read_table` and then computes the checksum (untimed) that `fs-bench table-scan` also prints,
so the harness can compare the two readers' results. Each prints one JSON object on stdout.
pyarrow runs with its defaults (multi-threaded), as a user would run it.
"""

from __future__ import annotations

import argparse
import json
import os
import sys
import time

import pyarrow as pa
import pyarrow.compute as pc
import pyarrow.dataset as ds
import pyarrow.parquet as pq

PARTITIONS = ["fs_year", "fs_month", "fs_day"]


def checksum(table: pa.Table) -> dict:
    """The figures both implementations compute from a scanned order table (see fs-bench)."""
    created = pc.min_max(pc.cast(table["order_created_at"], pa.int64())).as_py()
    return {
        "rows": table.num_rows,
        "distinct_order_ids": pc.count_distinct(table["order_id"]).as_py(),
        "amount_sum": pc.sum(table["order_total_amount"]).as_py() or 0.0,
        "items_bytes": pc.sum(pc.binary_length(table["items"])).as_py() or 0,
        "scheduled_date_nulls": table["order_scheduled_date"].null_count,
        "created_at_min_us": created["min"],
        "created_at_max_us": created["max"],
    }


def normalized(path: str) -> pa.Table:
    """A file's rows with schema metadata and nullability flags dropped, for value comparison."""
    table = pq.read_table(path)
    schema = pa.schema([pa.field(f.name, f.type) for f in table.schema])
    return table.cast(schema).replace_schema_metadata(None)


def main() -> int:
    ap = argparse.ArgumentParser()
    ap.add_argument("command", choices=["write", "scan", "checksum", "compare", "write-dataset",
                                        "checksum-dataset", "checksum-delta"])
    ap.add_argument("--input", required=True)
    ap.add_argument("--output")
    ap.add_argument("--expected")
    args = ap.parse_args()

    if args.command == "write":
        if not args.output:
            ap.error("write needs --output")
        table = pq.read_table(args.input)
        started = time.perf_counter()
        pq.write_table(table, args.output, compression="zstd")
        seconds = time.perf_counter() - started
        result = {"seconds": seconds, "rows": table.num_rows, "bytes": os.path.getsize(args.output)}
    elif args.command == "scan":
        started = time.perf_counter()
        table = pq.read_table(args.input)
        seconds = time.perf_counter() - started
        result = {"seconds": seconds, **checksum(table)}
    elif args.command == "write-dataset":
        if not args.output:
            ap.error("write-dataset needs --output")
        table = pq.read_table(args.input)
        partitioning = ds.partitioning(pa.schema([table.schema.field(c) for c in PARTITIONS]),
                                       flavor="hive")
        started = time.perf_counter()
        ds.write_dataset(table, args.output, format="parquet", partitioning=partitioning,
                         file_options=ds.ParquetFileFormat().make_write_options(compression="zstd"))
        seconds = time.perf_counter() - started
        result = {"seconds": seconds, "rows": table.num_rows}
    elif args.command == "checksum":
        result = checksum(pq.read_table(args.input))
    elif args.command == "checksum-dataset":
        result = checksum(ds.dataset(args.input, format="parquet", partitioning="hive").to_table())
    elif args.command == "checksum-delta":
        import deltalake
        result = checksum(pa.table(deltalake.DeltaTable(args.input).to_pyarrow_table()))
    else:
        if not args.expected:
            ap.error("compare needs --expected")
        got, want = normalized(args.input), normalized(args.expected)
        result = {"equal": got.schema == want.schema and got.equals(want),
                  "rows": [got.num_rows, want.num_rows],
                  "schema_equal": got.schema == want.schema}
        if not result["equal"] and got.schema == want.schema and got.num_rows == want.num_rows:
            result["differing_columns"] = [n for n in got.column_names
                                           if not got[n].equals(want[n])]
    print(json.dumps(result, sort_keys=True))
    return 0


if __name__ == "__main__":
    sys.exit(main())
