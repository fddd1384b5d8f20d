#!/usr/bin/env python3
"""Peer of the online workload: Polars `group_by_dynamic` computing the same six features per
customer over the same sliding windows, in memory, with no output written in the timed section:

    read       orders.parquet (customer_id, order_created_at, order_total_amount)
    windows    every = 5 min, period = 1 h, offset = -55 min (so a window may start before the
               first event, as fs's and Spark's do), closed left, labelled by their start
    group by   customer_id (the input sorted by time: group_by_dynamic needs the index sorted
               within each group, and a global time sort is the cheapest way to get that)
    emitted    windows whose end is at or before max(event time) - watermark (10 min): the
               windows an append-mode stream has closed when its input ends (fs, Spark)

    online_polars.py run --input orders.parquet --output result.parquet

`run` prints {"seconds": read + sort + aggregate, "cpu_seconds": user + system CPU of all threads
over the same section, "events": n, "rows": output rows}; the result
is written to --output after the timed section, for `online_spark.py compare` (the same
(customer_id, window) rows as fs's table, counts exact, doubles to 1e-9 relative).
"""

from __future__ import annotations

import argparse
import datetime as dt
import json
import sys
import time

FEATURES = ["customer-count-1h", "total-amount-sum-1h", "total-amount-mean-1h", "total-amount-min-1h",
            "total-amount-max-1h", "total-amount-avg-1h"]


def run(args) -> dict:
    import polars as pl
    started, cpu_started = time.perf_counter(), time.process_time()
    events = (pl.scan_parquet(args.input)
              .select("customer_id", pl.col("order_created_at").dt.replace_time_zone(None).dt.cast_time_unit("us"),
                      pl.col("order_total_amount").cast(pl.Float64))
              .collect())
    n_events = events.height
    closed_until = events["order_created_at"].max() - dt.timedelta(minutes=args.watermark_minutes)
    amount = pl.col("order_total_amount")
    windows = (events.lazy()
               .sort("order_created_at")
               .group_by_dynamic("order_created_at", every="5m", period="1h", offset="-55m", closed="left",
                                 label="left", group_by="customer_id", start_by="window")
               .agg(pl.col("customer_id").count().alias(FEATURES[0]), amount.sum().alias(FEATURES[1]),
                    amount.mean().alias(FEATURES[2]), amount.min().alias(FEATURES[3]),
                    amount.max().alias(FEATURES[4]), amount.mean().alias(FEATURES[5]))
               .rename({"order_created_at": "window_start"})
               .with_columns(window_end=pl.col("window_start") + pl.duration(hours=1))
               .filter(pl.col("window_end") <= closed_until)
               .collect())
    seconds, cpu_seconds = time.perf_counter() - started, time.process_time() - cpu_started
    windows.select("customer_id", "window_start", "window_end", *FEATURES).with_columns(
        pl.col("window_start").dt.replace_time_zone("UTC"), pl.col("window_end").dt.replace_time_zone("UTC")
    ).write_parquet(args.output)
    return {"seconds": seconds, "cpu_seconds": cpu_seconds, "events": n_events, "rows": windows.height,
            "events_per_s": n_events / seconds if seconds > 0 else 0}


def main() -> int:
    ap = argparse.ArgumentParser()
    ap.add_argument("command", choices=["run"])
    ap.add_argument("--input", required=True)
    ap.add_argument("--output", required=True)
    ap.add_argument("--watermark-minutes", type=int, default=10)
    args = ap.parse_args()
    print(json.dumps(run(args)))
    return 0


if __name__ == "__main__":
    sys.exit(main())
