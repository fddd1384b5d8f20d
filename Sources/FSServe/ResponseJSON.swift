import FSCore
import NIOCore

/// JSON text of served values, written straight into the answer's `ByteBuffer`.
///
/// One buffer per answer, with the HTTP head written in front of it afterwards
/// (`ResponseHead`): no `String` is grown and then copied, numbers and timestamps are written as
/// digits without a `String` each (building strings and appending them was most of the 28% of
/// CPU the Swift runtime took per request, bench/ANALYSIS.md). The bytes are those
/// `JSONValue.write` and `formatISO8601` produce, which the Feast golden test pins.
enum ResponseJSON {
    /// A feature value as Feast's JSON shows it: numbers as numbers, text as strings, dates and
    /// timestamps as ISO-8601 text, NULL (and NaN/±∞, which JSON lacks) as `null`.
    static func write(_ v: Value, to out: inout ByteBuffer) {
        switch v {
        case .null: out.writeStaticString("null")
        case .boolean(let b): out.writeStaticString(b ? "true" : "false")
        case .int32(let i): decimal(Int64(i), to: &out)
        case .int64(let i): decimal(i, to: &out)
        case .double(let d):
            if d.isNaN || d.isInfinite { out.writeStaticString("null") } else { out.writeString(d.description) }
        case .string(let s): string(s, to: &out)
        case .date(let d):
            out.writeInteger(UInt8(ascii: "\""))
            out.writeString(formatDate(days: d))
            out.writeInteger(UInt8(ascii: "\""))
        case .timestamp(let t):
            out.writeInteger(UInt8(ascii: "\""))
            timestamp(t, to: &out)
            out.writeInteger(UInt8(ascii: "\""))
        }
    }

    /// A request's entity value echoed back, as `JSONValue.write` prints it.
    static func write(_ v: JSONValue, to out: inout ByteBuffer) {
        switch v {
        case .int(let i): decimal(i, to: &out)
        case .string(let s): string(s, to: &out)
        default: out.writeString(v.description)
        }
    }

    /// An integer in decimal, without a `String` in between.
    static func decimal(_ v: Int64, to out: inout ByteBuffer) {
        var scratch: (UInt64, UInt64, UInt64) = (0, 0, 0)
        withUnsafeMutableBytes(of: &scratch) { d in
            var n = v.magnitude
            var at = d.count
            repeat {
                at -= 1
                d[at] = UInt8(ascii: "0") + UInt8(n % 10)
                n /= 10
            } while n > 0
            if v < 0 { at -= 1; d[at] = UInt8(ascii: "-") }
            out.writeBytes(UnsafeRawBufferPointer(rebasing: d[at...]))
        }
    }

    /// UTC timestamp as protobuf's JSON mapping (which Feast's server uses) prints it: seconds
    /// only when there is no fraction, else 3 or 6 fraction digits. Unquoted.
    static func timestamp(_ micros: Int64, to out: inout ByteBuffer) {
        let frac = ((micros % 1_000_000) + 1_000_000) % 1_000_000
        let fractionDigits = frac == 0 ? 0 : (frac % 1_000 == 0 ? 3 : 6)
        let f = UTCFields(micros: micros)
        guard (0...9999).contains(f.date.year) else {
            out.writeString(formatISO8601(micros: micros, fractionDigits: fractionDigits))
            return
        }
        // YYYY-MM-DDTHH:MM:SS.ffffffZ is 27 bytes at most.
        var scratch: (UInt64, UInt64, UInt64, UInt64) = (0, 0, 0, 0)
        withUnsafeMutableBytes(of: &scratch) { d in
            var at = 0
            func put(_ value: Int, _ width: Int) {
                var v = value
                for k in stride(from: width - 1, through: 0, by: -1) {
                    d[at + k] = UInt8(ascii: "0") + UInt8(v % 10)
                    v /= 10
                }
                at += width
            }
            func put(_ byte: Unicode.Scalar) { d[at] = UInt8(ascii: byte); at += 1 }
            put(f.date.year, 4); put("-"); put(f.date.month, 2); put("-"); put(f.date.day, 2); put("T")
            put(f.hour, 2); put(":"); put(f.minute, 2); put(":"); put(f.second, 2)
            if fractionDigits > 0 {
                put(".")
                put(f.micro / (fractionDigits == 3 ? 1_000 : 1), fractionDigits)
            }
            put("Z")
            out.writeBytes(UnsafeRawBufferPointer(rebasing: d[..<at]))
        }
    }

    /// What Feast reports as the event timestamp of entity columns and missing keys.
    static let epochText: StaticString = "1970-01-01T00:00:00Z"

    /// A JSON string literal with `JSONValue.writeString`'s escapes: quote, backslash, `\n`,
    /// `\r`, `\t`, other control characters as `\u00xx`; everything else as its UTF-8 bytes.
    static func string(_ s: String, to out: inout ByteBuffer) {
        out.writeInteger(UInt8(ascii: "\""))
        if s.utf8.withContiguousStorageIfAvailable({ escaped($0, to: &out) }) == nil {
            var copy = s
            copy.withUTF8 { escaped($0, to: &out) }
        }
        out.writeInteger(UInt8(ascii: "\""))
    }

    private static func escaped(_ p: UnsafeBufferPointer<UInt8>, to out: inout ByteBuffer) {
        var run = 0
        for k in 0..<p.count {
            let b = p[k]
            guard b < 0x20 || b == UInt8(ascii: "\"") || b == UInt8(ascii: "\\") else { continue }
            out.writeBytes(UnsafeBufferPointer(rebasing: p[run..<k]))
            switch b {
            case UInt8(ascii: "\""): out.writeStaticString("\\\"")
            case UInt8(ascii: "\\"): out.writeStaticString("\\\\")
            case UInt8(ascii: "\n"): out.writeStaticString("\\n")
            case UInt8(ascii: "\r"): out.writeStaticString("\\r")
            case UInt8(ascii: "\t"): out.writeStaticString("\\t")
            default:
                let hex: StaticString = "0123456789abcdef"
                out.writeStaticString("\\u00")
                out.writeInteger(hex.utf8Start[Int(b >> 4)])
                out.writeInteger(hex.utf8Start[Int(b & 0xF)])
            }
            run = k + 1
        }
        out.writeBytes(UnsafeBufferPointer(rebasing: p[run...]))
    }

    /// `{"error": "..."}` for 4xx/5xx answers.
    static func error(_ message: String, to out: inout ByteBuffer) {
        out.writeStaticString("{\"error\":")
        string(message, to: &out)
        out.writeInteger(UInt8(ascii: "}"))
    }
}
