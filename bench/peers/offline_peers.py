#!/usr/bin/env python3
"""Peers of the offline workload: the features of jobs/offline-reference.json per customer over a
date range of the hive-partitioned orders, with fs-agg-offline's semantics:

    rows      start 00:00 <= order_created_at < end-date + 1 day (UTC)
    period N  end - N days <= order_created_at
    sum/avg/min/max/stddev over no rows is NULL, count is 0

    offline_peers.py duckdb|polars|spark --input DIR --start 2019-06-01 --end 2019-11-30 --output out.parquet
    offline_peers.py compare --fs-table DIR --expected out.parquet

Each engine reads the hive directory with its own partition pruning (fs_year/fs_month/fs_day
filters from the range), runs with its defaults (all cores), writes the features sorted by
customer_id and prints {"seconds": <query + write>, "rows": n} on stdout. `compare` checks an
fs output partition against a peer's file: same keys, counts exact, doubles to 1e-9 relative.
"""

from __future__ import annotations

import argparse
import datetime as dt
import glob
import json
import math
import os
import sys
import time

PERIODS = (7, 30, 90)
FEATURES = (["orders", "amount-sum", "amount-avg", "amount-min", "amount-max"]
            + [f for n in PERIODS for f in (f"orders-{n}d", f"amount-sum-{n}d")]
            + ["merchants", "amount-stddev"])


def bounds(start: str, end: str):
    s = dt.datetime.fromisoformat(start).replace(tzinfo=dt.timezone.utc)
    e = dt.datetime.fromisoformat(end).replace(tzinfo=dt.timezone.utc) + dt.timedelta(days=1)
    return s, e


def months(s: dt.datetime, e: dt.datetime):
    """(year, month) pairs the range touches, for partition filters."""
    last = e - dt.timedelta(microseconds=1)
    y, m, out = s.year, s.month, []
    while (y, m) <= (last.year, last.month):
        out.append((y, m))
        y, m = (y + 1, 1) if m == 12 else (y, m + 1)
    return out


def sql(source: str, s, e, ts, q: str = '"') -> str:
    parts = " OR ".join(f"(fs_year = {y} AND fs_month = {m})" for y, m in months(s, e))
    cols = [f"count(*) AS {q}orders{q}", f"sum(order_total_amount) AS {q}amount-sum{q}", f"avg(order_total_amount) AS {q}amount-avg{q}",
            f"min(order_total_amount) AS {q}amount-min{q}", f"max(order_total_amount) AS {q}amount-max{q}"]
    for n in PERIODS:
        p = ts(e - dt.timedelta(days=n))
        cols += [f"count(*) FILTER (WHERE order_created_at >= {p}) AS {q}orders-{n}d{q}",
                 f"sum(order_total_amount) FILTER (WHERE order_created_at >= {p}) AS {q}amount-sum-{n}d{q}"]
    cols += [f"count(DISTINCT merchant_id) AS {q}merchants{q}", f"stddev_samp(order_total_amount) AS {q}amount-stddev{q}"]
    return (f"SELECT customer_id, {', '.join(cols)} FROM {source} "
            f"WHERE ({parts}) AND order_created_at >= {ts(s)} AND order_created_at < {ts(e)} "
            f"GROUP BY customer_id ORDER BY customer_id")


def run_duckdb(args, s, e):
    import duckdb
    con = duckdb.connect()
    con.execute("SET TimeZone = 'UTC'")
    src = f"read_parquet('{args.input}/**/*.parquet', hive_partitioning = true)"
    q = sql(src, s, e, lambda t: f"TIMESTAMPTZ '{t.strftime('%Y-%m-%d %H:%M:%S')}+00'")
    started = time.perf_counter()
    con.execute(f"COPY ({q}) TO '{args.output}' (FORMAT PARQUET)")
    seconds = time.perf_counter() - started
    rows = con.execute(f"SELECT count(*) FROM read_parquet('{args.output}')").fetchone()[0]
    return seconds, rows


def run_polars(args, s, e):
    import polars as pl
    started = time.perf_counter()
    lf = pl.scan_parquet(f"{args.input}/**/*.parquet", hive_partitioning=True)
    part = None
    for y, m in months(s, e):
        t = (pl.col("fs_year") == y) & (pl.col("fs_month") == m)
        part = t if part is None else part | t
    t = pl.col("order_created_at")
    lf = lf.filter(part & (t >= s) & (t < e))
    amt = pl.col("order_total_amount")
    aggs = [pl.len().alias("orders"), amt.sum().alias("amount-sum"), amt.mean().alias("amount-avg"),
            amt.min().alias("amount-min"), amt.max().alias("amount-max")]
    for n in PERIODS:
        inside = t >= (e - dt.timedelta(days=n))
        sub = amt.filter(inside)
        aggs += [inside.sum().cast(pl.Int64).alias(f"orders-{n}d"),
                 pl.when(sub.count() > 0).then(sub.sum()).otherwise(None).alias(f"amount-sum-{n}d")]
    aggs += [pl.col("merchant_id").drop_nulls().n_unique().cast(pl.Int64).alias("merchants"), amt.std().alias("amount-stddev")]
    # Polars' sum of an all-null column is 0; fs, DuckDB and Spark say NULL.
    df = lf.group_by("customer_id").agg(aggs + [amt.count().alias("_n")])
    df = df.with_columns(pl.when(pl.col("_n") > 0).then(pl.col("amount-sum")).otherwise(None).alias("amount-sum"))
    df = df.drop("_n").with_columns(pl.col("orders").cast(pl.Int64)).sort("customer_id", nulls_last=False).collect()
    df.write_parquet(args.output)
    return time.perf_counter() - started, df.height


def run_spark(args, s, e):
    os.environ["TZ"] = "UTC"
    time.tzset()
    from pyspark.sql import SparkSession
    spark = (SparkSession.builder.master("local[*]").appName("offline-peer")
             .config("spark.sql.session.timeZone", "UTC").config("spark.sql.ansi.enabled", "false")
             .config("spark.ui.enabled", "false").config("spark.driver.memory", "2g").getOrCreate())
    spark.sparkContext.setLogLevel("ERROR")
    started = time.perf_counter()
    spark.read.parquet(args.input).createOrReplaceTempView("orders")
    df = spark.sql(sql("orders", s, e, lambda t: f"TIMESTAMP '{t.strftime('%Y-%m-%d %H:%M:%S')}'", q="`"))
    rows = df.collect()
    seconds_query = time.perf_counter() - started
    spark.stop()
    import pyarrow as pa
    import pyarrow.parquet as pq
    names = ["customer_id"] + FEATURES
    pq.write_table(pa.table({n: [r[i] for r in rows] for i, n in enumerate(names)}), args.output)
    return seconds_query, len(rows)


def compare(args) -> dict:
    import pyarrow.parquet as pq
    files = sorted(glob.glob(os.path.join(args.fs_table, "year=*", "month=*", "day=*", "*.parquet")))
    if len(files) != 1:
        return {"equal": False, "reason": f"expected one fs output file, found {len(files)}"}
    got = pq.read_table(files[0]).to_pylist()
    want = pq.read_table(args.expected).to_pylist()
    if len(got) != len(want):
        return {"equal": False, "reason": f"{len(got)} fs rows vs {len(want)} peer rows"}
    key = lambda r: (r["customer_id"] is not None, (r["customer_id"] or "").encode())
    got.sort(key=key)
    want.sort(key=key)
    for g, w in zip(got, want):
        for name in ["customer_id"] + FEATURES:
            a, b = g.get(name), w.get(name)
            if isinstance(a, float) or isinstance(b, float):
                ok = (a is None and b is None) or (a is not None and b is not None and
                                                   (math.isclose(a, b, rel_tol=1e-9, abs_tol=1e-9) or (math.isnan(a) and math.isnan(b))))
            else:
                ok = a == b
            if not ok:
                return {"equal": False, "reason": f"customer {g['customer_id']!r} {name}: fs {a!r} vs peer {b!r}"}
    return {"equal": True, "rows": len(got)}


def main() -> int:
    ap = argparse.ArgumentParser()
    ap.add_argument("command", choices=["duckdb", "polars", "spark", "compare"])
    ap.add_argument("--input")
    ap.add_argument("--start")
    ap.add_argument("--end")
    ap.add_argument("--output")
    ap.add_argument("--fs-table")
    ap.add_argument("--expected")
    args = ap.parse_args()
    if args.command == "compare":
        print(json.dumps(compare(args)))
        return 0
    s, e = bounds(args.start, args.end)
    seconds, rows = {"duckdb": run_duckdb, "polars": run_polars, "spark": run_spark}[args.command](args, s, e)
    print(json.dumps({"seconds": seconds, "rows": rows}))
    return 0


if __name__ == "__main__":
    sys.exit(main())
