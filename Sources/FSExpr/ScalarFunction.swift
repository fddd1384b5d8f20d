/// The scalar functions the evaluator implements, after the binder resolved names, aliases and
/// sugar (`nvl` → `coalesce`, `if`/`nullif` → CASE, `date(x)` → CAST).
///
/// Argument types are fixed by the binder (it inserts the casts), so each case documents the
/// types it receives. Raw values are the canonical Spark names, used in bound-tree printing.
public enum ScalarFunction: String, Sendable, Equatable, CaseIterable {
    // Math. `abs` keeps its numeric type; `ceil`/`floor` give int64; the rest double.
    case abs, ceil, floor, sqrt, exp, ln, log10, log2, signum
    /// `round(x, scale)`, HALF_UP on the decimal text of a double (Spark's BigDecimal rounding);
    /// scale is an int32 literal; result has x's type.
    case round
    /// `bround(x, scale)`: HALF_EVEN.
    case bround
    case pow
    /// `greatest`/`least`: NULLs skipped, NULL only when every argument is NULL.
    case greatest, least
    /// First non-NULL argument (all arguments share the result type).
    case coalesce
    /// `isnan(double)` → boolean (false for NULL); `nanvl(a, b)` → b where a is NaN.
    case isnan, nanvl
    /// `CAST(x AS DECIMAL(p, s))` on a double (fs has no decimal type): arguments x, p, s.
    case toDecimal = "to_decimal"
    /// `CAST(x AS FLOAT)`: the double rounded to single precision.
    case toFloat = "to_float"

    // Strings (arguments cast to string).
    /// Number of Unicode code points.
    case length
    case lower, upper
    /// Spark's `trim`/`ltrim`/`rtrim` remove ASCII spaces only.
    case trim, ltrim, rtrim
    /// `substring(s, pos[, len])`, 1-based, negative `pos` counts from the end.
    case substring
    /// NULL if any argument is NULL.
    case concat
    /// `concat_ws(sep, …)`: NULL arguments skipped.
    case concatWs = "concat_ws"
    /// `split_part(s, delimiter, part)`: 1-based, negative from the end, '' when out of range.
    case splitPart = "split_part"
    /// `regexp_extract(s, regex, group)`: '' when no match.
    case regexpExtract = "regexp_extract"
    /// `size(split(s, regex))`: number of pieces (trailing empty pieces kept, as Java's
    /// `split(regex, -1)`); the only array Spark expression fs supports outside aggregates.
    case splitSize = "size_of_split"
    case replace
    case instr
    case lpad, rpad

    // Dates and times. Dates are int32 days, timestamps int64 µs UTC.
    /// `to_date(s[, format])` / `to_timestamp(s[, format])` with Java-style patterns.
    case toDate = "to_date", toTimestamp = "to_timestamp"
    /// Calendar fields (int32) of a date (`year`, `month`, `dayofmonth`, `dayofweek` 1 = Sunday)
    /// or of a timestamp (`hour`, `minute`, `second`).
    case year, month, dayOfMonth = "dayofmonth", dayOfWeek = "dayofweek", dayOfYear = "dayofyear", quarter
    case hour, minute, second
    /// `date_add(date, int32)`, `date_sub(date, int32)` → date.
    case dateAdd = "date_add", dateSub = "date_sub"
    /// `datediff(end, start)` in days → int32.
    case dateDiff = "datediff"
    /// `unix_timestamp(timestamp)` → int64 seconds (floor); the string form takes a pattern.
    case unixTimestamp = "unix_timestamp"
    /// `from_unixtime(seconds[, format])` → string, default `yyyy-MM-dd HH:mm:ss`.
    case fromUnixtime = "from_unixtime"
    /// `date_format(timestamp, pattern)` → string.
    case dateFormat = "date_format"
    /// The injected clock's date / instant (one value for the whole evaluation).
    case currentDate = "current_date", currentTimestamp = "current_timestamp"
    /// `timestamp + interval` on µs (second argument int64 µs) → timestamp.
    case timestampAddMicros = "timestamp_add_micros"

    // JSON (arguments are strings holding JSON text).
    /// Elements of a top-level JSON array; NULL when not an array or malformed.
    case jsonArrayLength = "json_array_length"
    /// `get_json_object(json, path)` with `$`, `.name`, `['name']`, `[index]`.
    case getJsonObject = "get_json_object"

    /// Functions whose value depends on the evaluation context, never folded at bind time.
    public var isNondeterministic: Bool { self == .currentDate || self == .currentTimestamp }
}
