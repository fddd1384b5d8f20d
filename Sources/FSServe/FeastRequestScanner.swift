import FSCore

/// Reads the usual shape of a `POST /get-online-features` body straight from its bytes, without
/// building a `JSONValue` tree first.
///
/// Building the tree (an enum per value, an array of pairs per object, a `String` per key) was
/// 7.4% of a one-customer request's CPU under 16 connections (bench/ANALYSIS.md). The scanner
/// accepts the plain form clients send — an object with `entities` (join key → array of integers
/// or strings), `features` (array of strings) and an optional `full_feature_names` boolean, any
/// key order, any JSON whitespace — and answers nil for everything else: escapes in strings,
/// fractions or exponents in numbers, unknown or repeated fields, limits exceeded, malformed
/// JSON. On nil the caller runs the full parser (`FeastRequest.parseTree`), which also writes the
/// error messages, so every request gets the same answer either way; the scanner only decides
/// how fast it is found.
struct FeastRequestScanner {
    private let bytes: UnsafeBufferPointer<UInt8>
    private var i = 0

    private init(_ bytes: UnsafeBufferPointer<UInt8>) { self.bytes = bytes }

    /// The request, or nil when the body is not in the plain shape (see the type).
    static func scan(_ body: UnsafeRawBufferPointer, maxKeys: Int, defaultTable: String?) -> FeastRequest? {
        var scanner = FeastRequestScanner(body.bindMemory(to: UInt8.self))
        return scanner.request(maxKeys: maxKeys, defaultTable: defaultTable)
    }

    private mutating func request(maxKeys: Int, defaultTable: String?) -> FeastRequest? {
        guard take(UInt8(ascii: "{")) else { return nil }
        var entities: [(name: String, values: [JSONValue])]?
        var rowCount = 0
        var features: [(table: String, feature: String)]?
        var full: Bool?
        repeat {
            guard let key = string(), take(UInt8(ascii: ":")) else { return nil }
            switch key {
            case "entities":
                guard entities == nil, let e = entityObject(maxKeys: maxKeys) else { return nil }
                entities = e.columns
                rowCount = e.rows
            case "features":
                guard features == nil, let f = featureArray(defaultTable: defaultTable) else { return nil }
                features = f
            case "full_feature_names":
                guard full == nil, let b = boolean() else { return nil }
                full = b
            default:
                return nil
            }
        } while take(UInt8(ascii: ","))
        guard take(UInt8(ascii: "}")) else { return nil }
        skipWhitespace()
        guard i == bytes.count, let entities, let features else { return nil }
        return FeastRequest(entities: entities, features: features, fullFeatureNames: full ?? false, rowCount: rowCount)
    }

    /// `{"name": [v, …], …}` with at least one column, equal lengths, at most `maxKeys` rows.
    private mutating func entityObject(maxKeys: Int) -> (columns: [(name: String, values: [JSONValue])], rows: Int)? {
        guard take(UInt8(ascii: "{")) else { return nil }
        var columns: [(name: String, values: [JSONValue])] = []
        var rows: Int?
        repeat {
            guard let name = string(), take(UInt8(ascii: ":")), take(UInt8(ascii: "[")) else { return nil }
            var values: [JSONValue] = []
            if !take(UInt8(ascii: "]")) {
                repeat {
                    guard let v = keyValue() else { return nil }
                    values.append(v)
                    if values.count > maxKeys { return nil }
                } while take(UInt8(ascii: ","))
                guard take(UInt8(ascii: "]")) else { return nil }
            }
            if let r = rows, r != values.count { return nil }
            rows = values.count
            columns.append((name, values))
        } while take(UInt8(ascii: ","))
        guard take(UInt8(ascii: "}")), let rows else { return nil }
        return (columns, rows)
    }

    /// `["table:feature", …]`, at least one; bare names only when `defaultTable` resolves them.
    private mutating func featureArray(defaultTable: String?) -> [(table: String, feature: String)]? {
        guard take(UInt8(ascii: "[")) else { return nil }
        var features: [(table: String, feature: String)] = []
        repeat {
            guard let text = string() else { return nil }
            if let colon = text.utf8.firstIndex(of: UInt8(ascii: ":")) {
                features.append((String(text[..<colon]), String(text[text.utf8.index(after: colon)...])))
            } else if let t = defaultTable {
                features.append((t, text))
            } else {
                return nil
            }
        } while take(UInt8(ascii: ","))
        guard take(UInt8(ascii: "]")) else { return nil }
        return features
    }

    /// An entity value: a string without escapes, or an integer without fraction or exponent.
    private mutating func keyValue() -> JSONValue? {
        skipWhitespace()
        guard i < bytes.count else { return nil }
        if bytes[i] == UInt8(ascii: "\"") { return string().map(JSONValue.string) }
        return integer().map(JSONValue.int)
    }

    /// `-?(0|[1-9][0-9]*)` of at most 18 digits (always fits in Int64), followed by a delimiter.
    private mutating func integer() -> Int64? {
        var negative = false
        if i < bytes.count, bytes[i] == UInt8(ascii: "-") { negative = true; i += 1 }
        let start = i
        var v: Int64 = 0
        while i < bytes.count, bytes[i] >= UInt8(ascii: "0"), bytes[i] <= UInt8(ascii: "9") {
            v = v * 10 + Int64(bytes[i] - UInt8(ascii: "0"))
            i += 1
        }
        let digits = i - start
        guard digits > 0, digits <= 18, !(digits > 1 && bytes[start] == UInt8(ascii: "0")) else { return nil }
        // A fraction or exponent makes it a JSON double: the full parser decides what that means.
        if i < bytes.count, bytes[i] == UInt8(ascii: ".") || bytes[i] == UInt8(ascii: "e") || bytes[i] == UInt8(ascii: "E") { return nil }
        return negative ? -v : v
    }

    private mutating func boolean() -> Bool? {
        skipWhitespace()
        if matches("true") { return true }
        if matches("false") { return false }
        return nil
    }

    private mutating func matches(_ literal: StaticString) -> Bool {
        let n = literal.utf8CodeUnitCount
        guard bytes.count - i >= n else { return false }
        for k in 0..<n where bytes[i + k] != literal.utf8Start[k] { return false }
        i += n
        return true
    }

    /// A string without escapes or control characters, valid UTF-8; nil otherwise.
    private mutating func string() -> String? {
        guard take(UInt8(ascii: "\"")) else { return nil }
        let start = i
        while i < bytes.count {
            let b = bytes[i]
            if b == UInt8(ascii: "\"") {
                let text = String(validating: UnsafeBufferPointer(rebasing: bytes[start..<i]), as: UTF8.self)
                i += 1
                return text
            }
            if b == UInt8(ascii: "\\") || b < 0x20 { return nil }
            i += 1
        }
        return nil
    }

    /// Skips whitespace, then consumes `byte` if it is next.
    private mutating func take(_ byte: UInt8) -> Bool {
        skipWhitespace()
        guard i < bytes.count, bytes[i] == byte else { return false }
        i += 1
        return true
    }

    private mutating func skipWhitespace() {
        while i < bytes.count {
            switch bytes[i] {
            case UInt8(ascii: " "), UInt8(ascii: "\n"), UInt8(ascii: "\r"), UInt8(ascii: "\t"): i += 1
            default: return
            }
        }
    }
}
