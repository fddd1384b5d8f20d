import FSCore
import Testing
@testable import FSAggregation

/// One aggregate under test and the tolerance its merge law holds to.
struct LawCase: CustomStringConvertible, Sendable {
    var spec: AggregateSpec
    /// 0 = bit-exact; otherwise relative tolerance for double results.
    var tolerance: Double
    /// For sketches that are approximate at this size: the relative rank error ε; results are
    /// checked against the exact quantile within ε·n ranks per merged part instead of equality.
    var rankError: Double? = nil
    var description: String { spec.description }
}

/// Every aggregate kind over the argument types it accepts.
let lawCases: [LawCase] = {
    var out: [LawCase] = []
    func add(_ k: AggregateKind, _ types: [DataType], distinct: Bool = false, ignoreNulls: Bool = false, params: [Value] = [], tol: Double = 0) {
        out.append(LawCase(spec: AggregateSpec(k, types, isDistinct: distinct, ignoreNulls: ignoreNulls, parameters: params), tolerance: tol))
    }
    add(.countStar, [])
    for t in DataType.allCases { add(.count, [t]); add(.min, [t]); add(.max, [t]); add(.first, [t]); add(.last, [t]) }
    for t in DataType.allCases { add(.first, [t], ignoreNulls: true); add(.last, [t], ignoreNulls: true) }
    for t: DataType in [.int32, .int64] { add(.sum, [t]) }
    add(.sum, [.double], tol: 1e-9)
    for t: DataType in [.int64, .double] {
        for k: AggregateKind in [.avg, .stddevSamp, .stddevPop, .varSamp, .varPop, .skewness, .kurtosis] { add(k, [t], tol: 1e-9) }
    }
    for k: AggregateKind in [.corr, .covarSamp, .covarPop] { add(k, [.double, .double], tol: 1e-9); add(k, [.int64, .double], tol: 1e-9) }
    for k: AggregateKind in [.maxBy, .minBy] { add(k, [.string, .double]); add(k, [.int64, .string]); add(k, [.double, .int32]) }
    for k: AggregateKind in [.countIf, .boolAnd, .boolOr] { add(k, [.boolean]) }
    for t: DataType in [.string, .double, .int32, .int64, .boolean, .date] {
        add(.collectSetSize, [t]); add(.collectListSize, [t]); add(.approxCountDistinct, [t])
        add(.count, [t], distinct: true)
    }
    add(.sum, [.int64], distinct: true)
    add(.sum, [.double], distinct: true, tol: 1e-9)
    add(.avg, [.double], distinct: true, tol: 1e-9)
    add(.stddevSamp, [.int32], distinct: true, tol: 1e-9)
    add(.percentileApprox, [.double], params: [.double(0.5)])
    out.append(LawCase(spec: AggregateSpec(.percentileApprox, [.int32], parameters: [.double(0.25), .int64(100)]), tolerance: 0, rankError: 0.01))
    add(.percentileApprox, [.timestamp], params: [.double(0.9)])
    add(.approxCountDistinct, [.int64], params: [.double(0.01)])
    return out
}()

/// Random argument columns for `spec`, `n` rows.
func arguments(for spec: AggregateSpec, rows n: Int, seed: UInt64) -> [Column] {
    var rng = SeededGenerator(seed: seed)
    return spec.argumentTypes.map { randomColumn($0, count: n, rng: &rng) }
}

/// Rows of `n` assigned to `parts` random parts (a selection bitmap each).
func randomSplit(rows n: Int, parts: Int, seed: UInt64) -> [Validity] {
    var rng = SeededGenerator(seed: seed)
    let owner = (0..<n).map { _ in Int.random(in: 0..<parts, using: &rng) }
    return (0..<parts).map { p in Validity(owner.map { $0 == p }) }
}

func accumulator(_ spec: AggregateSpec) throws -> any Accumulator {
    var a = try makeAccumulator(spec)
    a.resize(groupCount: 1)
    return a
}

@Suite("Aggregate merge laws")
struct AccumulatorLawTests {
    @Test("merge of a random split equals a single pass", arguments: lawCases)
    func mergeOfSplitInputEqualsSinglePass(_ c: LawCase) throws {
        for seed: UInt64 in [1, 2, 3] {
            let n = 300
            let args = arguments(for: c.spec, rows: n, seed: seed)
            var whole = try accumulator(c.spec)
            whole.update(args, rowCount: n)
            let parts = randomSplit(rows: n, parts: 3, seed: seed &* 7)
            var merged = try accumulator(c.spec)
            for p in parts {
                var part = try accumulator(c.spec)
                part.update(args, rowCount: n, selection: p)
                [UInt32(0)].withUnsafeBufferPointer { merged.merge(any: part, groupMap: $0) }
            }
            if let eps = c.rankError {
                #expect(withinRankBound(merged.finalizeValue(), args[0], quantile: c.spec.parameters[0].asDouble ?? 0, ranks: eps * Double(n) * 3 + 1))
                #expect(withinRankBound(whole.finalizeValue(), args[0], quantile: c.spec.parameters[0].asDouble ?? 0, ranks: eps * Double(n) + 1))
                continue
            }
            #expect(columnsMatch(whole.finalize(), merged.finalize(), relative: c.tolerance),
                    "\(c.spec) seed \(seed): single pass \(whole.finalizeValue()) vs merged \(merged.finalizeValue())")
        }
    }

    @Test("merge is order-independent", arguments: lawCases)
    func mergeIsOrderIndependent(_ c: LawCase) throws {
        let n = 240
        let args = arguments(for: c.spec, rows: n, seed: 11)
        let parts = randomSplit(rows: n, parts: 4, seed: 12)
        var partials: [any Accumulator] = []
        for p in parts {
            var a = try accumulator(c.spec)
            a.update(args, rowCount: n, selection: p)
            partials.append(a)
        }
        let zero: [UInt32] = [0]
        func fold(_ order: [Int]) throws -> Column {
            var acc = try accumulator(c.spec)
            zero.withUnsafeBufferPointer { z in for i in order { acc.merge(any: partials[i], groupMap: z) } }
            return acc.finalize()
        }
        let forward = try fold([0, 1, 2, 3])
        for order in [[3, 2, 1, 0], [2, 0, 3, 1], [1, 3, 0, 2]] {
            if let eps = c.rankError {
                #expect(withinRankBound(try fold(order)[0], args[0], quantile: c.spec.parameters[0].asDouble ?? 0, ranks: eps * Double(n) * 4 + 1))
                continue
            }
            #expect(columnsMatch(forward, try fold(order), relative: c.tolerance), "\(c.spec) order \(order)")
        }
    }

    @Test("merging an empty state changes nothing", arguments: lawCases)
    func mergingEmptyStateIsNoOp(_ c: LawCase) throws {
        let args = arguments(for: c.spec, rows: 100, seed: 21)
        var a = try accumulator(c.spec)
        a.update(args, rowCount: 100)
        let before = a.finalize()
        let empty = try accumulator(c.spec)
        [UInt32(0)].withUnsafeBufferPointer { a.merge(any: empty, groupMap: $0) }
        #expect(columnsMatch(before, a.finalize(), relative: 0))
        // And the other way round: empty ⊕ a = a.
        var e = try accumulator(c.spec)
        [UInt32(0)].withUnsafeBufferPointer { e.merge(any: a, groupMap: $0) }
        #expect(columnsMatch(before, e.finalize(), relative: c.tolerance))
    }

    @Test("serialization round-trips every group's state", arguments: lawCases)
    func serializationRoundTrips(_ c: LawCase) throws {
        let n = 200
        let args = arguments(for: c.spec, rows: n, seed: 31)
        var rng = SeededGenerator(seed: 32)
        let groups = (0..<n).map { _ in UInt32.random(in: 0..<7, using: &rng) }
        var a = try makeAccumulator(c.spec)
        a.resize(groupCount: 8)  // group 7 stays empty
        groups.withUnsafeBufferPointer { a.update(args, groups: $0, selection: nil, firstRowStamp: 0) }
        let bytes = a.serialize()
        #expect(a.serializedByteCount() == bytes.count)
        var b = try makeAccumulator(c.spec)
        try b.deserialize(bytes)
        #expect(b.groupCount == 8)
        #expect(columnsMatch(a.finalize(), b.finalize(), relative: 0))
        #expect(b.serialize() == bytes)
        // A restored state keeps accumulating like the original.
        let more = arguments(for: c.spec, rows: 50, seed: 33)
        let g2 = [UInt32](repeating: 7, count: 50)
        g2.withUnsafeBufferPointer { g in
            a.update(more, groups: g, selection: nil, firstRowStamp: Int64(n))
            b.update(more, groups: g, selection: nil, firstRowStamp: Int64(n))
        }
        #expect(columnsMatch(a.finalize(), b.finalize(), relative: 0))
    }

    @Test("grouped update equals one single-group pass per group", arguments: lawCases)
    func groupedUpdateEqualsPerGroupPasses(_ c: LawCase) throws {
        let n = 240
        let args = arguments(for: c.spec, rows: n, seed: 41)
        var rng = SeededGenerator(seed: 42)
        let groups = (0..<n).map { _ in UInt32.random(in: 0..<5, using: &rng) }
        var grouped = try makeAccumulator(c.spec)
        grouped.resize(groupCount: 5)
        groups.withUnsafeBufferPointer { grouped.update(args, groups: $0, selection: nil, firstRowStamp: 0) }
        let result = grouped.finalize()
        for g in 0..<5 {
            var single = try accumulator(c.spec)
            single.update(args, rowCount: n, selection: Validity(groups.map { $0 == UInt32(g) }))
            #expect(resultsMatch(result[g], single.finalizeValue(), relative: c.tolerance), "\(c.spec) group \(g)")
        }
    }
}

@Suite("State decoding rejects corrupt bytes")
struct StateDecodingTests {
    @Test("truncated state is an error naming the offset, not a crash")
    func truncatedStateThrows() throws {
        for c in lawCases {
            var a = try accumulator(c.spec)
            a.update(arguments(for: c.spec, rows: 50, seed: 5), rowCount: 50)
            let bytes = a.serialize()
            for cut in [0, 1, bytes.count / 2, bytes.count - 1] where cut < bytes.count {
                var b = try makeAccumulator(c.spec)
                #expect(throws: StateDecodingError.self, "\(c.spec) cut at \(cut)") { try b.deserialize(Array(bytes.prefix(cut))) }
            }
        }
    }

    @Test("a state of another aggregate is rejected")
    func foreignStateIsRejected() throws {
        var sum = try accumulator(AggregateSpec(.sum, [.int64]))
        sum.update([Column(.int64, [.int64(1)])])
        var count = try makeAccumulator(AggregateSpec(.count, [.int64]))
        #expect(throws: StateDecodingError.self) { try count.deserialize(sum.serialize()) }
    }
}

/// True when `value` sits within `ranks` positions of rank ceil(q·n) in the sorted non-NULL
/// values of `column` (the Greenwald–Khanna guarantee).
func withinRankBound(_ value: Value, _ column: Column, quantile q: Double, ranks: Double) -> Bool {
    guard let v = value.asDouble else { return false }
    let sorted = (0..<column.count).compactMap { column[$0].asDouble }.sorted()
    let target = Swift.max(1, Int((q * Double(sorted.count)).rounded(.up)))
    let lo = sorted.firstIndex(of: v).map { $0 + 1 } ?? Int.max
    let hi = sorted.lastIndex(of: v).map { $0 + 1 } ?? Int.min
    let distance = target < lo ? lo - target : (target > hi ? target - hi : 0)
    return Double(distance) <= ranks
}
