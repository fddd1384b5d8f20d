"""Maintenance keeps every engine's view of a table: rows read by DuckDB, pyarrow, Polars,
deltalake and `fs-table dump` are identical before and after `fs-table optimize` and
`fs-table vacuum`, and tables checkpointed by fs's size-based policy (no
`delta.checkpointInterval`) load in the Delta readers, also from the checkpoint alone.
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
import pyarrow.parquet  # noqa: F401  (pa.parquet)

from interop_support import assert_same_rows, duckdb_records, partition_glob


def delta_readers(table: str) -> dict[str, list[dict]]:
    return {
        "deltalake": pa.table(deltalake.DeltaTable(table).to_pyarrow_table()).to_pylist(),
        "polars.read_delta": pl.read_delta(table).to_dicts(),
    }


def plain_readers(table: str) -> dict[str, list[dict]]:
    return {
        "DuckDB read_parquet": duckdb_records(duckdb.sql(
            f"select * from read_parquet('{partition_glob(table)}', hive_partitioning=true)")),
        "pyarrow.dataset": ds.dataset(table, format="parquet", partitioning="hive").to_table().to_pylist(),
    }


def small_files_table(fs, tmp_path, commits: int = 60, interval: int = 0) -> str:
    table = str(tmp_path / "table")
    fs.write_sample(table, rows=commits * 10, commits=commits, checkpoint_interval=interval)
    return table


def test_engines_read_the_same_rows_before_and_after_optimize_and_vacuum(fs, tmp_path):
    table = small_files_table(fs, tmp_path)
    names, before = fs.dump(table)
    files_before = fs.info(table)["numFiles"]
    for engine, rows in {**delta_readers(table), **plain_readers(table)}.items():
        assert_same_rows(names, before, rows, f"{engine} before optimize")

    out = json.loads(fs.run("fs-table", "optimize", table).stdout)
    assert out["filesRemoved"] > 0 and out["partitionsSkipped"] == 0
    info = fs.info(table)
    assert info["numFiles"] < files_before
    assert info["maxFilesPerPartition"] == 1
    assert_same_rows(names, before, fs.dump(table)[1], "fs-table dump after optimize")
    for engine, rows in delta_readers(table).items():
        assert_same_rows(names, before, rows, f"{engine} after optimize")
    history = deltalake.DeltaTable(table).history()
    assert any(h.get("operation") == "OPTIMIZE" for h in history)

    # Default retention: nothing is old enough; the removed files still serve time travel.
    kept = json.loads(fs.run("fs-table", "vacuum", table).stdout)
    assert kept["numFiles"] == 0
    old_version = out["partitions"][0]["versions"][0] - 1
    assert_same_rows(names, before, pa.table(deltalake.DeltaTable(table, version=old_version).to_pyarrow_table()).to_pylist(),
                     "deltalake time travel before vacuum")

    refused = fs.run("fs-table", "vacuum", table, "--retain-hours", "0", check=False)
    assert refused.returncode == 64 and "--force" in refused.stderr
    dry = json.loads(fs.run("fs-table", "vacuum", table, "--retain-hours", "0", "--force", "--dry-run").stdout)
    assert dry["numFiles"] == out["filesRemoved"]
    assert all(os.path.exists(os.path.join(table, f)) for f in dry["files"])
    done = json.loads(fs.run("fs-table", "vacuum", table, "--retain-hours", "0", "--force").stdout)
    assert sorted(done["files"]) == sorted(dry["files"])
    assert not any(os.path.exists(os.path.join(table, f)) for f in done["files"])
    # After vacuum even plain-Parquet readers see exactly the table.
    assert_same_rows(names, before, fs.dump(table)[1], "fs-table dump after vacuum")
    for engine, rows in {**delta_readers(table), **plain_readers(table)}.items():
        assert_same_rows(names, before, rows, f"{engine} after vacuum")


def test_size_based_checkpoints_load_in_delta_readers_also_without_the_json_they_cover(fs, tmp_path):
    table = small_files_table(fs, tmp_path, commits=80)
    names, ours = fs.dump(table)
    info = fs.info(table)
    assert info["checkpoints"] and info["checkpoints"][0] == 10
    assert "delta.checkpointInterval" not in info["properties"]
    for engine, rows in delta_readers(table).items():
        assert_same_rows(names, ours, rows, engine)
    copy = str(tmp_path / "copy")
    shutil.copytree(table, copy)
    last = info["checkpoints"][-1]
    for v in range(last + 1):
        os.remove(os.path.join(copy, "_delta_log", "%020d.json" % v))
    for engine, rows in delta_readers(copy).items():
        assert_same_rows(names, ours, rows, f"{engine} (checkpoint {last} only)")
    assert_same_rows(names, ours, fs.dump(copy)[1], "fs-table dump (checkpoint only)")


def test_history_lists_every_version_with_its_operation(fs, tmp_path):
    table = small_files_table(fs, tmp_path, commits=12)
    fs.run("fs-table", "optimize", table)
    history = json.loads(fs.run("fs-table", "history", table).stdout)
    versions = [h["version"] for h in history]
    assert versions == sorted(versions, reverse=True) and versions[-1] == 0
    ops = [h["operation"] for h in history]
    assert ops[-1] == "CREATE TABLE" and "OPTIMIZE" in ops and "WRITE" in ops
    theirs = deltalake.DeltaTable(table).history()
    assert sorted(h["version"] for h in theirs) == sorted(versions)
    for h in history:
        if h["operation"] == "OPTIMIZE":
            assert h["dataChange"] is False and h["filesRemoved"] >= 2 and h["filesAdded"] >= 1


def test_a_checkpoint_written_in_several_row_groups_with_compact_tombstones_loads_in_delta_readers(fs, tmp_path):
    # fs writes checkpoints 4,096 rows per row group, and a tombstone's remove row carries path,
    # deletionTimestamp, dataChange and size only (#13 item 5). 9,000 extra tombstones (of files
    # that never existed) make three row groups.
    table = small_files_table(fs, tmp_path, commits=12)
    fs.run("fs-table", "optimize", table)
    names, ours = fs.dump(table)
    log = os.path.join(table, "_delta_log")
    version = max(int(f[:20]) for f in os.listdir(log) if f.endswith(".json")) + 1
    now = int(deltalake.DeltaTable(table).history(1)[0]["timestamp"])
    with open(os.path.join(log, "%020d.json" % version), "x") as f:
        f.write(json.dumps({"commitInfo": {"timestamp": now, "operation": "DELETE"}}) + "\n")
        for k in range(9000):
            f.write(json.dumps({"remove": {"path": f"fs_year=2019/fs_month=1/fs_day={1 + k % 28}/gone-{k:05d}.parquet",
                                           "deletionTimestamp": now, "dataChange": True, "extendedFileMetadata": True,
                                           "partitionValues": {"fs_year": "2019", "fs_month": "1", "fs_day": str(1 + k % 28)},
                                           "size": 1000 + k}}) + "\n")
    out = json.loads(fs.run("fs-table", "checkpoint", table, "--no-log-cleanup").stdout)
    assert out["version"] == version
    checkpoint = pa.parquet.ParquetFile(os.path.join(log, "%020d.checkpoint.parquet" % version))
    assert checkpoint.metadata.num_row_groups == 3
    removes = [r for r in checkpoint.read(columns=["remove"]).column("remove").to_pylist() if r]
    assert len(removes) >= 9000
    assert all(r["size"] is not None and r["deletionTimestamp"] == now for r in removes if "gone-" in r["path"])
    copy = str(tmp_path / "copy")
    shutil.copytree(table, copy)
    for v in range(version + 1):
        os.remove(os.path.join(copy, "_delta_log", "%020d.json" % v))
    for engine, rows in delta_readers(copy).items():
        assert_same_rows(names, ours, rows, f"{engine} (checkpoint {version} only)")
    assert_same_rows(names, ours, fs.dump(copy)[1], "fs-table dump (checkpoint only)")
    assert fs.info(copy)["tombstones"] == len(removes)


def test_a_checkpoint_a_writer_streams_from_the_log_holds_the_rows_of_a_full_replay_and_loads_in_delta_readers(fs, tmp_path):
    # A long-running writer holds no tombstones (#13 item 5): its checkpoint streams the remove
    # rows from the previous checkpoint and the JSON commits since. 9,000 tombstones in a JSON
    # commit after optimize's checkpoint; `fs-table writer-memory` commits twice and checkpoints
    # from its writer; `fs-table checkpoint` rewrites that version from a full replay on a copy.
    table = small_files_table(fs, tmp_path, commits=12)
    fs.run("fs-table", "optimize", table)
    fs.run("fs-table", "checkpoint", table, "--no-log-cleanup")
    log = os.path.join(table, "_delta_log")
    version = max(int(f[:20]) for f in os.listdir(log) if f.endswith(".json")) + 1
    now = int(deltalake.DeltaTable(table).history(1)[0]["timestamp"])
    with open(os.path.join(log, "%020d.json" % version), "x") as f:
        f.write(json.dumps({"commitInfo": {"timestamp": now, "operation": "DELETE"}}) + "\n")
        for k in range(9000):
            f.write(json.dumps({"remove": {"path": f"fs_year=2019/fs_month=1/fs_day={1 + k % 28}/gone-{k:05d}.parquet",
                                           "deletionTimestamp": now, "dataChange": True, "size": 1000 + k}}) + "\n")
    out = json.loads(fs.run("fs-table", "writer-memory", table, "--commits", "2").stdout)
    assert out["tombstonesHeld"] == 0 and out["version"] == version + 2
    names, ours = fs.dump(table)

    def rows(path):
        t = pa.parquet.ParquetFile(os.path.join(path, "_delta_log", "%020d.checkpoint.parquet" % (version + 2))).read()
        adds = sorted(r["path"] for r in t.column("add").to_pylist() if r)
        removes = sorted((r["path"], r["deletionTimestamp"], r["size"], r["dataChange"]) for r in t.column("remove").to_pylist() if r)
        return adds, removes

    streamed = rows(table)
    full = str(tmp_path / "full")
    shutil.copytree(table, full)
    fs.run("fs-table", "checkpoint", full, "--no-log-cleanup")
    assert streamed == rows(full)
    assert len(streamed[1]) > 9000  # optimize's tombstones and the 9,000

    copy = str(tmp_path / "copy")
    shutil.copytree(table, copy)
    for v in range(version + 3):
        os.remove(os.path.join(copy, "_delta_log", "%020d.json" % v))
    for engine, got in delta_readers(copy).items():
        assert_same_rows(names, ours, got, f"{engine} (checkpoint {version + 2} only)")
    assert_same_rows(names, ours, fs.dump(copy)[1], "fs-table dump (checkpoint only)")
    assert fs.info(copy)["tombstones"] == len(streamed[1])
