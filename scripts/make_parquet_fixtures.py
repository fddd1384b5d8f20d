#!/usr/bin/env python3
"""Writes the foreign Parquet fixtures of Tests/FSParquetTests/Fixtures/foreign/.

Each fixture is a small Parquet file written by another engine with its default (or one named
non-default) setting, next to `<name>.expected.jsonl`: what pyarrow reads from that file, so the
Swift tests compare value-for-value without Python.

Expected file format (one JSON document per line):
  line 1: {"schema": [{"name": ..., "type": <fs type>, "nullable": bool}, ...], "row_groups": n}
  then one object per row, keys in schema order. Timestamps are µs since the epoch (int), dates
  days since the epoch (int), doubles numbers or the strings "NaN", "Infinity", "-Infinity"
  (-0.0 stays -0.0), NULL is null. Nested fixtures (`*.nested.jsonl`) write structs as objects,
  lists as arrays and maps as {"$map": [[key, value], ...]}.

Run: $PYTHON scripts/make_parquet_fixtures.py   (needs pyarrow, pandas, duckdb, polars,
deltalake, pyspark + Java 17). Deterministic data; file bytes may change with engine versions.
"""
import datetime as dt
import decimal
import glob
import json
import math
import os
import random
import shutil
import sys
import tempfile

import pyarrow as pa
import pyarrow.parquet as pq

ROOT = os.path.dirname(os.path.dirname(os.path.abspath(__file__)))
OUT = os.path.join(ROOT, "Tests", "FSParquetTests", "Fixtures", "foreign")
ROWS = 300

SCHEMA = pa.schema([
    pa.field("id", pa.int64(), nullable=False),
    pa.field("flag", pa.bool_()),
    pa.field("i32", pa.int32()),
    pa.field("i64", pa.int64()),
    pa.field("d", pa.float64()),
    pa.field("s", pa.string()),
    pa.field("day", pa.date32()),
    pa.field("ts", pa.timestamp("us", tz="UTC")),
])

WORDS = ["", "a", "hello", "çé", "日本語", "emoji 🚀", "x" * 40, "Ünïcödé", "tab\tand\nnewline", "quote\"back\\"]


def make_table(rows=ROWS, seed=7):
    rnd = random.Random(seed)
    cols = {f.name: [] for f in SCHEMA}
    special_d = [float("nan"), 0.0, -0.0, float("inf"), float("-inf"), 1e-300, -1.5, 1e300]
    for i in range(rows):
        null = (i % 11 == 3)
        cols["id"].append(i)
        cols["flag"].append(None if null or i % 13 == 5 else (rnd.random() < 0.5))
        cols["i32"].append(None if null else [2**31 - 1, -2**31, 0][i] if i < 3 else rnd.randint(-1000, 1000))
        cols["i64"].append(None if null else [2**63 - 1, -2**63, 0][i] if i < 3 else rnd.randint(-2**40, 2**40))
        if null:
            cols["d"].append(None)
        elif i < len(special_d):
            cols["d"].append(special_d[i])
        else:
            cols["d"].append(rnd.choice([rnd.uniform(-1e6, 1e6), float(rnd.randint(0, 20)), float("nan")]) if i % 7 else -0.0)
        if null:
            cols["s"].append(None)
        elif i < len(WORDS):
            cols["s"].append(WORDS[i])
        else:
            cols["s"].append(rnd.choice(WORDS) if i % 3 else "row-%d-%s" % (i, rnd.choice(WORDS)))
        cols["day"].append(None if null else dt.date(1970, 1, 1) + dt.timedelta(days=rnd.randint(-40000, 40000)))
        us = rnd.randint(-2**40, 2**52)
        cols["ts"].append(None if null else dt.datetime(1970, 1, 1, tzinfo=dt.timezone.utc) + dt.timedelta(microseconds=us))
    return pa.table(cols, schema=SCHEMA)


# ---- expected values ----------------------------------------------------------------------------

def fs_type(t):
    """The fs DataType a Parquet column of arrow type `t` maps to (PARQUET_API.md type mapping)."""
    if pa.types.is_boolean(t):
        return "boolean"
    if pa.types.is_integer(t):
        if t.bit_width <= 16 or (t.bit_width == 32 and pa.types.is_signed_integer(t)):
            return "int32"
        return "int64"
    if pa.types.is_floating(t) or pa.types.is_decimal(t):
        return "double"
    if pa.types.is_string(t) or pa.types.is_large_string(t) or pa.types.is_binary(t) or pa.types.is_fixed_size_binary(t):
        return "string"
    if pa.types.is_date(t):
        return "date"
    if pa.types.is_timestamp(t):
        return "timestamp"
    if pa.types.is_dictionary(t):
        return fs_type(t.value_type)
    raise ValueError("no fs type for %s" % t)


def json_scalar(v, t):
    if v is None:
        return None
    if pa.types.is_floating(t):
        if math.isnan(v):
            return "NaN"
        if math.isinf(v):
            return "Infinity" if v > 0 else "-Infinity"
        return v
    if pa.types.is_decimal(t):
        return float(v)
    if pa.types.is_timestamp(t):
        return v
    if pa.types.is_date(t):
        return v
    if isinstance(v, bytes):
        return v.decode("utf-8", errors="replace")
    return v


def flat_column_values(col):
    """Python values of a chunked array with timestamps as µs ints and dates as day ints."""
    t = col.type
    if pa.types.is_dictionary(t):
        col = col.cast(t.value_type)
        t = t.value_type
    if pa.types.is_timestamp(t):
        ns = col.cast(pa.timestamp("ns", tz=t.tz)) if t.unit != "ns" else col
        ints = ns.cast(pa.int64()).to_pylist()
        return [None if x is None else x // 1000 for x in ints], t
    if pa.types.is_date(t):
        return col.cast(pa.int32()).to_pylist(), t
    return col.to_pylist(), t


def write_expected(path):
    pf = pq.ParquetFile(path)
    if os.path.basename(path) in READ_BY_DUCKDB:
        import duckdb
        con = duckdb.connect()
        con.execute("SET TimeZone = 'UTC'")
        table = con.sql("SELECT * FROM read_parquet('%s')" % path).to_arrow_table()
    else:
        table = pf.read()
    schema = []
    columns = []
    for f in table.schema:
        values, t = flat_column_values(table.column(f.name))
        schema.append({"name": f.name, "type": fs_type(t), "nullable": f.nullable})
        columns.append((f.name, values, t))
    with open(path[: -len(".parquet")] + ".expected.jsonl", "w", encoding="utf-8") as out:
        out.write(json.dumps({"schema": schema, "row_groups": pf.metadata.num_row_groups}, ensure_ascii=False) + "\n")
        for r in range(table.num_rows):
            row = {name: json_scalar(values[r], t) for name, values, t in columns}
            out.write(json.dumps(row, ensure_ascii=False, allow_nan=False) + "\n")


def nested_json(v, t):
    if v is None:
        return None
    if pa.types.is_struct(t):
        return {f.name: nested_json(v.get(f.name), f.type) for f in t}
    if pa.types.is_map(t):
        return {"$map": [[nested_json(k, t.key_type), nested_json(x, t.item_type)] for k, x in v]}
    if pa.types.is_list(t) or pa.types.is_large_list(t):
        return [nested_json(x, t.value_type) for x in v]
    if pa.types.is_timestamp(t):
        return int(pa.scalar(v, type=t).cast(pa.int64()).as_py()) * {"s": 1000000, "ms": 1000, "us": 1, "ns": 1}[t.unit] // (1000 if t.unit == "ns" else 1)
    if pa.types.is_date(t):
        return (v - dt.date(1970, 1, 1)).days
    return json_scalar(v, t)


def write_nested_expected(path):
    table = pq.read_table(path)
    with open(path[: -len(".parquet")] + ".nested.jsonl", "w", encoding="utf-8") as out:
        for row in table.to_pylist():
            obj = {f.name: nested_json(row[f.name], f.type) for f in table.schema}
            out.write(json.dumps(obj, ensure_ascii=False, allow_nan=False) + "\n")


# ---- writers ------------------------------------------------------------------------------------

def target(name):
    return os.path.join(OUT, name + ".parquet")


def pyarrow_files(table):
    pq.write_table(table, target("pyarrow_default"))
    pq.write_table(table, target("pyarrow_zstd"), compression="zstd")
    pq.write_table(table, target("pyarrow_v2_pages"), data_page_version="2.0")
    pq.write_table(table, target("pyarrow_plain"), use_dictionary=False, compression="none")
    big = make_table(rows=2000, seed=11)
    pq.write_table(big, target("pyarrow_multi_rowgroup"), row_group_size=500, data_page_size=1024,
                   write_batch_size=64, compression="zstd")
    # Logical types that other engines produce: narrow and unsigned ints, float, decimals in all
    # three physical forms, timestamps in ms and ns, a UTC-naive timestamp, binary.
    n = 50
    rnd = random.Random(3)
    exotic = pa.table({
        "i8": pa.array([None if i % 9 == 0 else rnd.randint(-128, 127) for i in range(n)], pa.int8()),
        "i16": pa.array([rnd.randint(-2**15, 2**15 - 1) for i in range(n)], pa.int16()),
        "u8": pa.array([rnd.randint(0, 255) for i in range(n)], pa.uint8()),
        "u32": pa.array([rnd.choice([0, 2**32 - 1, rnd.randint(0, 2**32 - 1)]) for i in range(n)], pa.uint32()),
        "f32": pa.array([rnd.choice([0.5, -0.0, float("nan"), 3.25, None]) for i in range(n)], pa.float32()),
        "dec_i32": pa.array([decimal.Decimal(rnd.randint(-10**6, 10**6)).scaleb(-2) for i in range(n)], pa.decimal128(9, 2)),
        "dec_i64": pa.array([decimal.Decimal(rnd.randint(-10**15, 10**15)).scaleb(-4) for i in range(n)], pa.decimal128(18, 4)),
        "dec_flba": pa.array([None if i % 7 == 0 else decimal.Decimal(rnd.randint(-10**20, 10**20)).scaleb(-3) for i in range(n)], pa.decimal128(25, 3)),
        "ts_ms": pa.array([rnd.randint(-2**40, 2**42) for i in range(n)], pa.timestamp("ms", tz="UTC")),
        "ts_ns": pa.array([rnd.randint(-2**60, 2**60) for i in range(n)], pa.timestamp("ns", tz="UTC")),
        "ts_naive": pa.array([rnd.randint(0, 2**50) for i in range(n)], pa.timestamp("us")),
        "bin": pa.array([bytes(rnd.choice(WORDS), "utf-8") for i in range(n)], pa.binary()),
    })
    pq.write_table(exotic.select([c for c in exotic.column_names if not c.startswith("dec_i")]),
                   target("pyarrow_logical_types"))
    pq.write_table(exotic.select(["dec_i32", "dec_i64"]), target("pyarrow_decimal_ints"), store_decimal_as_integer=True)
    empty = table.slice(0, 0)
    pq.write_table(empty, target("pyarrow_empty"))
    allnull = pa.table({"n_i64": pa.nulls(20, pa.int64()), "n_s": pa.nulls(20, pa.string()), "n_d": pa.nulls(20, pa.float64())})
    pq.write_table(allnull, target("pyarrow_all_null"))
    one = table.slice(5, 1)
    pq.write_table(one, target("pyarrow_one_row"), compression="zstd")
    # A codec fs does not read: the reader must name it and the column, not crash.
    pq.write_table(table.slice(0, 5).select(["id", "s"]), target("unsupported_gzip"), compression="gzip")


def pandas_file(table):
    df = table.to_pandas()
    df.to_parquet(target("pandas"))


# pyarrow cannot read these (DuckDB delta-encodes INT32 extremes with miniblocks wider than 32
# bits, pyarrow's INT32 delta decoder rejects them), so DuckDB itself provides the expected values.
READ_BY_DUCKDB = {"duckdb_v2_int32_extremes.parquet"}


def duckdb_files(table):
    import duckdb
    con = duckdb.connect()
    con.register("t", table)
    con.execute("SET TimeZone = 'UTC'")
    con.execute("COPY (SELECT * FROM t ORDER BY id) TO '%s' (FORMAT parquet)" % target("duckdb_default"))
    con.execute("COPY (SELECT * EXCLUDE (i32), CASE WHEN i32 NOT BETWEEN -1000000 AND 1000000 THEN 7 ELSE i32 END AS i32 FROM t ORDER BY id) "
                "TO '%s' (FORMAT parquet, PARQUET_VERSION v2)" % target("duckdb_v2"))
    con.execute("COPY (SELECT id, i32 FROM t ORDER BY id) TO '%s' (FORMAT parquet, PARQUET_VERSION v2)"
                % target("duckdb_v2_int32_extremes"))


def polars_file(table):
    import polars as pl
    pl.from_arrow(table).write_parquet(target("polars_default"))


def deltalake_files(table):
    import deltalake
    tmp = tempfile.mkdtemp()
    try:
        deltalake.write_deltalake(tmp, table)
        parts = glob.glob(os.path.join(tmp, "*.parquet"))
        assert len(parts) == 1, parts
        shutil.copy(parts[0], target("deltalake_default"))
        # A checkpoint after a few commits, with partition values, for readNested.
        ptab = pa.table({"id": pa.array([1, 2, 3], pa.int64()), "year": pa.array(["2019", "2019", "2020"]),
                         "v": pa.array([1.5, None, -0.0])})
        ck = os.path.join(tmp, "ck")
        deltalake.write_deltalake(ck, ptab, partition_by=["year"])
        deltalake.write_deltalake(ck, ptab, partition_by=["year"], mode="append")
        deltalake.write_deltalake(ck, ptab.slice(0, 1), partition_by=["year"], mode="overwrite")
        dtab = deltalake.DeltaTable(ck)
        dtab.create_checkpoint()
        cps = glob.glob(os.path.join(ck, "_delta_log", "*.checkpoint.parquet"))
        assert len(cps) == 1, cps
        shutil.copy(cps[0], target("deltalake_checkpoint"))
    finally:
        shutil.rmtree(tmp)


def spark_files(table):
    os.environ.setdefault("PYSPARK_PYTHON", sys.executable)
    os.environ["TZ"] = "UTC"
    from pyspark.sql import SparkSession
    from pyspark.sql import types as T
    spark = (SparkSession.builder.master("local[1]").appName("fixtures")
             .config("spark.driver.memory", "512m")
             .config("spark.sql.session.timeZone", "UTC")
             .config("spark.ui.enabled", "false")
             .config("spark.driver.extraJavaOptions", "-Duser.timezone=UTC")
             .getOrCreate())
    try:
        schema = T.StructType([
            T.StructField("id", T.LongType(), False), T.StructField("flag", T.BooleanType()),
            T.StructField("i32", T.IntegerType()), T.StructField("i64", T.LongType()),
            T.StructField("d", T.DoubleType()), T.StructField("s", T.StringType()),
            T.StructField("day", T.DateType()), T.StructField("ts", T.TimestampType()),
        ])
        rows = [tuple(r[f.name] for f in SCHEMA) for r in table.to_pylist()]
        df = spark.createDataFrame(rows, schema).coalesce(1)
        variants = [("spark_default", {}), ("spark_v2", {"parquet.writer.version": "v2"}),
                    # Without a dictionary Spark v2 falls back to DELTA_BYTE_ARRAY for strings.
                    ("spark_v2_no_dictionary", {"parquet.writer.version": "v2", "parquet.enable.dictionary": "false"})]
        for name, opts in variants:
            tmp = tempfile.mkdtemp()
            out = os.path.join(tmp, "out")
            w = df.write
            for k, v in opts.items():
                w = w.option(k, v)
            w.parquet(out)
            parts = glob.glob(os.path.join(out, "part-*.parquet"))
            assert len(parts) == 1, parts
            shutil.copy(parts[0], target(name))
            shutil.rmtree(tmp)
    finally:
        spark.stop()


def nested_files():
    """A pyarrow file with the shapes Delta checkpoints use: struct, map, list, optional groups."""
    t = pa.table({
        "txn": pa.array([None, {"appId": "app", "version": 3}, None, None], pa.struct([("appId", pa.string()), ("version", pa.int64())])),
        "add": pa.array([
            {"path": "a.parquet", "partitionValues": [("year", "2019"), ("month", None)], "size": 10, "tags": ["x", None, "y"]},
            None,
            {"path": "b.parquet", "partitionValues": [], "size": 20, "tags": []},
            {"path": "c.parquet", "partitionValues": None, "size": 30, "tags": None},
        ], pa.struct([("path", pa.string()), ("partitionValues", pa.map_(pa.string(), pa.string())),
                      ("size", pa.int64()), ("tags", pa.list_(pa.string()))])),
        "n": pa.array([1, 2, None, 4], pa.int32()),
    })
    pq.write_table(t, target("pyarrow_nested"))


def main():
    only = set(sys.argv[1:])
    os.makedirs(OUT, exist_ok=True)
    table = make_table()
    steps = [("pyarrow", lambda: pyarrow_files(table)), ("pandas", lambda: pandas_file(table)),
             ("duckdb", lambda: duckdb_files(table)), ("polars", lambda: polars_file(table)),
             ("deltalake", lambda: deltalake_files(table)), ("spark", lambda: spark_files(table)),
             ("nested", nested_files)]
    for name, step in steps:
        if not only or name in only:
            step()
    for path in sorted(glob.glob(os.path.join(OUT, "*.parquet"))):
        base = os.path.basename(path)
        if base.startswith("unsupported_"):
            pass
        elif base.startswith("pyarrow_nested") or base.startswith("deltalake_checkpoint"):
            write_nested_expected(path)
        else:
            write_expected(path)
        print("%-40s %7d bytes" % (base, os.path.getsize(path)))


if __name__ == "__main__":
    main()
