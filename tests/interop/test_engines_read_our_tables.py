"""Tables written by our code (`fs-table write-sample`) read with identical values by DuckDB,
pyarrow, Polars and delta-rs — compared row for row with `fs-table dump`.

Every test runs on two tables (conftest.SAMPLE_TABLES): a single commit, and 24 commits with a
checkpoint every 10, so the Delta readers also load our Parquet checkpoints.
"""

from __future__ import annotations

import glob
import json
import os
import shutil

import deltalake
import duckdb
import polars as pl
import pyarrow as pa
import pyarrow.dataset as ds

from interop_support import assert_same_rows, duckdb_records, partition_glob

PARTITIONS = ["fs_year", "fs_month", "fs_day"]


def test_sample_table_is_partitioned_by_unpadded_year_month_day_directories(fs, sample_table):
    files = glob.glob(partition_glob(sample_table))
    assert files, "no data files under fs_year=/fs_month=/fs_day="
    for f in files:
        parts = os.path.relpath(f, sample_table).split(os.sep)[:3]
        keys = [p.split("=")[0] for p in parts]
        values = [p.split("=")[1] for p in parts]
        assert keys == PARTITIONS, f
        assert all(v.isdigit() and not (len(v) > 1 and v.startswith("0")) for v in values), f
    names, rows = fs.dump(sample_table)
    assert rows and set(PARTITIONS) <= set(names)


def test_duckdb_read_parquet_with_hive_partitioning_matches_our_dump(fs, sample_table):
    names, ours = fs.dump(sample_table)
    rel = duckdb.sql(
        f"select * from read_parquet('{partition_glob(sample_table)}', hive_partitioning=true)")
    assert set(rel.columns) == set(names)
    assert_same_rows(names, ours, duckdb_records(rel), "DuckDB")


def test_pyarrow_hive_dataset_matches_our_dump(fs, sample_table):
    names, ours = fs.dump(sample_table)
    table = ds.dataset(sample_table, format="parquet", partitioning="hive").to_table()
    assert set(table.column_names) == set(names)
    assert_same_rows(names, ours, table.to_pylist(), "pyarrow.dataset")


def test_polars_partition_glob_matches_our_dump(fs, sample_table):
    names, ours = fs.dump(sample_table)
    df = pl.read_parquet(partition_glob(sample_table), hive_partitioning=True)
    assert set(df.columns) == set(names)
    assert_same_rows(names, ours, df.to_dicts(), "polars.read_parquet")


def test_polars_read_delta_matches_our_dump(fs, sample_table):
    names, ours = fs.dump(sample_table)
    df = pl.read_delta(sample_table)
    assert df.columns == names, "read_delta must give the schema order of our metaData"
    assert_same_rows(names, ours, df.to_dicts(), "polars.read_delta")


def test_deltalake_reads_our_table_schema_and_rows(fs, sample_table):
    names, ours = fs.dump(sample_table)
    dt = deltalake.DeltaTable(sample_table)
    assert dt.protocol().min_reader_version == 1
    assert dt.metadata().partition_columns == PARTITIONS
    assert [f.name for f in dt.schema().fields] == names
    table = pa.table(dt.to_pyarrow_table())
    assert_same_rows(names, ours, table.to_pylist(), "deltalake")
    commits = sorted(glob.glob(os.path.join(sample_table, "_delta_log", "*.json")))
    assert dt.version() == int(os.path.basename(commits[-1]).split(".")[0])


def test_deltalake_reads_our_checkpoint_with_the_older_json_commits_gone(fs, checkpointed_table, tmp_path):
    names, ours = fs.dump(checkpointed_table)
    log = os.path.join(checkpointed_table, "_delta_log")
    with open(os.path.join(log, "_last_checkpoint")) as f:
        last = json.load(f)
    version = int(last["version"])
    assert version > 0
    assert os.path.exists(os.path.join(log, "%020d.checkpoint.parquet" % version))

    copy = str(tmp_path / "table")
    shutil.copytree(checkpointed_table, copy)
    for v in range(version + 1):  # only the checkpoint can now describe versions <= its own
        os.remove(os.path.join(copy, "_delta_log", "%020d.json" % v))
    dt = deltalake.DeltaTable(copy)
    assert_same_rows(names, ours, pa.table(dt.to_pyarrow_table()).to_pylist(),
                     "deltalake (checkpoint only)")
    assert_same_rows(names, ours, pl.read_delta(copy).to_dicts(), "polars.read_delta (checkpoint only)")
    # and our own reader agrees with itself when it too must start from the checkpoint
    assert_same_rows(names, ours, fs.dump(copy)[1], "fs-table dump (checkpoint only)")
