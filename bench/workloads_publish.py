"""(f) Publish to SQLite: fs-publish vs `feast materialize` and vs `sqlite3 .import`.

The input is the online feature table of the generated orders (fs-agg-online's output: one row
per customer and 1-hour window sliding by 5 minutes; ~12 window rows per order at 1M orders).
    fs       fs-publish --publisher-type sqlite: reads the table, keeps the newest window per
             customer, upserts it into a typed SQLite table with the time guard, records the
             source version (the whole exactly-once protocol, timed end to end)
    Feast    `feast materialize` of the same table (as Parquet, dashes in names made
             underscores) into Feast's SQLite online store; `feast apply` untimed
    sqlite3  `.import` of the latest-per-key rows (computed beforehand by DuckDB, untimed) into a
             typed table: the store's own bulk load of the result alone
Equality: fs's store equals DuckDB's latest-per-key rows (keys, window_end, every feature);
Feast's store holds the same number of entities. Reported: seconds and peak RSS of each side.
BENCH_FEAST=0 skips Feast.
"""

from __future__ import annotations

import os
import sys

from harness import BenchError, alternate, fresh, measure

HERE = os.path.dirname(os.path.abspath(__file__))
PEER = os.path.join(HERE, "peers", "publish_peers.py")


def online_table(ctx) -> str:
    """The online workload's fs output when it ran in this run, else built here (untimed)."""
    out = os.path.join(ctx.work_dir, "online-fs")
    if os.path.isdir(os.path.join(out, "_delta_log")):
        return out
    source = os.path.join(ctx.data_dir, "orders.parquet")
    table = os.path.join(ctx.work_dir, "publish-online-input")
    ctx.log("publish: building the online feature table (fs-bench table-create, fs-agg-online; untimed)")
    measure([ctx.binary("fs-bench"), "table-create", "--input", source, "--table", fresh(table)])
    measure([ctx.binary("fs-agg-online"), "--master-mode", "local[*]", "--input-table", table, "--output-table", fresh(out),
             "--late-table", fresh(out + "_late"), "--time-field", "order_created_at", "--agg-field", "customer_id",
             "--window-duration", "1 hour", "--window-slide-duration", "5 minutes", "--watermark", "10 minutes",
             "--available-now", "--summary", "--log-level", "warning"])
    return out


def publish(ctx) -> list:
    from workloads import Row, measured_row, not_built  # late import: workloads imports this module
    if not all(ctx.has(b) for b in ("fs-publish", "fs-agg-online", "fs-bench")):
        return not_built("publish to SQLite", "fs-publish", "feast materialize")(ctx)
    table = online_table(ctx)
    csv_path = os.path.join(ctx.work_dir, "publish-latest.csv")
    parquet = os.path.join(ctx.work_dir, "publish-feast.parquet")
    exported = measure([sys.executable, PEER, "export", "--table", table, "--csv", csv_path, "--parquet", parquet]).result
    fs_db = os.path.join(ctx.work_dir, "publish-fs.db")
    sides = {
        "fs-publish sqlite": lambda i: [ctx.binary("fs-publish"), "--publisher-type", "sqlite", "--input-table", table,
                                        "--sqlite-path", fresh(fs_db), "--output-table", "order_features",
                                        "--summary", "--log-level", "warning"],
        "sqlite3 .import": lambda i: [sys.executable, PEER, "sqlite-import", "--csv", csv_path,
                                      "--db", os.path.join(ctx.work_dir, "publish-import.db")],
    }
    with_feast = os.environ.get("BENCH_FEAST", "1") != "0"
    if with_feast:
        sides["feast materialize"] = lambda i: [sys.executable, PEER, "feast", "--parquet", parquet,
                                                "--repo", os.path.join(ctx.work_dir, "publish-feast")]
    ctx.log(f"publish: {exported['table_rows']} window rows, {exported['rows']} customers → SQLite")
    measured = alternate(sides, ctx.runs, ctx.log)
    verdict = measure([sys.executable, PEER, "compare", "--fs-db", fs_db, "--table", "order_features", "--csv", csv_path]).result
    if not verdict.get("equal"):
        raise BenchError(f"publish: fs-publish's store differs from the latest-per-key rows: {verdict.get('reason')}")
    fs = measured["fs-publish sqlite"]
    summary = fs.runs[-1].result
    if int(summary["keysUpserted"]) != int(exported["rows"]):
        raise BenchError(f"publish: fs upserted {summary['keysUpserted']} keys, {exported['rows']} expected")
    note = (f"{summary['rowsRead']} window rows read, {summary['keysUpserted']} keys; "
            f"fs {float(summary['rowsRead']) / max(fs.median('seconds'), 1e-9) / 1e6:.2f}M rows/s")
    rows = [measured_row("publish latest-per-key to SQLite vs sqlite3 .import", fs, measured["sqlite3 .import"],
                         "equal rows", note + "; .import loads the precomputed result only")]
    if with_feast:
        feast = measured["feast materialize"]
        entities = int(feast.runs[-1].result["entities"])
        if entities != int(exported["rows"]):
            raise BenchError(f"publish: Feast holds {entities} entities, {exported['rows']} expected")
        speedup = feast.median("seconds") / max(fs.median("seconds"), 1e-9)
        rss_mb = fs.peak_rss_kb / 1024
        if ctx.smoke:
            goals = "goals >= 20x Feast, peak RSS <= 500 MB: not judged in smoke mode"
        else:
            goals = (f"goal >= 20x Feast: {speedup:.1f}x {'met' if speedup >= 20 else 'NOT met'}; "
                     f"goal peak RSS <= 500 MB: {rss_mb:.0f} MB {'met' if rss_mb <= 500 else 'NOT met'}")
        rows.insert(0, measured_row("publish online features to SQLite (vs feast materialize)", fs, feast,
                                    "same keys", f"{note}; {goals}"))
    else:
        rows.insert(0, Row("publish online features to SQLite (vs feast materialize)", fs.name, "feast materialize",
                           fs_s=fs.median("seconds"), fs_rss_kb=fs.peak_rss_kb, check="not compared (BENCH_FEAST=0)", note=note))
    return rows
