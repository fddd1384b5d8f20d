"""(g) Serving: fs-serve vs `feast serve` under wrk, on the same published SQLite vectors.

Both servers answer Feast's `POST /get-online-features` for one customer and three features,
from the same vectors:

    fs-serve   --store sqlite:<db> --table order_agg: a SQLite store laid out as fs-publish
               writes it (wide typed table keyed by customer_id, fs_publish_state row)
    feast      `feast serve` over its SQLite online store, filled by `feast materialize` from a
               Parquet file of the same vectors (one worker, worker recycling disabled)
    fs-serve   --delta-table <table>: the same vectors as a Delta table held in memory

    fs-serve   --store postgres:URL / redis:URL: the same vectors published by
               `fs-publish --publisher-type postgres|redis` from that Delta table into temporary
               servers (bench/peers/store_servers.py), when fs-publish is built

Loads (wrk, a Lua script picking a random customer per request): 16 connections, 1
connection, and 100-customer batches over 16 connections. Reported per load: requests/s, p50
and p99 latency (wrk --latency). Equality: for a sample of customers (and a never-published
one), every server's values and statuses are equal to the vectors written.

CPU placement: on a machine with two or more CPUs, wrk is pinned to CPU 0 and every server to
CPU 1 (`taskset`; fs-serve with `--threads 1`, Feast has one worker anyway), so the load
generator and the server never compete for one core and both servers get the same single
core. After the pinned loads, the 16-connection load runs once more with nothing pinned
(fs-serve over SQLite with one event loop per core, Feast with its one worker, wrk anywhere):
the row "1 customer, 16 connections, unpinned" and a goal line of its own. BENCH_SERVE_PIN=0
runs everything unpinned (then there is no separate unpinned row).

Goals (#14), printed with met / NOT met next to the figure: 1 customer over 16 connections,
fs-serve (SQLite) >= 30x Feast's requests/s with p99 <= 2 ms; over 1 connection p99 <= 0.3 ms.
The 16-connection goal is judged per placement and, the line that decides it, best against
best: fs-serve's faster placement (with its p99) against Feast's faster placement, because
pinning helps Feast (wrk no longer takes its core) and comparing each placement alone would
let either side be measured where it is slower.

BENCH_FEAST=0 skips Feast (fs-serve only); BENCH_SERVE_STORES=0 skips PostgreSQL and Redis.
`feast` comes from python/requirements-bench.txt.
"""

from __future__ import annotations

import json
import os
import random
import re
import shutil
import signal
import socket
import sqlite3
import subprocess
import sys
import time
import urllib.request

from harness import BenchError, fresh

FEATURES = ["order_total_sum_1h", "order_count_1h", "order_avg_amount_1h"]
TABLE = "order_agg"
BASE_TIME = 1_547_730_300  # 2019-01-17T13:05:00Z


def vectors(customers: int, seed: int = 42) -> list[tuple]:
    """(customer_id, window_end seconds, sum, count, avg) per customer, deterministic."""
    rng = random.Random(seed)
    out = []
    for c in range(1, customers + 1):
        n = rng.randint(1, 20)
        total = round(rng.uniform(5, 500) * n, 2)
        out.append((c, BASE_TIME + rng.randint(0, 86_400), total, n, total / n))
    return out


def iso(seconds: int) -> str:
    return time.strftime("%Y-%m-%dT%H:%M:%S.000000Z", time.gmtime(seconds))


def write_fs_store(path: str, rows: list[tuple]) -> None:
    """The SQLite layout of the publish contract (what `fs-publish --publisher-type sqlite` writes)."""
    fresh(path)
    db = sqlite3.connect(path)
    db.executescript(f"""
        PRAGMA journal_mode=WAL;
        CREATE TABLE fs_publish_state (target_table TEXT PRIMARY KEY, source_table_id TEXT NOT NULL, source_path TEXT NOT NULL,
          version BIGINT NOT NULL, key_columns TEXT NOT NULL, time_column TEXT NOT NULL, updated_at TEXT NOT NULL);
        CREATE TABLE "{TABLE}" ("customer_id" INTEGER PRIMARY KEY, "window_end" TEXT NOT NULL,
          "{FEATURES[0]}" REAL, "{FEATURES[1]}" INTEGER, "{FEATURES[2]}" REAL);
    """)
    db.executemany(f'INSERT INTO "{TABLE}" VALUES (?, ?, ?, ?, ?)', [(c, iso(t), s, n, a) for c, t, s, n, a in rows])
    db.execute("INSERT INTO fs_publish_state VALUES (?, 'bench', 'bench', 0, '[\"customer_id\"]', 'window_end', ?)",
               (TABLE, iso(int(time.time()))))
    db.commit()
    db.close()


def write_parquet_and_delta(parquet: str, delta: str, rows: list[tuple]) -> None:
    import pyarrow as pa
    import pyarrow.parquet as pq
    from datetime import datetime, timezone
    table = pa.table({
        "customer_id": pa.array([r[0] for r in rows], pa.int64()),
        "window_end": pa.array([datetime.fromtimestamp(r[1], timezone.utc) for r in rows], pa.timestamp("us", tz="UTC")),
        FEATURES[0]: pa.array([r[2] for r in rows], pa.float64()),
        FEATURES[1]: pa.array([r[3] for r in rows], pa.int64()),
        FEATURES[2]: pa.array([r[4] for r in rows], pa.float64()),
    })
    pq.write_table(table, fresh(parquet))
    from deltalake import write_deltalake
    write_deltalake(fresh(delta), table)


FEAST_REPO = """
from datetime import timedelta
from feast import Entity, FeatureView, Field, FileSource
from feast.types import Float64, Int64
customer = Entity(name="customer", join_keys=["customer_id"])
source = FileSource(path={parquet!r}, timestamp_field="window_end")
order_agg = FeatureView(name="{table}", entities=[customer], ttl=timedelta(days=36500), schema=[
    Field(name="{f0}", dtype=Float64), Field(name="{f1}", dtype=Int64), Field(name="{f2}", dtype=Float64)],
    source=source, online=True)
"""


def prepare_feast(repo: str, parquet: str, log) -> None:
    fresh(repo)
    os.makedirs(repo)
    with open(os.path.join(repo, "feature_store.yaml"), "w") as f:
        f.write("project: fsbench\nregistry: registry.db\nprovider: local\n"
                "online_store:\n  type: sqlite\n  path: online.db\nentity_key_serialization_version: 3\n")
    with open(os.path.join(repo, "repo.py"), "w") as f:
        f.write(FEAST_REPO.format(parquet=os.path.abspath(parquet), table=TABLE, f0=FEATURES[0], f1=FEATURES[1], f2=FEATURES[2]))
    feast = feast_cli()
    log("serve: feast apply + materialize")
    for args in (["apply"], ["materialize", "2019-01-01T00:00:00", "2019-02-01T00:00:00"]):
        p = subprocess.run([*feast, *args], cwd=repo, capture_output=True, text=True, stdin=subprocess.DEVNULL)
        if p.returncode != 0:
            raise BenchError(f"feast {args[0]} failed: {p.stderr[-2000:]}")


def feast_cli() -> list[str]:
    exe = os.path.join(os.path.dirname(sys.executable), "feast")
    return [exe] if os.access(exe, os.X_OK) else [sys.executable, "-m", "feast.cli"]


def free_port() -> int:
    with socket.socket() as s:
        s.bind(("127.0.0.1", 0))
        return s.getsockname()[1]


def wait_ready(url: str, proc: subprocess.Popen, timeout_s: float = 120) -> None:
    deadline = time.monotonic() + timeout_s
    while time.monotonic() < deadline:
        if proc.poll() is not None:
            raise BenchError(f"server exited ({proc.returncode}) before answering {url}")
        try:
            with urllib.request.urlopen(url, timeout=2) as r:
                if r.status == 200:
                    return
        except OSError:
            pass
        time.sleep(0.2)
    raise BenchError(f"{url} did not answer within {timeout_s} s")


def stop(proc: subprocess.Popen) -> None:
    if proc.poll() is None:
        proc.send_signal(signal.SIGTERM)
        try:
            proc.wait(timeout=20)
        except subprocess.TimeoutExpired:
            proc.kill()
            proc.wait()


def post(port: int, ids: list[int]) -> dict:
    body = json.dumps({"entities": {"customer_id": ids}, "features": [f"{TABLE}:{f}" for f in FEATURES]}).encode()
    req = urllib.request.Request(f"http://127.0.0.1:{port}/get-online-features", body, {"Content-Type": "application/json"})
    with urllib.request.urlopen(req, timeout=30) as r:
        return json.loads(r.read())


def by_feature(response: dict) -> dict:
    names = response["metadata"]["feature_names"]
    return {n: (res["values"], res["statuses"]) for n, res in zip(names, response["results"])}


LUA = """
math.randomseed(42)
local customers = {customers}
local batch = {batch}
local features = '{features}'
wrk.method = "POST"
wrk.headers["Content-Type"] = "application/json"
request = function()
  local ids = {{}}
  for i = 1, batch do ids[i] = tostring(math.random(1, customers)) end
  return wrk.format(nil, "/get-online-features", nil,
    '{{"entities":{{"customer_id":[' .. table.concat(ids, ",") .. ']}},"features":[' .. features .. ']}}')
end
"""


def cpu_pinning() -> tuple[list[str], list[str], str]:
    """(server command prefix, wrk command prefix, how they are placed)."""
    if os.environ.get("BENCH_SERVE_PIN", "1") != "0" and shutil.which("taskset") and (os.cpu_count() or 1) >= 2:
        return ["taskset", "-c", "1"], ["taskset", "-c", "0"], "wrk on CPU 0, server on CPU 1"
    return [], [], "wrk and server unpinned"


def run_wrk(port: int, work: str, customers: int, batch: int, connections: int, seconds: int,
            prefix: list[str] | None = None) -> dict:
    script = os.path.join(work, f"serve-{batch}.lua")
    with open(script, "w") as f:
        f.write(LUA.format(customers=customers, batch=batch, features=",".join(f'"{TABLE}:{x}"' for x in FEATURES)))
    cmd = [*(prefix or []), "wrk", "-t1", f"-c{connections}", f"-d{seconds}s", "--latency", "-s", script, f"http://127.0.0.1:{port}"]
    p = subprocess.run(cmd, capture_output=True, text=True, stdin=subprocess.DEVNULL, timeout=seconds + 60)
    if p.returncode != 0:
        raise BenchError(f"wrk failed: {p.stderr[-1000:]}")
    return parse_wrk(p.stdout)


def parse_wrk(text: str) -> dict:
    def ms(value: str, unit: str) -> float:
        return float(value) * {"us": 0.001, "ms": 1.0, "s": 1000.0, "m": 60_000.0}[unit]
    out = {}
    for pct in ("50", "99"):
        m = re.search(rf"^\s*{pct}(?:\.0+)?%\s+([\d.]+)(us|ms|s|m)\s*$", text, re.M)
        if m:
            out[f"p{pct}_ms"] = ms(m.group(1), m.group(2))
    m = re.search(r"Requests/sec:\s+([\d.]+)", text)
    out["rps"] = float(m.group(1)) if m else 0.0
    m = re.search(r"Non-2xx or 3xx responses:\s+(\d+)", text)
    out["non2xx"] = int(m.group(1)) if m else 0
    m = re.search(r"Socket errors:.*", text)
    out["socket_errors"] = m.group(0) if m else ""
    if "p50_ms" not in out:
        raise BenchError(f"cannot read wrk's output:\n{text[-1500:]}")
    return out


def serve(ctx) -> list:
    from workloads import Row, not_built  # late import: workloads imports this module
    if not ctx.has("fs-serve"):
        return not_built("serving (get-online-features)", "fs-serve", "feast serve")(ctx)
    if shutil.which("wrk") is None:
        raise BenchError("wrk missing: run `make deps` (Debian package wrk)")
    customers = 2_000 if ctx.smoke else 100_000
    seconds = 2 if ctx.smoke else 15
    rows = vectors(customers)
    store = os.path.join(ctx.work_dir, "serve-store.db")
    parquet = os.path.join(ctx.work_dir, "serve-vectors.parquet")
    delta = os.path.join(ctx.work_dir, "serve-delta")
    ctx.log(f"serve: {customers} customers' vectors into a SQLite store, Parquet and a Delta table")
    write_fs_store(store, rows)
    write_parquet_and_delta(parquet, delta, rows)

    with_feast = os.environ.get("BENCH_FEAST", "1") != "0"
    with_stores = os.environ.get("BENCH_SERVE_STORES", "1") != "0" and ctx.has("fs-publish")
    server_pin, wrk_pin, placement = cpu_pinning()
    threads = ["--threads", "1"] if server_pin else []
    servers: dict[str, tuple[subprocess.Popen, int]] = {}
    store_servers_started = []
    try:
        fs_variants = [("fs-serve", ["--store", f"sqlite:{store}", "--table", TABLE], {}),
                       ("fs-serve (delta in memory)", ["--delta-table", f"{TABLE}={delta}"], {})]
        if with_stores:
            sys.path.insert(0, os.path.join(os.path.dirname(os.path.abspath(__file__)), "peers"))
            import store_servers
            for kind, cls in (("postgres", store_servers.Postgres), ("redis", store_servers.Redis)):
                srv = cls.start()
                store_servers_started.append(srv)
                env = {**os.environ, **srv.env}
                ctx.log(f"serve: fs-publish --publisher-type {kind} of the Delta table")
                p = subprocess.run([ctx.binary("fs-publish"), "--publisher-type", kind, f"--{kind}-url", srv.url,
                                    "--input-table", delta, "--output-table", TABLE, "--key-field", "customer_id",
                                    "--time-field", "window_end", "--log-level", "warning"],
                                   capture_output=True, text=True, env=env, stdin=subprocess.DEVNULL)
                if p.returncode != 0:
                    raise BenchError(f"serve: fs-publish into {kind} failed: {p.stderr[-2000:]}")
                fs_variants.append((f"fs-serve ({kind})", ["--store", f"{kind}:{srv.url}", "--table", TABLE], srv.env))
        for name, args, env in fs_variants:
            port = free_port()
            proc = subprocess.Popen([*server_pin, ctx.binary("fs-serve"), *args, *threads, "--port", str(port), "--log-level", "warning"],
                                    stdout=subprocess.DEVNULL, stdin=subprocess.DEVNULL, env={**os.environ, **env})
            servers[name] = (proc, port)
            wait_ready(f"http://127.0.0.1:{port}/health", proc)
        if with_feast:
            repo = os.path.join(ctx.work_dir, "serve-feast")
            prepare_feast(repo, parquet, ctx.log)
            port = free_port()
            proc = subprocess.Popen([*server_pin, *feast_cli(), "serve", "--host", "127.0.0.1", "--port", str(port), "--workers", "1",
                                     "--max-requests", "0", "--no-access-log"],
                                    cwd=repo, stdout=subprocess.DEVNULL, stderr=subprocess.DEVNULL, stdin=subprocess.DEVNULL)
            servers["feast serve"] = (proc, port)
            wait_ready(f"http://127.0.0.1:{port}/health", proc)

        # Equality on a sample (and a customer never published).
        sample = sorted(random.Random(1).sample(range(1, customers + 1), 20)) + [customers + 1]
        reference = by_feature(post(servers["fs-serve"][1], sample))
        for f, (values, statuses) in reference.items():
            if f == "customer_id":
                continue
            expect = [None if c > customers else rows[c - 1][2 + FEATURES.index(f)] for c in sample]
            if values != expect or statuses != ["PRESENT"] * 20 + ["NOT_FOUND"]:
                raise BenchError(f"serve: fs-serve's {f} differs from the store: {values[:3]}… vs {expect[:3]}…")
        for other in [n for n in servers if n != "fs-serve"]:
            got = by_feature(post(servers[other][1], sample))
            for f in FEATURES:
                if got.get(f) != reference[f]:
                    raise BenchError(f"serve: {other} answers {f} differently: {got.get(f)} vs {reference[f]}")

        out = []
        loads = [("1 customer, 16 connections", 1, 16), ("1 customer, 1 connection", 1, 1), ("100 customers, 16 connections", 100, 16)]
        results: dict[tuple[str, str], dict] = {}
        for label, batch, conns in loads:
            for name, (proc, port) in servers.items():
                r = run_wrk(port, ctx.work_dir, customers, batch, conns, seconds, wrk_pin)
                if r["non2xx"]:
                    raise BenchError(f"serve: {name} answered {r['non2xx']} non-2xx responses under {label}")
                results[(label, name)] = r
                ctx.log(f"  {label}: {name}: {r['rps']:.0f} req/s, p50 {r['p50_ms']:.3f} ms, p99 {r['p99_ms']:.3f} ms")
        if server_pin:
            # The same 16-connection load with nothing pinned: fs-serve with one event loop per
            # core, Feast with its one worker, wrk wherever the scheduler puts it (#14 asks
            # whether this placement serves the goal better; the goal line says for both).
            label = UNPINNED
            for name in ("fs-serve", "feast serve"):
                if name not in servers:
                    continue
                proc, _ = servers.pop(name)
                stop(proc)
                port = free_port()
                if name == "fs-serve":
                    cmd = [ctx.binary("fs-serve"), *fs_variants[0][1], "--port", str(port), "--log-level", "warning"]
                    proc = subprocess.Popen(cmd, stdout=subprocess.DEVNULL, stdin=subprocess.DEVNULL)
                else:
                    proc = subprocess.Popen([*feast_cli(), "serve", "--host", "127.0.0.1", "--port", str(port), "--workers", "1",
                                             "--max-requests", "0", "--no-access-log"],
                                            cwd=os.path.join(ctx.work_dir, "serve-feast"), stdout=subprocess.DEVNULL,
                                            stderr=subprocess.DEVNULL, stdin=subprocess.DEVNULL)
                servers[name] = (proc, port)
                wait_ready(f"http://127.0.0.1:{port}/health", proc)
            for name in ("fs-serve", "feast serve"):
                if name in servers:
                    r = run_wrk(servers[name][1], ctx.work_dir, customers, 1, 16, seconds)
                    if r["non2xx"]:
                        raise BenchError(f"serve: {name} answered {r['non2xx']} non-2xx responses under {label}")
                    results[(label, name)] = r
                    ctx.log(f"  {label}: {name}: {r['rps']:.0f} req/s, p50 {r['p50_ms']:.3f} ms, p99 {r['p99_ms']:.3f} ms")
            if "feast serve" in servers:
                loads.append((label, 1, 16))
        goals = serve_goals(results)
        for line in goals.values():
            ctx.log(f"  goal: {line}")
        if BEST in goals and UNPINNED in goals:
            goals[UNPINNED] = f"{goals[UNPINNED]}; {goals[BEST]}"
        for label, _, _ in loads:
            fs = results[(label, "fs-serve")]
            for peer in [n for n in servers if n != "fs-serve" and (label, n) in results]:
                p = results[(label, peer)]
                # Time per request (1 / throughput) makes the report's ratio a throughput ratio.
                out.append(Row(f"serve: {label}", "fs-serve (sqlite)", peer, fs_s=1 / fs["rps"], peer_s=1 / p["rps"],
                               check="equal vectors",
                               note=f"{goals[label] + '; ' if label in goals and peer == 'feast serve' else ''}"
                                    f"{UNPINNED_PLACEMENT if label == UNPINNED else placement}; wrk {seconds} s: fs {fs['rps']:.0f} req/s p50 {fs['p50_ms']:.3f} ms p99 {fs['p99_ms']:.3f} ms; "
                                    f"{peer} {p['rps']:.0f} req/s p50 {p['p50_ms']:.3f} ms p99 {p['p99_ms']:.3f} ms; "
                                    f"{customers} customers, 3 features"))
        return out
    finally:
        for proc, _ in servers.values():
            stop(proc)
        for srv in store_servers_started:
            srv.stop()


UNPINNED = "1 customer, 16 connections, unpinned"
BEST = "1 customer, 16 connections, best placement of each"
UNPINNED_PLACEMENT = "nothing pinned, fs-serve with one event loop per core, Feast one worker"


def serve_goals(results: dict) -> dict[str, str]:
    """Per load with a goal: the figure, the goal and met / NOT met (fs-serve over SQLite)."""
    out = {}
    sixteen, one = "1 customer, 16 connections", "1 customer, 1 connection"
    for label in (sixteen, UNPINNED):
        fs16, feast16 = results.get((label, "fs-serve")), results.get((label, "feast serve"))
        if fs16 and feast16 and feast16["rps"] > 0:
            x = fs16["rps"] / feast16["rps"]
            met = x >= 30 and fs16["p99_ms"] <= 2.0
            out[label] = (f"{x:.1f}x Feast's req/s, p99 {fs16['p99_ms']:.3f} ms (goal >= 30x with p99 <= 2 ms: "
                          f"{'met' if met else 'NOT met'})")
    placed = [(results.get((label, "fs-serve")), results.get((label, "feast serve"))) for label in (sixteen, UNPINNED)]
    placed = [(fs, feast) for fs, feast in placed if fs and feast]
    if len(placed) == 2:
        fs_best = max((fs for fs, _ in placed), key=lambda r: r["rps"])
        feast_best = max((feast for _, feast in placed), key=lambda r: r["rps"])
        if feast_best["rps"] > 0:
            x = fs_best["rps"] / feast_best["rps"]
            met = x >= 30 and fs_best["p99_ms"] <= 2.0
            out[BEST] = (f"best against best: fs-serve {fs_best['rps']:.0f} req/s (p99 {fs_best['p99_ms']:.3f} ms) / "
                         f"Feast {feast_best['rps']:.0f} req/s = {x:.1f}x (goal >= 30x with p99 <= 2 ms: "
                         f"{'met' if met else 'NOT met'})")
    fs1 = results.get((one, "fs-serve"))
    if fs1:
        out[one] = f"p99 {fs1['p99_ms']:.3f} ms (goal <= 0.3 ms: {'met' if fs1['p99_ms'] <= 0.3 else 'NOT met'})"
    return out
