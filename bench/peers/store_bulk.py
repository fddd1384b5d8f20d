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
    store_bulk.py load --store sqlite --dir <dir> --target T --db FILE --template FILE
        a fresh FILE in WAL mode with synchronous=NORMAL (fs's settings), table T created with
        the DDL of T's namesake in fs's TEMPLATE database, then `sqlite3 .import --csv` of the
        rows in fs's text forms (latest-sqlite.csv, written before the clock starts).
    store_bulk.py compare-sqlite --fs-db FILE --fs-table T --peer-db FILE --peer-table T
        prints {"rows", "differing"}: rows of either table with no equal row in the other
        (keys and text equal, integers equal, doubles within 1e-12 relative).
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


def sqlite_csv(dir_: str, columns: list[str]) -> str:
    """latest-sqlite.csv: the rows as fs's SQLite target stores them (timestamps ISO-8601 UTC
    text, NULL as an empty field), in the order of `columns` (fs's table: keys, time, features),
    so both databases hold equal rows. Rewritten on every call, before the clock starts."""
    path = os.path.join(dir_, "latest-sqlite.csv")
    import pyarrow.parquet as pq
    rows = pq.read_table(os.path.join(dir_, "latest.parquet"), columns=columns).to_pylist()
    with open(path, "w") as f:
        for r in rows:
            f.write(",".join("" if r[c] is None else csv_text(redis_text(r[c]) if isinstance(r[c], dt.datetime) else r[c])
                             for c in columns) + "\n")
    return path


def load_sqlite(args) -> None:
    import sqlite3
    template = sqlite3.connect(args.template)
    ddl = template.execute("SELECT sql FROM sqlite_master WHERE type = 'table' AND name = ?", (args.template_table,)).fetchone()[0]
    csv = sqlite_csv(args.dir, [r[1] for r in template.execute(f'PRAGMA table_info("{args.template_table}")')])
    for suffix in ("", "-wal", "-shm"):
        if os.path.exists(args.db + suffix):
            os.remove(args.db + suffix)
    ddl = ddl.replace(f'"{args.template_table}"', f'"{args.target}"', 1)
    script = f"PRAGMA journal_mode=WAL;\nPRAGMA synchronous=NORMAL;\n{ddl};\n.import --csv {csv} {args.target}\n"
    started = time.monotonic()
    subprocess.run(["sqlite3", args.db], input=script, text=True, check=True, stdout=subprocess.DEVNULL)
    seconds = time.monotonic() - started
    rows = sqlite3.connect(args.db).execute(f'SELECT count(*) FROM "{args.target}"').fetchone()[0]
    print(json.dumps({"seconds": seconds, "rows": rows}))


def compare_sqlite(args) -> None:
    import sqlite3
    con = sqlite3.connect(args.fs_db)
    con.execute("ATTACH DATABASE ? AS peer", (args.peer_db,))
    cols = [r[1] for r in con.execute(f'PRAGMA table_info("{args.fs_table}")')]
    types = {r[1]: r[2].upper() for r in con.execute(f'PRAGMA table_info("{args.fs_table}")')}

    def same(c: str) -> str:
        q = f'"{c}"'
        if "REAL" in types[c] or "DOUBLE" in types[c]:
            return f"((a.{q} IS NULL AND b.{q} IS NULL) OR abs(a.{q} - b.{q}) <= 1e-12 * max(abs(a.{q}), 1e-300))"
        return f"a.{q} IS b.{q}"

    on = " AND ".join(same(c) for c in cols)
    fs_rows = con.execute(f'SELECT count(*) FROM main."{args.fs_table}"').fetchone()[0]
    peer_rows = con.execute(f'SELECT count(*) FROM peer."{args.peer_table}"').fetchone()[0]
    matched = con.execute(f'SELECT count(*) FROM main."{args.fs_table}" a JOIN peer."{args.peer_table}" b ON {on}').fetchone()[0]
    print(json.dumps({"rows": fs_rows, "differing": (fs_rows - matched) + (peer_rows - matched)}))


def load(args) -> None:
    columns = json.load(open(os.path.join(args.dir, "columns.json")))
    env = {**os.environ}
    if args.store == "sqlite":
        return load_sqlite(args)
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
    l.add_argument("--store", choices=["postgres", "mysql", "redis", "sqlite"], required=True)
    l.add_argument("--dir", required=True)
    l.add_argument("--target", required=True)
    l.add_argument("--port", type=int, default=0)
    l.add_argument("--db", help="sqlite: the database file to create")
    l.add_argument("--template", help="sqlite: fs's database, whose table gives the DDL")
    l.add_argument("--template-table", help="sqlite: that table's name")
    c = sub.add_parser("compare-sqlite")
    c.add_argument("--fs-db", required=True)
    c.add_argument("--fs-table", required=True)
    c.add_argument("--peer-db", required=True)
    c.add_argument("--peer-table", required=True)
    a = ap.parse_args()
    {"prepare": prepare, "load": load, "compare-sqlite": compare_sqlite}[a.cmd](a)


if __name__ == "__main__":
    main()
