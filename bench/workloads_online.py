"""(e) Online features: fs-agg-online vs Polars `group_by_dynamic` and PySpark Structured
Streaming on the same order events.

Both sides compute the original's six online features per customer over sliding event-time
windows (1 hour, sliding 5 minutes, watermark 10 minutes, append mode) and stop when the input
is consumed (fs `--available-now`, Spark `trigger(availableNow=True)`):

    fs     an ingestion-like Delta table of the generated orders (fs-bench table-create:
           partitioned by fs_year/fs_month/fs_day, one commit = one micro-batch)
    Polars orders.parquet read into memory, `group_by_dynamic` (every 5 min, period 1 h, by
           customer), the windows closed by the watermark kept; nothing written (issue #15's peer:
           fs, writing its Delta output, should take at most half Polars' time)
    Spark  the same rows as Parquet through the file source (one micro-batch, then the
           watermark-only batch that emits the closed windows)

Equality: every (customer_id, window) row and feature of fs's output table equals Polars' and
Spark's (counts exact, doubles to 1e-9). Reported: events/s of each side, peak RSS (GNU time) and
issue #15's goals (>= 1M events/s; >= 2x Polars) as met / not met. BENCH_SPARK=0 skips Spark.
"""

from __future__ import annotations

import os
import sys

from harness import BenchError, alternate, fresh, measure

HERE = os.path.dirname(os.path.abspath(__file__))
SPARK_PEER = os.path.join(HERE, "peers", "online_spark.py")
POLARS_PEER = os.path.join(HERE, "peers", "online_polars.py")
ROW_NAME = "online features (1 h / 5 min windows)"


# Issue #15's goals for fs-agg-online (judged at 1M events or more).
GOAL_EVENTS_PER_S = 1e6
GOAL_POLARS_RATIO = 2.0
GOAL_MIN_EVENTS = 1_000_000


def online(ctx) -> list:
    from workloads import goal, measured_row, not_built  # late import: workloads imports this module
    if not ctx.has("fs-agg-online") or not ctx.has("fs-bench"):
        return not_built("online aggregation", "fs-agg-online", "Polars group_by_dynamic, PySpark Structured Streaming")(ctx)
    source = os.path.join(ctx.data_dir, "orders.parquet")
    table = os.path.join(ctx.work_dir, "online-input")
    spark_input = os.path.join(ctx.work_dir, "online-spark-input")
    ctx.log("online: preparing the input (fs-bench table-create; a link to orders.parquet for Spark)")
    measure([ctx.binary("fs-bench"), "table-create", "--input", source, "--table", fresh(table)])
    os.makedirs(fresh(spark_input))
    os.symlink(os.path.abspath(source), os.path.join(spark_input, "orders.parquet"))
    fs_out = os.path.join(ctx.work_dir, "online-fs")
    polars_out = os.path.join(ctx.work_dir, "online-polars.parquet")
    spark_out = os.path.join(ctx.work_dir, "online-spark")
    spark_checkpoint = os.path.join(ctx.work_dir, "online-spark-checkpoint")
    polars = "Polars group_by_dynamic"
    sides = {"fs-agg-online": lambda i: [
        ctx.binary("fs-agg-online"), "--master-mode", "local[*]", "--input-table", table, "--output-table", fresh(fs_out),
        "--late-table", fresh(fs_out + "_late"), "--time-field", "order_created_at", "--agg-field", "customer_id",
        "--window-duration", "1 hour", "--window-slide-duration", "5 minutes", "--watermark", "10 minutes",
        "--available-now", "--summary", "--log-level", "warning"],
        polars: lambda i: [sys.executable, POLARS_PEER, "run", "--input", source, "--output", fresh(polars_out)]}
    ctx.log("online: fs-agg-online vs Polars group_by_dynamic (window 1 hour, slide 5 minutes, by customer_id, "
            "closed windows, in memory)")
    measured = alternate(sides, ctx.runs, ctx.log)
    fs, peer = measured["fs-agg-online"], measured[polars]
    summary = fs.runs[-1].result
    events = int(summary["eventsTotal"])
    check_peer(polars, measure([sys.executable, SPARK_PEER, "compare", "--fs-table", fs_out, "--expected", polars_out]).result,
               int(peer.runs[-1].result["events"]), events)
    fs_rate = events / fs.median("seconds")
    polars_ratio = peer.median("seconds") / fs.median("seconds")
    judged = events >= GOAL_MIN_EVENTS
    goals = [goal("fs-agg-online >= 1M events/s end to end", f"{fs_rate / 1e6:.2f}M events/s",
                  fs_rate >= GOAL_EVENTS_PER_S, judged),
             goal("fs-agg-online >= 2x Polars group_by_dynamic (fs writing Delta, Polars in memory)",
                  f"Polars/fs time {polars_ratio:.2f}x", polars_ratio >= GOAL_POLARS_RATIO, judged)]
    note = (f"{events} events, {summary['rowsEmitted']} window rows, {summary['windowsEmitted']} windows; "
            f"fs {fs_rate / 1e3:.0f}k events/s, Polars {events / peer.median('seconds') / 1e3:.0f}k events/s "
            f"(process wall: fs {fs.median_wall_s:.2f} s, Polars {peer.median_wall_s:.2f} s; CPU user+sys: fs "
            f"{fs.median_cpu_s:.2f} s whole process, Polars {peer.median('cpu_seconds'):.2f} s in its timed section); "
            f"state {summary['stateBytesPerKeySlice']:.0f} B per live (key, slice) "
            f"at the peak of {summary['peakLiveKeySlices']} live")
    rows = [measured_row(ROW_NAME, fs, peer, "equal features", note)]
    rows[0].goals = goals
    if os.environ.get("BENCH_SPARK", "1") == "0":
        return rows
    spark_name = "PySpark Structured Streaming"
    ctx.log("online: PySpark Structured Streaming (watermark 10 minutes, append, availableNow), its own round")
    spark = alternate({spark_name: lambda i: (
        fresh(spark_checkpoint),
        [sys.executable, SPARK_PEER, "run", "--input", spark_input, "--output", fresh(spark_out),
         "--checkpoint", spark_checkpoint, "--driver-memory", "2g" if ctx.smoke else "12g"])[1]}, ctx.runs, ctx.log)[spark_name]
    check_peer("Spark", measure([sys.executable, SPARK_PEER, "compare", "--fs-table", fs_out, "--expected", spark_out]).result,
               int(spark.runs[-1].result["events"]), events)
    spark_rate = events / spark.median("seconds")
    # GNU time sees the Python driver only; the JVM reports its own peak (VmHWM).
    row = measured_row(ROW_NAME, fs, spark, "equal features",
                       f"Spark {spark_rate / 1e3:.1f}k events/s; fs/Spark events/s {fs_rate / spark_rate:.1f}x; "
                       "Spark RSS = Python + JVM peak")
    row.peer_rss_kb = max(r.rss_kb + int(r.result.get("jvm_peak_rss_kb", 0)) for r in spark.runs)
    return rows + [row]


def check_peer(name: str, verdict: dict, peer_events: int, fs_events: int) -> None:
    """Fails the workload unless the peer read every event fs read and produced fs's rows."""
    if not verdict.get("equal"):
        raise BenchError(f"online: fs-agg-online and {name} differ: {verdict.get('reason')}")
    if peer_events != fs_events:
        raise BenchError(f"online: {name} read {peer_events} events, fs {fs_events}")
