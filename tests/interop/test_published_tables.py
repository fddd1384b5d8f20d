"""Tables written by `fs-publish --publisher-type historical` (a compacted copy of a table we
wrote) read by DuckDB, Polars and delta-rs with the input's values, before and after an
incremental re-publish."""

from __future__ import annotations

import deltalake
import duckdb
import polars as pl
import pyarrow as pa

from interop_support import assert_same_rows, duckdb_records, partition_glob


def publish(fs, source: str, target: str) -> None:
    fs.run("fs-publish", "--publisher-type", "historical", "--input-table", source,
           "--output-table", target)


def test_engines_read_a_published_table_as_its_source(fs, checkpointed_table, tmp_path):
    target = str(tmp_path / "published")
    publish(fs, checkpointed_table, target)
    names, source_rows = fs.dump(checkpointed_table)
    assert_same_rows(names, source_rows, fs.dump(target)[1], "fs-table dump of the published table")
    assert_same_rows(names, source_rows, pa.table(deltalake.DeltaTable(target).to_pyarrow_table()).to_pylist(),
                     "deltalake")
    assert_same_rows(names, source_rows, pl.read_delta(target).to_dicts(), "polars.read_delta")
    rel = duckdb.sql(f"select * from read_parquet('{partition_glob(target)}', hive_partitioning=true)")
    assert_same_rows(names, source_rows, duckdb_records(rel), "DuckDB")


def test_a_republish_after_a_deltalake_append_carries_the_new_rows(fs, tmp_path):
    source = str(tmp_path / "source")
    target = str(tmp_path / "published")
    fs.write_sample(source, rows=300, commits=2)
    publish(fs, source, target)
    extra = pa.table(deltalake.DeltaTable(source).to_pyarrow_table()).slice(0, 20)
    deltalake.write_deltalake(source, extra, mode="append")
    publish(fs, source, target)
    names, source_rows = fs.dump(source)
    assert len(source_rows) == 320
    assert_same_rows(names, source_rows, pa.table(deltalake.DeltaTable(target).to_pyarrow_table()).to_pylist(),
                     "deltalake after re-publish")
