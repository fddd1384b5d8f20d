import FSCore
import Testing
@testable import FSAggregation

/// Emission by runs of identical windows (`WindowedAggregator+Runs`) against the per-window
/// path it replaces in append mode: the same rows, bit for bit (doubles compared by bit
/// pattern: a different merge order would change their last bits), the same counters.
@Suite("Emission by runs of identical windows")
struct RunEmissionTests {
    /// Runs `batches` in append mode (with `emitFinalWindows` after each part when `early`);
    /// returns every emitted row and the engine.
    static func run(_ batches: [[[(String, Double, Int64?)]]], spec: WindowSpec, byRuns: Bool, chunkRows: Int, early: Bool) throws
        -> (out: RecordBatch, engine: WindowedAggregator) {
        var agg = try WindowedAggregator(plan: try onlinePlan(), spec: spec, timeField: "t", watermarkDelay: 600_000, mode: .append)
        agg.emitChunkRows = chunkRows
        agg.emitsByRuns = byRuns
        var parts: [RecordBatch] = []
        for batch in batches {
            for (i, part) in batch.enumerated() {
                _ = agg.add(windowBatch(part))
                let rest = batch[(i + 1)...].flatMap { $0 }.compactMap(\.2)
                if early, i + 1 < batch.count { agg.emitFinalWindows(remainingFrom: rest.min() ?? Int64.max) { parts.append($0) } }
            }
            agg.endMicroBatch { parts.append($0) }
        }
        return (RecordBatch.concatenate(parts, schema: agg.outputSchema), agg)
    }

    /// Rows as text with doubles as bit patterns, sorted: the set of rows, whatever their order.
    static func rowSet(_ b: RecordBatch) -> [String] {
        (0..<b.rowCount).map { i in
            b.row(i).map { v in if case .double(let d) = v { return "\(d.bitPattern)" } else { return "\(v)" } }.joined(separator: "|")
        }.sorted()
    }

    /// Windows ascending in the emitted order (what the online job's day split relies on).
    static func windowsAscend(_ b: RecordBatch) -> Bool {
        guard let starts = b.columns[1].int64s else { return false }
        return zip(starts, starts.dropFirst()).allSatisfy { $0 <= $1 }
    }

    @Test("Runs give the per-window path's rows bit for bit, for small and large chunks, early emission or not",
          arguments: [(50, false), (50, true), (1 << 18, false), (1 << 18, true)])
    func sameRowsAsPerWindow(chunkRows: Int, early: Bool) throws {
        let spec = try WindowSpec(duration: 3_600_000, slide: 300_000)
        for seed in [1, 2, 3] as [UInt64] {
            let batches = EarlyEmissionTests.microBatches(seed: seed)
            let runs = try Self.run(batches, spec: spec, byRuns: true, chunkRows: chunkRows, early: early)
            let windows = try Self.run(batches, spec: spec, byRuns: false, chunkRows: chunkRows, early: early)
            #expect(runs.out.rowCount > 1000)
            #expect(Self.rowSet(runs.out) == Self.rowSet(windows.out))
            #expect(runs.engine.counters == windows.engine.counters)
            #expect(Self.windowsAscend(runs.out))
        }
    }

    @Test("Slices shorter than the slide (several slices enter a window together) and events far apart give the same rows")
    func unevenSlicesAndSparseTimes() throws {
        // duration 25 min, slide 10 min: slices of 5 min, two of them enter each window together.
        let spec = try WindowSpec(duration: 25 * 60_000_000, slide: 10 * 60_000_000)
        var rng = SeededGenerator(seed: 9)
        var parts: [[(String, Double, Int64?)]] = []
        for p in 0..<4 {
            // Dense hours, then a jump of years: chunks over long empty stretches.
            let base = Int64(p) * 400 * 86_400_000_000 + Int64(p % 2) * 7_000_000
            parts.append((0..<300).map { _ in
                (["a", "b", "c", "d"][Int.random(in: 0..<4, using: &rng)], Double(Int.random(in: 0..<10_000, using: &rng)) / 7,
                 base + Int64.random(in: 0..<(3 * 3_600_000_000), using: &rng))
            }.sorted { $0.2! < $1.2! })
        }
        for chunkRows in [7, 1 << 18] {
            let runs = try Self.run([parts], spec: spec, byRuns: true, chunkRows: chunkRows, early: true)
            let windows = try Self.run([parts], spec: spec, byRuns: false, chunkRows: chunkRows, early: true)
            #expect(runs.out.rowCount > 200)
            #expect(Self.rowSet(runs.out) == Self.rowSet(windows.out))
            #expect(runs.engine.counters == windows.engine.counters)
            #expect(Self.windowsAscend(runs.out))
        }
    }
}
