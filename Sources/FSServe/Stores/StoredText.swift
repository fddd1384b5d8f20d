import FSCore

/// Typed values from the text a server store returns (libpq's text results, Redis hash fields).
///
/// Both stores hand back text; the column's published type says what it means. The spellings
/// are fs-publish's (`RedisValueText`, `sqlDoubleText`): decimal integers, shortest round-trip
/// doubles with `NaN`/`Infinity`/`-Infinity`, `true`/`false` (PostgreSQL: `t`/`f`), ISO-8601
/// timestamps and dates. PostgreSQL timestamps and dates are selected as integers (µs, days)
/// instead, so `epochIntegers` says which form to expect. Text that does not parse as its type
/// is NULL — a store edited by hand must not crash a request.
enum StoredText {
    static func value(_ text: String, _ type: DataType, epochIntegers: Bool) -> Value {
        switch type {
        case .string: return .string(text)
        case .int64: return Int64(text).map(Value.int64) ?? .null
        case .int32: return Int32(text).map(Value.int32) ?? .null
        case .double: return double(text).map(Value.double) ?? .null
        case .boolean:
            switch text {
            case "true", "t", "1": return .boolean(true)
            case "false", "f", "0": return .boolean(false)
            default: return .null
            }
        case .timestamp:
            return (epochIntegers ? Int64(text) : parseTimestamp(text)).map(Value.timestamp) ?? .null
        case .date:
            return (epochIntegers ? Int32(text) : parseDate(text)).map(Value.date) ?? .null
        }
    }

    /// A row's time as µs UTC (dates at midnight); nil for NULL or unparsable text.
    static func micros(_ text: String?, _ type: DataType, epochIntegers: Bool) -> Int64? {
        guard let text else { return nil }
        switch value(text, type, epochIntegers: epochIntegers) {
        case .timestamp(let t), .int64(let t): return t
        case .int32(let i): return Int64(i)
        case .date(let d): return Int64(d) * microsPerDay
        default: return nil
        }
    }

    private static func double(_ text: String) -> Double? {
        switch text {
        case "NaN": return .nan
        case "Infinity": return .infinity
        case "-Infinity": return -.infinity
        default: return Double(text)
        }
    }
}
