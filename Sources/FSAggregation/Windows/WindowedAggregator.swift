import FSCore
import FSExpr

/// When the online job writes a window's row.
public enum WindowOutputMode: String, Sendable, CaseIterable {
    /// Once, after the watermark passed the window's end: the row is final.
    case append
    /// Every micro-batch that changed the window, until the watermark passes its end.
    case update
}

/// What a `WindowedAggregator` has seen and done; carried in its checkpoint so totals survive
/// restarts.
public struct WindowCounters: Sendable, Equatable {
    /// Rows given to `add`, late ones included.
    public var eventsIn: Int64 = 0
    /// Rows whose every window had closed: not aggregated, returned as late.
    public var lateEvents: Int64 = 0
    /// Rows that missed some (closed) windows but were counted in their open ones.
    public var partiallyLateEvents: Int64 = 0
    /// Rows without an event time (Spark drops them silently; fs returns them as late).
    public var nullTimeEvents: Int64 = 0
    public var windowsEmitted: Int64 = 0
    public var rowsEmitted: Int64 = 0

    public init() {}
}

/// Event-time sliding-window aggregation by slices, with Spark Structured Streaming's
/// watermark and output-mode semantics: the engine the online job drives and the tests pin.
///
///     add(batch)  ── per row: windows closed? (end ≤ watermark at micro-batch start) ──► late rows
///                 ── key ──► key id (one hash of the key per event, `keyTable`)
///                 ── time ──► slice gcd(duration, slide) ──► block of slices ──► one row
///                     (key id, slice) of that block; each aggregate updates that row only
///     endMicroBatch() ── watermark = max(watermark, max event time − delay)
///                     ── append: windows whose end passed the watermark, once
///                        update: windows changed in this micro-batch
///                     ── emission (`+Emission`): per block and per window position q, one
///                        merge call per aggregate maps every row to its (key, q-th window)
///                        output group; finalize once; columns out, in chunks
///                     ── free blocks whose newest window is closed
///
/// The cost per event is one key hash, one row lookup and one state update per aggregate,
/// whatever duration / slide is; merging slices into windows happens only when windows are
/// emitted, column-wise.
///
/// A micro-batch is the unit of the watermark, as in Spark: rows are judged late against the
/// watermark computed at the end of the previous micro-batch, whatever their order inside it.
/// The online job makes one micro-batch per input table version, so the result depends only on
/// the input's commit history — not on when the job ran or restarted.
///
/// Lateness is Spark's per-window rule: a (row, window) pair is dropped when the window's end
/// is ≤ the watermark. A row all of whose windows are closed is *late* (returned, not
/// aggregated); a row that missed only its oldest windows (sliding windows) is counted in the
/// open ones and also returned, marked partially late, so nothing disappears silently.
public struct WindowedAggregator: Sendable {
    public let plan: FeaturePlan
    public let spec: WindowSpec
    /// Column of the event time (a timestamp) in `plan.schema`.
    public let timeIndex: Int
    /// Watermark delay in µs (≥ 0).
    public let delay: Int64
    public let mode: WindowOutputMode
    /// Slices per block: the slices of four windows (at most 1024). Emission makes one merge
    /// call per aggregate, block and window position, so larger blocks mean fewer calls on
    /// sparse keys; a block is freed once its newest window closed, so state outlives its
    /// windows by at most a block's span.
    public let blockSlices: Int64

    /// Largest event time seen (nil before the first timed row).
    public internal(set) var maxEventTime: Int64?
    /// Current watermark (nil until the first micro-batch with a timed row ends).
    public internal(set) var watermark: Int64?
    /// Append mode: every window ending at or before this was emitted.
    public internal(set) var emittedThrough: Int64?
    public internal(set) var counters = WindowCounters()
    /// Most output rows built in memory at once: emission hands out windows in chunks of about
    /// this many rows.
    public var emitChunkRows = 1 << 18
    /// Emissions of every window in a range (append mode, `value(ofWindow:)`) merge once per run
    /// of identical windows (`+Runs`); false merges once per (key, window) like update mode's
    /// emissions of dirty windows — the reference the tests compare the runs against.
    var emitsByRuns = true

    /// Every key that has (or recently had) state → dense key id.
    var keyTable: GroupKeyTable
    /// Live blocks: block number → their (key, slice) rows.
    var blocks: [Int64: SliceBlock] = [:]
    /// Update mode: windows changed since the last emission.
    var dirty: Set<Int64> = []
    /// Rows freed since the key table was last compacted.
    var rowsFreedSinceCompaction = 0
    let specs: [AggregateSpec]
    /// `first`/`last`/`max_by`/`min_by` order rows by stamp: folds keep exact input positions
    /// (and the online job keeps the input files in path order).
    package let isOrderSensitive: Bool
    /// For each aggregate and argument, the index of its column among the distinct argument
    /// expressions (so a batch split by block gathers each column once).
    let argumentSlots: [[Int]]
    let distinctArguments: Int
    private var keyIDs: [UInt32] = []
    private var rowScratch: [UInt32] = []

    /// - Parameters:
    ///   - timeField: the event-time column (type timestamp).
    ///   - watermarkDelay: how far behind the largest event time the watermark trails, in µs.
    public init(plan: FeaturePlan, spec: WindowSpec, timeField: String, watermarkDelay: Int64, mode: WindowOutputMode) throws(WindowSpecError) {
        guard let ti = plan.schema.index(of: timeField) else {
            throw WindowSpecError("unknown time field \"\(timeField)\"; the table has \(plan.schema.names.joined(separator: ", "))")
        }
        guard plan.schema.fields[ti].type == .timestamp else {
            throw WindowSpecError("the time field \"\(timeField)\" is \(plan.schema.fields[ti].type), a timestamp is needed")
        }
        guard watermarkDelay >= 0 else { throw WindowSpecError("the watermark delay must not be negative") }
        self.plan = plan
        self.spec = spec
        self.timeIndex = ti
        self.delay = watermarkDelay
        self.mode = mode
        blockSlices = max(1, min(spec.slicesPerWindow.multipliedReportingOverflow(by: 4).partialValue, 1024))
        keyTable = GroupKeyTable(keyType: plan.schema.fields[plan.keyIndex].type)
        specs = plan.aggregates.map(\.spec)
        isOrderSensitive = specs.contains { [.first, .last, .maxBy, .minBy].contains($0.kind) }
        var distinct: [BoundExpr] = []
        var slots: [[Int]] = []
        for a in plan.aggregates {
            slots.append(a.call.arguments.map { e in
                if let i = distinct.firstIndex(of: e) { return i }
                distinct.append(e)
                return distinct.count - 1
            })
        }
        argumentSlots = slots
        distinctArguments = distinct.count
    }

    // MARK: Schemas

    /// Rows emitted: the grouping key, `window_start`, `window_end`, then the features.
    public var outputSchema: Schema {
        let f = plan.outputSchema.fields
        return Schema([f[0], Field("window_start", .timestamp), Field("window_end", .timestamp)] + f.dropFirst())
    }

    /// Late rows: every input column, then why and which windows they missed.
    public var lateSchema: Schema {
        Schema(plan.schema.fields + [
            Field("late_reason", .string), Field("missed_window_start", .timestamp),
            Field("missed_window_end", .timestamp), Field("watermark", .timestamp),
        ])
    }

    /// Why a row is in the late output.
    public enum LateReason: String, Sendable {
        /// Every window of the row had ended at or before the watermark.
        case allWindowsClosed = "all windows closed"
        /// Its oldest windows had closed; it was counted in the others.
        case someWindowsClosed = "some windows closed"
        case nullEventTime = "null event time"
    }

    // MARK: Folding

    /// Folds one batch into the current micro-batch and returns its late rows (`lateSchema`):
    /// for each, the first missed window's start and the last missed window's end (the missed
    /// windows are the consecutive slide-aligned windows between). Call `endMicroBatch` after
    /// the micro-batch's last batch.
    public mutating func add(_ batch: RecordBatch) -> RecordBatch {
        precondition(batch.schema == plan.schema, "batch schema \(batch.schema) is not the plan's \(plan.schema)")
        let n = batch.rowCount
        guard n > 0 else { return RecordBatch.empty(lateSchema) }
        let timeColumn = batch.columns[timeIndex]
        let times = timeColumn.int64s ?? [Int64](repeating: 0, count: n)
        let hasNullTimes = timeColumn.hasNulls
        let w = watermark
        var late = LateRows()
        var accepted: [Int]? = nil
        var sliceOf: [Int64] = []
        sliceOf.reserveCapacity(n)
        var maxTime = maxEventTime ?? Int64.min
        var sawTime = maxEventTime != nil
        for i in 0..<n {
            var reject = false
            if hasNullTimes && timeColumn.isNull(i) {
                late.append(i, .nullEventTime, Int64.min, Int64.min)
                counters.nullTimeEvents += 1
                reject = true
            } else {
                let t = times[i]
                if t > maxTime { maxTime = t }
                sawTime = true
                if let w {
                    let ks = spec.windows(containing: t)
                    if spec.windowEnd(ks.upperBound) <= w {
                        late.append(i, .allWindowsClosed, spec.windowStart(ks.lowerBound), spec.windowEnd(ks.upperBound))
                        counters.lateEvents += 1
                        reject = true
                    } else if spec.windowEnd(ks.lowerBound) <= w {
                        let lastClosed = floorDiv(w &- spec.duration, spec.slide)
                        late.append(i, .someWindowsClosed, spec.windowStart(ks.lowerBound), spec.windowEnd(lastClosed))
                        counters.partiallyLateEvents += 1
                    }
                }
            }
            if reject {
                if accepted == nil { accepted = Array(0..<i) }
            } else {
                accepted?.append(i)
                sliceOf.append(spec.sliceIndex(of: times[i]))
            }
        }
        if sawTime { maxEventTime = maxTime }
        let stampBase = counters.eventsIn
        counters.eventsIn += Int64(n)
        if let rows = accepted {
            if !rows.isEmpty { fold(batch.gather(rows), slices: sliceOf, positions: rows, stampBase: stampBase) }
        } else {
            fold(batch, slices: sliceOf, positions: nil, stampBase: stampBase)
        }
        return lateBatch(batch, late)
    }

    /// Folds accepted rows: `slices[r]` is row r's slice, `positions[r]` its index in the
    /// micro-batch input (nil = r), which gives its row stamp.
    private mutating func fold(_ batch: RecordBatch, slices: [Int64], positions: [Int]?, stampBase: Int64) {
        let n = batch.rowCount
        keyTable.groupIDs(for: batch.columns[plan.keyIndex], into: &keyIDs)
        let inputs = plan.evaluateInputs(batch, periodMasks: plan.periods.map { _ in Validity(repeating: true, count: n) })
        let b = blockSlices
        var blockOf = [Int64](repeating: 0, count: n)
        var offsets = [UInt32](repeating: 0, count: n)
        var minBlock = Int64.max, maxBlock = Int64.min
        for r in 0..<n {
            let blk = floorDiv(slices[r], b)
            blockOf[r] = blk
            offsets[r] = UInt32(truncatingIfNeeded: slices[r] &- blk &* b)
            if blk < minBlock { minBlock = blk }
            if blk > maxBlock { maxBlock = blk }
        }
        if mode == .update { markDirty(slices) }
        let stampOf = { (r: Int) -> Int64 in stampBase + Int64(positions?[r] ?? r) }
        // One block and consecutive positions (the usual case for time-ordered input): fold as is.
        let contiguous = positions.map { p in p.isEmpty || p[p.count - 1] - p[0] == p.count - 1 } ?? true
        if minBlock == maxBlock && contiguous {
            foldRows(into: minBlock, keyIDs: keyIDs, offsets: offsets, arguments: inputs.arguments, selections: inputs.selections,
                     firstRowStamp: stampOf(0))
            return
        }
        // Rows grouped by block, input order kept inside each block.
        let order = Self.orderByBlock(blockOf, minBlock: minBlock, maxBlock: maxBlock)
        var unique = [Column?](repeating: nil, count: distinctArguments)
        for (k, slots) in argumentSlots.enumerated() { for (a, u) in slots.enumerated() { unique[u] = inputs.arguments[k][a] } }
        var start = 0
        while start < n {
            let blk = blockOf[order[start]]
            var end = start + 1
            while end < n && blockOf[order[end]] == blk { end += 1 }
            // Runs of consecutive input positions when row stamps matter; the whole block otherwise.
            var runStart = start
            while runStart < end {
                var runEnd = end
                if isOrderSensitive {
                    runEnd = runStart + 1
                    while runEnd < end && order[runEnd] == order[runEnd - 1] + 1 && positions.map({ $0[order[runEnd]] == $0[order[runEnd - 1]] + 1 }) ?? true {
                        runEnd += 1
                    }
                }
                let rows = Array(order[runStart..<runEnd])
                let gathered = unique.map { $0?.gather(rows) }
                let arguments = argumentSlots.map { slots in slots.map { gathered[$0]! } }
                let selections = inputs.selections.map { $0.map { Self.gather($0, rows) } }
                foldRows(into: blk, keyIDs: rows.map { keyIDs[$0] }, offsets: rows.map { offsets[$0] }, arguments: arguments,
                         selections: selections, firstRowStamp: stampOf(rows[0]))
                runStart = runEnd
            }
            start = end
        }
    }

    private mutating func foldRows(into blk: Int64, keyIDs ids: [UInt32], offsets: [UInt32], arguments: [[Column]], selections: [Validity?],
                                   firstRowStamp: Int64) {
        var block = blocks.removeValue(forKey: blk) ?? SliceBlock(specs: specs, expectedRows: min(1024, max(16, ids.count)))
        ids.withUnsafeBufferPointer { k in
            offsets.withUnsafeBufferPointer { o in
                block.fold(keyIDs: k, offsets: o, arguments: arguments, selections: selections, firstRowStamp: firstRowStamp, scratch: &rowScratch)
            }
        }
        blocks[blk] = block
    }

    /// Row indices sorted by block, stable: a counting sort when the blocks are dense, a sort
    /// of (block, row) otherwise.
    static func orderByBlock(_ blockOf: [Int64], minBlock: Int64, maxBlock: Int64) -> [Int] {
        let n = blockOf.count
        let (span, overflow) = maxBlock.subtractingReportingOverflow(minBlock)
        if !overflow && span < Int64(4 * n + 1024) {
            var starts = [Int](repeating: 0, count: Int(span) + 2)
            for blk in blockOf { starts[Int(blk - minBlock) + 1] += 1 }
            for i in 1..<starts.count { starts[i] += starts[i - 1] }
            var order = [Int](repeating: 0, count: n)
            for (r, blk) in blockOf.enumerated() {
                let at = Int(blk - minBlock)
                order[starts[at]] = r
                starts[at] += 1
            }
            return order
        }
        return (0..<n).sorted { blockOf[$0] != blockOf[$1] ? blockOf[$0] < blockOf[$1] : $0 < $1 }
    }

    static func gather(_ v: Validity, _ rows: [Int]) -> Validity {
        var out = Validity()
        out.reserveCapacity(rows.count)
        for r in rows { out.append(v.isValid(r)) }
        return out
    }

    private mutating func markDirty(_ slices: [Int64]) {
        var last: Int64? = nil
        for j in slices where j != last {
            last = j
            for k in spec.windows(containingSlice: j) where watermark.map({ spec.windowEnd(k) > $0 }) ?? true { dirty.insert(k) }
        }
    }

    /// Late rows collected while folding one batch.
    struct LateRows {
        var rows: [Int] = []
        var reasons: [LateReason] = []
        var first: [Int64] = []
        var last: [Int64] = []

        mutating func append(_ row: Int, _ reason: LateReason, _ f: Int64, _ l: Int64) {
            rows.append(row); reasons.append(reason); first.append(f); last.append(l)
        }
    }

    private func lateBatch(_ batch: RecordBatch, _ late: LateRows) -> RecordBatch {
        guard !late.rows.isEmpty else { return RecordBatch.empty(lateSchema) }
        let base = batch.gather(late.rows)
        let count = late.rows.count
        var reason = ColumnBuilder(type: .string, capacity: count)
        var start = ColumnBuilder(type: .timestamp, capacity: count)
        var end = ColumnBuilder(type: .timestamp, capacity: count)
        var mark = ColumnBuilder(type: .timestamp, capacity: count)
        for r in 0..<count {
            reason.append(late.reasons[r].rawValue)
            if late.reasons[r] == .nullEventTime { start.appendNull(); end.appendNull() } else { start.append(late.first[r]); end.append(late.last[r]) }
            if let w = watermark { mark.append(w) } else { mark.appendNull() }
        }
        return RecordBatch(schema: lateSchema, columns: base.columns + [reason.finish(), start.finish(), end.finish(), mark.finish()])
    }

    // MARK: Observability

    /// The slices holding state, ascending.
    public var liveSlices: [Int64] {
        var out: [Int64] = []
        for blk in blocks.keys.sorted() {
            guard let block = blocks[blk] else { continue }
            var seen = [Bool](repeating: false, count: Int(blockSlices))
            for key in block.rows.keys { seen[Int(SliceBlock.offset(of: key))] = true }
            for (o, s) in seen.enumerated() where s { out.append(blk &* blockSlices &+ Int64(o)) }
        }
        return out
    }

    /// Windows that hold data and have not closed (end > watermark).
    public var openWindowCount: Int {
        var count = 0
        var next = Int64.min  // first window not counted yet (slices ascending → ranges ascending)
        for j in liveSlices {
            let ks = spec.windows(containingSlice: j)
            var lo = Swift.max(ks.lowerBound, next)
            if let w = watermark { while lo <= ks.upperBound && spec.windowEnd(lo) <= w { lo += 1 } }
            if lo <= ks.upperBound { count += Int(ks.upperBound - lo + 1) }
            next = Swift.max(next, ks.upperBound + 1)
        }
        return count
    }

    /// Live (key, slice) states: the unit of state memory.
    public var liveKeySlices: Int { blocks.values.reduce(0) { $0 + $1.rowCount } }

    /// Keys in the key table (live ones and those freed since the last compaction).
    public var keyCount: Int { keyTable.groupCount }
}

extension WindowedAggregator {
    /// Bytes the window state holds in memory: every block's row index (allocated capacity)
    /// and its aggregate states (the bytes of their fields, i.e. the serialized states without
    /// headers), plus the key table (key bytes, offsets, hashes, slots). Array growth slack of
    /// the accumulators is not counted. Costs a pass over the state: call it at peaks, not per batch.
    public var stateMemoryBytes: Int {
        var total = 0
        for block in blocks.values {
            total += block.rows.memoryBytes
            for a in block.accumulators { total += a.serializedByteCount() }
        }
        let keys = keyTable.keyColumn()
        if case .string(let s) = keys.values { total += s.bytes.count + s.offsets.count * 8 + keys.count * 8 } else { total += keys.count * 8 }
        var slots = 16
        while slots < keys.count * 2 { slots <<= 1 }
        return total + slots * 4
    }
}
