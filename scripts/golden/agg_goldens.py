#!/usr/bin/env python3
"""Aggregate goldens for FSAggregation, computed by PySpark (the reference engine).

Writes, under Tests/FSAggregationTests/Goldens/:
  agg_input.tsv   the input rows (seeded, committed; typed header, \\N = NULL)
  aggregates.txt  one block per aggregate case: the Spark SQL call, an engine-free spec the
                  Swift test executes directly, the result type, and the result of the global
                  aggregate (`*`), of the global aggregate over no rows (`(empty)`), and of
                  every group of GROUP BY k (`k=<json key>`; `k=NULL` for the NULL key)
  xxhash64.txt    Spark's xxhash64(x) (seed 42) of every non-NULL input value per column:
                  checks fs's XXH64, on which approx_count_distinct depends

Spark settings: local[1], one partition (so first/last follow file order), ANSI off, UTC.
Run: make golden (or $PYTHON scripts/golden/agg_goldens.py). Takes a minute or two.
"""
import datetime as dt
import json
import math
import os
import random
import sys
import time

os.environ["TZ"] = "UTC"
time.tzset()

from pyspark.sql import SparkSession  # noqa: E402
from pyspark.sql import types as T  # noqa: E402

OUT = os.path.join(os.path.dirname(os.path.abspath(__file__)), "..", "..", "Tests", "FSAggregationTests", "Goldens")

COLUMNS = [  # name, Spark SQL type, fs type name
    ("k", T.StringType(), "string"),
    ("i", T.IntegerType(), "int32"),
    ("l", T.LongType(), "int64"),
    ("d", T.DoubleType(), "double"),
    ("y", T.DoubleType(), "double"),
    ("s", T.StringType(), "string"),
    ("b", T.BooleanType(), "boolean"),
    ("f", T.BooleanType(), "boolean"),
    ("dt", T.DateType(), "date"),
    ("ts", T.TimestampType(), "timestamp"),
]
WORDS = ["", "a", "b", "ab", "abc", "B", "é", "日本", "zz", "ü", "a b", "tab\there", "quote\"x"]
EPOCH = dt.datetime(1970, 1, 1)


def make_rows():
    """Groups with a purpose: a/b mixed data, c one row, d all-NULL values, e NaN/±0/∞,
    f Int64 overflow, é non-ASCII key, NULL key, h ~1500 distinct values (HyperLogLog++ past
    linear counting and through bias correction), g constant values (zero variance)."""
    rng = random.Random(20240601)
    rows = []

    def row(k, i=None, l=None, d=None, y=None, s=None, b=None, f=None, day=None, us=None):
        f = rng.random() < 0.6 if f is None else f
        dte = None if day is None else (EPOCH + dt.timedelta(days=day)).date()
        tsv = None if us is None else EPOCH + dt.timedelta(microseconds=us)
        rows.append((k, i, l, d, y, s, b, f, dte, tsv))

    def maybe(x, p=0.15):
        return None if rng.random() < p else x

    for k in ["a", "b"]:
        for _ in range(40):
            row(k, maybe(rng.randint(-50, 50)), maybe(rng.randint(-10**6, 10**6)),
                maybe(round(rng.uniform(-100, 100), 3)), maybe(round(rng.uniform(-10, 10), 2)),
                maybe(rng.choice(WORDS)), maybe(rng.random() < 0.5), None,
                maybe(18000 + rng.randint(0, 60)), maybe(rng.randint(0, 10**12)))
    row("c", 7, 7, 7.5, 1.0, "solo", True, True, 18000, 1_600_000_000_000_000)
    for _ in range(4):
        row("d", None, None, None, None, None, None, None, None, None)
    for d in [float("nan"), 0.0, -0.0, 1.5, float("nan"), -2.0, float("inf"), 3.0]:
        row("e", rng.randint(0, 3), rng.randint(0, 3), d, rng.choice([0.0, -0.0, 1.0, 2.0]),
            rng.choice(["x", "y"]), True, None, 18001, 5)
    for l in [2**62, 2**62, 2**62, -5, 2**62]:
        row("f", 2**31 - 1, l, 1e308, 1e308, "big", False, None, 0, -1)
    for _ in range(6):
        row("é", rng.randint(-3, 3), rng.randint(-3, 3), round(rng.uniform(0, 1), 4), round(rng.uniform(0, 1), 4),
            rng.choice(WORDS), rng.random() < 0.5, None, 19000, 123_456_789)
    for _ in range(5):
        row(None, rng.randint(0, 9), rng.randint(0, 9), rng.choice([1.0, 2.0, None]), 1.0, "nk", None, None, None, None)
    for _ in range(6):
        row("g", 5, 5, 2.5, 4.0, "same", True, None, 18500, 42)
    for n in range(1500):
        v = rng.randint(0, 10**9)
        row("h", n % 1234, v, v / 7.0, float(n % 97), "h%d" % (n % 1400), n % 3 == 0, None, n % 800, v * 1000)
    return rows


def fmt_input(v, ftype):
    if v is None:
        return "\\N"
    if ftype == "double":
        return fmt_double(v)
    if ftype == "boolean":
        return "true" if v else "false"
    if ftype == "date":
        return v.isoformat()
    if ftype == "timestamp":
        return v.strftime("%Y-%m-%d %H:%M:%S.%f")
    if ftype == "string":
        return json.dumps(v, ensure_ascii=False)
    return str(v)


def fmt_double(x):
    if math.isnan(x):
        return "NaN"
    if math.isinf(x):
        return "Infinity" if x > 0 else "-Infinity"
    return repr(float(x))


def cases():
    """(spec, sql): spec = engine-free description the Swift test executes."""
    out = []

    def add(kind, args, sql, distinct=False, ignore_nulls=False, filt=None, params=()):
        spec = "kind=%s args=%s distinct=%d ignoreNulls=%d filter=%s params=%s" % (
            kind, ",".join(args) or "-", distinct, ignore_nulls, filt or "-",
            ",".join(params) or "-")
        if filt:
            sql += " FILTER (WHERE %s)" % filt
        out.append((spec, sql))

    all_cols = ["i", "l", "d", "s", "b", "dt", "ts"]
    add("count(*)", [], "count(*)")
    for c in all_cols:
        add("count", [c], "count(%s)" % c)
        add("min", [c], "min(%s)" % c)
        add("max", [c], "max(%s)" % c)
        add("first", [c], "first(%s)" % c)
        add("last", [c], "last(%s)" % c)
        add("first", [c], "first(%s, true)" % c, ignore_nulls=True)
        add("last", [c], "last(%s, true)" % c, ignore_nulls=True)
        add("count", [c], "count(DISTINCT %s)" % c, distinct=True)
        add("size(collect_set)", [c], "size(collect_set(%s))" % c)
        add("size(collect_list)", [c], "size(collect_list(%s))" % c)
        add("approx_count_distinct", [c], "approx_count_distinct(%s)" % c)
    for c in ["i", "l", "d"]:
        add("sum", [c], "sum(%s)" % c)
        add("avg", [c], "avg(%s)" % c)
        for k in ["stddev_samp", "stddev_pop", "var_samp", "var_pop", "skewness", "kurtosis"]:
            add(k, [c], "%s(%s)" % (k, c))
        add("sum", [c], "sum(DISTINCT %s)" % c, distinct=True)
        add("avg", [c], "avg(DISTINCT %s)" % c, distinct=True)
        add("percentile_approx", [c], "percentile_approx(%s, 0.5)" % c, params=["0.5"])
        add("percentile_approx", [c], "percentile_approx(%s, 0.25, 100)" % c, params=["0.25", "100"])
    for k in ["corr", "covar_samp", "covar_pop"]:
        add(k, ["d", "y"], "%s(d, y)" % k)
        add(k, ["i", "y"], "%s(i, y)" % k)
    for k in ["max_by", "min_by"]:
        add(k, ["s", "d"], "%s(s, d)" % k)
        add(k, ["i", "s"], "%s(i, s)" % k)
        add(k, ["d", "ts"], "%s(d, ts)" % k)
    add("count_if", ["b"], "count_if(b)")
    add("bool_and", ["b"], "bool_and(b)")
    add("bool_or", ["b"], "bool_or(b)")
    add("sum", ["d"], "sum(d)", filt="f")
    add("count(*)", [], "count(*)", filt="f")
    add("avg", ["i"], "avg(i)", filt="f")
    add("max", ["s"], "max(s)", filt="f")
    add("count", ["s"], "count(DISTINCT s)", distinct=True, filt="f")
    add("stddev_samp", ["d"], "stddev(d)", filt="f")
    add("first", ["s"], "first(s)", filt="f")
    add("approx_count_distinct", ["l"], "approx_count_distinct(l, 0.01)", params=["0.01"])
    add("sum", ["l"], "sum(l)", filt="b")
    return out


def result_sql(sql, rtype):
    if isinstance(rtype, T.DateType) or isinstance(rtype, T.TimestampType):
        return "CAST(%s AS STRING)" % sql
    return sql


def fmt_result(v, rtype):
    if v is None:
        return "NULL"
    if isinstance(rtype, T.DoubleType):
        return fmt_double(v)
    if isinstance(rtype, T.BooleanType):
        return "true" if v else "false"
    if isinstance(rtype, T.StringType):
        return json.dumps(v, ensure_ascii=False)
    return str(v)  # ints; dates/timestamps already cast to text


def main():
    os.makedirs(OUT, exist_ok=True)
    spark = (SparkSession.builder.master("local[1]")
             .config("spark.sql.ansi.enabled", "false")
             .config("spark.sql.session.timeZone", "UTC")
             .config("spark.sql.shuffle.partitions", "1")
             .config("spark.ui.enabled", "false")
             .getOrCreate())
    spark.sparkContext.setLogLevel("ERROR")
    schema = T.StructType([T.StructField(n, t, True) for n, t, _ in COLUMNS])
    rows = make_rows()
    df = spark.createDataFrame(rows, schema).coalesce(1)
    df.createOrReplaceTempView("t")

    with open(os.path.join(OUT, "agg_input.tsv"), "w", encoding="utf-8") as fh:
        fh.write("\t".join("%s:%s" % (n, ft) for n, _, ft in COLUMNS) + "\n")
        for r in rows:
            fh.write("\t".join(fmt_input(v, ft) for v, (_, _, ft) in zip(r, COLUMNS)) + "\n")

    blocks = ["# Aggregate goldens: generated by scripts/golden/agg_goldens.py with PySpark %s" % spark.version,
              "# (local[1], ANSI off, UTC). Do not edit; re-run the script (make golden).", ""]
    for spec, sql in cases():
        rtype = spark.sql("SELECT %s AS r FROM t" % sql).schema["r"].dataType
        q = result_sql(sql, rtype)
        glob = spark.sql("SELECT %s AS r FROM t" % q).collect()[0]["r"]
        empty = spark.sql("SELECT %s AS r FROM t WHERE false" % q).collect()[0]["r"]
        grouped = spark.sql("SELECT k, %s AS r FROM t GROUP BY k" % q).collect()
        grouped.sort(key=lambda r: (r["k"] is not None, r["k"] or ""))
        blocks.append("== " + sql)
        blocks.append("spec: " + spec)
        blocks.append("type: " + rtype.simpleString())
        blocks.append("* => " + fmt_result(glob, rtype))
        blocks.append("(empty) => " + fmt_result(empty, rtype))
        for r in grouped:
            key = "NULL" if r["k"] is None else json.dumps(r["k"], ensure_ascii=False)
            blocks.append("k=%s => %s" % (key, fmt_result(r["r"], rtype)))
        blocks.append("")
    with open(os.path.join(OUT, "aggregates.txt"), "w", encoding="utf-8") as fh:
        fh.write("\n".join(blocks))

    hashes = ["# Spark xxhash64(x) (seed 42) per non-NULL value: column, row (0-based), hash. Generated."]
    for c in ["i", "l", "d", "s", "b", "dt", "ts"]:
        res = spark.sql("SELECT %s AS v, xxhash64(%s) AS h FROM t" % (c, c)).collect()
        for idx, r in enumerate(res):
            if r["v"] is not None and (idx < 120 or idx % 50 == 0):
                hashes.append("%s\t%d\t%d" % (c, idx, r["h"]))
    with open(os.path.join(OUT, "xxhash64.txt"), "w", encoding="utf-8") as fh:
        fh.write("\n".join(hashes) + "\n")
    spark.stop()
    print("wrote goldens to", os.path.normpath(OUT), file=sys.stderr)


if __name__ == "__main__":
    main()
