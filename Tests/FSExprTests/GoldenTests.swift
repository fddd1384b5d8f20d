import FSCore
import Foundation
import Testing
@testable import FSExpr

/// Every golden case PySpark computed must come out of parse → bind → evaluate identically
/// (doubles within 1e-12 relative), and every expression Spark rejects must be rejected.
struct GoldenTests {
    /// The files `scripts/golden/expr_goldens.py` writes; a missing one fails the run.
    static let files = ["arithmetic", "comparison", "logic", "conditional", "math", "casts", "strings", "dates", "json", "errors"]

    @Test(arguments: files)
    func goldenCasesMatchSpark(file: String) throws {
        if ProcessInfo.processInfo.environment["FS_RECORD"] == "1" {
            Issue.record("FS_RECORD=1: expression goldens are recorded by PySpark, not by Swift — run `make golden` (scripts/golden/expr_goldens.py), review the diff, then rerun without FS_RECORD")
            return
        }
        let golden = try GoldenFile.load(file)
        #expect(!golden.cases.isEmpty, "\(file).txt has no cases")
        let context = EvaluationContext(nowMicros: 1_700_000_000_000_000)
        for c in golden.cases {
            let place = "\(file).txt:\(c.line) `\(c.expression)`"
            switch c.expectation {
            case .error(let sparkMessage):
                #expect(throws: ExprError.self, "\(place): Spark rejects it (\(sparkMessage))") {
                    try Binder(schema: golden.schema).bind(c.expression)
                }
            case .values(let sparkType, let expected):
                let bound: BoundExpr
                do {
                    bound = try Binder(schema: golden.schema).bind(c.expression)
                } catch {
                    Issue.record("\(place): \(error)")
                    continue
                }
                let column = Evaluator.evaluate(bound, on: golden.batch, context: context)
                if let t = GoldenFile.sparkType(sparkType) {
                    #expect(column.type == t, "\(place): type \(column.type), Spark says \(sparkType)")
                } else if sparkType.hasPrefix("decimal") {
                    #expect(column.type.isNumeric, "\(place): type \(column.type), Spark says \(sparkType)")
                }
                #expect(column.count == expected.count, "\(place): \(column.count) rows, expected \(expected.count)")
                for (row, want) in expected.enumerated() where row < column.count {
                    let got = column[row]
                    #expect(matches(got, want), "\(place) row \(row): got \(got.isNull ? "NULL" : "\(got)"), Spark \(want)")
                }
            }
        }
    }

    @Test func goldenFilesTogetherHoldAtLeastThreeHundredCases() throws {
        var total = 0
        for f in Self.files { total += try GoldenFile.load(f).cases.count }
        #expect(total >= 300)
    }

    @Test func aMissingGoldenFileIsAnError() {
        #expect(throws: GoldenError.self) { try GoldenFile.load("no-such-golden") }
    }

    /// Compares one value with its golden JSON cell.
    func matches(_ got: Value, _ want: JSONValue) -> Bool {
        if case .null = want { return got.isNull }
        switch got {
        case .null: return false
        case .double(let d):
            guard let w = GoldenFile.double(want) else { return false }
            return closeEnough(d, w)
        case .int32, .int64:
            if case .int(let w) = want { return got.asInt64 == w }
            if let w = GoldenFile.double(want), let g = got.asDouble { return closeEnough(g, w) }
            return false
        case .boolean(let b): return want == .bool(b)
        case .string(let s): return want == .string(s)
        case .date(let d): return want == .string(formatDate(days: d))
        case .timestamp(let t): return want == .string(formatTimestamp(micros: t))
        }
    }

    func closeEnough(_ a: Double, _ b: Double) -> Bool {
        if a.isNaN || b.isNaN { return a.isNaN && b.isNaN }
        if a.isInfinite || b.isInfinite { return a == b }
        if a == b { return true }
        return Swift.abs(a - b) <= 1e-12 * Swift.max(Swift.abs(a), Swift.abs(b))
    }
}
