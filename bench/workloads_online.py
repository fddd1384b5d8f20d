"""(e) Online features: fs-agg-online vs PySpark Structured Streaming on the same order events.

Both sides compute the original's six online features per customer over sliding event-time
windows (1 hour, sliding 5 minutes, watermark 10 minutes, append mode) and stop when the input
is consumed (fs `--available-now`, Spark `trigger(availableNow=True)`):

    fs     an ingestion-like Delta table of the generated orders (fs-bench table-create:
           partitioned by fs_year/fs_month/fs_day, one commit = one micro-batch)
    Spark  the same rows as Parquet through the file source (one micro-batch, then the
           watermark-only batch that emits the closed windows)

Equality: every (customer_id, window) row and feature of fs's output table equals Spark's
(counts exact, doubles to 1e-9). Reported: events/s of each side and peak RSS (GNU time).
BENCH_SPARK=0 skips the Spark side (fs only, nothing compared).
"""

from __future__ import annotations

import os
import sys

from harness import BenchError, alternate, fresh, measure

HERE = os.path.dirname(os.path.abspath(__file__))
SPARK_PEER = os.path.join(HERE, "peers", "online_spark.py")


def online(ctx) -> list:
    from workloads import Row, measured_row, not_built  # late import: workloads imports this module
    if not ctx.has("fs-agg-online") or not ctx.has("fs-bench"):
        return not_built("online aggregation", "fs-agg-online", "PySpark Structured Streaming")(ctx)
    source = os.path.join(ctx.data_dir, "orders.parquet")
    table = os.path.join(ctx.work_dir, "online-input")
    spark_input = os.path.join(ctx.work_dir, "online-spark-input")
    ctx.log("online: preparing the input (fs-bench table-create; a link to orders.parquet for Spark)")
    measure([ctx.binary("fs-bench"), "table-create", "--input", source, "--table", fresh(table)])
    os.makedirs(fresh(spark_input))
    os.symlink(os.path.abspath(source), os.path.join(spark_input, "orders.parquet"))
    fs_out = os.path.join(ctx.work_dir, "online-fs")
    spark_out = os.path.join(ctx.work_dir, "online-spark")
    spark_checkpoint = os.path.join(ctx.work_dir, "online-spark-checkpoint")
    sides = {"fs-agg-online": lambda i: [
        ctx.binary("fs-agg-online"), "--master-mode", "local[*]", "--input-table", table, "--output-table", fresh(fs_out),
        "--late-table", fresh(fs_out + "_late"), "--time-field", "order_created_at", "--agg-field", "customer_id",
        "--window-duration", "1 hour", "--window-slide-duration", "5 minutes", "--watermark", "10 minutes",
        "--available-now", "--summary", "--log-level", "warning"]}
    with_spark = os.environ.get("BENCH_SPARK", "1") != "0"
    if with_spark:
        sides["PySpark Structured Streaming"] = lambda i: (
            fresh(spark_checkpoint),
            [sys.executable, SPARK_PEER, "run", "--input", spark_input, "--output", fresh(spark_out),
             "--checkpoint", spark_checkpoint, "--driver-memory", "2g" if ctx.smoke else "12g"])[1]
    ctx.log("online: fs-agg-online vs PySpark Structured Streaming (window 1 hour, slide 5 minutes, "
            "watermark 10 minutes, by customer_id, append, availableNow)")
    measured = alternate(sides, ctx.runs, ctx.log)
    fs = measured["fs-agg-online"]
    summary = fs.runs[-1].result
    fs_rate = float(summary["eventsTotal"]) / fs.median("seconds")
    note = (f"{summary['eventsTotal']} events, {summary['rowsEmitted']} window rows, {summary['windowsEmitted']} windows; "
            f"fs {fs_rate / 1e3:.0f}k events/s, state {summary['stateBytesPerKeySlice']:.0f} B per live (key, slice) "
            f"at the peak of {summary['peakLiveKeySlices']} live")
    if not with_spark:
        return [Row("online features (1 h / 5 min windows)", "fs-agg-online", "PySpark Structured Streaming",
                    fs_s=fs.median("seconds"), fs_rss_kb=fs.peak_rss_kb, check="not compared (BENCH_SPARK=0)", note=note)]
    spark = measured["PySpark Structured Streaming"]
    verdict = measure([sys.executable, SPARK_PEER, "compare", "--fs-table", fs_out, "--expected", spark_out]).result
    if not verdict.get("equal"):
        raise BenchError(f"online: fs-agg-online and Spark differ: {verdict.get('reason')}")
    spark_events = int(spark.runs[-1].result["events"])
    if spark_events != int(summary["eventsTotal"]):
        raise BenchError(f"online: Spark read {spark_events} events, fs {summary['eventsTotal']}")
    spark_rate = spark_events / spark.median("seconds")
    note += f"; Spark {spark_rate / 1e3:.1f}k events/s; fs/Spark events/s {fs_rate / spark_rate:.1f}x"
    # GNU time sees the Python driver only; the JVM reports its own peak (VmHWM).
    spark_rss = max(r.rss_kb + int(r.result.get("jvm_peak_rss_kb", 0)) for r in spark.runs)
    row = measured_row("online features (1 h / 5 min windows)", fs, spark, "equal features",
                       note + "; Spark RSS = Python + JVM peak")
    row.peer_rss_kb = spark_rss
    return [row]
