"""(f) Publishing to the server stores: fs-publish vs each store's own bulk loader, same rows.

The rows are the latest-per-key rows of the online feature table (fs-agg-online's output on
the generated orders: the newest window_end row of every customer_id; 50k rows at 1M orders,
enough that per-run fixed costs — process start, table open, connect — do not dominate). fs reads them from a
Delta table (fs-bench table-create of the same Parquet) and publishes them with
`--publisher-type postgres|mysql|redis` into a fresh table / key prefix per run; the peer
loads the same rows, pre-rendered as text, with `psql \\copy`, `mariadb LOAD DATA LOCAL INFILE`
and `redis-cli --pipe` (HSET per key) into a table created LIKE fs's. The servers (temporary,
loopback, fsync off) are started by this workload and stopped at its end.

Checked: both sides hold the same number of keys, and for the SQL stores the same rows
(`EXCEPT` both ways is empty). Reported: seconds of the publish (fs: its summary, which
includes reading the Delta table; peer: the tool's run), rows/s ratio.
"""

from __future__ import annotations

import json
import os
import sys

from harness import BenchError, alternate, fresh, measure

HERE = os.path.dirname(os.path.abspath(__file__))
PEER = os.path.join(HERE, "peers", "store_bulk.py")
sys.path.insert(0, os.path.join(HERE, "peers"))


GOAL_RATIO = 0.8


def latest_rows(ctx) -> tuple[str, str, int]:
    """The latest-per-key rows of the online feature table, prepared once per bench run
    (untimed): fs-agg-online's output on the generated orders, reduced by DuckDB to the newest
    window_end row of every customer_id (~N/20 keys: 50k at 1M orders), written as one Parquet
    file and its text forms for the bulk tools (`peers/store_bulk.py prepare`) and as a Delta
    table for fs-publish. Returns (Delta table, rows directory, rows)."""
    source = os.path.join(ctx.data_dir, "orders.parquet")
    ingest = os.path.join(ctx.work_dir, "publish-ingest")
    online = os.path.join(ctx.work_dir, "publish-online")
    rows_dir = os.path.join(ctx.work_dir, "publish-rows")
    latest = os.path.join(ctx.work_dir, "publish-latest")
    done = os.path.join(rows_dir, "prepared.json")
    if os.path.isdir(os.path.join(latest, "_delta_log")) and os.path.exists(done):
        with open(done) as f:
            return latest, rows_dir, int(json.load(f)["rows"])
    ctx.log("publish: preparing the online table (fs-agg-online) and its latest-per-key rows (untimed)")
    measure([ctx.binary("fs-bench"), "table-create", "--input", source, "--table", fresh(ingest)])
    measure([ctx.binary("fs-agg-online"), "--master-mode", "local[*]", "--input-table", ingest, "--output-table", fresh(online),
             "--late-table", fresh(online + "_late"), "--time-field", "order_created_at", "--agg-field", "customer_id",
             "--window-duration", "1 hour", "--window-slide-duration", "5 minutes", "--watermark", "10 minutes",
             "--available-now", "--summary", "--log-level", "warning"])
    prepared = measure([sys.executable, PEER, "prepare", "--table", online, "--out", fresh(rows_dir)]).result
    measure([ctx.binary("fs-bench"), "table-create", "--input", os.path.join(rows_dir, "latest.parquet"), "--table", fresh(latest)])
    with open(done, "w") as f:
        json.dump(prepared, f)
    return latest, rows_dir, int(prepared["rows"])


def goal_text(ratio: float, ctx) -> str:
    """The ≥ 0.8× goal next to its figure; smoke runs (tiny data, debug build) are not judged."""
    if ctx.smoke:
        return f"goal >= {GOAL_RATIO}x: not judged in smoke mode"
    return f"goal >= {GOAL_RATIO}x: {'met' if ratio >= GOAL_RATIO else 'NOT met'}"


def publish_stores(ctx) -> list:
    from workloads import measured_row, not_built  # late import: workloads imports this module
    import store_servers

    for exe in ("fs-publish", "fs-agg-online", "fs-bench"):
        if not ctx.has(exe):
            return not_built("publish to postgres/mysql/redis", exe, "psql \\copy / LOAD DATA / redis-cli --pipe")(ctx)
    latest, rows_dir, n = latest_rows(ctx)
    servers = {}
    out = []
    ctx.log(f"publish: {n} latest-per-key rows (one per customer) into each store")
    out.append(one_sqlite(ctx, latest, rows_dir, n, measured_row))
    try:
        servers = {"postgres": store_servers.Postgres.start(), "mysql": store_servers.MariaDB.start(),
                   "redis": store_servers.Redis.start()}
        for store, server in servers.items():
            out.append(one_store(ctx, store, server, latest, rows_dir, n, measured_row))
    finally:
        for s in servers.values():
            s.stop()
    return out


def one_sqlite(ctx, latest: str, rows_dir: str, n: int, measured_row):
    """SQLite: fs-publish into a fresh database file per run vs `sqlite3 .import` of the same
    rows into a fresh file with fs's table DDL, both in WAL mode with synchronous=NORMAL."""
    def db(side: str, i: int) -> str:
        return os.path.join(ctx.work_dir, f"publish-stores-{side}-{i}.db")

    def remove(path: str) -> str:
        for suffix in ("", "-wal", "-shm"):
            if os.path.exists(path + suffix):
                os.remove(path + suffix)
        return path

    def fs_side(i: int) -> list[str]:
        return [ctx.binary("fs-publish"), "--publisher-type", "sqlite", "--input-table", latest, "--sqlite-path", remove(db("fs", i)),
                "--output-table", "latest", "--key-field", "customer_id", "--time-field", "window_end", "--summary", "--log-level", "warning"]

    measure(fs_side(999))  # untimed: the template of the peer's table

    def peer_side(i: int) -> list[str]:
        return [sys.executable, PEER, "load", "--store", "sqlite", "--dir", rows_dir, "--target", "latest", "--db", db("peer", i),
                "--template", db("fs", 999), "--template-table", "latest"]

    tool = "sqlite3 .import"
    ctx.log(f"publish: fs-publish --publisher-type sqlite vs {tool} ({n} latest-per-key rows)")
    sides = alternate({"fs-publish sqlite": fs_side, tool: peer_side}, ctx.runs, ctx.log)
    fs, peer = sides["fs-publish sqlite"], sides[tool]
    if fs.runs[-1].result.get("keysUpserted") != n:
        raise BenchError(f"publish sqlite: fs-publish upserted {fs.runs[-1].result.get('keysUpserted')} keys, expected {n}")
    last = ctx.runs - 1
    verdict = measure([sys.executable, PEER, "compare-sqlite", "--fs-db", db("fs", last), "--fs-table", "latest",
                       "--peer-db", db("peer", last), "--peer-table", "latest"]).result
    if int(verdict["rows"]) != n or int(verdict["differing"]) != 0:
        raise BenchError(f"publish sqlite: fs and {tool} differ ({verdict['differing']} rows differ, fs holds {verdict['rows']} of {n})")
    rate, peer_rate = n / fs.median("seconds"), n / peer.median("seconds")
    return measured_row("publish latest-per-key rows to sqlite", fs, peer, "equal rows",
                        f"{n} rows; fs {rate / 1e3:.0f}k rows/s (incl. reading the Delta table), {tool} {peer_rate / 1e3:.0f}k rows/s; "
                        f"fs = {rate / peer_rate:.2f}× the bulk tool ({goal_text(rate / peer_rate, ctx)}); both WAL, synchronous=NORMAL")


def one_store(ctx, store: str, server, latest: str, rows_dir: str, n: int, measured_row):
    env_flags = {
        "postgres": ["--postgres-url", getattr(server, "url", "")],
        "mysql": ["--jdbc-hostname", "127.0.0.1", "--jdbc-port", str(server.port), "--jdbc-database", "fs", "--jdbc-user", "fs"],
        "redis": ["--redis-url", getattr(server, "url", "")],
    }[store]
    os.environ.update(server.env)  # the password variables, for fs-publish and the peer alike

    def fs_side(i: int) -> list[str]:
        return [ctx.binary("fs-publish"), "--publisher-type", store, "--input-table", latest, "--output-table", f"fs_{i}",
                "--key-field", "customer_id", "--time-field", "window_end", "--summary", "--log-level", "warning", *env_flags]

    # The peer's table has fs's DDL: one untimed fs publish creates the template.
    measure(fs_side(999))

    def peer_side(i: int) -> list[str]:
        if store == "postgres":
            server.psql(f'SET ROLE fs; DROP TABLE IF EXISTS "peer_{i}"; CREATE TABLE "peer_{i}" (LIKE "fs_999" INCLUDING ALL)')
        elif store == "mysql":
            server.sql(f"DROP TABLE IF EXISTS `peer_{i}`")
            server.sql(f"CREATE TABLE `peer_{i}` LIKE `fs_999`")
        return [sys.executable, PEER, "load", "--store", store, "--dir", rows_dir, "--target", f"peer_{i}", "--port", str(server.port)]

    tool = {"postgres": "psql \\copy", "mysql": "mariadb LOAD DATA LOCAL INFILE", "redis": "redis-cli --pipe"}[store]
    ctx.log(f"publish: fs-publish --publisher-type {store} vs {tool} ({n} latest-per-key rows)")
    sides = alternate({f"fs-publish {store}": fs_side, tool: peer_side}, ctx.runs, ctx.log)
    fs, peer = sides[f"fs-publish {store}"], sides[tool]
    summary = fs.runs[-1].result
    if summary.get("keysUpserted") != n:
        raise BenchError(f"publish {store}: fs-publish upserted {summary.get('keysUpserted')} keys, expected {n}")
    last = ctx.runs - 1
    if store == "postgres":
        diff = server.psql(f'SELECT (SELECT count(*) FROM (SELECT * FROM "fs_{last}" EXCEPT SELECT * FROM "peer_{last}") a) + '
                           f'(SELECT count(*) FROM (SELECT * FROM "peer_{last}" EXCEPT SELECT * FROM "fs_{last}") b)')
        count = server.psql(f'SELECT count(*) FROM "peer_{last}"')
    elif store == "mysql":
        diff = server.sql(f"SELECT (SELECT count(*) FROM (SELECT * FROM `fs_{last}` EXCEPT SELECT * FROM `peer_{last}`) a) + "
                          f"(SELECT count(*) FROM (SELECT * FROM `peer_{last}` EXCEPT SELECT * FROM `fs_{last}`) b)")
        count = server.sql(f"SELECT count(*) FROM `peer_{last}`")
    else:
        diff = "0"
        fs_keys = len([k for k in server.cli("--scan", "--pattern", f"fs_{last}:*").split() if not k.endswith("__fs_publish_state")])
        peer_keys = len(server.cli("--scan", "--pattern", f"peer_{last}:*").split())
        if fs_keys != peer_keys:
            raise BenchError(f"publish redis: fs wrote {fs_keys} hashes, redis-cli --pipe {peer_keys}")
        count = str(peer_keys)
    if diff.strip() != "0" or int(count) != n:
        raise BenchError(f"publish {store}: fs and {tool} differ ({diff} rows differ, peer holds {count} of {n})")
    rate = n / fs.median("seconds")
    peer_rate = n / peer.median("seconds")
    return measured_row(f"publish latest-per-key rows to {store}", fs, peer, "equal rows" if store != "redis" else "equal key count",
                        f"{n} rows; fs {rate / 1e3:.0f}k rows/s (incl. reading the Delta table), {tool} {peer_rate / 1e3:.0f}k rows/s; "
                        f"fs = {rate / peer_rate:.2f}× the bulk tool ({goal_text(rate / peer_rate, ctx)})")
