import FSCore
import Foundation
@testable import FSExpr

/// One golden file written by `scripts/golden/expr_goldens.py`: a typed table, its rows, and
/// cases with the result PySpark computed (or the error it raised).
struct GoldenFile {
    struct Case {
        enum Expectation {
            case values(sparkType: String, [JSONValue])
            case error(String)
        }
        var expression: String
        var line: Int
        var expectation: Expectation
    }

    var name: String
    var schema: Schema
    var batch: RecordBatch
    var cases: [Case]

    /// The directory the test bundle copies `Tests/FSExprTests/Goldens` to.
    static var directory: URL? { Bundle.module.url(forResource: "Goldens", withExtension: nil) }

    static func load(_ name: String) throws -> GoldenFile {
        guard let dir = directory else { throw GoldenError("the Goldens resource directory is missing from the test bundle") }
        let url = dir.appendingPathComponent(name + ".txt")
        guard let text = try? String(contentsOf: url, encoding: .utf8) else {
            throw GoldenError("golden file \(name).txt is missing: run scripts/golden/expr_goldens.py (make golden)")
        }
        return try parse(name: name, text: text)
    }

    static func parse(name: String, text: String) throws -> GoldenFile {
        var fields: [Field] = []
        var rows: [[JSONValue]] = []
        var cases: [Case] = []
        var pending: (String, Int)?
        var pendingType: String?
        for (index, raw) in text.split(separator: "\n", omittingEmptySubsequences: false).enumerated() {
            let line = String(raw)
            let lineNumber = index + 1
            if line.isEmpty || line.hasPrefix("#") { continue }
            guard let space = line.firstIndex(of: " ") else { throw GoldenError("\(name).txt:\(lineNumber): malformed line '\(line)'") }
            let keyword = line[..<space], rest = String(line[line.index(after: space)...])
            switch keyword {
            case "table":
                for spec in rest.split(separator: " ") {
                    let parts = spec.split(separator: ":")
                    guard parts.count == 2, let t = sparkType(String(parts[1])) else { throw GoldenError("\(name).txt:\(lineNumber): bad column '\(spec)'") }
                    fields.append(Field(String(parts[0]), t))
                }
            case "row":
                guard case .array(let values) = try JSONValue.parse(rest), values.count == fields.count else {
                    throw GoldenError("\(name).txt:\(lineNumber): row must be a JSON array of \(fields.count) values")
                }
                rows.append(values)
            case "case":
                pending = (rest, lineNumber)
                pendingType = nil
            case "type":
                pendingType = rest
            case "expect":
                guard let (expr, at) = pending, let t = pendingType, case .array(let values) = try JSONValue.parse(rest) else {
                    throw GoldenError("\(name).txt:\(lineNumber): 'expect' without 'case' and 'type'")
                }
                cases.append(Case(expression: expr, line: at, expectation: .values(sparkType: t, values)))
                pending = nil
            case "error":
                guard let (expr, at) = pending else { throw GoldenError("\(name).txt:\(lineNumber): 'error' without 'case'") }
                cases.append(Case(expression: expr, line: at, expectation: .error(rest)))
                pending = nil
            default:
                throw GoldenError("\(name).txt:\(lineNumber): unknown keyword '\(keyword)'")
            }
        }
        let schema = Schema(fields)
        var columns: [Column] = []
        for (k, f) in fields.enumerated() {
            var b = ColumnBuilder(type: f.type, capacity: rows.count)
            for r in rows { b.append(try value(r[k], as: f.type)) }
            columns.append(b.finish())
        }
        let batch = fields.isEmpty ? RecordBatch.empty(schema) : RecordBatch(schema: schema, columns: columns)
        return GoldenFile(name: name, schema: schema, batch: batch, cases: cases)
    }

    /// Spark's `simpleString` type names; decimals and `void` have no fs type (nil).
    static func sparkType(_ s: String) -> DataType? {
        switch s {
        case "int": return .int32
        case "bigint": return .int64
        case "double", "float": return .double
        case "string": return .string
        case "boolean": return .boolean
        case "date": return .date
        case "timestamp": return .timestamp
        default: return nil
        }
    }

    /// A golden JSON cell as a typed value.
    static func value(_ j: JSONValue, as t: DataType) throws -> Value {
        if case .null = j { return .null }
        switch (t, j) {
        case (.int32, .int(let v)): return .int32(Int32(v))
        case (.int64, .int(let v)): return .int64(v)
        case (.double, _):
            if let d = double(j) { return .double(d) }
        case (.string, .string(let s)): return .string(s)
        case (.boolean, .bool(let b)): return .boolean(b)
        case (.date, .string(let s)):
            if let d = parseDate(s) { return .date(d) }
        case (.timestamp, .string(let s)):
            if let ts = SparkCast.parseTimestamp(s) { return .timestamp(ts) }
        default: break
        }
        throw GoldenError("cannot read \(j) as \(t)")
    }

    static func double(_ j: JSONValue) -> Double? {
        switch j {
        case .double(let d): return d
        case .int(let i): return Double(i)
        case .string("NaN"): return .nan
        case .string("Infinity"): return .infinity
        case .string("-Infinity"): return -.infinity
        default: return nil
        }
    }
}

struct GoldenError: Error, CustomStringConvertible {
    var description: String
    init(_ d: String) { description = d }
}
