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
    /// With `asRunBatches` the windows are taken as `EmittedWindows.runs` and expanded;
    /// `dayMajor` then says whether every run batch had its runs by window-end day, ascending,
    /// and no run crossing a day (what the online job's day split relies on).
    static func run(_ batches: [[[(String, Double, Int64?)]]], spec: WindowSpec, byRuns: Bool, chunkRows: Int, early: Bool,
                    asRunBatches: Bool = false) throws
        -> (out: RecordBatch, engine: WindowedAggregator, dayMajor: Bool) {
        var agg = try WindowedAggregator(plan: try onlinePlan(), spec: spec, timeField: "t", watermarkDelay: 600_000, mode: .append)
        agg.emitChunkRows = chunkRows
        agg.emitsByRuns = byRuns
        var parts: [RecordBatch] = []
        var dayMajor = true
        func take(_ out: EmittedWindows) {
            switch out {
            case .rows(let b): parts.append(b)
            case .runs(let b):
                dayMajor = dayMajor && Self.isDayMajor(b)
                parts.append(b.expanded())
            }
        }
        for batch in batches {
            for (i, part) in batch.enumerated() {
                _ = agg.add(windowBatch(part))
                let rest = batch[(i + 1)...].flatMap { $0 }.compactMap(\.2)
                guard early, i + 1 < batch.count else { continue }
                if asRunBatches {
                    agg.emitFinalWindowsByRuns(remainingFrom: rest.min() ?? Int64.max, emit: take)
                } else {
                    agg.emitFinalWindows(remainingFrom: rest.min() ?? Int64.max) { parts.append($0) }
                }
            }
            if asRunBatches { agg.endMicroBatchByRuns(emit: take) } else { agg.endMicroBatch { parts.append($0) } }
        }
        return (RecordBatch.concatenate(parts, schema: agg.outputSchema), agg, dayMajor)
    }

    /// Runs by the day of their window ends, ascending; each run's rows on one day.
    static func isDayMajor(_ b: RunBatch) -> Bool {
        guard case .stepping(let ends, let step, _) = b.columns[2] else { return false }
        let days = ends.map { daysOf(micros: $0) }
        return zip(days, days.dropFirst()).allSatisfy { $0 <= $1 }
            && b.runLengths.indices.allSatisfy { daysOf(micros: ends[$0] &+ Int64(b.runLengths[$0] - 1) &* step) == days[$0] }
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

    @Test("Run batches expand to the per-window path's rows, by window-end day, across midnights and years",
          arguments: [7, 50, 1 << 18])
    func runBatchesExpandToTheSameRows(chunkRows: Int) throws {
        let spec = try WindowSpec(duration: 3_600_000_000, slide: 300_000_000)
        var rng = SeededGenerator(seed: 4)
        var parts: [[(String, Double, Int64?)]] = []
        for p in 0..<3 {
            // Events from 23:00 to 01:00 around three midnights, the last one a year later.
            let midnight = Int64(p == 2 ? 400 : p + 1) * 86_400_000_000
            parts.append((0..<200).map { _ in
                (["a", "b", "c"][Int.random(in: 0..<3, using: &rng)], Double(Int.random(in: 0..<10_000, using: &rng)) / 3,
                 midnight - 3_600_000_000 + Int64.random(in: 0..<(2 * 3_600_000_000), using: &rng))
            }.sorted { $0.2! < $1.2! })
        }
        let seeded = (EarlyEmissionTests.microBatches(seed: 5), try WindowSpec(duration: 3_600_000, slide: 300_000))
        for (batches, early, spec) in [([parts], true, spec), ([parts], false, spec), (seeded.0, true, seeded.1)] {
            let runs = try Self.run(batches, spec: spec, byRuns: true, chunkRows: chunkRows, early: early, asRunBatches: true)
            let windows = try Self.run(batches, spec: spec, byRuns: false, chunkRows: chunkRows, early: early)
            #expect(runs.out.rowCount > 200)
            #expect(runs.dayMajor)
            #expect(Self.rowSet(runs.out) == Self.rowSet(windows.out))
            #expect(runs.engine.counters == windows.engine.counters)
        }
    }
}
