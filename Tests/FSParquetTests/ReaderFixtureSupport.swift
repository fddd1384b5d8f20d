import FSCore
@testable import FSParquet

/// The committed foreign fixtures (written by scripts/make_parquet_fixtures.py) and their
/// expected values, read without Python.
enum ReaderFixtures {
    static let directory: String = {
        var parts = String(#filePath).split(separator: "/", omittingEmptySubsequences: false)
        parts.removeLast()
        return parts.joined(separator: "/") + "/Fixtures/foreign"
    }()

    /// Names (without `.parquet`) of the flat fixtures, those with an `.expected.jsonl`.
    static let flatNames: [String] = {
        let names = (try? FileSystem.listDirectory(directory)) ?? []
        return names.filter { $0.hasSuffix(".expected.jsonl") }.map { String($0.dropLast(".expected.jsonl".count)) }
    }()

    static func path(_ name: String) -> String { "\(directory)/\(name).parquet" }

    static func bytes(_ name: String) throws -> [UInt8] { try FileSystem.readFile(path(name)) }

    /// The JSON lines of `<name><suffix>`.
    static func jsonLines(_ name: String, suffix: String = ".expected.jsonl") throws -> [JSONValue] {
        let data = try FileSystem.readFile("\(directory)/\(name)\(suffix)")
        var lines: [JSONValue] = []
        var start = 0
        for i in 0 ... data.count where i == data.count || data[i] == UInt8(ascii: "\n") {
            if i > start {
                let line = String(decoding: data[start ..< i], as: UTF8.self)
                lines.append(try JSONValue.parse(line))
            }
            start = i + 1
        }
        return lines
    }

    /// Whether `actual` equals the expected JSON rendering of a value (see the script's header:
    /// µs timestamps, day-number dates, "NaN"/"Infinity" strings, -0.0 kept). Doubles may differ
    /// by an ulp (decimals are converted with one rounding more than Python's).
    static func matches(_ actual: Value, _ expected: JSONValue) -> Bool {
        switch (actual, expected) {
        case (.null, .null): return true
        case (.boolean(let a), .bool(let b)): return a == b
        case (.int32(let a), _), (.date(let a), _): return expected.int64Value == Int64(a) && !isDouble(expected)
        case (.int64(let a), _), (.timestamp(let a), _): return expected.int64Value == a && !isDouble(expected)
        case (.double(let a), .string(let s)):
            switch s {
            case "NaN": return a.isNaN
            case "Infinity": return a == .infinity
            case "-Infinity": return a == -.infinity
            default: return false
            }
        case (.double(let a), _):
            guard let b = expected.doubleValue else { return false }
            if b == 0 { return a == 0 && a.sign == b.sign }
            return a == b || abs(a - b) <= 2 * b.ulp
        case (.string(let a), .string(let b)): return a == b
        default: return false
        }
    }

    private static func isDouble(_ v: JSONValue) -> Bool { if case .double(let d) = v { return d != d.rounded() } else { return false } }
}
