#!/usr/bin/env python3
"""Peers of the publish workload: the same latest-per-key rows of the online feature table,
loaded into SQLite by `sqlite3 .import` and by `feast materialize` (Feast's SQLite online store).

    publish_peers.py export --table DIR --csv FILE --parquet FILE   (untimed preparation)
        the newest row per customer_id by window_end (DuckDB over the Delta table read by
        delta-rs) as CSV for sqlite3, and every row of the table as Parquet for Feast
    publish_peers.py sqlite-import --csv FILE --db FILE
        sqlite3 FILE: a typed table, `.import --csv --skip 1`; prints {"seconds", "rows"}
    publish_peers.py feast --parquet FILE --repo DIR
        a Feast repo (local provider, file offline store, SQLite online store), `feast apply`
        untimed, then FeatureStore.materialize over the whole time range timed; prints
        {"seconds", "entities"}
    publish_peers.py compare --fs-db FILE --table NAME --csv FILE
        fs-publish's store equals the exported latest-per-key rows (keys, window_end, features);
        prints {"equal": bool, "rows": n, "reason": ...}
"""

from __future__ import annotations

import argparse
import csv
import json
import math
import os
import sqlite3
import subprocess
import sys
import time

FEATURES = ["customer-count-1h", "total-amount-sum-1h", "total-amount-mean-1h", "total-amount-min-1h",
            "total-amount-max-1h", "total-amount-avg-1h"]


def iso(ts) -> str:
    return ts.strftime("%Y-%m-%dT%H:%M:%S.%fZ")


def export(args) -> dict:
    import deltalake
    import duckdb
    table = deltalake.DeltaTable(args.table).to_pyarrow_table()
    con = duckdb.connect()
    con.register("t", table)
    con.execute("SET TimeZone = 'UTC'")
    cols = ", ".join(f'"{c}"' for c in ["customer_id", "window_start"] + FEATURES)
    latest = con.execute(f"""
        SELECT customer_id, window_end, {cols.split(', ', 1)[1]} FROM (
          SELECT *, row_number() OVER (PARTITION BY customer_id ORDER BY window_end DESC) AS rn FROM t
          WHERE customer_id IS NOT NULL) WHERE rn = 1 ORDER BY customer_id""").fetchall()
    with open(args.csv, "w", newline="") as f:
        w = csv.writer(f)
        w.writerow(["customer_id", "window_end", "window_start"] + FEATURES)
        for r in latest:
            w.writerow([r[0], iso(r[1]), iso(r[2])] + [("" if v is None else repr(float(v)) if not isinstance(v, int) else v) for v in r[3:]])
    # Feast wants identifier-like feature names and a timezone-aware event timestamp.
    renamed = con.sql(f"""SELECT customer_id, window_end, {", ".join(f'"{c}" AS "{c.replace("-", "_")}"' for c in FEATURES)} FROM t""").to_arrow_table()
    import pyarrow.parquet as pq
    pq.write_table(renamed, args.parquet)
    return {"rows": len(latest), "table_rows": table.num_rows}


def sqlite_import(args) -> dict:
    if os.path.exists(args.db):
        os.remove(args.db)
    cols = ", ".join(['"customer_id" TEXT NOT NULL', '"window_end" TEXT', '"window_start" TEXT']
                     + [f'"{c}" {"INTEGER" if c.startswith("customer-count") else "REAL"}' for c in FEATURES])
    script = (f'CREATE TABLE "latest" ({cols}, PRIMARY KEY ("customer_id"));\n'
              f'.import --csv --skip 1 {args.csv} latest\n')
    started = time.monotonic()
    subprocess.run(["sqlite3", args.db], input=script, text=True, check=True)
    seconds = time.monotonic() - started
    rows = sqlite3.connect(args.db).execute('SELECT count(*) FROM "latest"').fetchone()[0]
    return {"seconds": seconds, "rows": rows}


def feast_run(args) -> dict:
    import shutil
    from datetime import datetime, timedelta, timezone
    shutil.rmtree(args.repo, ignore_errors=True)
    os.makedirs(os.path.join(args.repo, "data"))
    with open(os.path.join(args.repo, "feature_store.yaml"), "w") as f:
        f.write("project: fs_bench\nregistry: data/registry.db\nprovider: local\n"
                "online_store:\n  type: sqlite\n  path: data/online.db\n"
                "offline_store:\n  type: file\nentity_key_serialization_version: 3\n")
    names = [c.replace("-", "_") for c in FEATURES]
    with open(os.path.join(args.repo, "features.py"), "w") as f:
        f.write(f"""from datetime import timedelta
from feast import Entity, FeatureView, Field, FileSource
from feast.types import Float64, Int64
customer = Entity(name="customer", join_keys=["customer_id"])
source = FileSource(path={os.path.abspath(args.parquet)!r}, timestamp_field="window_end")
order_features = FeatureView(name="order_features", entities=[customer], ttl=timedelta(days=3650), source=source,
    schema=[{", ".join(f'Field(name={n!r}, dtype={"Int64" if n.startswith("customer_count") else "Float64"})' for n in names)}])
""")
    subprocess.run([os.path.join(os.path.dirname(sys.executable), "feast"), "apply"], cwd=args.repo, check=True,
                   stdout=subprocess.DEVNULL, stderr=subprocess.DEVNULL)
    os.chdir(args.repo)
    from feast import FeatureStore
    store = FeatureStore(repo_path=".")
    started = time.monotonic()
    store.materialize(start_date=datetime(1970, 1, 2, tzinfo=timezone.utc), end_date=datetime(2100, 1, 1, tzinfo=timezone.utc))
    seconds = time.monotonic() - started
    con = sqlite3.connect(os.path.join("data", "online.db"))
    table = [r[0] for r in con.execute("SELECT name FROM sqlite_master WHERE type='table'") if r[0].endswith("order_features")][0]
    entities = con.execute(f'SELECT count(DISTINCT entity_key) FROM "{table}"').fetchone()[0]
    return {"seconds": seconds, "entities": entities}


def compare(args) -> dict:
    with open(args.csv, newline="") as f:
        reader = csv.reader(f)
        next(reader)
        expected = {r[0]: r for r in reader}
    con = sqlite3.connect(args.fs_db)
    cols = ", ".join(f'"{c}"' for c in ["customer_id", "window_end", "window_start"] + FEATURES)
    got = {r[0]: r for r in con.execute(f'SELECT {cols} FROM "{args.table}"')}
    if got.keys() != expected.keys():
        return {"equal": False, "rows": len(got), "reason": f"{len(got)} keys in the store, {len(expected)} expected"}
    for k, e in expected.items():
        g = got[k]
        if g[1] != e[1] or g[2] != e[2]:
            return {"equal": False, "rows": len(got), "reason": f"{k}: window {g[1:3]} != {e[1:3]}"}
        for gv, ev in zip(g[3:], e[3:]):
            if (gv is None) != (ev == ""):
                return {"equal": False, "rows": len(got), "reason": f"{k}: {gv} vs {ev!r}"}
            if gv is not None and not math.isclose(float(gv), float(ev), rel_tol=1e-12, abs_tol=1e-12):
                return {"equal": False, "rows": len(got), "reason": f"{k}: {gv} != {ev}"}
    return {"equal": True, "rows": len(got)}


def main() -> int:
    ap = argparse.ArgumentParser(description=__doc__, formatter_class=argparse.RawDescriptionHelpFormatter)
    sub = ap.add_subparsers(dest="cmd", required=True)
    e = sub.add_parser("export"); e.add_argument("--table", required=True); e.add_argument("--csv", required=True); e.add_argument("--parquet", required=True)
    s = sub.add_parser("sqlite-import"); s.add_argument("--csv", required=True); s.add_argument("--db", required=True)
    f = sub.add_parser("feast"); f.add_argument("--parquet", required=True); f.add_argument("--repo", required=True)
    c = sub.add_parser("compare"); c.add_argument("--fs-db", required=True); c.add_argument("--table", required=True); c.add_argument("--csv", required=True)
    args = ap.parse_args()
    result = {"export": export, "sqlite-import": sqlite_import, "feast": feast_run, "compare": compare}[args.cmd](args)
    print(json.dumps(result))
    return 0


if __name__ == "__main__":
    sys.exit(main())
