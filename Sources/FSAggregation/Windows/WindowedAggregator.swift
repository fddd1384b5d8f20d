import FSCore

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
///                 ── open rows ──► slice gcd(duration, slide) of the row ──► that slice's
///                                  GroupedAggregator (one update per row)
///     endMicroBatch() ── watermark = max(watermark, max event time − delay)
///                     ── append: windows whose end passed the watermark, once
///                        update: windows changed in this micro-batch
///                     ── value of window = finalize(merge of a fresh table with its slices)
///                     ── free slices whose last window is closed
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

    /// Live slices: slice number → per-key states of the rows in that slice.
    public internal(set) var slices: [Int64: GroupedAggregator] = [:]
    /// Largest event time seen (nil before the first timed row).
    public internal(set) var maxEventTime: Int64?
    /// Current watermark (nil until the first micro-batch with a timed row ends).
    public internal(set) var watermark: Int64?
    /// Append mode: every window ending at or before this was emitted.
    public internal(set) var emittedThrough: Int64?
    public internal(set) var counters = WindowCounters()
    /// Update mode: windows changed since the last emission.
    var dirty: Set<Int64> = []

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
    /// windows are the consecutive slide-aligned windows between). Call `endMicroBatch()` after
    /// the micro-batch's last batch.
    public mutating func add(_ batch: RecordBatch) -> RecordBatch {
        precondition(batch.schema == plan.schema, "batch schema \(batch.schema) is not the plan's \(plan.schema)")
        let n = batch.rowCount
        guard n > 0 else { return RecordBatch.empty(lateSchema) }
        let timeColumn = batch.columns[timeIndex]
        let times = timeColumn.int64s ?? []
        let w = watermark
        var lateRows: [Int] = []
        var lateReasons: [LateReason] = []
        var missedFirst: [Int64] = []
        var missedLast: [Int64] = []
        var sliceOf = [Int64](repeating: 0, count: n)
        var accepted = [Bool](repeating: true, count: n)
        var firstSlice: Int64? = nil
        var singleSlice = true
        var maxTime = maxEventTime
        for i in 0..<n {
            if timeColumn.isNull(i) {
                accepted[i] = false
                lateRows.append(i); lateReasons.append(.nullEventTime); missedFirst.append(Int64.min); missedLast.append(Int64.min)
                counters.nullTimeEvents += 1
                singleSlice = false
                continue
            }
            let t = times[i]
            if maxTime.map({ t > $0 }) ?? true { maxTime = t }
            if let w {
                let ks = spec.windows(containing: t)
                if spec.windowEnd(ks.upperBound) <= w {
                    accepted[i] = false
                    lateRows.append(i); lateReasons.append(.allWindowsClosed)
                    missedFirst.append(spec.windowStart(ks.lowerBound)); missedLast.append(spec.windowEnd(ks.upperBound))
                    counters.lateEvents += 1
                    singleSlice = false
                    continue
                }
                if spec.windowEnd(ks.lowerBound) <= w {
                    let lastClosed = floorDiv(w &- spec.duration, spec.slide)
                    lateRows.append(i); lateReasons.append(.someWindowsClosed)
                    missedFirst.append(spec.windowStart(ks.lowerBound)); missedLast.append(spec.windowEnd(lastClosed))
                    counters.partiallyLateEvents += 1
                }
            }
            let j = spec.sliceIndex(of: t)
            sliceOf[i] = j
            if let f = firstSlice { if f != j { singleSlice = false } } else { firstSlice = j }
        }
        maxEventTime = maxTime
        let stampBase = counters.eventsIn
        counters.eventsIn += Int64(n)
        if singleSlice, let j = firstSlice {
            fold(batch, into: j, firstRowStamp: stampBase)
        } else {
            var rowsBySlice: [Int64: [Int]] = [:]
            for i in 0..<n where accepted[i] { rowsBySlice[sliceOf[i], default: []].append(i) }
            for j in rowsBySlice.keys.sorted() {
                guard let rows = rowsBySlice[j], let first = rows.first else { continue }
                fold(batch.gather(rows), into: j, firstRowStamp: stampBase + Int64(first))
            }
        }
        return lateBatch(batch, rows: lateRows, reasons: lateReasons, first: missedFirst, last: missedLast)
    }

    private mutating func fold(_ batch: RecordBatch, into j: Int64, firstRowStamp: Int64) {
        var table = slices.removeValue(forKey: j) ?? plan.makeAggregator(expectedGroups: 64)
        plan.update(&table, batch: batch, periodMasks: plan.periods.map { _ in Validity(repeating: true, count: batch.rowCount) },
                    firstRowStamp: firstRowStamp)
        slices[j] = table
        if mode == .update {
            for k in spec.windows(containingSlice: j) where watermark.map({ spec.windowEnd(k) > $0 }) ?? true { dirty.insert(k) }
        }
    }

    private func lateBatch(_ batch: RecordBatch, rows: [Int], reasons: [LateReason], first: [Int64], last: [Int64]) -> RecordBatch {
        guard !rows.isEmpty else { return RecordBatch.empty(lateSchema) }
        let base = batch.gather(rows)
        var reason = ColumnBuilder(type: .string, capacity: rows.count)
        var start = ColumnBuilder(type: .timestamp, capacity: rows.count)
        var end = ColumnBuilder(type: .timestamp, capacity: rows.count)
        var mark = ColumnBuilder(type: .timestamp, capacity: rows.count)
        for r in rows.indices {
            reason.append(reasons[r].rawValue)
            if reasons[r] == .nullEventTime { start.appendNull(); end.appendNull() } else { start.append(first[r]); end.append(last[r]) }
            if let w = watermark { mark.append(w) } else { mark.appendNull() }
        }
        return RecordBatch(schema: lateSchema, columns: base.columns + [reason.finish(), start.finish(), end.finish(), mark.finish()])
    }

    // MARK: Emitting

    /// Ends the micro-batch: advances the watermark, returns the rows to write (`outputSchema`,
    /// windows in start order, keys in first-seen order) and frees slices no open window needs.
    public mutating func endMicroBatch() -> RecordBatch {
        if let m = maxEventTime {
            let candidate = m &- delay
            if watermark.map({ candidate > $0 }) ?? true { watermark = candidate }
        }
        let windows: [Int64]
        switch mode {
        case .append:
            guard let w = watermark else { return RecordBatch.empty(outputSchema) }
            var ks = Set<Int64>()
            for j in slices.keys {
                for k in spec.windows(containingSlice: j) {
                    let end = spec.windowEnd(k)
                    if end <= w && emittedThrough.map({ end > $0 }) ?? true { ks.insert(k) }
                }
            }
            windows = ks.sorted()
            emittedThrough = w
        case .update:
            windows = dirty.sorted()
            dirty = []
        }
        var parts: [RecordBatch] = []
        for k in windows {
            let b = value(ofWindow: k)
            if b.rowCount > 0 { parts.append(b) }
        }
        counters.windowsEmitted += Int64(parts.count)
        let out = parts.isEmpty ? RecordBatch.empty(outputSchema) : RecordBatch.concatenate(parts, schema: outputSchema)
        counters.rowsEmitted += Int64(out.rowCount)
        freeClosedSlices()
        return out
    }

    /// The rows of window k now: a fresh table merged with each of its live slices, finalized.
    /// Empty when no slice of the window has rows.
    public func value(ofWindow k: Int64) -> RecordBatch {
        var table: GroupedAggregator? = nil
        for j in spec.slices(ofWindow: k) {
            guard let s = slices[j] else { continue }
            if table == nil { table = plan.makeAggregator(expectedGroups: max(16, s.groupCount)) }
            table?.merge(s)
        }
        guard let table, table.groupCount > 0 else { return RecordBatch.empty(outputSchema) }
        let features = plan.finish(table)
        let n = features.rowCount
        let start = Column(type: .timestamp, values: .int64([Int64](repeating: spec.windowStart(k), count: n)))
        let end = Column(type: .timestamp, values: .int64([Int64](repeating: spec.windowEnd(k), count: n)))
        return RecordBatch(schema: outputSchema, columns: [features.columns[0], start, end] + features.columns.dropFirst())
    }

    /// Drops slices whose newest window has ended at or before the watermark.
    mutating func freeClosedSlices() {
        guard let w = watermark else { return }
        for j in Array(slices.keys) where spec.windowEnd(spec.windows(containingSlice: j).upperBound) <= w {
            slices.removeValue(forKey: j)
        }
    }

    // MARK: Observability

    /// Windows that hold data and have not closed (end > watermark).
    public var openWindowCount: Int {
        var ks = Set<Int64>()
        for j in slices.keys {
            for k in spec.windows(containingSlice: j) where watermark.map({ spec.windowEnd(k) > $0 }) ?? true { ks.insert(k) }
        }
        return ks.count
    }

    /// Live (key, slice) states: the unit of state memory.
    public var liveKeySlices: Int { slices.values.reduce(0) { $0 + $1.groupCount } }
}
