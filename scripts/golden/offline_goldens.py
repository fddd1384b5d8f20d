#!/usr/bin/env python3
"""Differential goldens for fs-agg-offline, computed by PySpark (the reference engine).

Writes, under Tests/FSJobsTests/Fixtures/offline/:
  orders.jsonl       seeded order-like input rows (the Swift test writes them into a Delta table
                     partitioned fs_year/fs_month/fs_day with TableWriter)
  definitions.json   the feature definitions (every operation, periods, customs with FILTER /
                     CASE / DISTINCT) — an fs definitions file
  expected-<case>.jsonl  one row per key, ordered by key (NULL first): {"customer_id": …,
                     "<feature>": value…}; doubles NaN/±Infinity as strings

The range and period semantics, in Spark SQL terms, are exactly fs-agg-offline's:
  rows in range:  start <= order_created_at < end  (dates: start 00:00, end = end-date + 1 day)
  period P:       end - P <= order_created_at (inside the range)
  a key is output when it has a row in the range; a feature over a period in which the key has no
  row is the aggregate over no rows (count 0, sum NULL, …).
Spark settings: local[1], ANSI off, UTC. Run: make golden (or $PYTHON scripts/golden/offline_goldens.py).
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

OUT = os.path.join(os.path.dirname(os.path.abspath(__file__)), "..", "..", "Tests", "FSJobsTests", "Fixtures", "offline")
UTC = dt.timezone.utc

# (name, start, end) — a date is a whole day; end-date is inclusive, a date-time end exclusive.
CASES = [
    ("dates", "2019-06-01", "2019-06-30"),
    ("datetimes", "2019-06-03T06:00:00Z", "2019-06-20T12:30:00Z"),
]

AMT = "order_total_amount"
DEFINITIONS = [
    {"featureName": "orders", "expression": "count(*)"},
    {"featureName": "orders-1d", "period": "1 day", "expression": "count(*)"},
    {"featureName": "orders-7d", "period": "7 days", "expression": "count(*)"},
    {"featureName": "orders-12h", "period": "12 hours", "expression": "count(*)"},
    {"featureName": "amount-count", "field": AMT, "operation": "count"},
    {"featureName": "amount-sum", "field": AMT, "operation": "sum"},
    {"featureName": "amount-sum-1d", "period": "1 day", "field": AMT, "operation": "sum"},
    {"featureName": "amount-sum-3d", "period": "3 days", "field": AMT, "operation": "sum"},
    {"featureName": "amount-sum-7d", "period": "7 days", "field": AMT, "operation": "sum"},
    {"featureName": "amount-sum-14d", "period": "14 days", "field": AMT, "operation": "sum"},
    {"featureName": "amount-avg", "field": AMT, "operation": "avg"},
    {"featureName": "amount-avg-3d", "period": "3 days", "field": AMT, "operation": "avg"},
    {"featureName": "amount-mean-7d", "period": "7 days", "field": AMT, "operation": "mean"},
    {"featureName": "amount-min", "field": AMT, "operation": "min"},
    {"featureName": "amount-min-3d", "period": "3 days", "field": AMT, "operation": "min"},
    {"featureName": "amount-max", "field": AMT, "operation": "max"},
    {"featureName": "amount-max-7d", "period": "7 days", "field": AMT, "operation": "max"},
    {"featureName": "amount-stddev", "field": AMT, "operation": "stddev"},
    {"featureName": "amount-stddev-pop", "field": AMT, "operation": "stddev_pop"},
    {"featureName": "amount-variance-7d", "period": "7 days", "field": AMT, "operation": "variance"},
    {"featureName": "amount-var-pop", "field": AMT, "operation": "var_pop"},
    {"featureName": "amount-skewness", "field": AMT, "operation": "skewness"},
    {"featureName": "amount-kurtosis", "field": AMT, "operation": "kurtosis"},
    {"featureName": "merchants", "field": "merchant_id", "operation": "count_distinct"},
    {"featureName": "merchants-7d", "period": "7 days", "field": "merchant_id", "operation": "count_distinct"},
    {"featureName": "approx-merchants", "field": "merchant_id", "operation": "approx_count_distinct"},
    {"featureName": "items-sum", "field": "items", "operation": "sum"},
    {"featureName": "items-max-3d", "period": "3 days", "field": "items", "operation": "max"},
    {"featureName": "platforms", "field": "platform", "operation": "collect_set_size"},
    {"featureName": "scheduled-all", "field": "scheduled", "operation": "bool_and"},
    {"featureName": "scheduled-any-7d", "period": "7 days", "field": "scheduled", "operation": "bool_or"},
    {"featureName": "last-merchant-min", "field": "merchant_id", "operation": "min"},
    {"featureName": "ios-avg", "expression": "avg(order_total_amount) FILTER (WHERE platform = 'IOS')"},
    {"featureName": "ios-count-7d", "period": "7 days", "expression": "count(*) FILTER (WHERE platform = 'IOS')"},
    {"featureName": "big-amount-3d", "period": "3 days", "expression": "sum(CASE WHEN order_total_amount > 50 THEN order_total_amount ELSE 0 END)"},
    {"featureName": "distinct-merchants-3d", "period": "3 days", "expression": "count(DISTINCT merchant_id)"},
    {"featureName": "distinct-items", "expression": "count(DISTINCT items)"},
    {"featureName": "sum-distinct-items", "expression": "sum(DISTINCT items)"},
    {"featureName": "share-ios-7d", "period": "7 days", "expression": "count_if(platform = 'IOS') / count(*)"},
    {"featureName": "max-by-amount", "expression": "max_by(merchant_id, order_total_amount)"},
    {"featureName": "min-by-amount", "expression": "min_by(merchant_id, order_total_amount)"},
    {"featureName": "amount-range", "expression": "max(order_total_amount) - min(order_total_amount)"},
    {"featureName": "amount-per-item", "expression": "sum(order_total_amount) / nullif(sum(items), 0)"},
    {"featureName": "corr-amount-items", "expression": "corr(order_total_amount, items)"},
    {"featureName": "covar-amount-items-7d", "period": "7 days", "expression": "covar_samp(order_total_amount, CAST(items AS DOUBLE))"},
    {"featureName": "late-evening-orders", "expression": "sum(CASE WHEN hour(order_created_at) >= 20 THEN 1 ELSE 0 END)"},
    {"featureName": "days-active", "expression": "count(DISTINCT to_date(order_created_at))"},
    {"featureName": "cheap-or-ios", "expression": "count(*) FILTER (WHERE order_total_amount < 20 OR platform = 'IOS')"},
]

SCHEMA = T.StructType([
    T.StructField("customer_id", T.StringType()),
    T.StructField("merchant_id", T.StringType()),
    T.StructField("order_total_amount", T.DoubleType()),
    T.StructField("items", T.IntegerType()),
    T.StructField("platform", T.StringType()),
    T.StructField("scheduled", T.BooleanType()),
    T.StructField("order_created_at", T.TimestampType()),
])


def make_rows():
    """Customers with a purpose: c00..c19 ordinary, 'solo' one row in range, 'nulls' all-NULL
    amounts, 'outside' rows only outside every range (must not be output), 'ñandú' non-ASCII,
    NULL customer ids (one group), rows on the range boundaries."""
    rng = random.Random(20191130)
    first = dt.datetime(2019, 5, 25, tzinfo=UTC)
    span = 45 * 86400
    rows = []

    def row(cust, ts, amount="rand", items=None, merchant=None, platform=None, scheduled=None):
        if amount == "rand":
            amount = None if rng.random() < 0.05 else round(rng.uniform(5, 120), 2)
        rows.append((cust,
                     merchant if merchant is not None else f"m{rng.randrange(12):02d}",
                     amount,
                     items if items is not None else rng.choice([None, 1, 1, 2, 3, 4, 7]),
                     platform if platform is not None else rng.choice(["IOS", "ANDROID", "DESKTOP", None]),
                     scheduled if scheduled is not None else rng.random() < 0.2,
                     ts))

    for _ in range(700):
        cust = rng.choice([f"c{i:02d}" for i in range(20)] + ["ñandú", None])
        ts = first + dt.timedelta(seconds=rng.randrange(span), microseconds=rng.randrange(1_000_000))
        row(cust, ts)
    row("solo", dt.datetime(2019, 6, 10, 13, 0, tzinfo=UTC), amount=42.5, items=2, platform="IOS")
    for d in (3, 9, 15):
        row("nulls", dt.datetime(2019, 6, d, 10, 0, tzinfo=UTC), amount=None, items=None, platform=None)
    row("outside", dt.datetime(2019, 5, 31, 23, 59, 59, 999999, tzinfo=UTC))
    row("outside", dt.datetime(2019, 7, 1, 0, 0, tzinfo=UTC))
    # Boundaries of both cases: first instant in, last instant in, first instant out.
    row("edge", dt.datetime(2019, 6, 1, 0, 0, tzinfo=UTC), amount=1.0)
    row("edge", dt.datetime(2019, 6, 30, 23, 59, 59, 999999, tzinfo=UTC), amount=2.0)
    row("edge", dt.datetime(2019, 6, 3, 6, 0, tzinfo=UTC), amount=4.0)
    row("edge", dt.datetime(2019, 6, 20, 12, 29, 59, 999999, tzinfo=UTC), amount=8.0)
    row("edge", dt.datetime(2019, 6, 20, 12, 30, tzinfo=UTC), amount=16.0)
    row("edge", dt.datetime(2019, 6, 29, 23, 59, 59, 999999, tzinfo=UTC), amount=32.0)  # just before the 1-day period
    return rows


def bound(text, is_end):
    if len(text) == 10:
        d = dt.datetime.strptime(text, "%Y-%m-%d").replace(tzinfo=UTC)
        return d + dt.timedelta(days=1) if is_end else d
    return dt.datetime.strptime(text, "%Y-%m-%dT%H:%M:%SZ").replace(tzinfo=UTC)


def period_seconds(text):
    n, unit = text.split()
    return int(n) * {"day": 86400, "days": 86400, "hours": 3600, "hour": 3600}[unit]


def expression(d):
    if "expression" in d:
        return d["expression"]
    op, f = d["operation"], f"`{d['field']}`"
    if op == "count_distinct":
        return f"count(DISTINCT {f})"
    if op == "collect_set_size":
        return f"size(collect_set({f}))"
    return f"{op}({f})"


def sql_ts(t):
    return "TIMESTAMP '" + t.strftime("%Y-%m-%d %H:%M:%S.%f") + "'"


def encode(v):
    if isinstance(v, float):
        if math.isnan(v):
            return "NaN"
        if math.isinf(v):
            return "Infinity" if v > 0 else "-Infinity"
    if isinstance(v, (dt.datetime, dt.date)):
        return v.isoformat()
    return v


def spark_case(spark, start, end):
    s, e = bound(start, False), bound(end, True)
    spark.sql(f"CREATE OR REPLACE TEMP VIEW r AS SELECT * FROM orders WHERE order_created_at >= {sql_ts(s)} AND order_created_at < {sql_ts(e)}")
    keys = [r[0] for r in spark.sql("SELECT DISTINCT customer_id FROM r").collect()]
    table = {k: {"customer_id": k} for k in keys}
    for d in DEFINITIONS:
        expr = expression(d)
        where = ""
        if "period" in d:
            ps = e - dt.timedelta(seconds=period_seconds(d["period"]))
            where = f"WHERE order_created_at >= {sql_ts(ps)}"
        got = {r[0]: r[1] for r in spark.sql(f"SELECT customer_id, {expr} FROM r {where} GROUP BY customer_id").collect()}
        empty = spark.sql(f"SELECT {expr} FROM r WHERE false").collect()[0][0]
        for k in keys:
            table[k][d["featureName"]] = encode(got[k] if k in got else empty)
    return sorted(table.values(), key=lambda r: (r["customer_id"] is not None, (r["customer_id"] or "").encode()))


def main():
    os.makedirs(OUT, exist_ok=True)
    rows = make_rows()
    spark = (SparkSession.builder.master("local[1]").appName("offline-goldens")
             .config("spark.sql.ansi.enabled", "false").config("spark.sql.session.timeZone", "UTC")
             .config("spark.sql.shuffle.partitions", "1").config("spark.ui.enabled", "false").getOrCreate())
    spark.sparkContext.setLogLevel("ERROR")
    spark.createDataFrame(rows, SCHEMA).createOrReplaceTempView("orders")
    with open(os.path.join(OUT, "orders.jsonl"), "w", encoding="utf-8") as f:
        for r in rows:
            rec = dict(zip([x.name for x in SCHEMA.fields], r))
            rec["order_created_at"] = rec["order_created_at"].strftime("%Y-%m-%dT%H:%M:%S.%fZ")
            f.write(json.dumps(rec, ensure_ascii=False) + "\n")
    with open(os.path.join(OUT, "definitions.json"), "w", encoding="utf-8") as f:
        f.write("[\n" + ",\n".join("  " + json.dumps(d, ensure_ascii=False) for d in DEFINITIONS) + "\n]\n")
    for name, start, end in CASES:
        out = spark_case(spark, start, end)
        with open(os.path.join(OUT, f"expected-{name}.jsonl"), "w", encoding="utf-8") as f:
            f.write(json.dumps({"start": start, "end": end}) + "\n")
            for r in out:
                f.write(json.dumps(r, ensure_ascii=False) + "\n")
        print(f"offline goldens: {name}: {len(out)} keys, {len(DEFINITIONS)} features")
    spark.stop()
    return 0


if __name__ == "__main__":
    sys.exit(main())
