import FSCore
import Testing
@testable import FSExpr

/// Evaluation edge rows (empty, all-NULL, one row, NaN, ±0.0, empty and non-ASCII strings),
/// the selection mask, the injected clock and post-aggregation evaluation.
struct EvaluatorTests {
    static let schema = Schema([Field("x", .double), Field("n", .int64), Field("s", .string), Field("b", .boolean)])
    static let context = EvaluationContext(clock: FixedWallClock(micros: 1_704_164_645_000_000))  // 2024-01-02 03:04:05 UTC

    func batch(_ rows: [[Value]]) -> RecordBatch {
        RecordBatch(schema: Self.schema, columns: Self.schema.fields.enumerated().map { k, f in Column(f.type, rows.map { $0[k] }) })
    }

    func eval(_ text: String, _ rows: [[Value]]) throws -> [Value] {
        let bound = try Binder(schema: Self.schema).bind(text)
        let c = Evaluator.evaluate(bound, on: batch(rows), context: Self.context)
        return (0..<c.count).map { c[$0] }
    }

    static let rows: [[Value]] = [
        [.double(60), .int64(1), .string("héllo"), .boolean(true)],
        [.double(.nan), .int64(-2), .string(""), .boolean(false)],
        [.double(-0.0), .null, .string("日本"), .null],
        [.null, .int64(9_223_372_036_854_775_807), .null, .boolean(true)],
        [.double(0.0), .int64(0), .string("a"), .boolean(false)],
    ]

    @Test func emptyBatchGivesEmptyColumnOfTheRightType() throws {
        let bound = try Binder(schema: Self.schema).bind("CASE WHEN x > 50 THEN x ELSE 0 END")
        let c = Evaluator.evaluate(bound, on: .empty(Self.schema), context: Self.context)
        #expect(c.count == 0)
        #expect(c.type == .double)
        let lit = Evaluator.evaluate(try Binder(schema: Self.schema).bind("1 + 1"), on: .empty(Self.schema), context: Self.context)
        #expect(lit.count == 0)
    }

    @Test func caseWhenOverEdgeRows() throws {
        #expect(same(try eval("CASE WHEN x > 50 THEN x ELSE 0 END", Self.rows), [.double(60), .double(.nan), .double(0), .double(0), .double(0)]))
    }

    @Test func nanIsGreaterThanEverythingAndEqualToItself() throws {
        #expect(try eval("x > 1e308", Self.rows) == [.boolean(false), .boolean(true), .boolean(false), .null, .boolean(false)])
        #expect(try eval("x = x", Self.rows) == [.boolean(true), .boolean(true), .boolean(true), .null, .boolean(true)])
    }

    @Test func negativeZeroEqualsZero() throws {
        #expect(try eval("x = 0", Self.rows)[2] == .boolean(true))
        #expect(try eval("CAST(x AS STRING)", Self.rows)[2] == .string("-0.0"))
    }

    @Test func bigintOverflowWraps() throws {
        #expect(try eval("n + 1", Self.rows)[3] == .int64(.min))
        #expect(try eval("n * 2", Self.rows)[3] == .int64(-2))
    }

    @Test func divisionByZeroIsNull() throws {
        #expect(try eval("n / 0", Self.rows) == [.null, .null, .null, .null, .null])
        #expect(try eval("1 / n", Self.rows)[4] == .null)
        #expect(try eval("n % 0", Self.rows)[0] == .null)
        #expect(try eval("n div 0", Self.rows)[0] == .null)
    }

    @Test func stringFunctionsCountCodePoints() throws {
        #expect(try eval("length(s)", Self.rows) == [.int32(5), .int32(0), .int32(2), .null, .int32(1)])
        #expect(try eval("substring(s, 2, 1)", Self.rows) == [.string("é"), .string(""), .string("本"), .null, .string("")])
        #expect(try eval("upper(s)", Self.rows)[0] == .string("HÉLLO"))
    }

    @Test func threeValuedLogic() throws {
        #expect(try eval("b AND n > 0", Self.rows) == [.boolean(true), .boolean(false), .null, .boolean(true), .boolean(false)])
        #expect(try eval("b OR n > 0", Self.rows) == [.boolean(true), .boolean(false), .null, .boolean(true), .boolean(false)])
        #expect(try eval("NOT b", Self.rows) == [.boolean(false), .boolean(true), .null, .boolean(false), .boolean(true)])
    }

    @Test func allNullColumn() throws {
        let rows: [[Value]] = [[.null, .null, .null, .null], [.null, .null, .null, .null]]
        #expect(try eval("x + 1", rows) == [.null, .null])
        #expect(try eval("coalesce(s, 'none')", rows) == [.string("none"), .string("none")])
        #expect(try eval("x IS NULL", rows) == [.boolean(true), .boolean(true)])
        #expect(try eval("CASE WHEN b THEN 1 ELSE 2 END", rows) == [.int32(2), .int32(2)])
    }

    @Test func oneRowLiteralBroadcastsToTheBatch() throws {
        #expect(try eval("'k'", [Self.rows[0]]) == [.string("k")])
        #expect(try eval("n + 1", [Self.rows[0]]) == [.int64(2)])
    }

    @Test func currentDateAndTimestampComeFromTheInjectedClock() throws {
        #expect(try eval("current_date()", [Self.rows[0]]) == [.date(19724)])
        #expect(try eval("current_timestamp", [Self.rows[0]]) == [.timestamp(1_704_164_645_000_000)])
        #expect(try eval("unix_timestamp()", [Self.rows[0]]) == [.int64(1_704_164_645)])
    }

    @Test func selectionMaskKeepsOnlyTrueRows() throws {
        let bound = try Binder(schema: Self.schema).bind("b AND x >= 0")
        let mask = Evaluator.selection(bound, on: batch(Self.rows), context: Self.context)
        #expect(mask.isSelected == [true, false, false, false, false])
        #expect(mask.selectedCount == 1)
        #expect(mask.indices == [0])
    }

    @Test func postAggregationEvaluationReadsFinalizedSlots() throws {
        let bound = try Binder(schema: Self.schema).bind("round(SUM(n) / COUNT(*), 2) + size(collect_set(s))", mode: .aggregate)
        #expect(bound.aggregateCalls.map(\.function) == [.sum, .countStar, .collectSet])
        let sums = Column(.int64, [.int64(10), .null, .int64(7)])
        let counts = Column(.int64, [.int64(3), .int64(0), .int64(2)])
        let sizes = Column(.int64, [.int64(2), .int64(0), .int64(1)])
        let out = Evaluator.evaluateAfterAggregation(bound, aggregateResults: [sums, counts, sizes], groupCount: 3)
        #expect(out.type == .double)
        #expect((0..<3).map { out[$0] } == [.double(5.33), .null, .double(4.5)])
    }

    @Test func inListFollowsOrOfEqualities() throws {
        #expect(try eval("n IN (1, 0)", Self.rows) == [.boolean(true), .boolean(false), .null, .boolean(false), .boolean(true)])
        #expect(try eval("n IN (1, NULL)", Self.rows) == [.boolean(true), .null, .null, .null, .null])
    }

    @Test func likeMatchesCharactersNotBytes() throws {
        #expect(try eval("s LIKE 'h_llo'", Self.rows) == [.boolean(true), .boolean(false), .boolean(false), .null, .boolean(false)])
        #expect(try eval("s LIKE '%'", Self.rows) == [.boolean(true), .boolean(true), .boolean(true), .null, .boolean(true)])
    }
}

/// Element-wise equality with NaN equal to itself (Spark's semantics, and what the goldens expect).
func same(_ a: [Value], _ b: [Value]) -> Bool {
    guard a.count == b.count else { return false }
    for (x, y) in zip(a, b) {
        if case .double(let p) = x, case .double(let q) = y, p.isNaN && q.isNaN { continue }
        if x != y { return false }
    }
    return true
}
