import FSCore
import Testing
@testable import FSAggregation

/// `emitFinalWindows` inside a micro-batch must change when rows are written, never which rows
/// or in what order: the online job relies on it to encode output while it still reads input.
@Suite("Emitting final windows before the micro-batch ends")
struct EarlyEmissionTests {
    /// Events of three micro-batches, each cut into parts by time ("files" of an hour) and read in
    /// a scrambled order, as a table's day files are read in path order (day 10 before day 2).
    /// Later micro-batches reach back before the watermark, so some rows are late or partly late.
    static func microBatches(seed: UInt64) -> [[[(String, Double, Int64?)]]] {
        var rng = SeededGenerator(seed: seed)
        let keys = ["c1", "c2", "é日本", "", "c5"] + (0..<30).map { "k\($0)" }
        let hour: Int64 = 3_600_000
        var batches: [[[(String, Double, Int64?)]]] = []
        for m in 0..<3 {
            let from = Int64(m) * 8 * hour - (m > 0 ? hour : 0)  // reaches back an hour: late rows
            var parts: [[(String, Double, Int64?)]] = (0..<9).map { _ in [] }
            for _ in 0..<600 {
                let t = from + Int64.random(in: 0..<(9 * hour), using: &rng)
                let amount = Int.random(in: 0..<40, using: &rng) == 0 ? Double.nan : Double(Int.random(in: 0..<20_000, using: &rng)) / 100
                parts[Int((t - from) / hour)].append((keys[Int.random(in: 0..<keys.count, using: &rng)], amount, t))
            }
            parts[3].append(("c1", 1, nil))  // a NULL event time: late, never aggregated
            batches.append(parts.shuffled(using: &rng))
        }
        return batches
    }

    /// Runs the micro-batches; with `early`, calls `emitFinalWindows` after each part with the
    /// smallest event time of the parts still to come. Returns the output, the rows emitted
    /// early, the late row count and the engine.
    static func run(_ batches: [[[(String, Double, Int64?)]]], mode: WindowOutputMode, early: Bool) throws
        -> (out: RecordBatch, earlyRows: Int, late: Int, engine: WindowedAggregator) {
        let spec = try WindowSpec(duration: 3_600_000, slide: 300_000)
        var agg = try WindowedAggregator(plan: try onlinePlan(), spec: spec, timeField: "t", watermarkDelay: 600_000, mode: mode)
        agg.emitChunkRows = 50
        var parts: [RecordBatch] = []
        var earlyRows = 0, late = 0
        for batch in batches {
            for (i, part) in batch.enumerated() {
                late += agg.add(windowBatch(part)).rowCount
                let rest = batch[(i + 1)...].flatMap { $0 }.compactMap(\.2)
                if early, i + 1 < batch.count {
                    agg.emitFinalWindows(remainingFrom: rest.min() ?? Int64.max) { b in
                        earlyRows += b.rowCount
                        parts.append(b)
                    }
                }
            }
            agg.endMicroBatch { parts.append($0) }
        }
        return (RecordBatch.concatenate(parts, schema: agg.outputSchema), earlyRows, late, agg)
    }

    @Test("Windows emitted mid-micro-batch are the rows, in the order, that emitting at its end gives", arguments: [1, 2, 3] as [UInt64])
    func earlyEqualsAtTheEnd(seed: UInt64) throws {
        let batches = Self.microBatches(seed: seed)
        let atEnd = try Self.run(batches, mode: .append, early: false)
        let early = try Self.run(batches, mode: .append, early: true)
        #expect(early.earlyRows > 0, "nothing was emitted early: the test would prove nothing")
        #expect(early.earlyRows < early.out.rowCount)
        #expect(early.out.rowCount == atEnd.out.rowCount)
        #expect(atEnd.late > 0 && early.late == atEnd.late)
        for i in 0..<min(early.out.rowCount, atEnd.out.rowCount) {
            let a = early.out.row(i), b = atEnd.out.row(i)
            #expect(a.count == b.count && zip(a, b).allSatisfy { resultsMatch($0, $1, relative: 0) }, "row \(i): \(a) vs \(b)")
        }
        #expect(early.engine.counters == atEnd.engine.counters)
        #expect(early.engine.watermark == atEnd.engine.watermark)
        #expect(early.engine.emittedThrough == atEnd.engine.emittedThrough)
        #expect(early.engine.liveSlices == atEnd.engine.liveSlices)
    }

    @Test("Early emission frees the blocks of the windows it emitted")
    func earlyEmissionFreesState() throws {
        let batches = Self.microBatches(seed: 4)
        let spec = try WindowSpec(duration: 3_600_000, slide: 300_000)
        var agg = try WindowedAggregator(plan: try onlinePlan(), spec: spec, timeField: "t", watermarkDelay: 600_000, mode: .append)
        var plain = agg
        let ordered = batches[0].sorted { ($0.compactMap(\.2).min() ?? 0) < ($1.compactMap(\.2).min() ?? 0) }
        for part in ordered { _ = plain.add(windowBatch(part)) }
        let peakWithout = plain.liveKeySlices
        var peakWith = 0
        for (i, part) in ordered.enumerated() {
            _ = agg.add(windowBatch(part))
            peakWith = max(peakWith, agg.liveKeySlices)
            let rest = ordered[(i + 1)...].flatMap { $0 }.compactMap(\.2)
            agg.emitFinalWindows(remainingFrom: rest.min() ?? Int64.max) { _ in }
            peakWith = max(peakWith, agg.liveKeySlices)
        }
        #expect(agg.watermark == nil, "the watermark moves only at the end of the micro-batch")
        #expect(peakWith < peakWithout)
    }

    @Test("Update mode emits nothing before the micro-batch ends")
    func updateModeWaits() throws {
        let batches = Self.microBatches(seed: 5)
        let atEnd = try Self.run(batches, mode: .update, early: false)
        let early = try Self.run(batches, mode: .update, early: true)
        #expect(early.earlyRows == 0)
        #expect(early.out.rowCount == atEnd.out.rowCount)
    }
}
