"""Issue 13's benchmark: a long stream of tiny commits, and `fs-table optimize` vs delta-rs.

fs-ingest reads an order-events topic re-timed to now (a live stream: every event falls in
today's partition) in 50-message micro-batches
(`--max-offsets-per-trigger 50 --available-now`), so one run makes >= 4,000 commits (smoke: 100).
It runs twice on the same preloaded topic: with auto-compaction (the default
`--compact-min-files 50`) and without (`--compact-min-files 0`, the issue's "before" table).
Figures per run, from the table itself (`fs-table info`, `fs-table history`): ms per commit
over the first and the last 10% of commits (the gaps between consecutive commitInfo
timestamps), live files and the most per partition, `_delta_log` bytes per commit, and the
process's peak RSS.

Then the table written without auto-compaction is copied twice: `fs-table optimize` compacts one
copy, delta-rs `DeltaTable.optimize.compact()` the other (alternating, one run each); both
copies are counted by delta-rs afterwards and must hold the same rows as before.
"""

from __future__ import annotations

import json
import os
import shutil
import sys

from harness import BenchError, measure
from workloads_ingest import SandboxBroker, TOPIC  # noqa: F401

HERE = os.path.dirname(os.path.abspath(__file__))
BATCH = 50
COMMITS = 4_000
SMOKE_COMMITS = 100
# The mock broker keeps <= 5 MiB per partition (~25k zstd-compressed order events); 16 keep
# 200k events with room to spare, and keep each commit's txn actions (one per partition) few.
PARTITIONS = 16
GOAL_LAST_OVER_FIRST = 1.3
GOAL_LOG_KB_PER_COMMIT = 10
GOAL_MIN_FILES = 50

DELTA_RS_OPTIMIZE = (
    "import json, sys, time\nfrom deltalake import DeltaTable\n"
    "dt = DeltaTable(sys.argv[1])\nstart = time.monotonic()\n"
    "m = dt.optimize.compact(target_size=int(sys.argv[2]))\n"
    "print(json.dumps({'seconds': time.monotonic() - start, 'filesRemoved': m.get('numFilesRemoved'), "
    "'filesAdded': m.get('numFilesAdded')}))\n"
)
COUNT_ROWS = (
    "import json, sys\nfrom deltalake import DeltaTable\n"
    "dt = DeltaTable(sys.argv[1])\n"
    "print(json.dumps({'rows': dt.to_pyarrow_dataset().count_rows(), 'files': len(dt.file_uris())}))\n"
)


def source_of(ctx, messages: int) -> str:
    """The first `messages` generated order events (repeated if the dataset is smaller)."""
    src = os.path.join(ctx.data_dir, "orders.ndjson")
    out = os.path.join(ctx.work_dir, f"long-stream-{messages}.ndjson")
    with open(src, "rb") as f:
        lines = [line for line in f if line.strip()]
    if not lines:
        raise BenchError("long-stream: the generated orders.ndjson is empty")
    with open(out, "wb") as f:
        for i in range(messages):
            f.write(lines[i % len(lines)])
    return out


def fs_table(ctx, *args: str) -> dict:
    return measure([ctx.binary("fs-table"), *args]).result


def stream_figures(ctx, table: str) -> dict:
    info = fs_table(ctx, "info", table)
    history = measure([ctx.binary("fs-table"), "history", table], timeout_s=600).result
    writes = sorted((h for h in history if h["txns"]), key=lambda h: h["version"])
    stamps = [h["timestamp"] for h in writes]
    gaps = [b - a for a, b in zip(stamps, stamps[1:])] or [0]
    tenth = max(1, len(gaps) // 10)
    first, last = sum(gaps[:tenth]) / tenth, sum(gaps[-tenth:]) / tenth
    return {"commits": len(writes), "versions": info["version"], "files": info["numFiles"],
            "maxFilesPerPartition": info["maxFilesPerPartition"], "logBytes": info["logBytes"],
            "logBytesPerCommit": info["logBytes"] / max(1, info["version"]), "firstMs": first, "lastMs": last,
            "rows": info["numRecords"]}


def long_stream(ctx) -> list:
    from workloads import Row, not_built
    if not all(ctx.has(b) for b in ("fs-ingest", "fs-sandbox", "fs-table")):
        return not_built("long stream (50-message commits)", "fs-ingest", "-")(ctx)
    commits = SMOKE_COMMITS if ctx.smoke else int(os.environ.get("BENCH_LONG_STREAM_COMMITS", str(COMMITS)))
    messages = commits * BATCH
    source = source_of(ctx, messages)
    ctx.log(f"long-stream: fs-ingest in {BATCH}-message micro-batches, {messages} messages (~{commits} commits), "
            f"with and without auto-compaction; then fs-table optimize vs delta-rs optimize.compact()")
    runs = {}
    with SandboxBroker(ctx, PARTITIONS, "long-stream-broker") as broker:
        # Re-timed to now, as a live stream: every event lands in today's partition, so the
        # table grows one partition by thousands of small files (the scenario).
        sent = int(measure([ctx.binary("fs-sandbox"), "produce", "--stream-type", "order-events", "--source", source,
                            "--bootstrap-servers", broker.bootstrap, "--topic", TOPIC, "--retime", "now",
                            "--linger-ms", "1000"]).result["messages"])
        for label, min_files in (("auto-compaction", "50"), ("no compaction", "0")):
            data_dir = os.path.join(ctx.work_dir, "long-stream-" + label.replace(" ", "-"))
            shutil.rmtree(data_dir, ignore_errors=True)
            argv = [ctx.binary("fs-ingest"), "dev", "--kafka-brokers", broker.bootstrap, "--kafka-topics", TOPIC,
                    "--data-dir", data_dir, "--stream-type", "order-events", "--available-now", "--summary",
                    "--log-level", "warning", "--max-offsets-per-trigger", str(BATCH), "--compact-min-files", min_files]
            run = measure(argv, timeout_s=7200)
            if run.result.get("messages") != sent:
                raise BenchError(f"long-stream ({label}): fs-ingest consumed {run.result.get('messages')} of {sent}")
            table = os.path.join(data_dir, "ingestion", "order-events")
            figures = stream_figures(ctx, table)
            # CPU (user + sys) as well as wall: on a loaded machine the wall-clock gaps between
            # commits measure the neighbours; CPU per commit at N vs 4N commits does not.
            figures.update(rssKb=run.rss_kb, seconds=run.result.get("seconds"), cpuSeconds=round(run.cpu_s, 2), table=table,
                           quarantined=run.result.get("quarantined", 0))
            if figures["rows"] + figures["quarantined"] != sent:
                raise BenchError(f"long-stream ({label}): {figures['rows']} rows + {figures['quarantined']} quarantined != {sent}")
            runs[label] = figures
            ctx.log(f"  {label}: {json.dumps({k: v for k, v in figures.items() if k != 'table'})}")

    rows = []
    for label, f in runs.items():
        ratio = f["lastMs"] / max(f["firstMs"], 1e-9)
        kb = f["logBytesPerCommit"] / 1024
        judged = not ctx.smoke and label == "auto-compaction"
        verdict = (lambda ok: "met" if ok else "NOT met") if judged else (lambda ok: "not judged")
        note = (f"{f['versions']} versions for {sent} messages; ms/commit first 10% {f['firstMs']:.1f}, last 10% "
                f"{f['lastMs']:.1f} (last/first {ratio:.2f}, goal <= {GOAL_LAST_OVER_FIRST}: {verdict(ratio <= GOAL_LAST_OVER_FIRST)}); "
                f"live files {f['files']}, at most {f['maxFilesPerPartition']} per partition (goal <= {2 * GOAL_MIN_FILES}: "
                f"{verdict(f['maxFilesPerPartition'] <= 2 * GOAL_MIN_FILES)}); _delta_log {f['logBytes'] / 1e6:.1f} MB = "
                f"{kb:.1f} KB per version (goal <= {GOAL_LOG_KB_PER_COMMIT}: {verdict(kb <= GOAL_LOG_KB_PER_COMMIT)}); "
                f"peak RSS {f['rssKb'] / 1024:.0f} MiB; CPU {f['cpuSeconds']:.1f} s = {1000 * f['cpuSeconds'] / max(f['versions'], 1):.1f} ms per version")
        rows.append(Row(f"Long stream, {label}", f"fs-ingest --max-offsets-per-trigger {BATCH}", "-",
                        float(f["seconds"] or 0), None, f["rssKb"], None, "rows + quarantine = messages", note))
    rows.append(optimize_vs_delta_rs(ctx, runs["no compaction"]))
    return rows


def optimize_vs_delta_rs(ctx, before: dict):
    """`fs-table optimize` and delta-rs `optimize.compact()` on two copies of the same table."""
    from workloads import Row
    target = 128 << 20
    copies = {}
    for name in ("fs", "delta-rs"):
        copies[name] = os.path.join(ctx.work_dir, f"optimize-{name}")
        shutil.rmtree(copies[name], ignore_errors=True)
        shutil.copytree(before["table"], copies[name])
    fs = measure([ctx.binary("fs-table"), "optimize", copies["fs"], "--target-file-size-mb", str(target >> 20)])
    peer = measure([sys.executable, "-c", DELTA_RS_OPTIMIZE, copies["delta-rs"], str(target)])
    counts = {n: measure([sys.executable, "-c", COUNT_ROWS, p]).result for n, p in copies.items()}
    for n, c in counts.items():
        if c["rows"] != before["rows"]:
            raise BenchError(f"optimize ({n}): {c['rows']} rows after, {before['rows']} before")
    speed = float(peer.result["seconds"]) / max(float(fs.result["seconds"]), 1e-9)
    verdict = "not judged" if ctx.smoke else ("met" if speed >= 1 else "NOT met")
    note = (f"{before['files']} files, {before['rows']} rows: fs {fs.result['filesRemoved']} -> {fs.result['filesAdded']} files, "
            f"delta-rs {peer.result['filesRemoved']} -> {peer.result['filesAdded']}; after: fs {counts['fs']['files']} files, "
            f"delta-rs {counts['delta-rs']['files']} files, same rows; fs speed {speed:.2f}x delta-rs (goal >= 1: {verdict})")
    return Row("Optimize (compact) a long-stream table", "fs-table optimize", "delta-rs optimize.compact()",
               float(fs.result["seconds"]), float(peer.result["seconds"]), fs.rss_kb, peer.rss_kb, "same rows after", note)
