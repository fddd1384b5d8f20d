#!/usr/bin/env python3
"""Print what pyarrow, DuckDB and Polars read from one Parquet file.

Usage: $PYTHON scripts/check_parquet_readers.py FILE [--rows N]

For manual interop checks of files written by fs (FSParquet). Each engine prints the schema it
infers, the row count, a few rows, and per-column null counts and min/max it computes from the
data; pyarrow also prints the footer's row-group statistics. An engine that is not installed or
fails is reported and the others still run; the exit code is 1 if any engine failed.
"""
import argparse
import sys


def check_pyarrow(path, rows):
    import pyarrow as pa
    import pyarrow.parquet as pq
    import pyarrow.compute as pc
    f = pq.ParquetFile(path)
    md = f.metadata
    print(f"created_by={md.created_by} rows={md.num_rows} row_groups={md.num_row_groups}")
    print(f.schema_arrow)
    t = f.read()
    for name in t.column_names:
        col = t[name]
        nested = pa.types.is_nested(col.type)
        mm = "(nested)" if nested else (pc.min_max(col) if len(col) else None)
        print(f"  {name}: nulls={col.null_count} min_max={mm}")
    for rg in range(md.num_row_groups):
        g = md.row_group(rg)
        for c in range(g.num_columns):
            cc = g.column(c)
            s = cc.statistics
            stat = f"min={s.min!r} max={s.max!r} nulls={s.null_count}" if s is not None and s.has_min_max else (
                f"nulls={s.null_count}" if s is not None else "no stats")
            print(f"  rg{rg} {cc.path_in_schema}: {cc.encodings} {cc.compression} {stat}")
    print(t.slice(0, rows).to_pylist())


def check_duckdb(path, rows):
    import duckdb
    con = duckdb.connect()
    print(con.execute(f"DESCRIBE SELECT * FROM read_parquet('{path}')").fetchall())
    print("rows", con.execute(f"SELECT count(*) FROM read_parquet('{path}')").fetchone()[0])
    print(con.execute(f"SELECT * FROM read_parquet('{path}') LIMIT {rows}").fetchall())


def check_polars(path, rows):
    import polars as pl
    df = pl.read_parquet(path)
    print(df.schema)
    print("rows", df.height, "nulls", df.null_count().row(0) if df.width else ())
    print(df.head(rows))


def main():
    ap = argparse.ArgumentParser()
    ap.add_argument("file")
    ap.add_argument("--rows", type=int, default=3)
    args = ap.parse_args()
    failed = False
    for name, fn in [("pyarrow", check_pyarrow), ("duckdb", check_duckdb), ("polars", check_polars)]:
        print(f"== {name}")
        try:
            fn(args.file, args.rows)
        except Exception as e:  # report and continue with the other engines
            failed = True
            print(f"FAILED: {type(e).__name__}: {e}")
    sys.exit(1 if failed else 0)


if __name__ == "__main__":
    main()
