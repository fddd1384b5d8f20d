import FSCore

/// Writes the key and the JSON value of a published row straight from the batch's columns into
/// a reused byte buffer — the same bytes as `KafkaTarget.encodeKey`/`encodeValue`, without a
/// `[Value]`, a `JSONValue` tree or a `String` per row (those were most of a Kafka publish's CPU:
/// one array, a dozen enum boxes and two string copies per message).
///
/// Formats (see `KafkaTarget`): a single string key is its bytes; any other key is JSON (one
/// value, or an array for several key columns). Values are `{"col":value,…}` in schema order;
/// timestamps `"2019-01-17T13:05:00.000000Z"`, dates `"2019-01-17"`, NaN and ±Inf `null`,
/// integral doubles below 1e15 as `3.0` — `JSONValue.write`'s spellings, which the tests pin.
struct KafkaMessageEncoder {
    let schema: Schema
    let keyCount: Int
    /// `{"name":` for the first column, `,"name":` for the others, escaped once.
    private let fieldPrefixes: [[UInt8]]

    init(schema: Schema, keyCount: Int) {
        self.schema = schema
        self.keyCount = keyCount
        fieldPrefixes = schema.fields.enumerated().map { i, f in
            var out: [UInt8] = [i == 0 ? UInt8(ascii: "{") : UInt8(ascii: ",")]
            Self.appendJSONString(f.name.utf8, to: &out)
            out.append(UInt8(ascii: ":"))
            return out
        }
    }

    /// Appends the message key of row `i` (the batch's first `keyCount` columns are the keys).
    func appendKey(_ batch: RecordBatch, row i: Int, to out: inout [UInt8]) {
        if keyCount == 1 {
            let c = batch.columns[0]
            if case .string(let s) = c.values, !c.isNull(i) {
                s.withUTF8(i) { out.append(contentsOf: $0) }
            } else {
                Self.appendJSON(c, row: i, to: &out)
            }
            return
        }
        out.append(UInt8(ascii: "["))
        for k in 0..<keyCount {
            if k > 0 { out.append(UInt8(ascii: ",")) }
            Self.appendJSON(batch.columns[k], row: i, to: &out)
        }
        out.append(UInt8(ascii: "]"))
    }

    /// Appends the JSON object of row `i`.
    func appendValue(_ batch: RecordBatch, row i: Int, to out: inout [UInt8]) {
        if batch.columns.isEmpty { out.append(contentsOf: "{}".utf8); return }
        for (c, column) in batch.columns.enumerated() {
            out.append(contentsOf: fieldPrefixes[c])
            Self.appendJSON(column, row: i, to: &out)
        }
        out.append(UInt8(ascii: "}"))
    }

    /// One value as JSON, spelled as `KafkaTarget.json` then `JSONValue.write` spell it.
    static func appendJSON(_ column: Column, row i: Int, to out: inout [UInt8]) {
        if column.isNull(i) { out.append(contentsOf: "null".utf8); return }
        switch column.values {
        case .boolean(let v): out.append(contentsOf: (v[i] ? "true" : "false").utf8)
        case .int32(let v):
            if column.type == .date {
                out.append(UInt8(ascii: "\""))
                appendDate(days: v[i], to: &out)
                out.append(UInt8(ascii: "\""))
            } else {
                appendDecimal(Int64(v[i]), to: &out)
            }
        case .int64(let v):
            if column.type == .timestamp {
                out.append(UInt8(ascii: "\""))
                appendISO8601(micros: v[i], to: &out)
                out.append(UInt8(ascii: "\""))
            } else {
                appendDecimal(v[i], to: &out)
            }
        case .double(let v):
            let d = v[i]
            if !d.isFinite {
                out.append(contentsOf: "null".utf8)
            } else if d == d.rounded(), abs(d) < 1e15 {
                appendDecimal(Int64(d), to: &out)
                out.append(contentsOf: ".0".utf8)
            } else {
                appendShortestDouble(d, to: &out)
            }
        case .string(let s): s.withUTF8(i) { appendJSONString($0, to: &out) }
        }
    }

    /// A JSON string of UTF-8 bytes: quote, backslash and control characters escaped as
    /// `JSONValue.writeString` escapes them; every other byte (UTF-8 sequences included) as is.
    static func appendJSONString<S: Sequence>(_ bytes: S, to out: inout [UInt8]) where S.Element == UInt8 {
        out.append(UInt8(ascii: "\""))
        for b in bytes {
            switch b {
            case UInt8(ascii: "\""): out.append(UInt8(ascii: "\\")); out.append(b)
            case UInt8(ascii: "\\"): out.append(UInt8(ascii: "\\")); out.append(b)
            case 10: out.append(UInt8(ascii: "\\")); out.append(UInt8(ascii: "n"))
            case 13: out.append(UInt8(ascii: "\\")); out.append(UInt8(ascii: "r"))
            case 9: out.append(UInt8(ascii: "\\")); out.append(UInt8(ascii: "t"))
            case 0..<0x20:
                out.append(contentsOf: "\\u00".utf8)
                let hex = Array("0123456789abcdef".utf8)
                out.append(hex[Int(b >> 4)])
                out.append(hex[Int(b & 15)])
            default: out.append(b)
            }
        }
        out.append(UInt8(ascii: "\""))
    }
}
