import FSCore

/// Partition values between their three forms (§3.3, §4):
/// typed `Value` ⇄ the log's string (`add.partitionValues`) ⇄ a Hive directory `k=v`.
///
/// Integers are written without padding (`fs_month=1`), dates `YYYY-MM-DD`, timestamps
/// `YYYY-MM-DD HH:MM:SS[.ffffff]` in UTC (Spark's form), booleans `true`/`false`. Null — and the
/// empty string, which Delta reads as null — is JSON null in the log and
/// `__HIVE_DEFAULT_PARTITION__` on disk.
public enum PartitionValues {
    /// The log string of a value; nil for null (and for an empty string, which Delta cannot tell
    /// from null).
    public static func serialize(_ v: Value) -> String? {
        switch v {
        case .null: return nil
        case .boolean(let b): return b ? "true" : "false"
        case .int32(let x): return String(x)
        case .int64(let x): return String(x)
        case .double(let d): return formatSparkDouble(d == 0 ? 0 : d)
        case .string(let s): return s.isEmpty ? nil : s
        case .date(let d): return formatDate(days: d)
        case .timestamp(let t): return formatTimestamp(micros: t)
        }
    }

    /// Parses a log string as `type`; nil or empty means null. Returns nil for malformed text.
    public static func parse(_ text: String?, as type: DataType) -> Value? {
        guard let text, !text.isEmpty else { return .null }
        switch type {
        case .boolean:
            switch text.lowercased() {
            case "true": return .boolean(true)
            case "false": return .boolean(false)
            default: return nil
            }
        case .int32: return Int32(text).map(Value.int32)
        case .int64: return Int64(text).map(Value.int64)
        case .double: return Double(text).map(Value.double)
        case .string: return .string(text)
        case .date: return parseDate(text).map(Value.date)
        case .timestamp: return parseTimestamp(text).map(Value.timestamp)
        }
    }

    /// `k=v/k2=v2` for the given columns and log strings, escaped as Spark does.
    public static func directory(columns: [String], values: StringMap) -> String {
        columns.map { c in
            let v = values[c].flatMap { $0.isEmpty ? nil : $0 }
            return PathEscaping.escapePathName(c) + "=" + (v.map(PathEscaping.escapePathName) ?? PathEscaping.hiveDefaultPartition)
        }.joined(separator: "/")
    }

    /// Parses one directory component `k=v` into its unescaped column name and log string
    /// (nil value for `__HIVE_DEFAULT_PARTITION__`); nil when it is not `k=v`.
    public static func parseDirectoryComponent(_ component: String) -> (column: String, value: String?)? {
        guard let eq = component.firstIndex(of: "="), eq != component.startIndex else { return nil }
        let column = PathEscaping.unescapePathName(String(component[..<eq]))
        let raw = String(component[component.index(after: eq)...])
        if raw == PathEscaping.hiveDefaultPartition { return (column, nil) }
        return (column, PathEscaping.unescapePathName(raw))
    }

    /// Typed partition values of a file, in `fields` order.
    public static func typedValues(_ values: StringMap, fields: [Field], file: String) throws(TableError) -> [Value] {
        var out: [Value] = []
        out.reserveCapacity(fields.count)
        for f in fields {
            let raw = values[f.name] ?? values.entries.first { $0.key.lowercased() == f.name.lowercased() }?.value
            guard let v = parse(raw, as: f.type) else {
                throw .invalidPartitionValue(column: f.name, value: raw ?? "null", file: file)
            }
            out.append(v)
        }
        return out
    }
}

/// Total order on values of one column for sorting partitions: null first, numbers by value,
/// strings by UTF-8 bytes.
func valueLess(_ a: Value, _ b: Value) -> Bool {
    switch (a, b) {
    case (.null, .null): return false
    case (.null, _): return true
    case (_, .null): return false
    case (.boolean(let x), .boolean(let y)): return !x && y
    case (.string(let x), .string(let y)): return utf8Less(x, y)
    default:
        if let x = a.asInt64, let y = b.asInt64, a.type != .double, b.type != .double { return x < y }
        if let x = a.asDouble, let y = b.asDouble { return x < y || (!x.isNaN && y.isNaN) }
        return a.description < b.description
    }
}
