"""Issues 5/15's benchmark: fs-ingest --available-now vs kcat's raw consume of the same topic, and
vs DuckDB converting the same events from an NDJSON file into partitioned ZSTD Parquet.

The generated order events (orders.ndjson, ~1.7 KB each) are preloaded, untimed, into a
`fs-sandbox broker` topic by `fs-sandbox produce --retime keep --linger-ms 1000` (keyed by
order_id, zstd batches of up to 1 MB). Then, alternating, `fs-ingest
--available-now` (consume, parse, write Parquet, commit the Delta table) and `kcat -C -e`
(consume only) read the whole topic. Checks: kcat counts exactly the preloaded messages (the
mock broker silently drops data beyond ~5 MiB per partition, so a short count fails the run),
and every fs run's table (read by delta-rs) holds rows + quarantined == that count.

The second peer has no broker: `COPY (SELECT … FROM read_json(orders.ndjson)) TO … (FORMAT
parquet, COMPRESSION zstd, PARTITION_BY (fs_year, fs_month, fs_day))` on every core — parse, type,
partition, encode, compress, the same work as fs-ingest minus Kafka and the Delta commits. All
three sides run interleaved.

Outside smoke mode one more fs run reads a topic preloaded BENCH_INGEST_SCALE times (default 5,
0 skips it) as a real topic would hold it: one `fs-sandbox produce --passes N --retime keep
--time-shift "31 days"`, each pass moved a month later in event time. Peak RSS must stay flat
(<= GOAL_FLAT x the 1M run).
"""

from __future__ import annotations

import os
import shutil
import signal
import subprocess
import sys
import time

from harness import BenchError, Side, alternate, fresh, measure

HERE = os.path.dirname(os.path.abspath(__file__))
KCAT_PEER = os.path.join(HERE, "peers", "kcat_consume.py")
DUCKDB_PEER = os.path.join(HERE, "peers", "duckdb_ndjson_parquet.py")
TOPIC = "de-order-events"
# The mock broker keeps <= 5 MiB of (compressed) batches per partition; zstd shrinks these events
# ~8x, so 64 partitions hold ~2.5M events. More input gets proportionally more partitions.
PARTITIONS_PER_MILLION = 64
# Preload batches linger up to 1 s to fill (1 MB, ~600 events): zstd then shrinks them ~7x (the
# mock broker holds the topic), and consumers fetch full batches (measured with 5 ms lingers,
# i.e. batches of a few events: kcat read the mock broker at only 37k msg/s).
PRELOAD_LINGER_MS = 1000
GOAL_RATIO = 0.5          # issue 15: fs >= 0.5x kcat's consume rate ...
STRETCH_RATIO = 0.8       # ... stretch 0.8x
GOAL_RSS_MB = 300
GOAL_FLAT = 1.2           # peak RSS of the xN run <= 1.2x the 1M run
TIME_SHIFT = "31 days"    # each preload pass of the xN topic is this much later in event time


class SandboxBroker:
    """`fs-sandbox broker` in the background; stopped by its own PID (SIGTERM) on exit."""

    def __init__(self, ctx, partitions: int, name: str):
        self.ctx = ctx
        self.dir = os.path.join(ctx.work_dir, name)
        shutil.rmtree(self.dir, ignore_errors=True)
        os.makedirs(self.dir)
        self.partitions = partitions
        self.proc: subprocess.Popen | None = None
        self.bootstrap = ""

    def __enter__(self) -> "SandboxBroker":
        bootstrap_file = os.path.join(self.dir, "bootstrap")
        self.log = open(os.path.join(self.dir, "broker.log"), "w")
        self.proc = subprocess.Popen([self.ctx.binary("fs-sandbox"), "broker", "--partitions", str(self.partitions),
                                      "--bootstrap-file", bootstrap_file],
                                     stdout=self.log, stderr=subprocess.STDOUT, stdin=subprocess.DEVNULL)
        deadline = time.monotonic() + 120
        while not os.path.exists(bootstrap_file):
            if self.proc.poll() is not None:
                raise BenchError(f"fs-sandbox broker exited {self.proc.returncode} (log: {self.log.name})")
            if time.monotonic() > deadline:
                raise BenchError("fs-sandbox broker wrote no bootstrap address within 120 s")
            time.sleep(0.05)
        with open(bootstrap_file) as f:
            self.bootstrap = f.read().strip()
        return self

    def __exit__(self, *exc) -> None:
        if self.proc and self.proc.poll() is None:
            self.proc.send_signal(signal.SIGTERM)
            try:
                self.proc.wait(timeout=60)
            except subprocess.TimeoutExpired:
                self.proc.kill()
                self.proc.wait()
        self.log.close()

    def preload(self, source: str, passes: int) -> int:
        """Produces `source` into the topic in `passes` passes, each `TIME_SHIFT` later in event
        time than the one before (a time-ordered topic, as a real one is); returns the messages sent."""
        started = time.monotonic()
        argv = [self.ctx.binary("fs-sandbox"), "produce", "--stream-type", "order-events", "--source", source,
                "--bootstrap-servers", self.bootstrap, "--topic", TOPIC, "--retime", "keep",
                "--linger-ms", str(PRELOAD_LINGER_MS)]
        if passes > 1:
            argv += ["--passes", str(passes), "--time-shift", TIME_SHIFT]
        run = measure(argv)
        sent = int(run.result["messages"])
        self.ctx.log(f"  preloaded {sent} messages ({passes} pass(es)) in {time.monotonic() - started:.1f} s "
                     f"into {self.partitions} partitions")
        return sent


def partitions_for(messages: int) -> int:
    return max(PARTITIONS_PER_MILLION, -(-messages * PARTITIONS_PER_MILLION // 1_000_000))


def fs_ingest_argv(ctx, bootstrap: str, data_dir: str) -> list[str]:
    return [ctx.binary("fs-ingest"), "dev", "--kafka-brokers", bootstrap, "--kafka-topics", TOPIC, "--data-dir", fresh(data_dir),
            "--stream-type", "order-events", "--available-now", "--summary", "--log-level", "warning"]


def table_rows(ctx, data_dir: str) -> tuple[int, int]:
    """Rows of the data and quarantine tables, counted by delta-rs (not by fs)."""
    code = ("import sys, json\nfrom deltalake import DeltaTable\nout = []\n"
            "for p in sys.argv[1:]:\n"
            "    try:\n        out.append(DeltaTable(p).to_pyarrow_dataset().count_rows())\n"
            "    except Exception:\n        out.append(0)\n"
            "print(json.dumps({'rows': out}))\n")
    counted = measure([sys.executable, "-c", code, os.path.join(data_dir, "ingestion", "order-events"),
                       os.path.join(data_dir, "quarantine", "order-events")]).result["rows"]
    return int(counted[0]), int(counted[1])


def check_fs_run(ctx, result: dict, data_dir: str, expected: int, label: str) -> None:
    rows, quarantined = table_rows(ctx, data_dir)
    if rows + quarantined != expected or result.get("messages") != expected or result.get("rows") != rows:
        raise BenchError(f"ingest ({label}): table rows {rows} + quarantine {quarantined} != {expected} messages "
                         f"(summary: messages {result.get('messages')}, rows {result.get('rows')})")


def phase_note(result: dict) -> str:
    """The last fs run's phase seconds (`phases` of its --summary): where the wall time went."""
    phases = result.get("phases") or {}
    if not phases:
        return ""
    ingest = ", ".join(f"{k} {phases[k]:.1f}" for k in ("poll", "parse", "handOffWait", "drainWait") if k in phases)
    writer = ", ".join(f"{k} {phases[k]:.1f}" for k in ("write", "commitWait") if k in phases)
    # Since the writer stages each micro-batch's files for a committer thread, the commits run
    # beside the next batch's writes (older binaries report them on the writer thread).
    committer = ", ".join(f"{k} {phases[k]:.1f}" for k in ("quarantineCommit", "dataCommit") if k in phases)
    return f"; last fs run, ingest thread s: {ingest}; writer thread s: {writer}; committer thread s: {committer}"


def ingest(ctx) -> list[Row]:
    from workloads import Row, not_built
    if not (ctx.has("fs-ingest") and ctx.has("fs-sandbox")):
        return not_built("ingest (--available-now)", "fs-ingest", "kcat -C -e")(ctx)
    kcat = shutil.which("kcat")
    if kcat is None:
        raise BenchError("ingest: kcat not found (run `make deps`)")
    source = os.path.join(ctx.data_dir, "orders.ndjson")
    with open(source, "rb") as f:
        lines = sum(1 for line in f if line.strip())
    ctx.log(f"ingest: fs-ingest --available-now vs kcat -C -e and DuckDB (NDJSON -> Parquet) on {lines} order events")
    fs_dir = os.path.join(ctx.work_dir, "ingest-fs")
    duck_dir = os.path.join(ctx.work_dir, "ingest-duckdb")
    with SandboxBroker(ctx, partitions_for(lines), "ingest-broker") as broker:
        sent = broker.preload(source, 1)
        fs_name, kcat_name, duck_name = "fs-ingest --available-now", "kcat -C -e -o beginning", "DuckDB COPY NDJSON -> Parquet"
        sides = alternate({
            fs_name: lambda i: fs_ingest_argv(ctx, broker.bootstrap, fs_dir),
            kcat_name: lambda i: [sys.executable, KCAT_PEER, "--kcat", kcat, "--brokers", broker.bootstrap, "--topic", TOPIC],
            duck_name: lambda i: [sys.executable, DUCKDB_PEER, "--source", source, "--out", fresh(duck_dir)],
        }, ctx.runs, ctx.log)
        fs, peer, duck = sides[fs_name], sides[kcat_name], sides[duck_name]
        for run in duck.runs:
            if run.result["rows"] != lines:
                raise BenchError(f"ingest: DuckDB wrote {run.result['rows']} of {lines} events")
        for run in peer.runs:
            if run.result["messages"] != sent:
                raise BenchError(f"ingest: kcat consumed {run.result['messages']} of {sent} preloaded messages "
                                 f"(the mock broker dropped data: more partitions needed)")
        check_fs_run(ctx, fs.runs[-1].result, fs_dir, sent, "last run")
        for run in fs.runs:
            if run.result.get("messages") != sent:
                raise BenchError(f"ingest: an fs run consumed {run.result.get('messages')} of {sent} messages")
    fs_rate, kcat_rate = sent / fs.median("seconds"), sent / peer.median("seconds")
    ratio = fs_rate / kcat_rate
    rss_mb = fs.peak_rss_kb / 1024
    judged = not ctx.smoke and sent >= 1_000_000
    verdict = (lambda ok: "met" if ok else "NOT met") if judged else (lambda ok: "not judged below 1M")
    note = (f"{sent} messages, {partitions_for(lines)} partitions: fs {fs_rate:,.0f} msg/s, kcat {kcat_rate:,.0f} msg/s, "
            f"fs/kcat {ratio:.2f} (goal >= {GOAL_RATIO}: {verdict(ratio >= GOAL_RATIO)}; stretch >= {STRETCH_RATIO}: "
            f"{verdict(ratio >= STRETCH_RATIO)}); fs peak RSS {rss_mb:.0f} MiB (goal <= {GOAL_RSS_MB}: "
            f"{verdict(rss_mb <= GOAL_RSS_MB)})")
    note += phase_note(fs.runs[-1].result)
    fs_s, duck_s = fs.median("seconds"), duck.median("seconds")
    duck_note = (f"{lines} events; fs from the broker {fs_s:.2f} s, DuckDB from the file {duck_s:.2f} s on every core "
                 f"({duck.runs[-1].result['files']} files): fs/DuckDB time {fs_s / duck_s:.2f} "
                 f"(goal <= 1.0: {verdict(fs_s <= duck_s)})")
    rows = [Row("Kafka ingest (--available-now)", fs_name, kcat_name, fs_s, peer.median("seconds"),
                fs.peak_rss_kb, peer.peak_rss_kb, "rows + quarantine = kcat count", note),
            Row("Ingest vs NDJSON -> partitioned Parquet", fs_name, duck_name, fs_s, duck_s,
                fs.peak_rss_kb, duck.peak_rss_kb, "DuckDB rows = source events", duck_note)]

    scale = 0 if ctx.smoke else int(os.environ.get("BENCH_INGEST_SCALE", "5"))
    if scale > 1:
        rows.append(scaled_run(ctx, source, lines, scale, fs.peak_rss_kb, kcat))
    return rows


def scaled_run(ctx, source: str, lines: int, scale: int, base_rss_kb: int, kcat: str):
    """One fs run (and one kcat count) over the source preloaded in `scale` time-shifted passes:
    RSS must stay flat."""
    from workloads import Row
    ctx.log(f"ingest x{scale}: one fs-ingest run over {lines * scale} preloaded messages (RSS flatness)")
    fs_dir = os.path.join(ctx.work_dir, "ingest-fs-scaled")
    with SandboxBroker(ctx, partitions_for(lines * scale), "ingest-broker-scaled") as broker:
        sent = broker.preload(source, scale)
        peer = measure([sys.executable, KCAT_PEER, "--kcat", kcat, "--brokers", broker.bootstrap, "--topic", TOPIC])
        if peer.result["messages"] != sent:
            raise BenchError(f"ingest x{scale}: kcat consumed {peer.result['messages']} of {sent} preloaded messages")
        fs = measure(fs_ingest_argv(ctx, broker.bootstrap, fs_dir))
        check_fs_run(ctx, fs.result, fs_dir, sent, f"x{scale}")
    fs_s, kcat_s = float(fs.result["seconds"]), float(peer.result["seconds"])
    growth = fs.rss_kb / max(base_rss_kb, 1)
    note = (f"{sent} messages, {partitions_for(lines * scale)} partitions, one run each: fs {sent / fs_s:,.0f} msg/s, "
            f"kcat {sent / kcat_s:,.0f} msg/s; fs peak RSS {fs.rss_kb / 1024:.0f} MiB = {growth:.2f}x the "
            f"{lines}-message run (flat, goal <= {GOAL_FLAT}x: {'met' if growth <= GOAL_FLAT else 'NOT met'}; "
            f"goal <= {GOAL_RSS_MB} MiB: "
            f"{'met' if fs.rss_kb / 1024 <= GOAL_RSS_MB else 'NOT met'})") + phase_note(fs.result)
    return Row(f"Kafka ingest x{scale}, passes {TIME_SHIFT} apart (RSS flatness)", "fs-ingest --available-now", "kcat -C -e -o beginning",
               fs_s, kcat_s, fs.rss_kb, peer.rss_kb, "rows + quarantine = kcat count", note)
