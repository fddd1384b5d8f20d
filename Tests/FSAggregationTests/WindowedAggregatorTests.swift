import FSCore
import Testing
@testable import FSAggregation

let windowTestSchema = Schema([Field("customer_id", .string), Field("order_total_amount", .double), Field("t", .timestamp)])

/// A batch of (customer, amount, time) rows; a nil time is a NULL event time.
func windowBatch(_ rows: [(String, Double, Int64?)]) -> RecordBatch {
    var k = ColumnBuilder(type: .string), a = ColumnBuilder(type: .double), t = ColumnBuilder(type: .timestamp)
    for r in rows {
        k.append(r.0); a.append(r.1)
        if let x = r.2 { t.append(x) } else { t.appendNull() }
    }
    return RecordBatch(schema: windowTestSchema, columns: [k.finish(), a.finish(), t.finish()])
}

func onlinePlan() throws -> FeaturePlan {
    try FeaturePlan(definitions: FeatureDefinition.originalOnline, schema: windowTestSchema, groupBy: "customer_id")
}

/// Output rows keyed "customer|start|end" → feature values.
func keyedRows(_ b: RecordBatch) -> [String: [Value]] {
    var out: [String: [Value]] = [:]
    for i in 0..<b.rowCount {
        let r = b.row(i)
        out["\(r[0])|\(r[1])|\(r[2])"] = Array(r.dropFirst(3))
    }
    return out
}

/// Brute force: every window holding a row, computed from scratch with FeaturePlan over the
/// rows with start ≤ t < end.
func bruteForceWindows(_ rows: [(String, Double, Int64?)], spec: WindowSpec, plan: FeaturePlan) -> [String: [Value]] {
    var ks = Set<Int64>()
    for r in rows { if let t = r.2 { for k in spec.windows(containing: t) { ks.insert(k) } } }
    var out: [String: [Value]] = [:]
    for k in ks {
        let inside = rows.filter { r in r.2.map { spec.windowStart(k) <= $0 && $0 < spec.windowEnd(k) } ?? false }
        var table = plan.makeAggregator()
        plan.update(&table, batch: windowBatch(inside))
        let f = plan.finish(table)
        for i in 0..<f.rowCount {
            let r = f.row(i)
            out["\(r[0])|\(Value.timestamp(spec.windowStart(k)))|\(Value.timestamp(spec.windowEnd(k)))"] = Array(r.dropFirst())
        }
    }
    return out
}

func sameRows(_ a: [String: [Value]], _ b: [String: [Value]]) -> Bool {
    guard Set(a.keys) == Set(b.keys) else { return false }
    return a.allSatisfy { k, v in
        guard let w = b[k], w.count == v.count else { return false }
        return zip(v, w).allSatisfy { resultsMatch($0, $1, relative: 1e-9) }
    }
}

/// Random in-order-ish events: times drift forward with jitter smaller than `jitter`.
func randomEvents(count: Int, seed: UInt64, start: Int64, step: Int64, jitter: Int64, keys: [String]) -> [(String, Double, Int64?)] {
    var rng = SeededGenerator(seed: seed)
    var out: [(String, Double, Int64?)] = []
    for i in 0..<count {
        let t = start + Int64(i) * step + Int64.random(in: -jitter...jitter, using: &rng)
        let amount: Double = Int.random(in: 0..<50, using: &rng) == 0 ? .nan : (Double.random(in: -5...200, using: &rng) * 100).rounded() / 100
        out.append((keys[Int.random(in: 0..<keys.count, using: &rng)], amount, t))
    }
    return out
}

@Suite("Sliced window aggregation with watermark")
struct WindowedAggregatorTests {
    static let keys = ["c1", "c2", "é日本", "", "c5"]

    /// Runs `rows` through the engine in micro-batches of `batchSize`, then a far-future sentinel
    /// row so every window closes; returns everything emitted without the sentinel's windows.
    func runAppend(_ rows: [(String, Double, Int64?)], spec: WindowSpec, delay: Int64, batchSize: Int) throws -> (RecordBatch, WindowedAggregator) {
        var agg = try WindowedAggregator(plan: try onlinePlan(), spec: spec, timeField: "t", watermarkDelay: delay, mode: .append)
        var parts: [RecordBatch] = []
        var i = 0
        while i < rows.count {
            let late = agg.add(windowBatch(Array(rows[i..<min(rows.count, i + batchSize)])))
            #expect(late.rowCount == 0)
            parts.append(agg.endMicroBatch())
            i += batchSize
        }
        let far = (rows.compactMap(\.2).max() ?? 0) + spec.duration * 4 + delay
        _ = agg.add(windowBatch([("sentinel", 0, far)]))
        parts.append(agg.endMicroBatch())
        let all = RecordBatch.concatenate(parts, schema: agg.outputSchema)
        let keep = (0..<all.rowCount).filter { all.columns[0][$0] != .string("sentinel") }
        return (all.gather(keep), agg)
    }

    @Test("Append mode equals brute force for tumbling, overlapping and non-dividing slides",
          arguments: [(10_000, 10_000), (30_000, 10_000), (25_000, 10_000), (3_600_000, 300_000)])
    func appendMatchesBruteForce(duration: Int64, slide: Int64) throws {
        let spec = try WindowSpec(duration: duration, slide: slide)
        let rows = randomEvents(count: 400, seed: UInt64(duration + slide), start: -50_000, step: slide / 7 + 1, jitter: slide / 3,
                                keys: Self.keys)
        let (out, agg) = try runAppend(rows, spec: spec, delay: slide, batchSize: 37)
        let got = keyedRows(out)
        #expect(got.count == out.rowCount, "a (key, window) row was emitted twice")
        #expect(sameRows(got, bruteForceWindows(rows, spec: spec, plan: try onlinePlan())))
        #expect(agg.counters.eventsIn == Int64(rows.count + 1))
        #expect(agg.counters.lateEvents == 0)
    }

    @Test("A shuffled batch spanning many blocks, emitted in tiny chunks, equals brute force", arguments: [1, 7, 1 << 18])
    func shuffledSingleBatchAnyChunkSize(chunkRows: Int) throws {
        let spec = try WindowSpec(duration: 3_600_000, slide: 300_000)
        var rng = SeededGenerator(seed: 11)
        let rows = randomEvents(count: 500, seed: 3, start: 0, step: 400_000, jitter: 0, keys: Self.keys).shuffled(using: &rng)
        var agg = try WindowedAggregator(plan: try onlinePlan(), spec: spec, timeField: "t", watermarkDelay: 600_000, mode: .append)
        agg.emitChunkRows = chunkRows
        #expect(agg.add(windowBatch(rows)).rowCount == 0)
        var parts = [agg.endMicroBatch()]
        _ = agg.add(windowBatch([("sentinel", 0, 10_000_000_000)]))
        parts.append(agg.endMicroBatch())
        let all = RecordBatch.concatenate(parts, schema: agg.outputSchema)
        let got = keyedRows(all.gather((0..<all.rowCount).filter { all.columns[0][$0] != .string("sentinel") }))
        #expect(sameRows(got, bruteForceWindows(rows, spec: spec, plan: try onlinePlan())))
        // Rows come out grouped by window, windows ascending.
        let starts = all.columns[1].int64s ?? []
        #expect(starts == starts.sorted())
    }

    @Test("first/last keep input order when one batch spans several blocks and some rows are late")
    func orderSensitiveAggregates() throws {
        let plan = try FeaturePlan(definitions: [
            .custom(AggCustomAction(featureName: "first", expression: "FIRST(order_total_amount)")),
            .custom(AggCustomAction(featureName: "last", expression: "LAST(order_total_amount)")),
            .custom(AggCustomAction(featureName: "n", expression: "COUNT(*)")),
        ], schema: windowTestSchema, groupBy: "customer_id")
        let spec = try WindowSpec(duration: 30, slide: 10)
        var agg = try WindowedAggregator(plan: plan, spec: spec, timeField: "t", watermarkDelay: 0, mode: .append)
        _ = agg.add(windowBatch([("a", 100, 5)]))
        _ = agg.endMicroBatch()                                   // watermark 5
        // Interleaved blocks (block = 12 slices of 10), one NULL time rejected in between.
        let rows: [(String, Double, Int64?)] = [("a", 1, 7), ("a", 2, 130), ("b", 3, 8), ("a", 4, nil), ("a", 5, 9), ("a", 6, 131), ("a", 7, 6)]
        #expect(agg.add(windowBatch(rows)).rowCount == 1)
        var out = agg.endMicroBatch()
        _ = agg.add(windowBatch([("z", 0, 1_000)]))
        out = RecordBatch.concatenate([out, agg.endMicroBatch()], schema: agg.outputSchema)
        let got = keyedRows(out)
        let expected = bruteForceWindows([("a", 100, 5)] + rows.filter { $0.2 != nil }, spec: spec, plan: plan)  // z's windows stay open
        #expect(sameRows(got, expected))
        #expect(got["a|\(Value.timestamp(-20))|\(Value.timestamp(10))"]?[0] == .double(100))
        #expect(got["a|\(Value.timestamp(-20))|\(Value.timestamp(10))"]?[1] == .double(7))
    }

    @Test("Keys whose state was freed leave the key table; results are unchanged")
    func keyTableCompaction() throws {
        let spec = try WindowSpec(duration: 100, slide: 50)
        var agg = try WindowedAggregator(plan: try onlinePlan(), spec: spec, timeField: "t", watermarkDelay: 10, mode: .append)
        var all: [(String, Double, Int64?)] = []
        var got: [String: [Value]] = [:]
        for step in 0..<40 {
            let rows: [(String, Double, Int64?)] = (0..<300).map { i in ("k\(step)-\(i % 150)", Double(i), Int64(step * 1_000 + i)) }
            all += rows
            _ = agg.add(windowBatch(rows))
            got.merge(keyedRows(agg.endMicroBatch())) { a, _ in a }
        }
        #expect(agg.keyCount < 6_000 / 2, "dead keys were not dropped: \(agg.keyCount)")
        _ = agg.add(windowBatch([("sentinel", 0, 1_000_000)]))
        got.merge(keyedRows(agg.endMicroBatch())) { a, _ in a }
        got = got.filter { !$0.key.hasPrefix("\(Value.string("sentinel"))") }
        #expect(sameRows(got, bruteForceWindows(all, spec: spec, plan: try onlinePlan())))
    }

    @Test("value(ofWindow:) reads a window's current rows without emitting or freeing; empty state gives no rows")
    func valueOfWindowPeeks() throws {
        let spec = try WindowSpec(duration: 20, slide: 10)
        var agg = try WindowedAggregator(plan: try onlinePlan(), spec: spec, timeField: "t", watermarkDelay: 100, mode: .append)
        #expect(agg.value(ofWindow: 0).rowCount == 0)
        _ = agg.add(windowBatch([("a", 1, 12), ("b", 2, 15), ("a", 4, 25)]))
        let w1 = keyedRows(agg.value(ofWindow: 1))  // [10, 30)
        #expect(w1["a|\(Value.timestamp(10))|\(Value.timestamp(30))"]?[0] == .int64(2))
        #expect(w1.count == 2)
        #expect(agg.counters.windowsEmitted == 0 && agg.liveKeySlices == 3)
    }

    @Test("Emitted key columns carry their key-table ids as a dictionary hint: equal codes, equal keys")
    func emittedKeysCarryTheirIDs() throws {
        let spec = try WindowSpec(duration: 600, slide: 100)
        var agg = try WindowedAggregator(plan: try onlinePlan(), spec: spec, timeField: "t", watermarkDelay: 50, mode: .append)
        agg.emitChunkRows = 64
        let rows = randomEvents(count: 2_000, seed: 11, start: 0, step: 3, jitter: 20, keys: Self.keys + (0..<40).map { "k\($0)" })
        var batches: [RecordBatch] = []
        _ = agg.add(windowBatch(rows))
        _ = agg.add(windowBatch([("sentinel", 0, 100_000)]))
        agg.endMicroBatch { batches.append($0) }
        #expect(batches.count > 1)
        for b in batches {
            let keys = b.columns[0]
            let hint = try #require(keys.dictionaryHint)
            #expect(hint.codes.count == b.rowCount)
            var keyOfCode: [UInt32: Value] = [:], codeOfKey: [Value: UInt32] = [:]
            for i in 0..<b.rowCount {
                let code = hint.codes[i]
                #expect(Int(code) < hint.codeCount)
                #expect(keyOfCode[code, default: keys[i]] == keys[i])
                #expect(codeOfKey[keys[i], default: code] == code)
                keyOfCode[code] = keys[i]
                codeOfKey[keys[i]] = code
            }
        }
    }

    @Test("Events exactly on a boundary open the next window; negative times work")
    func boundaries() throws {
        let spec = try WindowSpec.tumbling(10)
        let rows: [(String, Double, Int64?)] = [("a", 1, -10), ("a", 2, -1), ("a", 4, 0), ("a", 8, 9), ("a", 16, 10)]
        let (out, _) = try runAppend(rows, spec: spec, delay: 0, batchSize: 10)
        let got = keyedRows(out)
        #expect(got.count == 3)
        let minus10 = got["a|\(Value.timestamp(-10))|\(Value.timestamp(0))"]
        #expect(minus10?[0] == .int64(2) && minus10?[1] == .double(3))
        #expect(got["a|\(Value.timestamp(0))|\(Value.timestamp(10))"]?[1] == .double(12))
        #expect(got["a|\(Value.timestamp(10))|\(Value.timestamp(20))"]?[0] == .int64(1))
    }

    @Test("Each event updates exactly one slice: state is per (key, slice), not per window")
    func oneSlicePerEvent() throws {
        let spec = try WindowSpec(duration: 3_600, slide: 300)  // 12 windows per event
        var agg = try WindowedAggregator(plan: try onlinePlan(), spec: spec, timeField: "t", watermarkDelay: 10_000, mode: .append)
        _ = agg.add(windowBatch([("a", 1, 10), ("a", 2, 20), ("b", 3, 299), ("a", 4, 300)]))
        #expect(agg.liveSlices == [0, 1])
        #expect(agg.liveKeySlices == 3)  // (a,0) (b,0) (a,1)
        #expect(agg.keyCount == 2)
    }

    @Test("Append emits a window once, only after the watermark passes its end; state is freed by blocks of slices")
    func appendEmitsOnceAndFrees() throws {
        let spec = try WindowSpec.tumbling(10)
        var agg = try WindowedAggregator(plan: try onlinePlan(), spec: spec, timeField: "t", watermarkDelay: 5, mode: .append)
        _ = agg.add(windowBatch([("a", 1, 1), ("a", 2, 12)]))
        #expect(agg.endMicroBatch().rowCount == 0)  // watermark 7 < 10
        #expect(agg.watermark == 7)
        _ = agg.add(windowBatch([("a", 4, 15)]))
        let first = agg.endMicroBatch()          // watermark 10: [0,10) closes
        #expect(first.rowCount == 1)
        #expect(first.row(0)[3] == .int64(1))
        #expect(agg.liveSlices == [0, 1])  // block 0 = slices 0…3 lives until [30, 40) closes
        _ = agg.add(windowBatch([("a", 8, 16)]))
        #expect(agg.endMicroBatch().rowCount == 0)  // watermark 11: nothing new, [0,10) not again
        _ = agg.add(windowBatch([("b", 1, 40)]))
        let second = agg.endMicroBatch()
        #expect(second.rowCount == 1)
        #expect(second.row(0)[3] == .int64(3) && second.row(0)[4] == .double(14))
        #expect(agg.liveSlices == [0, 1, 4])
        #expect(agg.counters.windowsEmitted == 2)
        _ = agg.add(windowBatch([("c", 1, 100)]))
        #expect(agg.endMicroBatch().rowCount == 1)  // watermark 95: [40, 50) of b
        #expect(agg.liveSlices == [10])            // blocks 0 and 1 freed, and their keys later
        #expect(agg.liveKeySlices == 1)
    }

    @Test("Update mode re-emits a window each micro-batch that changed it, with the new value")
    func updateReemits() throws {
        let spec = try WindowSpec(duration: 20, slide: 10)
        var agg = try WindowedAggregator(plan: try onlinePlan(), spec: spec, timeField: "t", watermarkDelay: 100, mode: .update)
        _ = agg.add(windowBatch([("a", 1, 12)]))
        let first = keyedRows(agg.endMicroBatch())
        #expect(first.count == 2)  // [0,20) and [10,30)
        #expect(agg.endMicroBatch().rowCount == 0)  // nothing changed
        _ = agg.add(windowBatch([("a", 5, 25)]))
        let second = keyedRows(agg.endMicroBatch())
        #expect(second.count == 2)  // [10,30) and [20,40)
        #expect(second["a|\(Value.timestamp(10))|\(Value.timestamp(30))"]?[0] == .int64(2))
    }

    @Test("Out-of-order rows within the watermark count; older ones come back late with the window they missed")
    func lateRows() throws {
        let spec = try WindowSpec.tumbling(10)
        var agg = try WindowedAggregator(plan: try onlinePlan(), spec: spec, timeField: "t", watermarkDelay: 20, mode: .append)
        _ = agg.add(windowBatch([("a", 1, 100)]))
        _ = agg.endMicroBatch()                                   // watermark 80
        let late = agg.add(windowBatch([("a", 2, 85), ("a", 4, 79), ("b", 8, 70), ("c", 16, nil), ("a", 32, 80)]))
        #expect(agg.counters.lateEvents == 2 && agg.counters.nullTimeEvents == 1)
        #expect(late.rowCount == 3)
        let reasons = (0..<late.rowCount).map { late.column(named: "late_reason")?[$0] }
        #expect(reasons == [.string("all windows closed"), .string("all windows closed"), .string("null event time")])
        #expect(late.column(named: "missed_window_start")?[0] == .timestamp(70))
        #expect(late.column(named: "missed_window_end")?[0] == .timestamp(80))
        #expect(late.column(named: "watermark")?[0] == .timestamp(80))
        #expect(late.column(named: "order_total_amount")?[1] == .double(8))
        _ = agg.add(windowBatch([("z", 0, 200)]))
        let out = keyedRows(agg.endMicroBatch())
        #expect(out["a|\(Value.timestamp(80))|\(Value.timestamp(90))"]?[1] == .double(34))  // 85 and 80 counted
    }

    @Test("A sliding-window row that missed only its oldest windows counts in the open ones and is reported")
    func partiallyLate() throws {
        let spec = try WindowSpec(duration: 30, slide: 10)
        var agg = try WindowedAggregator(plan: try onlinePlan(), spec: spec, timeField: "t", watermarkDelay: 0, mode: .append)
        _ = agg.add(windowBatch([("a", 1, 100)]))
        _ = agg.endMicroBatch()                                   // watermark 100
        let late = agg.add(windowBatch([("a", 2, 85)]))          // windows [60,90) [70,100) closed, [80,110) open
        #expect(late.rowCount == 1)
        #expect(late.column(named: "late_reason")?[0] == .string("some windows closed"))
        #expect(late.column(named: "missed_window_start")?[0] == .timestamp(60))
        #expect(late.column(named: "missed_window_end")?[0] == .timestamp(100))
        #expect(agg.counters.partiallyLateEvents == 1 && agg.counters.lateEvents == 0)
        _ = agg.add(windowBatch([("z", 0, 500)]))
        let out = keyedRows(agg.endMicroBatch())
        #expect(out["a|\(Value.timestamp(80))|\(Value.timestamp(110))"]?[0] == .int64(2))
    }

    @Test("Empty batches and a single row are fine; no watermark exists before the first timed row")
    func emptyAndSingle() throws {
        var agg = try WindowedAggregator(plan: try onlinePlan(), spec: try .tumbling(10), timeField: "t", watermarkDelay: 0, mode: .append)
        #expect(agg.add(windowBatch([])).rowCount == 0)
        #expect(agg.endMicroBatch().rowCount == 0)
        #expect(agg.watermark == nil)
        _ = agg.add(windowBatch([("x", -0.0, 5)]))
        #expect(agg.endMicroBatch().rowCount == 0)
        #expect(agg.watermark == 5 && agg.openWindowCount == 1)
    }

    @Test("A checkpoint restored mid-stream continues exactly like the uninterrupted engine")
    func checkpointRoundTrip() throws {
        let spec = try WindowSpec(duration: 25_000, slide: 10_000)
        let rows = randomEvents(count: 300, seed: 7, start: 0, step: 700, jitter: 4_000, keys: Self.keys)
        let plan = try onlinePlan()
        var a = try WindowedAggregator(plan: plan, spec: spec, timeField: "t", watermarkDelay: 3_000, mode: .append)
        var b = a
        var outA: [RecordBatch] = [], outB: [RecordBatch] = []
        for (n, chunk) in stride(from: 0, to: rows.count, by: 25).map({ Array(rows[$0..<min(rows.count, $0 + 25)]) }).enumerated() {
            outA.append(a.add(windowBatch(chunk))); outA.append(a.endMicroBatch())
            outB.append(b.add(windowBatch(chunk))); outB.append(b.endMicroBatch())
            if n % 3 == 1 {
                let bytes = b.serialize(fingerprint: "f")
                var fresh = try WindowedAggregator(plan: plan, spec: spec, timeField: "t", watermarkDelay: 3_000, mode: .append)
                try fresh.restore(bytes, fingerprint: "f")
                #expect(fresh.serialize(fingerprint: "f") == bytes)
                b = fresh
            }
        }
        #expect(outA.map(\.rowCount) == outB.map(\.rowCount))
        // Bit-identical values (NaN amounts included), not merely close ones.
        #expect(zip(outA, outB).allSatisfy { x, y in
            x.schema == y.schema && zip(x.columns, y.columns).allSatisfy { columnsMatch($0, $1, relative: 0) }
        })
        #expect(a.counters == b.counters)
    }

    @Test("A checkpoint of other settings or corrupt bytes is an error, not a crash")
    func checkpointMismatch() throws {
        var a = try WindowedAggregator(plan: try onlinePlan(), spec: try .tumbling(10), timeField: "t", watermarkDelay: 0, mode: .append)
        _ = a.add(windowBatch([("a", 1, 1)]))
        let bytes = a.serialize(fingerprint: "one")
        var b = try WindowedAggregator(plan: try onlinePlan(), spec: try .tumbling(10), timeField: "t", watermarkDelay: 0, mode: .append)
        #expect(throws: StateDecodingError.self) { try b.restore(bytes, fingerprint: "two") }
        #expect(throws: StateDecodingError.self) { try b.restore(Array(bytes.prefix(bytes.count - 3)), fingerprint: "one") }
        var c = try WindowedAggregator(plan: try onlinePlan(), spec: try .tumbling(20), timeField: "t", watermarkDelay: 0, mode: .append)
        #expect(throws: StateDecodingError.self) { try c.restore(bytes, fingerprint: "one") }
    }

    @Test("The time field must exist and be a timestamp")
    func timeFieldChecked() throws {
        #expect(throws: WindowSpecError.self) {
            try WindowedAggregator(plan: try onlinePlan(), spec: try .tumbling(10), timeField: "nope", watermarkDelay: 0, mode: .append)
        }
        #expect(throws: WindowSpecError.self) {
            try WindowedAggregator(plan: try onlinePlan(), spec: try .tumbling(10), timeField: "order_total_amount", watermarkDelay: 0, mode: .append)
        }
    }

    @Test("Dropping the trash group keeps the first n values and their NULLs, for every physical type")
    func prefixKeepsLeadingValues() {
        let cases: [Column] = [
            Column(.boolean, [.boolean(true), .null, .boolean(false)]),
            Column(.int32, [.int32(1), .int32(-2), .null]),
            Column(.int64, [.null, .int64(Int64.max), .int64(7)]),
            Column(.double, [.double(-0.0), .double(.nan), .double(2.5)]),
            Column(.string, [.string("é"), .string(""), .string("trash")]),
        ]
        for column in cases {
            let expected = (0..<2).map { column[$0] }
            let kept = WindowedAggregator.prefix(column, 2)
            #expect(kept.count == 2)
            #expect(kept.type == column.type)
            for i in 0..<2 { #expect(kept[i].description == expected[i].description, "\(column.type) row \(i)") }
            #expect(kept.hasNulls == expected.contains(.null))
            #expect(column.count == 3, "the caller's column is not shortened")
        }
    }
}
