import FSCore

/// Prints rows as one JSON object per line, the format the interop suite compares with other
/// engines: keys in schema order, timestamps ISO-8601 UTC with microseconds and `Z`, dates
/// `YYYY-MM-DD`, doubles as shortest round-trip numbers (`-0.0` keeps its sign) and NaN/±Infinity
/// as the strings `"NaN"`, `"Infinity"`, `"-Infinity"`.
struct RowJSONPrinter {
    /// Appends the rows of `batch` to `out`, one line each.
    static func write(_ batch: RecordBatch, to out: inout String) {
        let keys: [String] = batch.schema.names.map { name in
            var k = ""
            JSONValue.writeString(name, to: &k)
            return k + ":"
        }
        for r in 0..<batch.rowCount {
            out += "{"
            for (c, col) in batch.columns.enumerated() {
                if c > 0 { out += "," }
                out += keys[c]
                writeValue(col, r, to: &out)
            }
            out += "}\n"
        }
    }

    static func writeValue(_ col: Column, _ r: Int, to out: inout String) {
        if col.isNull(r) { out += "null"; return }
        switch (col.type, col.values) {
        case (.boolean, .boolean(let v)): out += v[r] ? "true" : "false"
        case (.date, .int32(let v)): out += "\"" + formatDate(days: v[r]) + "\""
        case (_, .int32(let v)): out += String(v[r])
        case (.timestamp, .int64(let v)): out += "\"" + formatISO8601(micros: v[r], fractionDigits: 6) + "\""
        case (_, .int64(let v)): out += String(v[r])
        case (_, .double(let v)): out += doubleText(v[r])
        case (_, .string(let v)): JSONValue.writeString(v[r], to: &out)
        case (_, .boolean(let v)): out += v[r] ? "true" : "false"
        }
    }

    static func doubleText(_ d: Double) -> String {
        if d.isNaN { return "\"NaN\"" }
        if d.isInfinite { return d < 0 ? "\"-Infinity\"" : "\"Infinity\"" }
        if d == 0 { return d.sign == .minus ? "-0.0" : "0.0" }
        return "\(d)"
    }
}
