/// A small JSON document model for the edges of the system: Delta log actions, definition files,
/// run summaries. Objects keep their keys in document (or construction) order, so output is
/// deterministic without sorting. Integers without fraction or exponent stay exact `Int64`
/// (Kafka offsets, Delta versions); everything else numeric is `Double`.
///
/// Not for hot loops: the ingest path has its own zero-allocation scanner.
public enum JSONValue: Sendable, Hashable, CustomStringConvertible {
    case null
    case bool(Bool)
    case int(Int64)
    case double(Double)
    case string(String)
    case array([JSONValue])
    case object([(String, JSONValue)])

    public static func == (a: JSONValue, b: JSONValue) -> Bool {
        switch (a, b) {
        case (.null, .null): return true
        case (.bool(let x), .bool(let y)): return x == y
        case (.int(let x), .int(let y)): return x == y
        case (.double(let x), .double(let y)): return x == y || (x.isNaN && y.isNaN)
        case (.int(let x), .double(let y)), (.double(let y), .int(let x)): return Double(x) == y
        case (.string(let x), .string(let y)): return x == y
        case (.array(let x), .array(let y)): return x == y
        case (.object(let x), .object(let y)):
            return x.count == y.count && zip(x, y).allSatisfy { $0.0 == $1.0 && $0.1 == $1.1 }
        default: return false
        }
    }

    public func hash(into h: inout Hasher) {
        switch self {
        case .null: h.combine(0)
        case .bool(let b): h.combine(b)
        case .int(let i): h.combine(Double(i))
        case .double(let d): h.combine(d)
        case .string(let s): h.combine(s)
        case .array(let a): h.combine(a)
        case .object(let o): for (k, v) in o { h.combine(k); h.combine(v) }
        }
    }

    // MARK: Access

    public subscript(key: String) -> JSONValue? {
        guard case .object(let pairs) = self else { return nil }
        return pairs.first(where: { $0.0 == key })?.1
    }

    public var stringValue: String? { if case .string(let s) = self { return s }; return nil }
    public var boolValue: Bool? { if case .bool(let b) = self { return b }; return nil }
    public var int64Value: Int64? {
        switch self {
        case .int(let i): return i
        case .double(let d) where d == d.rounded() && abs(d) < 9.2e18: return Int64(d)
        default: return nil
        }
    }
    public var doubleValue: Double? {
        switch self {
        case .int(let i): return Double(i)
        case .double(let d): return d
        default: return nil
        }
    }
    public var arrayValue: [JSONValue]? { if case .array(let a) = self { return a }; return nil }
    public var objectValue: [(String, JSONValue)]? { if case .object(let o) = self { return o }; return nil }
    public var isNull: Bool { if case .null = self { return true }; return false }

    // MARK: Serialization

    /// Compact JSON text (no spaces), keys in stored order.
    public var description: String {
        var out = ""
        write(to: &out)
        return out
    }

    /// Appends the compact text to `out`. `doubles` formats finite and infinite doubles when
    /// given (Spark's `get_json_object` prints them its own way); without it, a NaN or infinity
    /// is `null` and an integral double ends in `.0`.
    public func write(to out: inout String, doubles: ((Double) -> String)? = nil) {
        switch self {
        case .null: out += "null"
        case .bool(let b): out += b ? "true" : "false"
        case .int(let i): out += String(i)
        case .double(let d):
            if let doubles { out += doubles(d) }
            else if d.isNaN || d.isInfinite { out += "null" }  // JSON has no NaN; callers encode it as a string when they need it
            else if d == d.rounded(), abs(d) < 1e15 { out += String(Int64(d)) + ".0" }
            else { out += "\(d)" }
        case .string(let s): JSONValue.writeString(s, to: &out)
        case .array(let a):
            out += "["
            for (i, v) in a.enumerated() { if i > 0 { out += "," }; v.write(to: &out, doubles: doubles) }
            out += "]"
        case .object(let o):
            out += "{"
            for (i, (k, v)) in o.enumerated() {
                if i > 0 { out += "," }
                JSONValue.writeString(k, to: &out)
                out += ":"
                v.write(to: &out, doubles: doubles)
            }
            out += "}"
        }
    }

    /// Writes `s` as a JSON string literal: quote and backslash escaped, control characters as
    /// the two-character escapes of newline, return and tab or as u00XX escapes, everything else
    /// as is. The UTF-8 bytes are scanned once; a string that needs no escape is appended as
    /// it is, one that does is built in a byte buffer (runs between escapes copied whole) and
    /// appended once: a Delta commit's adds carry each file's statistics as an escaped string
    /// with an escape every few bytes, and appending each run as its own `String` was most of
    /// fs-agg-online's log encoding (365 adds, in its serial commit).
    public static func writeString(_ s: String, to out: inout String) {
        var s = s
        let escaped: String? = s.withUTF8 { bytes in
            guard let first = bytes.firstIndex(where: needsEscape) else { return nil }
            var buffer: [UInt8] = []
            buffer.reserveCapacity(bytes.count + bytes.count / 4 + 8)
            var start = 0
            for i in first..<bytes.count {
                let b = bytes[i]
                guard needsEscape(b) else { continue }
                if start < i { buffer.append(contentsOf: UnsafeBufferPointer(rebasing: bytes[start..<i])) }
                switch b {
                case UInt8(ascii: "\""): buffer.append(UInt8(ascii: "\\")); buffer.append(b)
                case UInt8(ascii: "\\"): buffer.append(b); buffer.append(b)
                case UInt8(ascii: "\n"): buffer.append(UInt8(ascii: "\\")); buffer.append(UInt8(ascii: "n"))
                case UInt8(ascii: "\r"): buffer.append(UInt8(ascii: "\\")); buffer.append(UInt8(ascii: "r"))
                case UInt8(ascii: "\t"): buffer.append(UInt8(ascii: "\\")); buffer.append(UInt8(ascii: "t"))
                default:
                    for c in "\\u00".utf8 { buffer.append(c) }
                    buffer.append(hexDigit(b >> 4)); buffer.append(hexDigit(b & 15))
                }
                start = i + 1
            }
            if start < bytes.count { buffer.append(contentsOf: UnsafeBufferPointer(rebasing: bytes[start...])) }
            return String(decoding: buffer, as: UTF8.self)
        }
        out += "\""
        out += escaped ?? s
        out += "\""
    }

    /// Bytes `writeString` escapes: control characters, quote and backslash.
    @inline(__always)
    private static func needsEscape(_ b: UInt8) -> Bool { b < 0x20 || b == UInt8(ascii: "\"") || b == UInt8(ascii: "\\") }

    /// The lower-case hex digit of `nibble` (0–15).
    @inline(__always)
    private static func hexDigit(_ nibble: UInt8) -> UInt8 { nibble < 10 ? UInt8(ascii: "0") + nibble : UInt8(ascii: "a") + nibble - 10 }

    // MARK: Parsing

    /// Parses one JSON document; trailing whitespace only.
    public static func parse(_ text: String) throws(JSONParseError) -> JSONValue {
        var t = text
        let result: Result<JSONValue, JSONParseError> = t.withUTF8 { p in Result { () throws(JSONParseError) in try parse(utf8: p) } }
        return try result.get()
    }

    public static func parse(utf8 p: UnsafeBufferPointer<UInt8>) throws(JSONParseError) -> JSONValue {
        var parser = JSONParser(p)
        let v = try parser.parseValue(depth: 0)
        parser.skipWhitespace()
        if parser.i != p.count { throw JSONParseError(offset: parser.i, reason: "trailing characters after the JSON value") }
        return v
    }
}

/// A JSON syntax error at a byte offset.
public struct JSONParseError: Error, CustomStringConvertible, Equatable {
    public var offset: Int
    public var reason: String
    public var description: String { "invalid JSON at byte \(offset): \(reason)" }
}

private struct JSONParser {
    let p: UnsafeBufferPointer<UInt8>
    var i = 0
    init(_ p: UnsafeBufferPointer<UInt8>) { self.p = p }

    mutating func skipWhitespace() {
        while i < p.count, p[i] == 0x20 || p[i] == 0x0A || p[i] == 0x0D || p[i] == 0x09 { i += 1 }
    }

    func fail(_ reason: String) -> JSONParseError { JSONParseError(offset: i, reason: reason) }

    /// Steps over the opening bracket of an array or object; false when `close` follows at once
    /// (an empty container, its close consumed too).
    mutating func openContainer(close: UInt8) -> Bool {
        i += 1
        skipWhitespace()
        guard i < p.count, p[i] == close else { return true }
        i += 1
        return false
    }

    /// After a member of an array or object: true at ',' (another member follows), false at
    /// `close` (the container ends); anything else is the error, naming what was expected.
    mutating func nextMember(close: UInt8, container: String) throws(JSONParseError) -> Bool {
        skipWhitespace()
        guard i < p.count else { throw fail("unterminated \(container)") }
        if p[i] == UInt8(ascii: ",") { i += 1; return true }
        if p[i] == close { i += 1; return false }
        throw fail("expected ',' or '\(Character(Unicode.Scalar(close)))'")
    }

    mutating func parseValue(depth: Int) throws(JSONParseError) -> JSONValue {
        guard depth < 512 else { throw fail("nesting deeper than 512") }
        skipWhitespace()
        guard i < p.count else { throw fail("unexpected end of input") }
        switch p[i] {
        case UInt8(ascii: "{"):
            var pairs: [(String, JSONValue)] = []
            guard openContainer(close: UInt8(ascii: "}")) else { return .object(pairs) }
            repeat {
                skipWhitespace()
                guard i < p.count, p[i] == UInt8(ascii: "\"") else { throw fail("expected a string key") }
                let k = try parseString()
                skipWhitespace()
                guard i < p.count, p[i] == UInt8(ascii: ":") else { throw fail("expected ':'") }
                i += 1
                pairs.append((k, try parseValue(depth: depth + 1)))
            } while try nextMember(close: UInt8(ascii: "}"), container: "object")
            return .object(pairs)
        case UInt8(ascii: "["):
            var items: [JSONValue] = []
            guard openContainer(close: UInt8(ascii: "]")) else { return .array(items) }
            repeat {
                items.append(try parseValue(depth: depth + 1))
            } while try nextMember(close: UInt8(ascii: "]"), container: "array")
            return .array(items)
        case UInt8(ascii: "\""):
            return .string(try parseString())
        case UInt8(ascii: "t"): try literal("true"); return .bool(true)
        case UInt8(ascii: "f"): try literal("false"); return .bool(false)
        case UInt8(ascii: "n"): try literal("null"); return .null
        default:
            return try parseNumber()
        }
    }

    mutating func literal(_ word: StaticString) throws(JSONParseError) {
        let n = word.utf8CodeUnitCount
        guard i + n <= p.count else { throw fail("unexpected end of input") }
        for k in 0..<n where p[i + k] != word.utf8Start[k] { throw fail("invalid literal") }
        i += n
    }

    mutating func parseNumber() throws(JSONParseError) -> JSONValue {
        let start = i
        if i < p.count, p[i] == UInt8(ascii: "-") { i += 1 }
        var isInteger = true
        let digitsStart = i
        while i < p.count, p[i] >= 48, p[i] <= 57 { i += 1 }
        guard i > digitsStart else { throw JSONParseError(offset: start, reason: "unexpected character") }
        if i < p.count, p[i] == UInt8(ascii: ".") {
            isInteger = false; i += 1
            let f = i
            while i < p.count, p[i] >= 48, p[i] <= 57 { i += 1 }
            guard i > f else { throw fail("digits expected after '.'") }
        }
        if i < p.count, p[i] == UInt8(ascii: "e") || p[i] == UInt8(ascii: "E") {
            isInteger = false; i += 1
            if i < p.count, p[i] == UInt8(ascii: "+") || p[i] == UInt8(ascii: "-") { i += 1 }
            let e = i
            while i < p.count, p[i] >= 48, p[i] <= 57 { i += 1 }
            guard i > e else { throw fail("digits expected in exponent") }
        }
        let text = String(decoding: UnsafeBufferPointer(rebasing: p[start..<i]), as: UTF8.self)
        if isInteger, let v = Int64(text) { return .int(v) }
        guard let d = Double(text) else { throw JSONParseError(offset: start, reason: "number out of range") }
        return .double(d)
    }

    /// A string's bytes are scanned in runs up to the next quote, backslash or control
    /// character, and each run is copied whole: a Delta commit's adds carry their statistics as
    /// escaped strings of ~2 KB, and appending byte by byte made parsing fs-agg-online's input
    /// commit (365 adds, 0.8 MB, parsed before any row is read) ~60 MB/s. A string without
    /// escapes — keys, paths, values — is copied once, straight from the input.
    mutating func parseString() throws(JSONParseError) -> String {
        i += 1  // opening quote
        let start = i
        scanRun()
        guard i < p.count else { throw fail("unterminated string") }
        if p[i] == UInt8(ascii: "\"") {
            i += 1
            return try validated(UnsafeBufferPointer(rebasing: p[start..<(i - 1)]))
        }
        // The decoded string is never longer than the rest of the input (an escape only shrinks).
        var bytes: [UInt8] = []
        bytes.reserveCapacity(min(p.count - start, 1 << 16))
        bytes.append(contentsOf: UnsafeBufferPointer(rebasing: p[start..<i]))
        while true {
            guard i < p.count else { throw fail("unterminated string") }
            let c = p[i]
            if c == UInt8(ascii: "\"") { i += 1; break }
            if c < 0x20 { throw fail("control character in string") }
            i += 1
            guard i < p.count else { throw fail("unterminated escape") }
            let e = p[i]; i += 1
            switch e {
            case UInt8(ascii: "\""): bytes.append(0x22)
            case UInt8(ascii: "\\"): bytes.append(0x5C)
            case UInt8(ascii: "/"): bytes.append(0x2F)
            case UInt8(ascii: "b"): bytes.append(0x08)
            case UInt8(ascii: "f"): bytes.append(0x0C)
            case UInt8(ascii: "n"): bytes.append(0x0A)
            case UInt8(ascii: "r"): bytes.append(0x0D)
            case UInt8(ascii: "t"): bytes.append(0x09)
            case UInt8(ascii: "u"):
                var scalar = try hex4()
                if scalar >= 0xD800 && scalar < 0xDC00 {
                    guard i + 1 < p.count, p[i] == UInt8(ascii: "\\"), p[i + 1] == UInt8(ascii: "u") else { throw fail("unpaired surrogate") }
                    i += 2
                    let low = try hex4()
                    guard low >= 0xDC00 && low < 0xE000 else { throw fail("invalid low surrogate") }
                    scalar = 0x10000 + ((scalar - 0xD800) << 10) + (low - 0xDC00)
                } else if scalar >= 0xDC00 && scalar < 0xE000 {
                    throw fail("unpaired surrogate")
                }
                guard let u = Unicode.Scalar(scalar) else { throw fail("invalid code point") }
                bytes.append(contentsOf: Array(String(Character(u)).utf8))
            default: throw fail("invalid escape")
            }
            let run = i
            scanRun()
            if run < i { bytes.append(contentsOf: UnsafeBufferPointer(rebasing: p[run..<i])) }
        }
        return try bytes.withUnsafeBufferPointer { b throws(JSONParseError) in try validated(b) }
    }

    /// Steps over bytes that stand for themselves in a string: up to the next quote, backslash
    /// or control character (which the caller judges), or the end of the input.
    mutating func scanRun() {
        while i < p.count {
            let c = p[i]
            if c == UInt8(ascii: "\"") || c == UInt8(ascii: "\\") || c < 0x20 { return }
            i += 1
        }
    }

    func validated(_ bytes: UnsafeBufferPointer<UInt8>) throws(JSONParseError) -> String {
        guard let s = String(validating: bytes, as: UTF8.self) else { throw fail("string is not valid UTF-8") }
        return s
    }

    mutating func hex4() throws(JSONParseError) -> UInt32 {
        guard i + 4 <= p.count else { throw fail("short \\u escape") }
        var v: UInt32 = 0
        for _ in 0..<4 {
            let c = p[i]; i += 1
            let d: UInt32
            switch c {
            case 48...57: d = UInt32(c - 48)
            case 65...70: d = UInt32(c - 55)
            case 97...102: d = UInt32(c - 87)
            default: throw fail("bad hex digit in \\u escape")
            }
            v = v << 4 | d
        }
        return v
    }
}
