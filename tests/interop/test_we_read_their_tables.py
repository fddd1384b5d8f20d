"""Files and tables other engines write, read by us (`fs-table dump`) with their values.

pyarrow hive datasets (zstd and snappy, data page v1 and v2, INT96 timestamps) and delta-rs
tables (`write_deltalake`, snappy, partitioned, several commits); then delta-rs appending to a
table we created, and our reader picking up its commit.
"""

from __future__ import annotations

import glob
import json
import os

import deltalake
import pyarrow as pa
import pyarrow.compute as pc
import pyarrow.dataset as ds
import pyarrow.parquet as pq
import pytest

from edge_tables import cycling
from interop_support import assert_same_rows

PARTITIONS = ["fs_year", "fs_month", "fs_day"]


def with_partitions(table: pa.Table) -> pa.Table:
    """Adds fs_year/fs_month/fs_day (int32) spreading the rows over a few days of 2019."""
    n = table.num_rows
    return (table.append_column("fs_year", pa.array([2019] * n, pa.int32()))
                 .append_column("fs_month", pa.array([1 + i % 2 for i in range(n)], pa.int32()))
                 .append_column("fs_day", pa.array([1 + i % 3 for i in range(n)], pa.int32())))


PYARROW_VARIANTS = {
    "zstd": dict(compression="zstd"),
    "snappy": dict(compression="snappy"),
    "zstd-data-page-v2": dict(compression="zstd", data_page_version="2.0"),
    "uncompressed-plain": dict(compression="none", use_dictionary=False),
    "snappy-int96-timestamps": dict(compression="snappy", use_deprecated_int96_timestamps=True),
}


@pytest.mark.parametrize("variant", list(PYARROW_VARIANTS))
def test_we_read_every_file_of_a_pyarrow_hive_dataset(fs, tmp_path, variant):
    table = with_partitions(cycling(900))
    root = tmp_path / "hive"
    ds.write_dataset(
        table, root, format="parquet",
        partitioning=ds.partitioning(pa.schema([(c, pa.int32()) for c in PARTITIONS]), flavor="hive"),
        file_options=ds.ParquetFileFormat().make_write_options(**PYARROW_VARIANTS[variant]))
    files = sorted(glob.glob(str(root / "*" / "*" / "*" / "*.parquet")))
    assert len(files) == 6
    total = 0
    for path in files:
        theirs = pq.read_table(path)
        names, ours = fs.dump(path)
        assert names == theirs.column_names, path
        assert_same_rows(names, ours, theirs.to_pylist(), f"fs-table dump of pyarrow {variant} file")
        total += len(ours)
    assert total == table.num_rows


def test_our_projection_reads_only_the_columns_asked(fs, tmp_path):
    path = str(tmp_path / "t.parquet")
    table = cycling(300)
    pq.write_table(table, path, compression="zstd")
    names, ours = fs.dump(path, columns=["ts", "s"])
    assert names == ["ts", "s"]
    assert_same_rows(names, ours, table.select(["ts", "s"]).to_pylist(), "projected dump")


def test_we_read_a_partitioned_deltalake_table_over_several_commits(fs, tmp_path):
    path = str(tmp_path / "delta")
    table = with_partitions(cycling(600))
    for start in (0, 200, 400):
        deltalake.write_deltalake(path, table.slice(start, 200), partition_by=PARTITIONS,
                                  mode="append")
    dt = deltalake.DeltaTable(path)
    assert dt.version() == 2
    theirs = pa.table(dt.to_pyarrow_table())
    names, ours = fs.dump(path)
    assert names == [f.name for f in dt.schema().fields]
    assert_same_rows(names, ours, theirs.to_pylist(), "fs-table dump of a deltalake table")


def test_we_read_a_deltalake_overwrite_as_its_remove_and_add_actions(fs, tmp_path):
    path = str(tmp_path / "delta")
    first = with_partitions(cycling(300))
    deltalake.write_deltalake(path, first, partition_by=PARTITIONS)
    second = first.filter(pc.equal(first["fs_day"], 2))
    deltalake.write_deltalake(path, second, partition_by=PARTITIONS, mode="overwrite")
    names, ours = fs.dump(path)
    assert_same_rows(names, ours, second.to_pylist(), "fs-table dump after a deltalake overwrite")


def test_deltalake_appends_to_our_table_and_we_read_its_commit(fs, tmp_path):
    path = str(tmp_path / "table")
    fs.write_sample(path, rows=400, commits=3)
    names, before = fs.dump(path)
    dt = deltalake.DeltaTable(path)
    version = dt.version()
    appended = pa.table(dt.to_pyarrow_table()).slice(0, 25)
    deltalake.write_deltalake(path, appended, mode="append")

    commit = os.path.join(path, "_delta_log", "%020d.json" % (version + 1))
    with open(commit) as f:
        actions = [json.loads(line) for line in f if line.strip()]
    adds = [a["add"] for a in actions if "add" in a]
    assert adds and all("fs_year" in a["partitionValues"] for a in adds)

    names_after, after = fs.dump(path)
    assert names_after == names
    assert_same_rows(names, after, before + appended.to_pylist(), "fs-table dump after a deltalake append")
    assert deltalake.DeltaTable(path).version() == version + 1
    info = fs.info(path)
    assert info["version"] == version + 1
    assert info["numRecords"] == len(before) + appended.num_rows


def test_we_read_a_table_whose_log_starts_from_a_deltalake_checkpoint(fs, tmp_path):
    path = str(tmp_path / "delta")
    table = with_partitions(cycling(300))
    for start in (0, 100, 200):
        deltalake.write_deltalake(path, table.slice(start, 100), partition_by=PARTITIONS, mode="append")
    dt = deltalake.DeltaTable(path)
    dt.create_checkpoint()
    log = os.path.join(path, "_delta_log")
    assert os.path.exists(os.path.join(log, "%020d.checkpoint.parquet" % 2))
    for v in range(3):  # only delta-rs's checkpoint can now describe the table
        os.remove(os.path.join(log, "%020d.json" % v))
    names, ours = fs.dump(path)
    assert_same_rows(names, ours, table.to_pylist(), "fs-table dump from a deltalake checkpoint")
