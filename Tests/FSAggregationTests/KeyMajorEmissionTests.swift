import FSCore
import Testing
@testable import FSAggregation

/// `WindowRowOrder.keyMajor`: the same rows as window-major emission, ordered by (period of the
/// window end, key value, window) inside every emitted batch, with whole periods per emission.
@Suite("Key-major emission")
struct KeyMajorEmissionTests {
    /// Four test "hours" (the test's time unit, see `EarlyEmissionTests`) a period.
    static let period: Int64 = 4 * 3_600_000

    /// Runs `EarlyEmissionTests.microBatches(seed:)` in `order`; returns every emitted batch with
    /// the micro-batch it came from, the rows and the engine.
    static func run(seed: UInt64, order: WindowRowOrder, mode: WindowOutputMode, early: Bool, chunkRows: Int)
        throws -> (batches: [(microBatch: Int, rows: RecordBatch)], out: RecordBatch, engine: WindowedAggregator) {
        let spec = try WindowSpec(duration: 3_600_000, slide: 300_000)
        var agg = try WindowedAggregator(plan: try onlinePlan(), spec: spec, timeField: "t", watermarkDelay: 600_000, mode: mode)
        agg.emitChunkRows = chunkRows
        agg.rowOrder = order
        var batches: [(Int, RecordBatch)] = []
        for (m, batch) in EarlyEmissionTests.microBatches(seed: seed).enumerated() {
            for (i, part) in batch.enumerated() {
                _ = agg.add(windowBatch(part))
                let rest = batch[(i + 1)...].flatMap { $0 }.compactMap(\.2)
                if early, i + 1 < batch.count {
                    agg.emitFinalWindows(remainingFrom: rest.min() ?? Int64.max) { batches.append((m, $0)) }
                }
            }
            agg.endMicroBatch { batches.append((m, $0)) }
        }
        return (batches, RecordBatch.concatenate(batches.map(\.1), schema: agg.outputSchema), agg)
    }

    /// Rows as comparable text, sorted: the set of rows, whatever their order.
    static func rowSet(_ b: RecordBatch) -> [String] {
        (0..<b.rowCount).map { i in b.row(i).map { v in if case .double(let d) = v { return "\(d.bitPattern)" } else { return "\(v)" } }.joined(separator: "|") }.sorted()
    }

    /// (period of window_end, key bytes, window_start) of row i.
    static func sortKey(_ b: RecordBatch, _ i: Int) -> (Int64, [UInt8], Int64) {
        let key: [UInt8] = b.columns[0].isNull(i) ? [] : Array(b.columns[0].strings![i].utf8)
        return (floorDiv(b.columns[2].int64s![i], period), key, b.columns[1].int64s![i])
    }

    static func isSorted(_ b: RecordBatch) -> Bool {
        guard b.rowCount > 1 else { return true }
        for i in 1..<b.rowCount {
            let (p0, k0, w0) = sortKey(b, i - 1), (p1, k1, w1) = sortKey(b, i)
            if p0 != p1 { if p0 > p1 { return false }; continue }
            if k0 != k1 { if !k0.lexicographicallyPrecedes(k1) { return false }; continue }
            if w0 >= w1 { return false }
        }
        return true
    }

    @Test("Key-major emission gives the rows of window-major emission, each batch sorted by period, key and window",
          arguments: [(WindowOutputMode.append, 50), (.append, 1 << 18), (.update, 50), (.update, 1 << 18)])
    func sameRowsSortedPerBatch(mode: WindowOutputMode, chunkRows: Int) throws {
        for seed in [1, 2, 3] as [UInt64] {
            let windowMajor = try Self.run(seed: seed, order: .windowMajor, mode: mode, early: false, chunkRows: chunkRows)
            let keyMajor = try Self.run(seed: seed, order: .keyMajor(period: Self.period), mode: mode, early: false, chunkRows: chunkRows)
            #expect(keyMajor.out.rowCount > 0 && keyMajor.out.rowCount == windowMajor.out.rowCount)
            #expect(Self.rowSet(keyMajor.out) == Self.rowSet(windowMajor.out))
            #expect(keyMajor.engine.counters == windowMajor.engine.counters)
            for (_, b) in keyMajor.batches { #expect(Self.isSorted(b)) }
            // The test data must put a key's windows side by side for this to prove anything.
            #expect((1..<keyMajor.out.rowCount).contains { keyMajor.out.columns[0][$0] == keyMajor.out.columns[0][$0 - 1] })
        }
    }

    @Test("Early key-major emission emits whole periods: each period of a micro-batch in one sorted batch, as at its end",
          arguments: [1, 2, 3] as [UInt64])
    func earlyEmissionEmitsWholePeriods(seed: UInt64) throws {
        let order = WindowRowOrder.keyMajor(period: Self.period)
        let early = try Self.run(seed: seed, order: order, mode: .append, early: true, chunkRows: 1 << 18)
        let atEnd = try Self.run(seed: seed, order: order, mode: .append, early: false, chunkRows: 1 << 18)
        #expect(early.batches.count > atEnd.batches.count, "nothing was emitted early: the test would prove nothing")
        #expect(Self.rowSet(early.out) == Self.rowSet(atEnd.out))
        #expect((0..<early.out.rowCount).allSatisfy { early.out.row($0).map { "\($0)" } == atEnd.out.row($0).map { "\($0)" } })
        for m in 0..<3 {
            var seen: [Int64: Int] = [:]
            for (i, (mb, b)) in early.batches.enumerated() where mb == m {
                #expect(Self.isSorted(b))
                for p in Set((0..<b.rowCount).map { Self.sortKey(b, $0).0 }) {
                    #expect(seen.updateValue(i, forKey: p) == nil, "period \(p) of micro-batch \(m) is split over batches")
                }
            }
        }
        #expect(early.engine.emittedThrough == atEnd.engine.emittedThrough)
        #expect(early.engine.liveSlices == atEnd.engine.liveSlices)
    }

    @Test func keysSortByValueNotByIdNullFirst() {
        let strings: [String?] = ["b", "ab", nil, "abcdefgh-2", "", "abcdefgh", "é", "abcdefgh-10", "a"]
        let keys = Column(.string, strings.map { $0.map(Value.string) ?? .null })
        let sorted = KeyOrder.sorted(Array(0..<UInt32(strings.count)).reversed(), keys).map { strings[Int($0)] }
        #expect(sorted == [nil, "", "a", "ab", "abcdefgh", "abcdefgh-10", "abcdefgh-2", "b", "é"])
        let numbers = Column(.int64, [5, -3, 12, 0].map(Value.int64))
        #expect(KeyOrder.sorted([0, 1, 2, 3], numbers) == [1, 3, 0, 2])
    }
}
