/// Why a message went to the quarantine table instead of the stream's table.
///
/// Bad input never stops the stream and is never dropped silently: each class has a stable
/// `code` (the quarantine table's `reason` column, and the counter name in logs and the
/// summary) and a `detail` naming the field or byte offset where that helps.
public enum QuarantineReason: Sendable, Hashable, CustomStringConvertible {
    /// A zero-length value.
    case emptyMessage
    /// Longer than the configured limit (bytes).
    case oversize(bytes: Int, limit: Int)
    /// The value (or the key) is not valid UTF-8; `offset` is the first bad byte.
    case invalidUTF8(offset: Int)
    /// Not JSON; `offset` is where the syntax broke.
    case invalidJSON(offset: Int)
    /// JSON nested deeper than the configured limit.
    case nestingTooDeep
    /// Valid JSON, but not an object (an array, a string, a number …).
    case notAnObject
    /// A payload field appears twice in the object (ambiguous: which one is the event?).
    case duplicateField(String)
    /// The event-time field is absent.
    case missingTimeField(String)
    /// The event-time field is JSON `null`.
    case nullTimeField(String)
    /// The event-time field is not an ISO-8601 timestamp.
    case unparsableTime(String)
    /// A field holds a value its column cannot take (an object for a number, "abc" for a double).
    case wrongType(field: String, expected: String)

    /// Stable snake_case class name.
    public var code: String {
        switch self {
        case .emptyMessage: return "empty_message"
        case .oversize: return "oversize"
        case .invalidUTF8: return "invalid_utf8"
        case .invalidJSON: return "invalid_json"
        case .nestingTooDeep: return "nesting_too_deep"
        case .notAnObject: return "not_an_object"
        case .duplicateField: return "duplicate_field"
        case .missingTimeField: return "missing_time_field"
        case .nullTimeField: return "null_time_field"
        case .unparsableTime: return "unparsable_time"
        case .wrongType: return "wrong_type"
        }
    }

    /// Human-readable specifics (field, offset, sizes).
    public var detail: String {
        switch self {
        case .emptyMessage, .notAnObject: return ""
        case .oversize(let b, let l): return "\(b) bytes > limit \(l)"
        case .invalidUTF8(let o): return "first bad byte at offset \(o)"
        case .invalidJSON(let o): return "syntax error at byte \(o)"
        case .nestingTooDeep: return "nesting deeper than the limit"
        case .duplicateField(let f): return "field \(f) appears twice"
        case .missingTimeField(let f): return "field \(f) is absent"
        case .nullTimeField(let f): return "field \(f) is null"
        case .unparsableTime(let f): return "field \(f) is not an ISO-8601 timestamp"
        case .wrongType(let f, let e): return "field \(f) is not \(e)"
        }
    }

    /// Every class code, for zeroed counters in summaries.
    public static let allCodes = [
        "empty_message", "oversize", "invalid_utf8", "invalid_json", "nesting_too_deep", "not_an_object",
        "duplicate_field", "missing_time_field", "null_time_field", "unparsable_time", "wrong_type",
    ]

    public var description: String { detail.isEmpty ? code : code + ": " + detail }
}
