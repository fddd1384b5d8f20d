"""Plain Parquet files written by our writer, read by pyarrow, DuckDB and Polars.

Two sources: a data file of a `write-sample` table, and edge-case tables built by pyarrow
(NaN, ±0.0, ±inf, extremes, empty and non-ASCII strings, an all-null column, zero rows) passed
through our writer by `fs-bench table-write` — every engine must read back the input's values.
"""

from __future__ import annotations

import glob

import duckdb
import polars as pl
import pyarrow.parquet as pq
import pytest

from edge_tables import EDGE_TABLES
from interop_support import assert_same_rows, duckdb_records, partition_glob


def engines_agree_with(names, expected, path):
    assert_same_rows(names, expected, pq.read_table(path).to_pylist(), "pyarrow.parquet")
    assert_same_rows(names, expected, duckdb_records(duckdb.sql(f"select * from read_parquet('{path}')")),
                     "DuckDB")
    assert_same_rows(names, expected, pl.read_parquet(path).to_dicts(), "polars")


def test_every_engine_reads_a_data_file_of_our_table(fs, sample_table):
    path = sorted(glob.glob(partition_glob(sample_table)))[0]
    names, ours = fs.dump(path)
    assert ours, path
    assert pq.read_metadata(path).row_group(0).column(0).compression == "ZSTD"
    engines_agree_with(names, ours, path)


@pytest.mark.parametrize("name", list(EDGE_TABLES))
def test_our_writer_round_trips_pyarrow_edge_tables_for_every_engine(fs, tmp_path, name):
    source = tmp_path / "input.parquet"
    ours = tmp_path / "ours.parquet"
    table = EDGE_TABLES[name]()
    pq.write_table(table, source)
    fs.run("fs-bench", "table-write", "--input", str(source), "--output", str(ours))

    names = table.column_names
    expected = table.to_pylist()
    assert pq.read_schema(ours).names == names
    assert pq.read_metadata(ours).num_rows == table.num_rows
    engines_agree_with(names, expected, str(ours))
    if table.num_rows:
        dump_names, dumped = fs.dump(str(ours))
        assert dump_names == names
        assert_same_rows(names, dumped, expected, "fs-table dump vs the pyarrow input")
