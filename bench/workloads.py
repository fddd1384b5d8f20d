"""The benchmark workloads: each runs fs and its peer side by side and checks they agree.

A workload returns `Row`s for the report. It raises `BenchError` when a command fails or the
outputs differ — that fails the whole benchmark (and bench-smoke in CI). A workload whose fs
executable does not exist yet reports "not built" instead.
"""

from __future__ import annotations

import dataclasses
import json
import math
import os
import sys

from harness import BenchError, Side, alternate, fresh, measure
import workloads_ingest  # noqa: E402
import workloads_online  # noqa: E402
import workloads_health  # noqa: E402
import workloads_publish  # noqa: E402
import workloads_stores  # noqa: E402
import workloads_publish_kafka  # noqa: E402
import workloads_serve  # noqa: E402

HERE = os.path.dirname(os.path.abspath(__file__))
PYARROW_PEER = os.path.join(HERE, "peers", "pyarrow_table.py")
OFFLINE_PEER = os.path.join(HERE, "peers", "offline_peers.py")
OFFLINE_REFERENCE = os.path.join(HERE, "..", "jobs", "offline-reference.json")


@dataclasses.dataclass
class Context:
    bin_dir: str           # where fs-bench, fs-ingest, ... are
    data_dir: str          # a generated dataset (bench/generate.py)
    work_dir: str          # scratch outputs of this run
    runs: int
    log: object            # print-like, to stderr
    smoke: bool = False    # tiny sizes for the in-memory workloads too

    def binary(self, name: str) -> str:
        return os.path.join(self.bin_dir, name)

    def has(self, name: str) -> bool:
        return os.access(self.binary(name), os.X_OK)

    def peer(self, *args: str) -> list[str]:
        return [sys.executable, PYARROW_PEER, *args]


@dataclasses.dataclass
class Row:
    """One line of the report. Times are medians in seconds; ratio = peer time / fs time."""
    workload: str
    fs: str
    peer: str
    fs_s: float | None = None
    peer_s: float | None = None
    fs_rss_kb: int | None = None
    peer_rss_kb: int | None = None
    check: str = ""
    note: str = ""
    # The WORKLOADS name that produced the row (set by bench/run.py; keys report merges).
    source: str = ""
    # An issue's goals judged on this row's figures (`goal`), printed under the table.
    goals: list[str] = dataclasses.field(default_factory=list)

    @property
    def ratio(self) -> float | None:
        if self.fs_s is None or self.peer_s is None or self.fs_s <= 0:
            return None
        return self.peer_s / self.fs_s


def goal(text: str, figure: str, ok: bool, judged: bool = True) -> str:
    """One goal line of the report: the goal, the measured figure, and met / NOT met (or "not
    judged" when the run is too small for the goal to mean anything, e.g. bench-smoke)."""
    return f"{text}: {figure} -- {('met' if ok else 'NOT met') if judged else 'not judged at this size'}"


def measured_row(workload: str, fs: Side, peer: Side, check: str, note: str = "") -> Row:
    return Row(workload, fs.name, peer.name, fs.median("seconds"), peer.median("seconds"),
               fs.peak_rss_kb, peer.peak_rss_kb, check, note)


def table_write(ctx: Context) -> list[Row]:
    """(a) Write the generated orders (held in memory) as one ZSTD Parquet file: fs vs pyarrow.
    Equality: both files, read back by pyarrow, hold exactly the input's rows and values."""
    source = os.path.join(ctx.data_dir, "orders.parquet")
    fs_out = os.path.join(ctx.work_dir, "fs-write.parquet")
    pa_out = os.path.join(ctx.work_dir, "pyarrow-write.parquet")
    ctx.log("table-write: fs-bench table-write vs pyarrow pq.write_table(compression='zstd')")
    sides = alternate({
        "fs-bench table-write": lambda i: [ctx.binary("fs-bench"), "table-write", "--input", source,
                                           "--output", fresh(fs_out)],
        "pyarrow write_table": lambda i: ctx.peer("write", "--input", source, "--output", fresh(pa_out)),
    }, ctx.runs, ctx.log)
    fs, peer = sides["fs-bench table-write"], sides["pyarrow write_table"]
    for side, path in ((fs, fs_out), (peer, pa_out)):
        verdict = measure(ctx.peer("compare", "--input", path, "--expected", source)).result
        if not verdict.get("equal"):
            raise BenchError(f"table-write: {side.name} output differs from the input: {verdict}")
    rows = {r.result.get("rows") for r in fs.runs + peer.runs}
    if len(rows) != 1:
        raise BenchError(f"table-write: row counts differ between runs/sides: {sorted(rows)}")
    fs_bytes = int(fs.runs[-1].result["bytes"])
    pa_bytes = int(peer.runs[-1].result["bytes"])
    note = (f"file size fs {fs_bytes / 1e6:.1f} MB vs pyarrow {pa_bytes / 1e6:.1f} MB "
            f"(fs/pyarrow {fs_bytes / pa_bytes:.3f})")
    return [measured_row("table write (1 file, zstd)", fs, peer, "equal values", note)]


def table_create(ctx: Context) -> list[Row]:
    """(a') Write the orders as a table partitioned by fs_year/fs_month/fs_day: fs (a Delta table,
    one commit) vs pyarrow `ds.write_dataset` (hive directories, no log). Equality: the checksum
    of our table read by delta-rs equals that of pyarrow's dataset and of the input."""
    source = os.path.join(ctx.data_dir, "orders.parquet")
    ctx.log("table-create: fs-bench table-create (Delta) vs pyarrow ds.write_dataset (hive)")
    fs_dir = os.path.join(ctx.work_dir, "fs-table")
    pa_dir = os.path.join(ctx.work_dir, "pyarrow-dataset")
    sides = alternate({
        "fs-bench table-create": lambda i: [ctx.binary("fs-bench"), "table-create", "--input", source,
                                            "--table", fresh(fs_dir)],
        "pyarrow write_dataset": lambda i: ctx.peer("write-dataset", "--input", source,
                                                    "--output", fresh(pa_dir)),
    }, ctx.runs, ctx.log)
    fs, peer = sides["fs-bench table-create"], sides["pyarrow write_dataset"]
    want = measure(ctx.peer("checksum", "--input", source)).result
    got_fs = measure(ctx.peer("checksum-delta", "--input", fs_dir)).result
    got_pa = measure(ctx.peer("checksum-dataset", "--input", pa_dir)).result
    for label, got in (("fs table via deltalake", got_fs), ("pyarrow dataset", got_pa)):
        if not same_checksum(got, want):
            raise BenchError(f"table-create: {label} differs from the input:\n  {got}\n  {want}")
    return [measured_row("partitioned table write (y/m/d)", fs, peer, "equal checksum",
                         "fs writes a Delta table (staged files, fsync, log commit); "
                         "pyarrow writes hive directories only")]


CHECKSUM_KEYS = ("rows", "distinct_order_ids", "items_bytes", "scheduled_date_nulls",
                 "created_at_min_us", "created_at_max_us")


def same_checksum(a: dict, b: dict) -> bool:
    """Exact on counts and timestamps; the float sum may differ by summation order only."""
    if any(a.get(k) != b.get(k) for k in CHECKSUM_KEYS):
        return False
    return math.isclose(float(a["amount_sum"]), float(b["amount_sum"]), rel_tol=1e-9, abs_tol=1e-6)


def table_scan(ctx: Context) -> list[Row]:
    """(b) Full scan of one file into memory: fs vs pyarrow `pq.read_table`, on the file each
    writer produced in (a). Equality: the checksum both compute after the timed read."""
    out = []
    for label, name in (("fs-written", "fs-write.parquet"), ("pyarrow-written", "pyarrow-write.parquet")):
        path = os.path.join(ctx.work_dir, name)
        if not os.path.exists(path):
            raise BenchError(f"table-scan: {path} missing (table-write must run first)")
        ctx.log(f"table-scan ({label} file): fs-bench table-scan vs pyarrow pq.read_table")
        sides = alternate({
            "fs-bench table-scan": lambda i: [ctx.binary("fs-bench"), "table-scan", "--input", path],
            "pyarrow read_table": lambda i: ctx.peer("scan", "--input", path),
        }, ctx.runs, ctx.log)
        fs, peer = sides["fs-bench table-scan"], sides["pyarrow read_table"]
        reference = peer.runs[0].result
        for run in fs.runs + peer.runs:
            if not same_checksum(run.result, reference):
                raise BenchError(f"table-scan ({label}): checksums differ:\n  {run.result}\n  {reference}")
        out.append(measured_row(f"full scan ({label} file)", fs, peer, "equal checksum",
                                f"{reference['rows']} rows, sum amount {reference['amount_sum']:.2f}"))
    return out


HAND_LOOP = "hand-written Swift loop"


def in_memory_sides(ctx: Context, workload: str, args: list[str]) -> tuple[Side, Side]:
    """Runs `fs-bench <workload> --impl fs|hand <args>` alternately; both sides must agree on
    every figure except their timings."""
    sides = alternate({
        f"fs-bench {workload}": lambda i: [ctx.binary("fs-bench"), workload, "--impl", "fs", *args],
        HAND_LOOP: lambda i: [ctx.binary("fs-bench"), workload, "--impl", "hand", *args],
    }, ctx.runs, ctx.log)
    fs, hand = sides[f"fs-bench {workload}"], sides[HAND_LOOP]
    timings = ("seconds", "rows_per_s")
    reference = {k: v for k, v in hand.runs[0].result.items() if k not in timings}
    for run in fs.runs + hand.runs:
        got = {k: v for k, v in run.result.items() if k not in timings}
        if got != reference:
            raise BenchError(f"{workload}: fs and the hand loop disagree:\n  {got}\n  {reference}")
    return fs, hand


def rows_per_s(side: Side) -> float:
    return float(side.runs[0].result["rows"]) / side.median("seconds")


def expr_eval(ctx: Context) -> list[Row]:
    """Issue 3: `CASE WHEN order_total_amount > 50 THEN order_total_amount ELSE 0 END` over
    10M in-memory order-like amounts, through FSExpr (binder + vectorized evaluator, 64Ki-row
    batches) vs a hand-written loop. Equality: the sum of every output value and the count of
    rows taking the THEN branch. Goal: >= 100M rows/s for fs."""
    rows, batch = (20_000, 4_096) if ctx.smoke else (10_000_000, 65_536)
    ctx.log(f"expr-eval: FSExpr vs {HAND_LOOP}, {rows} doubles in batches of {batch}")
    fs, hand = in_memory_sides(ctx, "expr-eval", ["--rows", str(rows), "--batch-rows", str(batch)])
    fs_rate, hand_rate = rows_per_s(fs), rows_per_s(hand)
    verdict = "not judged at smoke size" if ctx.smoke else ("met" if fs_rate >= 100e6 else "NOT met")
    note = (f"{rows} rows, batches of {batch}: fs {fs_rate / 1e6:.0f}M rows/s, hand loop "
            f"{hand_rate / 1e6:.0f}M rows/s; goal >= 100M rows/s {verdict}")
    row = measured_row("CASE WHEN expression (in memory)", fs, hand, "equal checksum", note)
    row.goals = [goal("FSExpr CASE WHEN >= 100M rows/s (issue 3)", f"{fs_rate / 1e6:.0f}M rows/s",
                      fs_rate >= 100e6, not ctx.smoke)]
    return [row]


def grouped_agg(ctx: Context) -> list[Row]:
    """Issue 3: `SUM(CASE WHEN order_total_amount > 50 THEN order_total_amount ELSE 0 END)`
    grouped by 500k int64 keys over 10M in-memory rows, through FeaturePlan (GroupedAggregator)
    vs a hand-written open-addressing loop. Equality: group count and the sum of the group sums
    (bit-for-bit: both add each group's rows in row order). Goal: fs within 2x of the hand loop."""
    rows, keys, batch = (20_000, 1_000, 4_096) if ctx.smoke else (10_000_000, 500_000, 65_536)
    ctx.log(f"grouped-agg: FeaturePlan vs {HAND_LOOP}, {rows} rows, {keys} keys")
    fs, hand = in_memory_sides(ctx, "grouped-agg", ["--rows", str(rows), "--keys", str(keys),
                                                    "--batch-rows", str(batch)])
    slowdown = fs.median("seconds") / hand.median("seconds")
    verdict = "not judged at smoke size" if ctx.smoke else ("met" if slowdown <= 2 else "NOT met")
    note = (f"{rows} rows, {keys} keys: fs {rows_per_s(fs) / 1e6:.1f}M rows/s, hand loop "
            f"{rows_per_s(hand) / 1e6:.1f}M rows/s; fs/hand time {slowdown:.2f} (goal <= 2: {verdict})")
    row = measured_row(f"grouped SUM(CASE ...) by {keys} keys", fs, hand, "equal checksum", note)
    row.goals = [goal("grouped aggregation within 2x of a hand-written loop (issue 3)", f"fs/hand time {slowdown:.2f}",
                      slowdown <= 2, not ctx.smoke)]
    return [row]


def offline(ctx: Context) -> list[Row]:
    """(d) Offline features (jobs/offline-reference.json: count, sum/avg/min/max, count and sum
    over the last 7/30/90 days, count distinct merchants, stddev) per customer over
    2019-06-01..2019-11-30 of the hive-partitioned orders: fs-agg-offline vs DuckDB, Polars and
    PySpark (BENCH_SPARK=0 skips Spark), each with its partition pruning and all cores.
    Equality: every peer's output equals fs's output partition (counts exact, doubles 1e-9)."""
    if not ctx.has("fs-agg-offline"):
        return not_built("offline aggregation", "fs-agg-offline", "DuckDB, Polars, PySpark")(ctx)
    hive = os.path.join(ctx.data_dir, "orders-hive")
    start, end = "2019-06-01", "2019-11-30"
    fs_out = os.path.join(ctx.work_dir, "offline-fs")
    engines = ["duckdb", "polars"] + ([] if os.environ.get("BENCH_SPARK", "1") == "0" else ["spark"])
    peer_out = {e: os.path.join(ctx.work_dir, f"offline-{e}.parquet") for e in engines}
    names = {"duckdb": "DuckDB", "polars": "Polars", "spark": "PySpark local[*]"}
    ctx.log(f"offline: fs-agg-offline vs {', '.join(names[e] for e in engines)} ({start}..{end}, by customer_id)")
    sides = {"fs-agg-offline": lambda i: [
        ctx.binary("fs-agg-offline"), "--master-mode", "local[*]", "--input-table", hive, "--output-table", fresh(fs_out),
        "--agg-field", "customer_id", "--time-field", "order_created_at", "--start-date", start, "--end-date", end,
        "--aggregations", OFFLINE_REFERENCE, "--summary", "--log-level", "warning"]}
    peers = {names[e]: (lambda eng: lambda i: [sys.executable, OFFLINE_PEER, eng, "--input", hive, "--start", start,
                                                 "--end", end, "--output", fresh(peer_out[eng])])(e) for e in engines}
    # PySpark runs in its own round after the others: its JVM keeps both cores busy for a while
    # after it exits, which would slow whichever side ran next.
    measured = alternate({**sides, **{n: c for n, c in peers.items() if n != names["spark"]}}, ctx.runs, ctx.log)
    if "spark" in engines:
        measured.update(alternate({names["spark"]: peers[names["spark"]]}, ctx.runs, ctx.log))
    fs = measured["fs-agg-offline"]
    summary = fs.runs[-1].result
    with open(os.path.join(ctx.data_dir, "manifest.json")) as f:
        generated = json.load(f)["rows"]
    rows = []
    for e in engines:
        verdict = measure([sys.executable, OFFLINE_PEER, "compare", "--fs-table", fs_out, "--expected", peer_out[e]]).result
        if not verdict.get("equal"):
            raise BenchError(f"offline: fs-agg-offline and {names[e]} differ: {verdict.get('reason')}")
        rows.append(measured_row(f"offline features (13, 7/30/90 d), {generated} orders", fs, measured[names[e]],
                                 "equal features",
                                 f"{generated} orders generated; {verdict['rows']} customers; fs read {summary['filesRead']} of "
                                 f"{summary['filesTotal']} files, {summary['rowGroupsRead']} row groups, "
                                 f"{summary['rowsInRange']} rows in range"))
    duckdb = measured[names["duckdb"]]
    rows[0].note += (f"; CPU user+sys (whole process, medians): fs {fs.median_cpu_s:.2f} s, "
                     f"DuckDB {duckdb.median_cpu_s:.2f} s")
    rows[0].goals = offline_goals(fs, duckdb, generated)
    return rows


# Issue #15's goals for fs-agg-offline against DuckDB, judged on the 10M-order workload.
OFFLINE_GOAL_TIME_RATIO = 0.8
OFFLINE_GOAL_ROWS = 10_000_000


def offline_goals(fs: Side, duckdb: Side, orders: int) -> list[str]:
    """fs's median time <= 0.8x DuckDB's and fs's peak RSS <= DuckDB's, met / not met."""
    judged = orders >= OFFLINE_GOAL_ROWS
    ratio = fs.median("seconds") / duckdb.median("seconds")
    return [goal("fs-agg-offline time <= 0.8x DuckDB's (medians of interleaved runs)",
                 f"fs/DuckDB {ratio:.2f}", ratio <= OFFLINE_GOAL_TIME_RATIO, judged),
            goal("fs-agg-offline peak RSS <= DuckDB's",
                 f"fs {fs.peak_rss_kb / 1024:.0f} MiB, DuckDB {duckdb.peak_rss_kb / 1024:.0f} MiB",
                 fs.peak_rss_kb <= duckdb.peak_rss_kb, judged)]


def not_built(workload: str, executable: str, peer: str):
    """A workload of a job that is not in the build yet: reported, never a failure.
    Each job's issue replaces its entry in WORKLOADS with a real side-by-side workload."""
    def run(ctx: Context) -> list[Row]:
        if ctx.has(executable):
            ctx.log(f"{workload}: {executable} exists but has no workload here yet")
            return [Row(workload, executable, peer, check="no workload yet",
                        note=f"{executable} is built; its issue adds the workload to bench/workloads.py")]
        ctx.log(f"{workload}: not built ({executable} missing in {ctx.bin_dir})")
        return [Row(workload, executable, peer, check="not built",
                    note=f"{executable} does not exist yet")]
    return run


WORKLOADS = [
    ("table-write", table_write),
    ("table-scan", table_scan),
    ("table-create", table_create),
    ("expr-eval", expr_eval),
    ("grouped-agg", grouped_agg),
    ("ingest", workloads_ingest.ingest),
    ("offline", offline),
    ("online", workloads_online.online),
    ("publish", workloads_publish.publish),
    ("publish-stores", workloads_stores.publish_stores),
    ("publish-kafka", workloads_publish_kafka.publish_kafka),
    ("long-stream", workloads_health.long_stream),
    ("serve", workloads_serve.serve),
]
