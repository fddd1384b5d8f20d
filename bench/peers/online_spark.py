#!/usr/bin/env python3
"""Peer of the online workload: PySpark Structured Streaming computing the original's six online
features over sliding event-time windows, with fs-agg-online's settings and semantics:

    source     the orders Parquet files (file source, a fixed schema), trigger availableNow
    watermark  order_created_at - 10 minutes; window(order_created_at, 1 hour, 5 minutes)
    group by   window, customer_id; append mode (a window once, after the watermark passed its end)
    features   count(customer_id), sum/mean/min/max/avg(CAST(order_total_amount AS DOUBLE))

    online_spark.py run --input DIR --output DIR --checkpoint DIR
    online_spark.py compare --fs-table DIR --expected DIR

`run` prints {"seconds": <streaming query start to termination>, "events": n, "rows": output rows,
"events_per_s": ..., "jvm_peak_rss_kb": the JVM's VmHWM}. `compare` checks fs's output table (read with delta-rs) against Spark's
Parquet output: the same (customer_id, window) rows, counts exact, doubles to 1e-9 relative.
Spark runs local[*] with spark.sql.shuffle.partitions = the core count (its default of 200 state
store partitions only slows a one-machine run down).
"""

from __future__ import annotations

import argparse
import glob
import json
import os
import sys
import time

FEATURES = ["customer-count-1h", "total-amount-sum-1h", "total-amount-mean-1h", "total-amount-min-1h",
            "total-amount-max-1h", "total-amount-avg-1h"]
KEYS = ["customer_id", "window_start", "window_end"]


def run(args) -> dict:
    os.environ["TZ"] = "UTC"
    time.tzset()
    from pyspark.sql import SparkSession, functions as F, types as T
    cores = os.cpu_count() or 2
    spark = (SparkSession.builder.master("local[*]").appName("online-peer")
             .config("spark.sql.session.timeZone", "UTC").config("spark.sql.ansi.enabled", "false")
             .config("spark.sql.shuffle.partitions", str(cores)).config("spark.ui.enabled", "false")
             .config("spark.driver.memory", args.driver_memory).getOrCreate())
    spark.sparkContext.setLogLevel("ERROR")
    schema = T.StructType([T.StructField("customer_id", T.StringType()),
                           T.StructField("order_created_at", T.TimestampType()),
                           T.StructField("order_total_amount", T.DoubleType())])
    amount = F.col("order_total_amount").cast("double")
    started = time.perf_counter()
    events = (spark.readStream.schema(schema).option("pathGlobFilter", "*.parquet").parquet(args.input)
              .withWatermark("order_created_at", "10 minutes"))
    agg = (events.groupBy(F.window("order_created_at", "1 hour", "5 minutes"), F.col("customer_id"))
           .agg(F.count("customer_id").alias(FEATURES[0]), F.sum(amount).alias(FEATURES[1]),
                F.mean(amount).alias(FEATURES[2]), F.min(amount).alias(FEATURES[3]),
                F.max(amount).alias(FEATURES[4]), F.avg(amount).alias(FEATURES[5])))
    out = agg.select("customer_id", F.col("window.start").alias("window_start"), F.col("window.end").alias("window_end"), *FEATURES)
    query = (out.writeStream.format("parquet").option("path", args.output).option("checkpointLocation", args.checkpoint)
             .outputMode("append").trigger(availableNow=True).start())
    query.awaitTermination()
    seconds = time.perf_counter() - started
    n_events = sum(p.get("numInputRows", 0) for p in query.recentProgress)
    jvm_kb = jvm_peak_rss_kb(spark)
    spark.stop()
    import pyarrow.parquet as pq
    rows = sum(pq.ParquetFile(f).metadata.num_rows for f in glob.glob(os.path.join(args.output, "*.parquet")))
    return {"seconds": seconds, "events": n_events, "rows": rows, "events_per_s": n_events / seconds if seconds > 0 else 0,
            "jvm_peak_rss_kb": jvm_kb}


def jvm_peak_rss_kb(spark) -> int:
    """Peak RSS (VmHWM) of the JVM PySpark launched: GNU time only sees the Python process."""
    try:
        pid = spark.sparkContext._gateway.proc.pid
        with open(f"/proc/{pid}/status") as f:
            for line in f:
                if line.startswith("VmHWM:"):
                    return int(line.split()[1])
    except (AttributeError, OSError, ValueError):
        pass
    return 0


def sorted_table(t):
    import pyarrow as pa
    t = t.select(KEYS + FEATURES)
    t = t.cast(pa.schema([pa.field("customer_id", pa.string()), pa.field("window_start", pa.timestamp("us", "UTC")),
                          pa.field("window_end", pa.timestamp("us", "UTC")), pa.field(FEATURES[0], pa.int64())]
                         + [pa.field(f, pa.float64()) for f in FEATURES[1:]]))
    return t.sort_by([(k, "ascending") for k in KEYS])


def compare(args) -> dict:
    import numpy as np
    import pyarrow.compute as pc
    import pyarrow.parquet as pq
    from deltalake import DeltaTable
    got = sorted_table(DeltaTable(args.fs_table).to_pyarrow_table())
    files = sorted(glob.glob(os.path.join(args.expected, "*.parquet")))
    want = sorted_table(pq.read_table(files) if files else pq.read_table(args.expected))
    if got.num_rows != want.num_rows:
        return {"equal": False, "reason": f"{got.num_rows} fs rows vs {want.num_rows} Spark rows"}
    for name in KEYS + FEATURES[:1]:
        a, b = got.column(name), want.column(name)
        if not pc.all(pc.equal(a, b)).as_py() or a.null_count or b.null_count:
            i = next(i for i in range(got.num_rows) if a[i].as_py() != b[i].as_py())
            return {"equal": False, "reason": f"row {i} {name}: fs {a[i].as_py()!r} vs Spark {b[i].as_py()!r}"}
    for name in FEATURES[1:]:
        a = got.column(name).to_numpy(zero_copy_only=False).astype(float)
        b = want.column(name).to_numpy(zero_copy_only=False).astype(float)
        ok = np.isclose(a, b, rtol=1e-9, atol=1e-9) | (np.isnan(a) & np.isnan(b))
        if not ok.all():
            i = int(np.argmin(ok))
            return {"equal": False, "reason": f"{got.column('customer_id')[i]} {got.column('window_start')[i]} {name}: "
                                              f"fs {a[i]!r} vs Spark {b[i]!r}"}
    return {"equal": True, "rows": got.num_rows}


def main() -> int:
    ap = argparse.ArgumentParser()
    ap.add_argument("command", choices=["run", "compare"])
    ap.add_argument("--input")
    ap.add_argument("--output")
    ap.add_argument("--checkpoint")
    ap.add_argument("--driver-memory", default="8g")
    ap.add_argument("--fs-table")
    ap.add_argument("--expected")
    args = ap.parse_args()
    print(json.dumps(compare(args) if args.command == "compare" else run(args)))
    return 0


if __name__ == "__main__":
    sys.exit(main())
