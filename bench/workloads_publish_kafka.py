"""Issue 11's Kafka publisher benchmark: fs-publish --publisher-type kafka vs kcat -P.

Input: the latest-per-key rows of the online feature table (the newest window of every
customer, 50k at 1M orders; prepared untimed by `workloads_stores.latest_rows`, the same rows the
other stores' bulk tools load), as a Delta table. Each fs run publishes it whole to a fresh
topic of a `fs-sandbox broker` (read the table, keep the newest row per customer, one JSON
message per row, idempotent producer, flush, state record). The messages of the first run are exported once (`kcat -C`, `key<TAB>value`),
and kcat's bulk producer (`kcat -P -K '\\t' -z zstd -l`) sends the same messages to another
fresh topic, with the same three headers (`-H`, the values fs-publish sent) and, as fs's
producer, `enable.idempotence=true`: the same bytes on the wire and the same delivery guarantee
(until this session's round kcat sent neither, 3 × ~40 bytes less per message). Checks: every fs run's summary counts the exported messages, and kcat reads back
as many from each topic. Reported: messages/s of each side (goal fs >= 0.8x kcat), peak RSS.
"""

from __future__ import annotations

import json
import os
import shutil
import subprocess
import sys

from harness import BenchError, alternate, measure
from workloads_ingest import SandboxBroker

HERE = os.path.dirname(os.path.abspath(__file__))
KCAT_PRODUCE = os.path.join(HERE, "peers", "kcat_produce.py")
KCAT_CONSUME = os.path.join(HERE, "peers", "kcat_consume.py")
GOAL_RATIO = 0.8


def count(kcat: str, brokers: str, topic: str) -> int:
    return int(measure([sys.executable, KCAT_CONSUME, "--kcat", kcat, "--brokers", brokers, "--topic", topic]).result["messages"])


def message_headers(table: str, version: int) -> list[str]:
    """The headers fs-publish sends with every message of `table` at `version` (its README):
    the source path, the Delta table id (from the log's metaData action) and the version."""
    table_id = None
    log = os.path.join(table, "_delta_log")
    for name in sorted(os.listdir(log)):
        if not name.endswith(".json"):
            continue
        with open(os.path.join(log, name)) as f:
            for line in f:
                action = json.loads(line)
                if "metaData" in action:
                    table_id = action["metaData"]["id"]
    if table_id is None:
        raise BenchError(f"publish-kafka: no metaData action in {log}")
    return [f"fs_source_table={table}", f"fs_source_table_id={table_id}", f"fs_source_version={version}"]


def publish_kafka(ctx) -> list:
    from workloads import Row, not_built
    if not all(ctx.has(b) for b in ("fs-publish", "fs-sandbox", "fs-agg-online", "fs-bench")):
        return not_built("publish to Kafka", "fs-publish", "kcat -P")(ctx)
    kcat = shutil.which("kcat")
    if kcat is None:
        raise BenchError("publish-kafka: kcat not found (run `make deps`)")
    from workloads_stores import latest_rows
    table, _, rows = latest_rows(ctx)
    ctx.log(f"publish-kafka: fs-publish vs kcat -P, {rows} latest-per-key rows (one message per customer)")
    export = os.path.join(ctx.work_dir, "publish-kafka-messages.tsv")
    with SandboxBroker(ctx, 4, "publish-kafka-broker") as broker:
        fs_name, kcat_name = "fs-publish --publisher-type kafka", "kcat -P -z zstd -H ×3, idempotent"

        def fs_argv(i: int) -> list[str]:
            return [ctx.binary("fs-publish"), "--publisher-type", "kafka", "--input-table", table, "--output-table", f"fs-run-{i}",
                    "--kafka-brokers", broker.bootstrap, "--key-field", "customer_id", "--time-field", "window_end",
                    "--summary", "--log-level", "warning"]

        first = measure(fs_argv(99))  # untimed: produces the messages kcat will send
        with open(export, "wb") as out:
            subprocess.run([kcat, "-C", "-e", "-q", "-o", "beginning", "-b", broker.bootstrap, "-t", "fs-run-99",
                            "-f", "%k\t%s\n"], stdout=out, check=True, stdin=subprocess.DEVNULL)
        with open(export, "rb") as f:
            messages = sum(1 for _ in f)
        headers = message_headers(table, int(first.result["sourceVersion"]))
        if messages != int(first.result["keysUpserted"]) or messages != rows:
            raise BenchError(f"publish-kafka: the topic holds {messages} messages, fs-publish reported {first.result['keysUpserted']}, "
                             f"the table has {rows} rows")
        sides = alternate({
            fs_name: fs_argv,
            kcat_name: lambda i: [sys.executable, KCAT_PRODUCE, "--kcat", kcat, "--brokers", broker.bootstrap,
                                  "--topic", f"kcat-run-{i}", "--file", export, "--idempotent"]
                                 + [a for h in headers for a in ("--header", h)],
        }, ctx.runs, ctx.log)
        fs, peer = sides[fs_name], sides[kcat_name]
        for i, run in enumerate(fs.runs):
            if int(run.result["keysUpserted"]) != messages or count(kcat, broker.bootstrap, f"fs-run-{i}") != messages:
                raise BenchError(f"publish-kafka: fs run {i} did not publish exactly {messages} messages")
        for i in range(len(peer.runs)):
            if count(kcat, broker.bootstrap, f"kcat-run-{i}") != messages:
                raise BenchError(f"publish-kafka: kcat run {i} did not deliver {messages} messages")
    fs_rate, kcat_rate = messages / fs.median("seconds"), messages / peer.median("seconds")
    judged = not ctx.smoke
    ok = fs_rate / kcat_rate >= GOAL_RATIO
    note = (f"{messages} latest-per-key rows, one JSON message each: fs {fs_rate:,.0f} msg/s (reads the table, reduces, "
            f"produces, records the version), kcat {kcat_rate:,.0f} msg/s, fs/kcat {fs_rate / kcat_rate:.2f} "
            f"(goal >= {GOAL_RATIO}: {('met' if ok else 'NOT met') if judged else 'not judged in smoke mode'}); "
            f"fs peak RSS {fs.peak_rss_kb / 1024:.0f} MiB")
    return [Row("publish to Kafka (latest per key)", fs_name, kcat_name, fs.median("seconds"), peer.median("seconds"),
                fs.peak_rss_kb, peer.peak_rss_kb, "message counts equal (kcat read-back)", note)]
