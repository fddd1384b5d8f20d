"""Shared helpers of the interop suite: running our tools, and comparing rows across engines.

Every engine's rows are normalized to the value format of `fs-table dump` (one JSON object per
row, keys in schema order; timestamps ISO-8601 with microseconds and `Z`, dates `YYYY-MM-DD`,
NaN as "NaN") and compared as multisets: engines return partitions in different orders, and
order within a table is not part of its contract.
"""

from __future__ import annotations

import datetime as dt
import json
import math
import os
import subprocess

REPO = os.path.dirname(os.path.dirname(os.path.dirname(os.path.abspath(__file__))))
EPOCH = dt.datetime(1970, 1, 1, tzinfo=dt.timezone.utc)


class FsTools:
    """Our executables (`fs-table`, `fs-bench`) from the build directory in $FS_BIN_DIR."""

    def __init__(self, bin_dir: str):
        self.bin_dir = bin_dir

    def path(self, name: str) -> str:
        return os.path.join(self.bin_dir, name)

    def run(self, name: str, *args: str, check: bool = True) -> subprocess.CompletedProcess:
        proc = subprocess.run([self.path(name), *args], capture_output=True, text=True,
                              stdin=subprocess.DEVNULL, timeout=600)
        if check and proc.returncode != 0:
            raise AssertionError(f"{name} {' '.join(args)} exited {proc.returncode}:\n{proc.stderr}")
        return proc

    def dump(self, path: str, columns: list[str] | None = None) -> tuple[list[str], list[dict]]:
        """`fs-table dump`: the column names in schema order and the rows as parsed JSON."""
        args = ["dump", path] + (["--columns", ",".join(columns)] if columns else [])
        out = self.run("fs-table", *args).stdout
        rows = [json.loads(line) for line in out.splitlines() if line.strip()]
        names = list(rows[0].keys()) if rows else (columns or [])
        return names, rows

    def info(self, table: str) -> dict:
        """`fs-table info`: the snapshot summary (version, numFiles, numRecords, schema, ...)."""
        return json.loads(self.run("fs-table", "info", table).stdout)

    def write_sample(self, table: str, rows: int, commits: int = 1,
                     checkpoint_interval: int | None = None) -> None:
        args = ["write-sample", table, "--rows", str(rows), "--commits", str(commits)]
        if checkpoint_interval is not None:
            args += ["--checkpoint-interval", str(checkpoint_interval)]
        self.run("fs-table", *args)


def canon(value):
    """One value in the comparable form of `fs-table dump` output."""
    if value is None or isinstance(value, (bool, str)):
        return value
    if isinstance(value, int):
        return value
    if isinstance(value, float):
        if math.isnan(value):
            return "NaN"
        if math.isinf(value):
            return "Infinity" if value > 0 else "-Infinity"
        if value == 0 and math.copysign(1.0, value) < 0:
            return "-0.0"
        if value.is_integer() and abs(value) < 2**53:
            return int(value)  # JSON may print a whole double as 3 or 3.0
        return value
    if isinstance(value, dt.datetime):
        if value.tzinfo is None:
            value = value.replace(tzinfo=dt.timezone.utc)
        micros = (value - EPOCH) // dt.timedelta(microseconds=1)
        return iso_micros(micros)
    if isinstance(value, dt.date):
        return value.isoformat()
    raise TypeError(f"no canonical form for {type(value).__name__}: {value!r}")


def iso_micros(micros: int) -> str:
    """µs since the epoch as `2019-01-17T22:50:06.000000Z` (the dump's timestamp format)."""
    t = EPOCH + dt.timedelta(microseconds=micros)
    return t.isoformat(timespec="microseconds").replace("+00:00", "Z")


def as_rows(names: list[str], records: list[dict]) -> list[str]:
    """Records → sorted canonical JSON lines over `names` (the dump's column order)."""
    lines = []
    for rec in records:
        missing = [n for n in names if n not in rec]
        if missing:
            raise AssertionError(f"columns {missing} missing from row {rec}")
        lines.append(json.dumps([canon(rec[n]) for n in names], ensure_ascii=False))
    return sorted(lines)


def assert_same_rows(names: list[str], ours: list[dict], theirs: list[dict], engine: str) -> None:
    """The engine's rows equal ours as multisets; on failure show the first differences."""
    a, b = as_rows(names, ours), as_rows(names, theirs)
    if a == b:
        return
    only_ours = sorted(set(a) - set(b))[:5]
    only_theirs = sorted(set(b) - set(a))[:5]
    raise AssertionError(
        f"{engine}: {len(b)} rows vs the reference's {len(a)} rows; columns {names}\n"
        f"  only in the reference: {only_ours}\n  only in {engine}: {only_theirs}")


def arrow_records(table) -> list[dict]:
    """pyarrow Table → list of dicts."""
    return table.to_pylist()


def duckdb_records(relation) -> list[dict]:
    cols = relation.columns
    return [dict(zip(cols, row)) for row in relation.fetchall()]


def partition_glob(table_dir: str) -> str:
    """The glob plain readers must use on our tables (fs_year=/fs_month=/fs_day=), so they never
    descend into `_delta_log` (table-format §3.10)."""
    return os.path.join(table_dir, "*", "*", "*", "*.parquet")
