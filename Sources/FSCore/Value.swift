/// One scalar value, typed. For edges of the system (literals, statistics, partition values,
/// test fixtures) — never for hot loops, which work on `Column` storage directly.
public enum Value: Sendable, Hashable, CustomStringConvertible {
    case null
    case boolean(Bool)
    case int32(Int32)
    case int64(Int64)
    case double(Double)
    case string(String)
    /// Days since 1970-01-01.
    case date(Int32)
    /// Microseconds since the Unix epoch, UTC.
    case timestamp(Int64)

    public var isNull: Bool { if case .null = self { return true } else { return false } }

    /// The natural type of the value; nil for `.null`.
    public var type: DataType? {
        switch self {
        case .null: return nil
        case .boolean: return .boolean
        case .int32: return .int32
        case .int64: return .int64
        case .double: return .double
        case .string: return .string
        case .date: return .date
        case .timestamp: return .timestamp
        }
    }

    /// Numeric view (ints, doubles, dates and timestamps as their stored number).
    public var asDouble: Double? {
        switch self {
        case .int32(let v): return Double(v)
        case .int64(let v): return Double(v)
        case .double(let v): return v
        case .date(let v): return Double(v)
        case .timestamp(let v): return Double(v)
        default: return nil
        }
    }

    public var asInt64: Int64? {
        switch self {
        case .int32(let v): return Int64(v)
        case .int64(let v): return v
        case .date(let v): return Int64(v)
        case .timestamp(let v): return v
        default: return nil
        }
    }

    /// Text as Spark's `CAST(x AS STRING)` prints it (timestamps in UTC).
    public var description: String {
        switch self {
        case .null: return "NULL"
        case .boolean(let b): return b ? "true" : "false"
        case .int32(let v): return String(v)
        case .int64(let v): return String(v)
        case .double(let v): return formatSparkDouble(v)
        case .string(let s): return s
        case .date(let d): return formatDate(days: d)
        case .timestamp(let t): return formatTimestamp(micros: t)
        }
    }
}

/// Formats a double as Spark prints it: `1.0`, `0.1`, `1.0E10`, `NaN`, `Infinity`.
public func formatSparkDouble(_ v: Double) -> String {
    if v.isNaN { return "NaN" }
    if v.isInfinite { return v < 0 ? "-Infinity" : "Infinity" }
    if v == 0 { return v.sign == .minus ? "-0.0" : "0.0" }
    let a = abs(v)
    if a >= 1e-3 && a < 1e7 {
        let s = "\(v)"
        return s.contains(".") || s.contains("e") ? s : s + ".0"
    }
    // Java's Double.toString: computerized scientific notation d.ddddE±n, shortest digits.
    var text = "\(a)"
    var exp10 = 0
    if let e = text.firstIndex(where: { $0 == "e" || $0 == "E" }) {
        exp10 = Int(String(text[text.index(after: e)...].filter { $0 != "+" })) ?? 0
        text = String(text[..<e])
    }
    let parts = text.split(separator: ".", omittingEmptySubsequences: false)
    let intPart = String(parts[0]), fracPart = parts.count > 1 ? String(parts[1]) : ""
    var digits = intPart + fracPart
    var pointPos = intPart.count + exp10  // digits[0..<pointPos] are the integer digits
    while digits.hasPrefix("0") { digits.removeFirst(); pointPos -= 1 }
    while digits.hasSuffix("0") && digits.count > 1 { digits.removeLast() }
    let exponent = pointPos - 1
    let rest = digits.dropFirst()
    return (v < 0 ? "-" : "") + String(digits.prefix(1)) + "." + (rest.isEmpty ? "0" : String(rest)) + "E" + String(exponent)
}
