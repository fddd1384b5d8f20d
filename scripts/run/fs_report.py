#!/usr/bin/env python3
"""What a run-all.sh run produced, read back through `fs-table` (and SQLite when there is a store).

Python's standard library only (json, sqlite3, subprocess), so `make run` and the shell
end-to-end tests need no venv. Subcommands:

  report   FS_HOME             per-table row counts, late and quarantine counts, and a few served
                               vectors next to the same keys' newest window in the online table;
                               exit 1 if a stage produced nothing
  windows-closed FS_HOME SECS  every online window ended at least SECS (the watermark delay)
                               before the newest fs_ingestion_timestamp of the order stream
  vectors-equal FS_HOME WAIT_SECONDS
                               once the SQLite publisher caught up with the online table, each
                               served vector equals that key's newest window in the table
  exactly-once TABLE QUARANTINE BROKERS TOPIC WAIT_SECONDS [ID_FIELD]
                               once the table caught up (waiting up to WAIT_SECONDS), it holds
                               every message of TOPIC once (by Kafka coordinates, rows plus
                               quarantine) or every distinct ID_FIELD once (deduplicated streams)

The fs-table binary is $FS_BIN_DIR/fs-table (default .build/debug).
"""
import json
import os
import sqlite3
import subprocess
import sys

STREAMS = ["order-events", "order-status-events", "restaurant-events", "consumer-events"]
KEY = "customer_id"


def fs_table():
    return os.path.join(os.environ.get("FS_BIN_DIR", ".build/debug"), "fs-table")


def exists(table):
    return os.path.isdir(os.path.join(table, "_delta_log"))


def info(table):
    out = subprocess.run([fs_table(), "info", table], check=True, capture_output=True, text=True).stdout
    return json.loads(out)


def count(table):
    return info(table)["numRecords"] if exists(table) else 0


def dump(table, columns=None):
    if not exists(table):
        return []
    args = [fs_table(), "dump", table] + (["--columns", ",".join(columns)] if columns else [])
    out = subprocess.run(args, check=True, capture_output=True, text=True).stdout
    return [json.loads(line) for line in out.splitlines() if line.strip()]


def newest_windows(online):
    """The newest window per key: what an online store must serve for that key."""
    newest = {}
    for row in dump(online):
        key = row[KEY]
        if key not in newest or row["window_end"] > newest[key]["window_end"]:
            newest[key] = row
    return newest


def tables(home):
    data = os.path.join(home, "data")
    return {
        **{f"ingestion/{s}": os.path.join(data, "ingestion", s) for s in STREAMS},
        "aggregations/online/order-agg": os.path.join(data, "aggregations/online/order-agg"),
        "aggregations/offline/order-agg": os.path.join(data, "aggregations/offline/order-agg"),
        "publisher/aggregations/order-agg": os.path.join(data, "publisher/aggregations/order-agg"),
    }


def sqlite_store(home):
    path = os.path.join(home, "data", "features.db")
    return path if os.path.exists(path) else None


def report(home):
    data = os.path.join(home, "data")
    empty = []
    print("tables (rows):")
    for name, path in tables(home).items():
        n = count(path)
        print(f"  {n:>9}  {name}")
        if n == 0:
            empty.append(name)
    late = count(os.path.join(data, "aggregations/online/order-agg_late"))
    quarantined = {s: count(os.path.join(data, "quarantine", s)) for s in STREAMS}
    print(f"late rows (online): {late}")
    print("quarantined: " + ", ".join(f"{s} {n}" for s, n in quarantined.items()))

    online = tables(home)["aggregations/online/order-agg"]
    newest = newest_windows(online)
    store = sqlite_store(home)
    features = ["total-amount-sum-1h", "customer-count-1h"]
    if store:
        con = sqlite3.connect(f"file:{store}?mode=ro", uri=True)
        print(f"SQLite store {store} (vectors):")
        for table in ("order_agg_online", "order_agg_offline"):
            try:
                n = con.execute(f'SELECT count(*) FROM "{table}"').fetchone()[0]
            except sqlite3.OperationalError:
                n = 0
            print(f"  {n:>9}  {table}")
            if n == 0:
                empty.append(f"SQLite {table}")
        served = {r[0]: r[1:] for r in con.execute(
            f'SELECT "{KEY}", "window_end", "{features[0]}", "{features[1]}" FROM "order_agg_online"')}
        con.close()
        print("served vectors (order_agg_online) next to the same keys' newest window in the online table:")
        shown = 0
        for key in sorted(served)[:5]:
            row = newest.get(key)
            online_text = "(no window)" if row is None else f"{row['window_end']} sum={row[features[0]]} count={row[features[1]]}"
            s = served[key]
            print(f"  {key[:12]}…  served {s[0]} sum={s[1]} count={s[2]}   online {online_text}")
            shown += 1
        if shown == 0:
            empty.append("SQLite order_agg_online")
    else:
        empty.append(f"the SQLite store {os.path.join(home, 'data', 'features.db')}")
        print("newest online windows (a few keys):")
        for key in sorted(newest)[:5]:
            row = newest[key]
            print(f"  {key[:12]}…  {row['window_end']} sum={row[features[0]]} count={row[features[1]]}")
    if empty:
        print("NOTHING produced by: " + ", ".join(empty))
        return 1
    return 0


def windows_closed(home, watermark_seconds):
    t = tables(home)
    # The online table first: the ingestion table read afterwards holds at least every event the
    # online job had seen, so a running pipeline cannot make a closed window look open.
    windows = dump(t["aggregations/online/order-agg"], ["window_end"])
    ingested = dump(t["ingestion/order-events"], ["fs_ingestion_timestamp"])
    newest_event = max(r["fs_ingestion_timestamp"] for r in ingested)
    if not windows:
        print("no online windows", file=sys.stderr)
        return 1
    # ISO-8601 UTC with fixed width sorts as time; compare in µs to apply the delay.
    def micros(text):
        from datetime import datetime
        return int(datetime.strptime(text, "%Y-%m-%dT%H:%M:%S.%fZ").timestamp() * 1_000_000)
    limit = micros(newest_event) - int(watermark_seconds) * 1_000_000
    open_ones = [w["window_end"] for w in windows if micros(w["window_end"]) > limit]
    if open_ones:
        print(f"{len(open_ones)} windows end after the watermark ({newest_event} - {watermark_seconds}s): {open_ones[:3]}", file=sys.stderr)
        return 1
    print(f"{len(windows)} online rows, all windows closed (newest event {newest_event})")
    return 0


def topic_events(brokers, topic, id_field):
    """The events in a topic: their Kafka coordinates, or the id_field of each message (the
    status stream's exact repeats are one event, dropped by fs-ingest's deduplication)."""
    out = subprocess.run(["kcat", "-b", brokers, "-C", "-t", topic, "-e", "-q", "-f", "%p %o %s\\n"],
                         check=True, capture_output=True, text=True).stdout
    events = []
    for line in out.splitlines():
        partition, offset, value = line.split(" ", 2)
        events.append(json.loads(value)[id_field] if id_field else (topic, int(partition), int(offset)))
    return events


def table_events(table, quarantine, id_field):
    if id_field:
        return [r[id_field] for r in dump(table, [id_field])]
    cols = ["fs_topic", "fs_partition", "fs_offset"]
    return [(r["fs_topic"], r["fs_partition"], r["fs_offset"]) for r in dump(table, cols) + dump(quarantine, cols)]


def exactly_once(table, quarantine, brokers, topic, id_field, wait_seconds):
    """Waits (up to wait_seconds) for the table to hold as many events as the topic, then checks
    that it holds each of them exactly once."""
    import time
    expected = set(topic_events(brokers, topic, id_field))
    deadline = time.monotonic() + wait_seconds
    while count(table) + count(quarantine) < len(expected) and time.monotonic() < deadline:
        time.sleep(0.5)
    got = table_events(table, quarantine, id_field)
    duplicates = len(got) - len(set(got))
    missing = expected - set(got)
    unexpected = set(got) - expected
    what = f"events by {id_field}" if id_field else "messages by Kafka coordinates"
    if duplicates or missing or unexpected:
        print(f"{table}: {len(got)} {what}, {duplicates} twice, {len(missing)} missing, {len(unexpected)} not in {topic}"
              f" (topic: {len(expected)})", file=sys.stderr)
        return 1
    print(f"{table}: all {len(expected)} {what} of {topic}, each once")
    return 0


def online_version(home):
    return info(tables(home)["aggregations/online/order-agg"])["version"]


def published_version(store, table):
    con = sqlite3.connect(f"file:{store}?mode=ro", uri=True)
    try:
        row = con.execute("SELECT version FROM fs_publish_state WHERE target_table = ?", (table,)).fetchone()
    except sqlite3.OperationalError:
        row = None
    finally:
        con.close()
    return None if row is None else row[0]


def same_value(a, b):
    if isinstance(a, float) or isinstance(b, float):
        if a is None or b is None:
            return a is b
        return abs(float(a) - float(b)) <= 1e-9 * max(1.0, abs(float(a)), abs(float(b)))
    if isinstance(a, bool) or isinstance(b, bool):
        return int(a) == int(b)
    return a == b


def vectors_equal(home, wait_seconds, table="order_agg_online"):
    """Once the SQLite publisher caught up with the online table (fs_publish_state.version equals
    the table's version, waiting up to wait_seconds), every key's served row equals the key's
    newest window in the online table, column by column, and no key is missing or extra."""
    import time
    store = sqlite_store(home)
    if store is None:
        print(f"no SQLite store in {home}/data", file=sys.stderr)
        return 1
    target = online_version(home)
    deadline = time.monotonic() + wait_seconds
    while published_version(store, table) != target and time.monotonic() < deadline:
        time.sleep(0.5)
    if published_version(store, table) != target:
        print(f"{table}: published version {published_version(store, table)}, online table at {target}", file=sys.stderr)
        return 1
    newest = newest_windows(tables(home)["aggregations/online/order-agg"])
    con = sqlite3.connect(f"file:{store}?mode=ro", uri=True)
    cur = con.execute(f'SELECT * FROM "{table}"')
    columns = [d[0] for d in cur.description]
    served = {row[columns.index(KEY)]: dict(zip(columns, row)) for row in cur}
    con.close()
    problems = []
    if set(served) != set(newest):
        problems.append(f"keys: {len(set(newest) - set(served))} missing, {len(set(served) - set(newest))} extra")
    for key in sorted(set(served) & set(newest)):
        for column, value in served[key].items():
            if column in newest[key] and not same_value(value, newest[key][column]):
                problems.append(f"{key[:12]}… {column}: served {value!r}, online {newest[key][column]!r}")
    if problems:
        print(f"{table} differs from the online table's newest windows: " + "; ".join(problems[:5]), file=sys.stderr)
        return 1
    print(f"{table}: {len(served)} served vectors equal the online table's newest window per key (version {target})")
    return 0


def main(argv):
    if len(argv) >= 2 and argv[0] == "report":
        return report(argv[1])
    if len(argv) == 3 and argv[0] == "windows-closed":
        return windows_closed(argv[1], argv[2])
    if len(argv) == 3 and argv[0] == "vectors-equal":
        return vectors_equal(argv[1], float(argv[2]))
    if len(argv) in (6, 7) and argv[0] == "exactly-once":
        return exactly_once(argv[1], argv[2], argv[3], argv[4], argv[6] if len(argv) == 7 else None, float(argv[5]))
    print(__doc__, file=sys.stderr)
    return 64


if __name__ == "__main__":
    sys.exit(main(sys.argv[1:]))
