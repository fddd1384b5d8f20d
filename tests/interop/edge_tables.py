"""pyarrow tables with the edge values every reader and writer must agree on.

Only the types fs stores (boolean, int32, int64, double, string, date, timestamp µs UTC).
Values cycle through the edge cases over a few hundred rows so dictionary and data pages both
see them; one table has zero rows, one a column that is null in every row.
"""

from __future__ import annotations

import datetime as dt

import pyarrow as pa

UTC = dt.timezone.utc
DOUBLES = [0.0, -0.0, float("nan"), float("inf"), float("-inf"), 1.5, -2.25, 1e308, -1e-308,
           5e-324, 0.1, None]
STRINGS = ["", "a", "ação", "日本語", "emoji 🎉", "quote \" and \\ backslash", "tab\tnew\nline",
           "x" * 300, None]
INT32S = [0, 1, -1, 2**31 - 1, -2**31, None]
INT64S = [0, 1, -1, 2**63 - 1, -2**63, 1546300800000000, None]
DATES = [dt.date(1970, 1, 1), dt.date(2019, 1, 17), dt.date(1969, 12, 31), dt.date(2100, 2, 28),
         dt.date(1, 1, 1), None]
TIMESTAMPS = [dt.datetime(1970, 1, 1, tzinfo=UTC), dt.datetime(2019, 1, 17, 22, 50, 6, 123456, tzinfo=UTC),
              dt.datetime(1969, 12, 31, 23, 59, 59, 999999, tzinfo=UTC),
              dt.datetime(2019, 12, 31, 23, 59, 59, tzinfo=UTC), None]
BOOLS = [True, False, None]

SCHEMA = pa.schema([
    ("b", pa.bool_()), ("i32", pa.int32()), ("i64", pa.int64()), ("f64", pa.float64()),
    ("s", pa.string()), ("d", pa.date32()), ("ts", pa.timestamp("us", tz="UTC")),
    ("all_null", pa.string()), ("amount", pa.float64()),
])


def cycling(rows: int) -> pa.Table:
    cols = {
        "b": [BOOLS[i % len(BOOLS)] for i in range(rows)],
        "i32": [INT32S[i % len(INT32S)] for i in range(rows)],
        "i64": [INT64S[i % len(INT64S)] for i in range(rows)],
        "f64": [DOUBLES[i % len(DOUBLES)] for i in range(rows)],
        "s": [STRINGS[i % len(STRINGS)] for i in range(rows)],
        "d": [DATES[i % len(DATES)] for i in range(rows)],
        "ts": [TIMESTAMPS[i % len(TIMESTAMPS)] for i in range(rows)],
        "all_null": [None] * rows,
        "amount": [round(i * 0.37, 2) for i in range(rows)],
    }
    return pa.table([pa.array(cols[f.name], type=f.type) for f in SCHEMA], schema=SCHEMA)


def no_nulls(rows: int) -> pa.Table:
    """Every column required-looking (no nulls at all), many distinct strings."""
    return pa.table({
        "id": pa.array(range(rows), pa.int64()),
        "name": pa.array([f"name-{i:05d}-ñ" for i in range(rows)], pa.string()),
        "flag": pa.array([i % 3 == 0 for i in range(rows)], pa.bool_()),
        "x": pa.array([i / 7 for i in range(rows)], pa.float64()),
    })


EDGE_TABLES = {
    "edge-values-500-rows": lambda: cycling(500),
    "one-row": lambda: cycling(1),
    "zero-rows": lambda: cycling(0),
    "no-nulls-20000-rows": lambda: no_nulls(20000),
}
