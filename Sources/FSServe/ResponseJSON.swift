import FSCore

/// JSON text of served values, written straight into one `String` per response (no tree of
/// `JSONValue`s per row: a 100-key answer is built with one growing buffer).
enum ResponseJSON {
    /// A feature value as Feast's JSON shows it: numbers as numbers, text as strings, dates and
    /// timestamps as ISO-8601 text, NULL (and NaN/±∞, which JSON lacks) as `null`.
    static func write(_ v: Value, to out: inout String) {
        switch v {
        case .null: out += "null"
        case .boolean(let b): out += b ? "true" : "false"
        case .int32(let i): out += String(i)
        case .int64(let i): out += String(i)
        case .double(let d):
            if d.isNaN || d.isInfinite { out += "null" } else { out += "\(d)" }
        case .string(let s): JSONValue.writeString(s, to: &out)
        case .date(let d): out += "\""; out += formatDate(days: d); out += "\""
        case .timestamp(let t): out += "\""; out += timestampText(t); out += "\""
        }
    }

    /// A request's entity value echoed back.
    static func write(_ v: JSONValue, to out: inout String) { v.write(to: &out) }

    /// UTC timestamp as protobuf's JSON mapping (which Feast's server uses) prints it: seconds
    /// only when there is no fraction, else 3 or 6 fraction digits. `1970-01-01T00:00:00Z`
    /// is what Feast reports for entity columns and missing keys.
    static func timestampText(_ micros: Int64) -> String {
        let frac = ((micros % 1_000_000) + 1_000_000) % 1_000_000
        if frac == 0 { return formatISO8601(micros: micros, fractionDigits: 0) }
        return formatISO8601(micros: micros, fractionDigits: frac % 1_000 == 0 ? 3 : 6)
    }

    static let epochText = "1970-01-01T00:00:00Z"

    static func string(_ s: String, to out: inout String) { JSONValue.writeString(s, to: &out) }

    /// `{"error": "..."}` for 4xx/5xx answers.
    static func error(_ message: String) -> String {
        var out = "{\"error\":"
        JSONValue.writeString(message, to: &out)
        out += "}"
        return out
    }
}
