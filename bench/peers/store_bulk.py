#!/usr/bin/env python3
"""Peers of the publish benchmark: the latest-per-key rows of the online feature table, and each
store's own bulk loader timed on them.

    store_bulk.py prepare --table <online delta table> --out <dir>
        writes latest.parquet (the newest window_end row of every customer_id, plus
        fs_year/fs_month/fs_day for `fs-bench table-create`), latest.csv (PostgreSQL \\copy),
        latest.tsv (MariaDB LOAD DATA, \\N for NULL); prints {"rows", "columns"}.
    store_bulk.py load --store postgres|mysql|redis --dir <dir> --target T --port P ...
        loads the rows with psql \\copy / mariadb LOAD DATA LOCAL INFILE / redis-cli --pipe
        (RESP written before the clock starts); prints {"seconds", "rows"} (the tool's run only).
"""

from __future__ import annotations

import argparse
import datetime as dt
import json
import math
import os
import subprocess
import sys
import time

PG_BIN = os.environ.get("FS_PG_BIN", "/usr/lib/postgresql/15/bin")
KEY, TIME = "customer_id", "window_end"


def prepare(args) -> None:
    import duckdb
    import pyarrow as pa
    import pyarrow.compute as pc
    import pyarrow.parquet as pq
    from deltalake import DeltaTable

    t = DeltaTable(args.table).to_pyarrow_table()
    t = t.drop_columns([c for c in ("year", "month", "day") if c in t.column_names])
    con = duckdb.connect()
    con.register("t", t)
    latest = con.sql(f"""SELECT * EXCLUDE (rn) FROM (SELECT *, row_number() OVER (PARTITION BY {KEY}
                             ORDER BY {TIME} DESC) AS rn FROM t) WHERE rn = 1 ORDER BY {KEY}""").to_arrow_table()
    columns = latest.column_names
    # One constant partition: fs reads one file, as the bulk tools read one text file (one
    # file per window day would make the comparison about opening files, not about the store).
    n = latest.num_rows
    with_parts = latest.append_column("fs_year", pa.array([2019] * n, pa.int32())) \
                       .append_column("fs_month", pa.array([1] * n, pa.int32())) \
                       .append_column("fs_day", pa.array([1] * n, pa.int32()))
    os.makedirs(args.out, exist_ok=True)
    pq.write_table(with_parts, os.path.join(args.out, "latest.parquet"), compression="zstd")
    rows = latest.to_pylist()
    with open(os.path.join(args.out, "latest.csv"), "w") as csv, open(os.path.join(args.out, "latest.tsv"), "w") as tsv:
        csv.write(",".join(columns) + "\n")
        for r in rows:
            csv.write(",".join(csv_text(r[c]) for c in columns) + "\n")
            tsv.write("\t".join(tsv_text(r[c]) for c in columns) + "\n")
    with open(os.path.join(args.out, "columns.json"), "w") as f:
        json.dump(columns, f)
    print(json.dumps({"rows": len(rows), "columns": columns}))


def csv_text(v) -> str:
    if v is None:
        return ""
    if isinstance(v, dt.datetime):
        return v.strftime("%Y-%m-%d %H:%M:%S.%f") + "+00"
    if isinstance(v, float):
        return "NaN" if math.isnan(v) else repr(v)
    s = str(v)
    return '"' + s.replace('"', '""') + '"' if any(ch in s for ch in ',"\n\r') else s


def tsv_text(v) -> str:
    if v is None or (isinstance(v, float) and not math.isfinite(v)):
        return "\\N"
    if isinstance(v, dt.datetime):
        return v.strftime("%Y-%m-%d %H:%M:%S.%f")
    if isinstance(v, float):
        return repr(v)
    return str(v).replace("\\", "\\\\").replace("\t", "\\t").replace("\n", "\\n")


def redis_text(v) -> str:
    if isinstance(v, dt.datetime):
        return v.strftime("%Y-%m-%dT%H:%M:%S.%fZ")
    if isinstance(v, float):
        return "NaN" if math.isnan(v) else repr(v)
    return str(v)


def resp(*words: str) -> bytes:
    out = [f"*{len(words)}\r\n".encode()]
    for w in words:
        b = w.encode()
        out.append(b"$%d\r\n%s\r\n" % (len(b), b))
    return b"".join(out)


def escape_key_part(s: str) -> str:
    """The key-part escape of fs's Redis target (RedisTarget / README)."""
    e = s.replace("\\", "\\\\").replace(":", "\\:")
    return "\\" + e if e.startswith("_") else e


def load(args) -> None:
    columns = json.load(open(os.path.join(args.dir, "columns.json")))
    env = {**os.environ}
    if args.store == "postgres":
        cols = ", ".join(f'"{c}"' for c in columns)
        argv = [f"{PG_BIN}/psql", "-X", "-q", "-h", "127.0.0.1", "-p", str(args.port), "-U", "fs", "-d", "fs", "-v", "ON_ERROR_STOP=1",
                "-c", f"\\copy \"{args.target}\" ({cols}) FROM '{os.path.join(args.dir, 'latest.csv')}' WITH (FORMAT csv, HEADER true)"]
        stdin = None
    elif args.store == "mysql":
        env["MYSQL_PWD"] = os.environ["FS_MYSQL_PASSWORD"]
        cols = ", ".join(f"`{c}`" for c in columns)
        argv = ["mariadb", "--no-defaults", "-h", "127.0.0.1", "-P", str(args.port), "-u", "fs", "--local-infile=1", "-e",
                f"LOAD DATA LOCAL INFILE '{os.path.join(args.dir, 'latest.tsv')}' INTO TABLE `{args.target}` "
                f"FIELDS TERMINATED BY '\\t' LINES TERMINATED BY '\\n' ({cols})", "fs"]
        stdin = None
    else:
        import pyarrow.parquet as pq
        rows = pq.read_table(os.path.join(args.dir, "latest.parquet"), columns=columns).to_pylist()
        path = os.path.join(args.dir, f"{args.target}.resp")
        with open(path, "wb") as f:
            for r in rows:
                words = ["HSET", f"{args.target}:{escape_key_part(str(r[KEY]))}"]
                for c in columns:
                    if r[c] is not None:
                        words += [c, redis_text(r[c])]
                f.write(resp(*words))
        env["REDISCLI_AUTH"] = os.environ["FS_REDIS_PASSWORD"]
        argv = ["redis-cli", "-h", "127.0.0.1", "-p", str(args.port), "--pipe"]
        stdin = open(path, "rb")
    started = time.monotonic()
    proc = subprocess.run(argv, env=env, stdin=stdin, capture_output=True, text=True)
    seconds = time.monotonic() - started
    failed = proc.returncode != 0 or (args.store == "redis" and "errors: 0," not in proc.stdout)
    if failed:
        sys.stderr.write(proc.stdout + proc.stderr)
        sys.exit(1)
    n = sum(1 for _ in open(os.path.join(args.dir, "latest.tsv")))
    print(json.dumps({"seconds": seconds, "rows": n}))


def main() -> None:
    ap = argparse.ArgumentParser()
    sub = ap.add_subparsers(dest="cmd", required=True)
    p = sub.add_parser("prepare")
    p.add_argument("--table", required=True)
    p.add_argument("--out", required=True)
    l = sub.add_parser("load")
    l.add_argument("--store", choices=["postgres", "mysql", "redis"], required=True)
    l.add_argument("--dir", required=True)
    l.add_argument("--target", required=True)
    l.add_argument("--port", type=int, required=True)
    a = ap.parse_args()
    prepare(a) if a.cmd == "prepare" else load(a)


if __name__ == "__main__":
    main()
