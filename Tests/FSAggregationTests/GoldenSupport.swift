import FSCore
@testable import FSAggregation
#if canImport(Glibc)
import Glibc
#elseif canImport(Darwin)
import Darwin
#endif

/// The committed golden inputs and expectations (Tests/FSAggregationTests/Goldens), read without
/// Python. Regenerate with `make golden` / scripts/golden/agg_goldens.py.
enum Goldens {
    static var directory: String { repositoryRoot() + "/Tests/FSAggregationTests/Goldens" }

    static func text(_ name: String) throws -> String {
        String(decoding: try FileSystem.readFile(directory + "/" + name), as: UTF8.self)
    }

    /// agg_input.tsv as a batch: header `name:type`, `\N` = NULL, strings JSON-quoted.
    static func inputBatch() throws -> RecordBatch {
        let lines = try text("agg_input.tsv").split(separator: "\n", omittingEmptySubsequences: true)
        guard let header = lines.first else { throw GoldenError("empty agg_input.tsv") }
        var fields: [Field] = []
        for h in header.split(separator: "\t") {
            let parts = h.split(separator: ":")
            guard parts.count == 2, let t = DataType(rawValue: String(parts[1])) else { throw GoldenError("bad header \(h)") }
            fields.append(Field(String(parts[0]), t))
        }
        var builders = fields.map { ColumnBuilder(type: $0.type) }
        for (ln, line) in lines.dropFirst().enumerated() {
            let cells = line.split(separator: "\t", omittingEmptySubsequences: false)
            guard cells.count == fields.count else { throw GoldenError("line \(ln + 2): \(cells.count) cells") }
            for (c, cell) in cells.enumerated() {
                guard let v = parseCell(String(cell), fields[c].type) else { throw GoldenError("line \(ln + 2): bad \(fields[c].type) \(cell)") }
                builders[c].append(v)
            }
        }
        return RecordBatch(schema: Schema(fields), columns: builders.map { $0.finish() })
    }

    static func parseCell(_ s: String, _ t: DataType) -> Value? {
        if s == "\\N" { return .null }
        switch t {
        case .boolean: return s == "true" ? .boolean(true) : (s == "false" ? .boolean(false) : nil)
        case .int32: return Int32(s).map { .int32($0) }
        case .int64: return Int64(s).map { .int64($0) }
        case .double: return parseDouble(s).map { .double($0) }
        case .string: return (try? JSONValue.parse(s))?.stringValue.map { .string($0) }
        case .date: return parseDate(s).map { .date($0) }
        case .timestamp: return parseTimestamp(s).map { .timestamp($0) }
        }
    }

    static func parseDouble(_ s: String) -> Double? {
        switch s {
        case "NaN": return .nan
        case "Infinity": return .infinity
        case "-Infinity": return -.infinity
        default: return Double(s)
        }
    }

    /// FS_RECORD=1: regenerate the goldens with the reference engine, then fail the run so the
    /// new files are reviewed before they are trusted.
    static var isRecording: Bool { getenv("FS_RECORD").map { String(cString: $0) == "1" } ?? false }

    static func record(script: String) -> String {
        let python = getenv("PYTHON").map { String(cString: $0) } ?? "python3"
        let status = system("\(python) \(repositoryRoot())/\(script)")
        return "FS_RECORD=1: re-ran \(script) (exit status \(status)); review the golden diff, then run the tests without FS_RECORD"
    }
}

struct GoldenError: Error, CustomStringConvertible {
    var description: String
    init(_ d: String) { description = d }
}

/// One block of aggregates.txt.
struct AggregateGolden: CustomStringConvertible, Sendable {
    var sql: String
    var kind: AggregateKind
    var argumentNames: [String]
    var isDistinct: Bool
    var ignoreNulls: Bool
    var filterColumn: String?
    var parameters: [Value]
    var sparkType: String
    /// "*" (global), "(empty)", or "k=<json>" → expected text.
    var expected: [(String, String)]

    var description: String { sql }

    static func parseAll(_ text: String) throws -> [AggregateGolden] {
        var out: [AggregateGolden] = []
        for block in text.split(separator: "\n\n") {
            let lines = block.split(separator: "\n").filter { !$0.hasPrefix("#") }
            guard let first = lines.first, first.hasPrefix("== ") else { continue }
            var g = AggregateGolden(sql: String(first.dropFirst(3)), kind: .count, argumentNames: [], isDistinct: false,
                                    ignoreNulls: false, filterColumn: nil, parameters: [], sparkType: "", expected: [])
            for line in lines.dropFirst() {
                if line.hasPrefix("spec: ") {
                    for item in line.dropFirst(6).split(separator: " ") {
                        let kv = item.split(separator: "=", maxSplits: 1).map(String.init)
                        guard kv.count == 2 else { throw GoldenError("bad spec item \(item) in \(g.sql)") }
                        switch kv[0] {
                        case "kind":
                            guard let k = AggregateKind(rawValue: kv[1]) else { throw GoldenError("unknown kind \(kv[1])") }
                            g.kind = k
                        case "args": g.argumentNames = kv[1] == "-" ? [] : kv[1].split(separator: ",").map(String.init)
                        case "distinct": g.isDistinct = kv[1] == "1"
                        case "ignoreNulls": g.ignoreNulls = kv[1] == "1"
                        case "filter": g.filterColumn = kv[1] == "-" ? nil : kv[1]
                        case "params":
                            g.parameters = kv[1] == "-" ? [] : kv[1].split(separator: ",").map { p in
                                Int64(p).map { Value.int64($0) } ?? .double(Double(p) ?? .nan)
                            }
                        default: throw GoldenError("unknown spec key \(kv[0])")
                        }
                    }
                } else if line.hasPrefix("type: ") {
                    g.sparkType = String(line.dropFirst(6))
                } else if let r = line.range(of: " => ") {
                    g.expected.append((String(line[..<r.lowerBound]), String(line[r.upperBound...])))
                }
            }
            out.append(g)
        }
        return out
    }
}

extension DataType {
    /// Spark's `simpleString` of the type.
    var sparkSimpleName: String {
        switch self {
        case .boolean: return "boolean"
        case .int32: return "int"
        case .int64: return "bigint"
        case .double: return "double"
        case .string: return "string"
        case .date: return "date"
        case .timestamp: return "timestamp"
        }
    }
}

extension String {
    func range(of needle: String) -> Range<String.Index>? {
        guard !needle.isEmpty else { return nil }
        var i = startIndex
        while i < endIndex {
            if self[i...].hasPrefix(needle) { return i..<index(i, offsetBy: needle.count) }
            i = index(after: i)
        }
        return nil
    }
}

extension Substring {
    func range(of needle: String) -> Range<String.Index>? {
        guard !needle.isEmpty else { return nil }
        var i = startIndex
        while i < endIndex {
            if self[i...].hasPrefix(needle) { return i..<index(i, offsetBy: needle.count) }
            i = index(after: i)
        }
        return nil
    }
}
