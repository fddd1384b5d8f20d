#!/usr/bin/env python3
"""Regenerates Tests/FSExprTests/Goldens/*.txt: scalar expressions evaluated by PySpark.

Contract: fs matches Spark with spark.sql.ansi.enabled=false (the Spark 3 behaviour the
original feature store ran on; PySpark 4 defaults to ANSI on, so the conf is set explicitly),
in a UTC session. Run with the project's Python (`make golden`, or $PYTHON):

    $PYTHON scripts/golden/expr_goldens.py [output-dir]

File format (one table per file, then cases; everything after '#' on a line of its own is a
comment):

    table <name>:<type> ...          column names and Spark types (int bigint double string boolean date timestamp)
    row <JSON array>                 one input row; NULL is null, NaN/±Infinity are "NaN"/"Infinity"/"-Infinity",
                                     dates "YYYY-MM-DD", timestamps "YYYY-MM-DD HH:MM:SS[.ffffff]" (UTC)
    case <expression>                a Spark SQL expression over the table
    type <spark type>                the result type Spark reports (decimal(p,s) where Spark used decimals)
    expect <JSON array>              the result for every row, encoded as rows are
    error <first line of Spark's AnalysisException>   instead of type/expect: Spark rejects the expression
"""
import datetime
import logging
import json
import math
import os
import sys
import time

os.environ["TZ"] = "UTC"
time.tzset()

from pyspark.sql import SparkSession  # noqa: E402
from pyspark.sql import types as T  # noqa: E402

HERE = os.path.dirname(os.path.abspath(__file__))
DEFAULT_OUT = os.path.join(HERE, "..", "..", "Tests", "FSExprTests", "Goldens")

NAN, INF = float("nan"), float("inf")

TYPES = {
    "int": T.IntegerType(), "bigint": T.LongType(), "double": T.DoubleType(), "string": T.StringType(),
    "boolean": T.BooleanType(), "date": T.DateType(), "timestamp": T.TimestampType(),
}

# ---------------------------------------------------------------------------------------------
# Tables

NUMBERS = (
    [("i", "int"), ("l", "bigint"), ("d", "double"), ("e", "double"), ("s", "string"), ("b", "boolean")],
    [
        (1, 10, 1.5, 2.0, "1", True),
        (-7, -3000000000, -0.0, 0.0, " 12 ", False),
        (2147483647, 9223372036854775807, NAN, 1.0, "abc", None),
        (-2147483648, -9223372036854775808, INF, -INF, "", True),
        (0, 0, 0.0, NAN, "1.5", False),
        (None, None, None, None, None, None),
        (5, 7, 2.675, -2.5, "1e3", True),
        (100, 3, 1e10, 3.0, "NaN", False),
        (-1, -1, -1.0000000000000002, 1e-7, "-4", None),
    ],
)

STRINGS = (
    [("s", "string"), ("t", "string"), ("n", "int"), ("p", "string")],
    [
        ("hello", "l", 2, ","),
        ("", "", 0, ""),
        ("héllo wörld", "ö", -3, " "),
        ("  pad  ", " ", 1, "a"),
        ("a,b,,c,", ",", -1, ","),
        (None, "x", None, None),
        ("日本語テキスト", "本", 3, "語"),
        ("MiXeD CaSe", "X", 100, "%"),
        ("50%_off\\sale", "_", 4, "\\"),
    ],
)

DATES = (
    [("d", "date"), ("ts", "timestamp"), ("s", "string"), ("n", "int"), ("sec", "bigint")],
    [
        (datetime.date(2020, 1, 1), datetime.datetime(2020, 1, 1, 10, 30, 45, 123456), "2020-01-01", 1, 0),
        (datetime.date(2024, 2, 29), datetime.datetime(2024, 2, 29, 23, 59, 59), "2024-02-29 12:00:00", -1, 1700000000),
        (datetime.date(1969, 12, 31), datetime.datetime(1969, 12, 31, 23, 59, 59, 999999), "not a date", 365, -1),
        (datetime.date(1970, 1, 1), datetime.datetime(1970, 1, 1, 0, 0, 0), "2021-13-01", 0, 86400),
        (None, None, None, None, None),
        (datetime.date(2000, 3, 1), datetime.datetime(2000, 2, 28, 12, 0, 0), "2000-02-28T12:00:00Z", 30, 951782400),
        (datetime.date(1900, 1, 1), datetime.datetime(2038, 1, 19, 3, 14, 7), " 2021-06-15 ", -400, 2147483647),
        (datetime.date(2021, 12, 31), datetime.datetime(2021, 12, 31, 18, 5, 0), "2021-12-31 18:05", 59, 1640973900),
    ],
)

JSONS = (
    [("j", "string"), ("path", "string")],
    [
        ('{"a":1,"b":[1,2,3],"c":{"d":"x"}}', "$.a"),
        ("[1,2,[3,4]]", "$[2]"),
        ("[]", "$[0]"),
        ('{"a":1.50,"b":"str","e":null}', "$.b"),
        ("not json", "$.a"),
        (None, "$.a"),
        ('[{"a":1},{"a":2}]', "$[1].a"),
        ('{"a": {"b": {"c": 3}}}', "$.a.b"),
        ('  [ 1 , "two" , null ]  ', "$[1]"),
        ('{"k":"héllo \\u00e9"}', "$.k"),
    ],
)

# ---------------------------------------------------------------------------------------------
# Cases per file

ARITHMETIC = [
    "i + 1", "i + l", "i - l", "i * 2", "l * l", "i * i", "i + d", "l + d", "d + e", "d - e", "d * e",
    "i / 2", "i / 0", "l / i", "d / e", "d / 0", "i / d", "10 / 4",
    "i % 3", "i % 0", "l % i", "d % e", "d % 0", "-7 % 3", "7 % -3", "-7.5 % 2",
    "i div 2", "l div i", "i div 0", "-7 div 2", "l div 3",
    "-i", "-l", "-d", "+i", "- -i",
    "2147483647 + 1", "i + 2147483647", "l + 1", "l * 2", "-2147483648 - 1",
    "s + 1", "s * 2", "s + i", "'3' / '2'", "s - d",
    "i + null", "null * d", "(i + 1) * (l - 1)", "i * 2 + 3 * l - 4", "1 + 2 * 3 - 4 / 2",
    "i & 6", "i | 8", "i ^ 5", "~i", "l & 255",
    "1.5 * 2", "0.1 + 0.2", "1e3 + i", "1.5D * d", "2L * i",
    "-2147483649", "-0.0D", "-(d * 1)", "-9223372036854775808L", "i - -1",
]

COMPARISON = [
    "i = 1", "i != 1", "i <> 1", "i < 0", "i <= 0", "i > l", "i >= l", "i == l",
    "d = e", "d < e", "d > e", "d <= e", "d >= e", "d != e", "d = d", "d < 1e300",
    "i <=> 1", "d <=> e", "s <=> null", "null <=> null",
    "s = '1'", "s = 1", "s > 1", "s < 'b'", "s >= ''", "s = i", "s = d",
    "i = null", "i IN (1, 5, 100)", "i NOT IN (1, 5)", "i IN (1, null)", "i NOT IN (1, null)", "s IN ('abc', '')",
    "s IN (1, 2)", "d IN (1.5, 2.675)", "d IN (0)",
    "i BETWEEN 0 AND 10", "i NOT BETWEEN 0 AND 10", "d BETWEEN -1 AND 3", "s BETWEEN 'a' AND 'c'",
    "b = true", "b", "b = i", "i IS NULL", "i IS NOT NULL", "d IS NULL",
    "b IS TRUE", "b IS NOT FALSE", "isnull(s)", "isnotnull(d)", "isnan(d)", "isnan(e)",
]

LOGIC = [
    "b AND i > 0", "b OR i > 0", "NOT b", "b AND null", "b OR null", "NOT (i > 0)",
    "b AND d > 1", "i > 0 AND d > 0 OR e < 0", "NOT b AND NOT (i = 1)", "(i > 0) = b",
    "b AND true", "b OR false", "false AND null", "true OR null", "null AND null",
]

CONDITIONAL = [
    "CASE WHEN i > 0 THEN 'pos' WHEN i < 0 THEN 'neg' ELSE 'zero' END",
    "CASE WHEN i > 0 THEN i END",
    "CASE WHEN i > 0 THEN i ELSE d END",
    "CASE WHEN d > 1 THEN d ELSE 0 END",
    "CASE WHEN i > 0 THEN 1 ELSE 'x' END",
    "CASE i WHEN 1 THEN 'one' WHEN 5 THEN 'five' ELSE 'other' END",
    "CASE s WHEN '1' THEN 1 WHEN 'abc' THEN 2 END",
    "CASE WHEN b THEN l ELSE i END",
    "CASE WHEN null THEN 1 ELSE 2 END",
    "CASE WHEN i > 0 THEN null ELSE d END",
    "CASE WHEN b THEN s ELSE null END",
    "if(i > 0, 'yes', 'no')", "if(b, d, e)", "if(b, i, null)", "iff(i > 1, l, i)",
    "coalesce(i, 0)", "coalesce(d, e, -1)", "coalesce(s, 'none')", "coalesce(null, i, l)", "coalesce(null, null)",
    "nvl(i, -1)", "nvl(s, 'x')", "ifnull(d, 0)", "nvl2(i, 'has', 'none')",
    "nullif(i, 1)", "nullif(s, '')", "nullif(d, d)",
    "greatest(i, l)", "greatest(d, e)", "greatest(i, 3, null)", "least(i, l)", "least(d, e, 0)", "least(s, 'b')",
    "greatest(i, d)",
    "CASE WHEN s = '' THEN 'empty' WHEN s IS NULL THEN NULL ELSE upper(s) END",
    "CASE WHEN b THEN d WHEN NOT b THEN -d END",
    "CASE WHEN d > 1 THEN d ELSE 0 END * 2",
]

MATH = [
    "abs(i)", "abs(l)", "abs(d)", "abs(s)",
    "ceil(d)", "ceil(e)", "floor(d)", "floor(e)", "ceil(i)", "floor(l)", "ceiling(d)",
    "round(d)", "round(d, 2)", "round(e)", "round(e, 1)", "round(i, -1)", "round(l, -2)", "round(d, -1)", "round(2.5D)",
    "round(-2.5D)", "round(1.005D, 2)", "round(d, 0)", "bround(e)", "bround(2.5D)", "bround(3.5D)", "round(i)",
    "sqrt(d)", "sqrt(i)", "sqrt(-1.0D)", "exp(e)", "exp(i)", "ln(d)", "ln(i)", "ln(0)", "log10(d)", "log10(100)", "log10(0)",
    "log2(8)", "log(e)",
    "pow(d, 2)", "power(i, 2)", "pow(2, -1)", "pow(d, e)", "pow(0, 0)",
    "signum(e)", "sign(i)",
    "nanvl(d, -1.0D)", "nanvl(e, 0)",
]

CASTS = [
    "CAST(i AS bigint)", "CAST(i AS double)", "CAST(i AS string)", "CAST(i AS boolean)",
    "CAST(l AS int)", "CAST(l AS double)", "CAST(l AS string)",
    "CAST(d AS int)", "CAST(d AS bigint)", "CAST(d AS string)", "CAST(d AS boolean)", "CAST(e AS string)",
    "CAST(s AS int)", "CAST(s AS bigint)", "CAST(s AS double)", "CAST(s AS boolean)", "CAST(s AS date)", "CAST(s AS timestamp)",
    "CAST(b AS int)", "CAST(b AS string)", "CAST(b AS double)",
    "i::double", "s::int", "d::bigint", "CAST(d * 1e10 AS bigint)", "CAST(1e20 AS int)",
    "CAST(i AS timestamp)", "CAST(b AS timestamp)", "CAST(d AS timestamp)",
    "CAST(CAST(i AS timestamp) AS bigint)", "CAST(d AS decimal(10, 2))",
    "CAST('t' AS boolean)", "CAST('yes' AS boolean)", "CAST(' FALSE ' AS boolean)", "CAST('2' AS boolean)",
    "CAST('1.9' AS int)", "CAST('-1.9' AS bigint)", "CAST('.5' AS int)", "CAST('5.' AS int)", "CAST('+3' AS int)",
    "CAST('2147483648' AS int)", "CAST('9223372036854775808' AS bigint)", "CAST('1e3' AS double)", "CAST('Infinity' AS double)",
    "CAST('-inf' AS double)", "CAST('1.5d' AS double)", "CAST('0x10' AS int)", "CAST('' AS double)",
    "CAST(1e10 AS string)", "CAST(1e-5 AS string)", "CAST(1234567.0D AS string)", "CAST(12345678.0D AS string)",
    "CAST(0.001D AS string)", "CAST(0.0001D AS string)", "CAST(-0.0D AS string)", "CAST(100.0D AS string)",
    "string(i)", "int(s)", "double(s)", "boolean(i)", "bigint(d)",
    "CAST(CAST(d AS float) AS double) = d",
]

STRING_CASES = [
    "length(s)", "length(t)", "char_length(s)", "length(n)",
    "lower(s)", "upper(s)", "lcase(t)", "ucase(t)",
    "trim(s)", "ltrim(s)", "rtrim(s)", "trim(concat(' ', s, ' '))",
    "substring(s, 2)", "substring(s, 2, 3)", "substring(s, -3)", "substring(s, -3, 2)", "substring(s, 0, 2)",
    "substring(s, n)", "substring(s, n, 2)", "substr(s, 1, n)", "substring(s, 100)", "substring(s, -100, 3)",
    "left(s, 3)", "right(s, 3)", "right(s, n)",
    "concat(s, t)", "concat(s, '-', n)", "concat(s)", "concat()", "s || t", "concat(s, null)",
    "concat_ws('-', s, t)", "concat_ws(p, s, t, 'z')", "concat_ws(',', s, null, t)", "concat_ws(',')",
    "split_part(s, p, 1)", "split_part(s, p, 2)", "split_part(s, p, -1)", "split_part(s, ',', 3)", "split_part(s, t, 2)",
    "split_part(s, '', 1)", "split_part(s, ' ', -2)",
    "regexp_extract(s, '([a-z]+)', 1)", "regexp_extract(s, '(l+)(o)', 2)", "regexp_extract(s, 'x(y)?', 0)",
    "regexp_extract(s, '[0-9]+', 0)", "regexp_extract(s, '^(\\\\w+)', 1)",
    "size(split(s, ','))", "size(split(s, ''))", "size(split(s, ' '))", "size(split(s, '[ ,]+'))",
    "s LIKE 'h%'", "s LIKE '%l_'", "s LIKE '%'", "s LIKE ''", "s LIKE '_'", "s NOT LIKE '%o%'", "s LIKE t",
    "s LIKE '%\\\\%%'", "s LIKE '50!%%' ESCAPE '!'", "s LIKE '日本%'", "s LIKE '_é%'",
    "s RLIKE 'l+'", "s RLIKE '^h'", "s REGEXP '[0-9]'", "s NOT RLIKE 'o'", "s RLIKE ''",
    "replace(s, 'l', 'L')", "replace(s, t, '')", "replace(s, ' ')", "instr(s, t)", "instr(s, 'l')", "instr(s, '')",
    "lpad(s, 8, '*')", "rpad(s, 8, '-')", "lpad(s, 3)", "lpad(s, n, 'ab')", "rpad(s, 0, 'x')",
    "s = t", "s < t", "s > 'h'", "s IN ('hello', '')", "length(s) > n",
    "'it''s'", "'a\\tb'", "\"dq\"", "length('héllo')", "upper('straße')",
]

DATE_CASES = [
    "d", "ts", "year(d)", "month(d)", "day(d)", "dayofmonth(d)", "dayofweek(d)", "dayofyear(d)", "quarter(d)",
    "year(ts)", "month(ts)", "hour(ts)", "minute(ts)", "second(ts)", "hour(s)", "year(s)", "dayofweek(ts)",
    "date(ts)", "date(s)", "to_date(s)", "to_date(ts)", "to_date(s, 'yyyy-MM-dd')", "to_date('01/02/2020', 'MM/dd/yyyy')",
    "to_timestamp(s)", "to_timestamp(s, 'yyyy-MM-dd HH:mm:ss')", "to_timestamp(d)", "to_timestamp('2020-01-01 10:00', 'yyyy-MM-dd HH:mm')",
    "date_add(d, 1)", "date_add(d, n)", "date_sub(d, n)", "date_add(s, 1)", "date_add(ts, 1)", "d + 1", "d - n",
    "datediff(d, date'2020-01-01')", "datediff(ts, d)", "datediff(s, d)",
    "d + INTERVAL 3 DAYS", "ts + INTERVAL 2 HOURS", "ts - INTERVAL 1 DAY", "d + INTERVAL 12 HOURS", "ts + INTERVAL '90' MINUTE",
    "ts + INTERVAL 1 DAY 30 SECONDS",
    "unix_timestamp(ts)", "unix_timestamp(d)", "unix_timestamp(s)", "unix_timestamp(s, 'yyyy-MM-dd')",
    "from_unixtime(sec)", "from_unixtime(sec, 'yyyy-MM-dd')", "from_unixtime(sec, 'yyyy/MM/dd HH:mm')",
    "date_format(ts, 'yyyy-MM-dd HH:mm:ss.SSS')", "date_format(d, 'dd.MM.yy')",
    "CAST(ts AS date)", "CAST(d AS timestamp)", "CAST(ts AS string)", "CAST(d AS string)", "CAST(ts AS bigint)", "CAST(ts AS double)",
    "CAST(sec AS timestamp)", "CAST(s AS date)", "CAST(s AS timestamp)",
    "d = '2020-01-01'", "d > '2000-01-01'", "ts > '2021-01-01'", "ts = d", "ts >= d", "d < ts", "s = d",
    "d BETWEEN '2000-01-01' AND '2022-01-01'", "d IN (date'2020-01-01', date'1970-01-01')",
    "greatest(d, date'2000-01-01')", "coalesce(d, date'1999-09-09')", "CASE WHEN n > 0 THEN d ELSE ts END",
    "date'2024-03-01' - 1", "timestamp'2024-01-01 00:00:00.5'", "date'2020-02-30' IS NULL",
]

JSON_CASES = [
    "json_array_length(j)", "get_json_object(j, '$.a')", "get_json_object(j, '$.b')", "get_json_object(j, '$.b[1]')",
    "get_json_object(j, '$.c')", "get_json_object(j, '$.c.d')", "get_json_object(j, '$.e')", "get_json_object(j, '$[0]')",
    "get_json_object(j, '$[2]')", "get_json_object(j, '$[1].a')", "get_json_object(j, path)", "get_json_object(j, '$')",
    "get_json_object(j, '$.a.b.c')", "get_json_object(j, '$[\\'a\\']')", "get_json_object(j, '$.k')",
    "json_array_length(get_json_object(j, '$.b'))", "json_array_length('[1,[2,3],{\"a\":[4]}]')",
    "CASE WHEN json_array_length(j) > 2 THEN 1 ELSE 0 END",
]

ERRORS = [
    "i + b", "CAST(i AS date)", "if(i, 1, 2)", "greatest(i, s)", "d div 2", "nosuchcolumn + 1", "nosuchfunction(i)",
    "CASE WHEN i > 0 THEN b ELSE i END", "b + 1", "d = b",
]

FILES = {
    "arithmetic": (NUMBERS, ARITHMETIC),
    "comparison": (NUMBERS, COMPARISON),
    "logic": (NUMBERS, LOGIC),
    "conditional": (NUMBERS, CONDITIONAL),
    "math": (NUMBERS, MATH),
    "casts": (NUMBERS, CASTS),
    "strings": (STRINGS, STRING_CASES),
    "dates": (DATES, DATE_CASES),
    "json": (JSONS, JSON_CASES),
    "errors": (NUMBERS, ERRORS),
}

# ---------------------------------------------------------------------------------------------


def encode(v):
    if v is None:
        return None
    if isinstance(v, bool):
        return v
    if isinstance(v, float):
        if math.isnan(v):
            return "NaN"
        if math.isinf(v):
            return "Infinity" if v > 0 else "-Infinity"
        return v
    if isinstance(v, int):
        return v
    if isinstance(v, datetime.datetime):
        s = v.strftime("%Y-%m-%d %H:%M:%S")
        if v.microsecond:
            s += ("." + "%06d" % v.microsecond).rstrip("0")
        return s
    if isinstance(v, datetime.date):
        return v.strftime("%Y-%m-%d")
    if hasattr(v, "as_tuple"):  # decimal.Decimal
        f = float(v)
        return int(f) if f == int(f) and abs(f) < 2**53 and v == v.to_integral_value() else f
    return str(v)


def dumps(values):
    return json.dumps([encode(v) for v in values], ensure_ascii=False)


def main():
    out_dir = os.path.abspath(sys.argv[1] if len(sys.argv) > 1 else DEFAULT_OUT)
    spark = (
        SparkSession.builder.master("local[1]")
        .config("spark.sql.ansi.enabled", "false")
        .config("spark.sql.session.timeZone", "UTC")
        .config("spark.ui.enabled", "false")
        .config("spark.driver.extraJavaOptions", "-Duser.timezone=UTC")
        .getOrCreate()
    )
    spark.sparkContext.setLogLevel("OFF")
    logging.getLogger("SQLQueryContextLogger").disabled = True  # analysis errors are expected goldens
    total = 0
    for name, ((columns, rows), cases) in FILES.items():
        schema = T.StructType([T.StructField("__row", T.IntegerType())] + [T.StructField(c, TYPES[t]) for c, t in columns])
        df = spark.createDataFrame([(k,) + tuple(r) for k, r in enumerate(rows)], schema).coalesce(1)
        df.createOrReplaceTempView("t")
        lines = [
            f"# Generated by scripts/golden/expr_goldens.py with PySpark {spark.version}",
            "# (local[1], spark.sql.ansi.enabled=false, spark.sql.session.timeZone=UTC). Do not edit by hand.",
            "table " + " ".join(f"{c}:{t}" for c, t in columns),
        ]
        lines += ["row " + dumps(r) for r in rows]
        for expr in cases:
            lines.append("")
            lines.append("case " + expr)
            try:
                res = spark.sql(f"SELECT {expr} AS r FROM t ORDER BY __row")
                values = [r[0] for r in res.collect()]
                lines.append("type " + res.schema.fields[0].dataType.simpleString())
                lines.append("expect " + dumps(values))
            except Exception as e:  # analysis errors are goldens too
                msg = str(e).strip().split("\n")[0]
                lines.append("error " + msg[:300])
            total += 1
        with open(os.path.join(out_dir, name + ".txt"), "w", encoding="utf-8") as f:
            f.write("\n".join(lines) + "\n")
        print(f"{name}.txt: {len(cases)} cases", file=sys.stderr)
    print(f"total: {total} cases", file=sys.stderr)
    spark.stop()


if __name__ == "__main__":
    main()
