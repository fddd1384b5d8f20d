"""Window tables written by fs-agg-online — pages written from runs — read by every engine.

fs-agg-online writes its day files from runs of a key's windows (writer options the other tables
do not use): `window_start` and `window_end` as uncompressed dictionary pages of the day's windows
(INT64 timestamps, RLE_DICTIONARY indices), counts and features as dictionary pages with one
entry per run. This suite checks those encodings where users meet them: DuckDB, pyarrow, Polars
and deltalake read the job's output table row for row as `fs-table dump` does.
"""

from __future__ import annotations

import glob
import os
import subprocess
import sys

import deltalake
import duckdb
import polars as pl
import pyarrow.parquet as pq
import pytest

from interop_support import REPO, arrow_records, assert_same_rows, duckdb_records

ROWS = 3000


@pytest.fixture(scope="module")
def window_table(fs, tmp_path_factory) -> str:
    work = tmp_path_factory.mktemp("online")
    data = work / "orders"
    subprocess.run([sys.executable, os.path.join(REPO, "bench", "generate.py"), "--rows", str(ROWS), "--out", str(data)],
                   check=True, capture_output=True, timeout=600)
    source = str(work / "input")
    fs.run("fs-bench", "table-create", "--input", str(data / "orders.parquet"), "--table", source)
    output = str(work / "windows")
    fs.run("fs-agg-online", "--input-table", source, "--output-table", output, "--late-table", output + "_late",
           "--time-field", "order_created_at", "--agg-field", "customer_id", "--window-duration", "1 hour",
           "--window-slide-duration", "5 minutes", "--watermark", "10 minutes", "--available-now", "--log-level", "warning")
    return output


def test_window_bounds_are_uncompressed_dictionary_pages_of_the_days_windows(window_table):
    files = sorted(glob.glob(os.path.join(window_table, "*", "*", "*", "*.parquet")))
    assert files, "fs-agg-online wrote no files"
    meta = pq.ParquetFile(files[0]).metadata
    names = [meta.schema.column(i).name for i in range(meta.num_columns)]
    chunks = {names[i]: meta.row_group(0).column(i) for i in range(meta.num_columns)}
    for column in ("window_start", "window_end", "customer-count-1h"):
        assert "RLE_DICTIONARY" in chunks[column].encodings, f"{column}: {chunks[column].encodings}"
        assert chunks[column].compression == "UNCOMPRESSED", f"{column}: {chunks[column].compression}"


def test_duckdb_reads_the_window_table_as_we_dump_it(fs, window_table):
    names, ours = fs.dump(window_table)
    assert len(ours) > ROWS, "every order lands in several sliding windows"
    rel = duckdb.sql(f"select * from read_parquet('{window_table}/*/*/*/*.parquet', hive_partitioning=true)")
    assert_same_rows(names, ours, duckdb_records(rel), "DuckDB")


def test_pyarrow_and_polars_read_the_window_table_as_we_dump_it(fs, window_table):
    names, ours = fs.dump(window_table)
    files = sorted(glob.glob(os.path.join(window_table, "*", "*", "*", "*.parquet")))
    data = [r for f in files for r in arrow_records(pq.read_table(f))]
    assert_same_rows([n for n in names if n not in ("year", "month", "day")],
                     ours, data, "pyarrow.parquet")
    assert_same_rows(names, ours, pl.read_delta(window_table).to_dicts(), "polars.read_delta")


def test_deltalake_reads_the_window_table_as_we_dump_it(fs, window_table):
    names, ours = fs.dump(window_table)
    table = deltalake.DeltaTable(window_table).to_pyarrow_table()
    assert_same_rows(names, ours, arrow_records(table), "deltalake")
