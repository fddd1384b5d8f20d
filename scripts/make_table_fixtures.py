#!/usr/bin/env python3
"""Regenerates Tests/FSTableTests/Fixtures/deltalake-table: a small Delta table written by
delta-rs (the `deltalake` Python package), used to prove fs reads other writers' logs.

History of the fixture (each step is one Delta version):
  0  write_deltalake: 4 rows, partitioned by fs_day (int32), snappy Parquet
  1  append 2 rows with a txn (app_id "fixture-app", version 7)
  2  delete id = 2 (delta-rs rewrites the file: remove + add)
     create_checkpoint() at version 2 (delta-rs's own checkpoint schema)
  3  append 1 row
Then `expected.jsonl` holds delta-rs's own reading of the table, one JSON object per row,
sorted by id (timestamps as integer microseconds), which the Swift test compares against.

Run with the project's Python (e.g. `$PYTHON scripts/make_table_fixtures.py`, or the Makefile's
.venv); needs deltalake and pyarrow.
"""
import json
import os
import shutil
import sys

import pyarrow as pa
from deltalake import CommitProperties, DeltaTable, Transaction, write_deltalake

ROOT = os.path.join(os.path.dirname(os.path.abspath(__file__)), "..", "Tests", "FSTableTests", "Fixtures")
TABLE = os.path.join(ROOT, "deltalake-table")
SCHEMA = pa.schema([
    ("id", pa.int64()),
    ("name", pa.string()),
    ("amount", pa.float64()),
    ("ts", pa.timestamp("us", tz="UTC")),
    ("fs_day", pa.int32()),
])


def rows(ids, day):
    return pa.table({
        "id": pa.array(ids, pa.int64()),
        "name": pa.array([None if i == 3 else f"n{i}é" for i in ids], pa.string()),
        "amount": pa.array([i * 1.5 - 2 for i in ids], pa.float64()),
        "ts": pa.array([1_548_806_400_000_000 + i * 1_000_123 for i in ids], pa.timestamp("us", tz="UTC")),
        "fs_day": pa.array([day] * len(ids), pa.int32()),
    }, schema=SCHEMA)


def main():
    shutil.rmtree(TABLE, ignore_errors=True)
    write_deltalake(TABLE, pa.concat_tables([rows([1, 2], 30), rows([3, 4], 31)]), partition_by=["fs_day"])
    write_deltalake(TABLE, rows([5, 6], 31), mode="append",
                    commit_properties=CommitProperties(app_transactions=[Transaction(app_id="fixture-app", version=7)]))
    DeltaTable(TABLE).delete("id = 2")
    DeltaTable(TABLE).create_checkpoint()
    write_deltalake(TABLE, rows([7], 1), mode="append")

    table = pa.table(DeltaTable(TABLE).to_pyarrow_table()).sort_by("id")
    with open(os.path.join(ROOT, "deltalake-table.expected.jsonl"), "w") as out:
        for r in table.to_pylist():
            ts = r["ts"]
            r["ts"] = None if ts is None else int(ts.timestamp()) * 1_000_000 + ts.microsecond
            out.write(json.dumps(r, ensure_ascii=False, sort_keys=False) + "\n")
    print(f"wrote {TABLE} (version {DeltaTable(TABLE).version()})", file=sys.stderr)


if __name__ == "__main__":
    main()
