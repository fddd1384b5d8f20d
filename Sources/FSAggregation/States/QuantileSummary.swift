import FSCore

/// Spark's `QuantileSummaries`: the Greenwald–Khanna variant behind `percentile_approx`.
///
/// Values are buffered (up to `headSize`), then merged in sorted into a list of
/// (value, g, delta) samples, which `compress` thins so that any rank is known within
/// `relativeError × count`. With Spark's default accuracy 10000 the relative error is 1e-4;
/// below 5000 values the thinning threshold `2 · 1e-4 · n` is < 1, nothing is merged, and the
/// answer is exact — the sorted value at rank ceil(q · n). The algorithm is reproduced step by
/// step (insert, compress, merge, query), so fs returns Spark's value, not just one in the bound.
///
/// Error bound (documented for goldens and law tests): the returned value's rank differs from
/// ceil(q · n) by at most `relativeError × n` (plus the bound of each merged part).
public struct QuantileSummary: Sendable, Equatable {
    /// One sample: `g` = rank gap to the previous sample, `delta` = rank uncertainty.
    public struct Sample: Sendable, Equatable {
        public var value: Double
        public var g: Int64
        public var delta: Int64
    }

    /// Spark's `QuantileSummaries.defaultCompressThreshold` and `defaultHeadSize`.
    public static let compressThreshold = 10_000
    public static let headSize = 50_000

    public let relativeError: Double
    public private(set) var sampled: [Sample] = []
    public private(set) var head: [Double] = []
    /// Values in `sampled` (not counting `head`).
    public private(set) var count: Int64 = 0

    public init(relativeError: Double) { self.relativeError = relativeError }

    /// Total values seen.
    public var totalCount: Int64 { count + Int64(head.count) }

    public mutating func insert(_ x: Double) {
        head.append(x)
        if head.count >= Self.headSize {
            insertHead()
            if sampled.count >= Self.compressThreshold { compress() }
        }
    }

    /// Spark's `withHeadBufferInserted`: merge the sorted buffer into the samples.
    private mutating func insertHead() {
        guard !head.isEmpty else { return }
        let sorted = head.sorted { sparkCompare($0, $1) < 0 }
        var out: [Sample] = []
        out.reserveCapacity(sampled.count + sorted.count)
        var current = count
        var si = 0
        for (oi, x) in sorted.enumerated() {
            while si < sampled.count && sparkCompare(sampled[si].value, x) <= 0 { out.append(sampled[si]); si += 1 }
            current += 1
            let delta: Int64
            if out.isEmpty || (si == sampled.count && oi == sorted.count - 1) { delta = 0 }
            else { delta = Int64((2 * relativeError * Double(current)).rounded(.down)) }
            out.append(Sample(value: x, g: 1, delta: delta))
        }
        while si < sampled.count { out.append(sampled[si]); si += 1 }
        sampled = out
        count = current
        head = []
    }

    /// Spark's `compress`: flush the buffer, then merge neighbouring samples whose combined
    /// uncertainty stays under `2 · relativeError · count`.
    public mutating func compress() {
        insertHead()
        sampled = Self.compressed(sampled, threshold: 2 * relativeError * Double(count))
    }

    /// Spark's `compressImmut`, from the end towards the start; the first sample is kept.
    static func compressed(_ samples: [Sample], threshold: Double) -> [Sample] {
        guard !samples.isEmpty else { return [] }
        var reversed: [Sample] = []
        var headSample = samples[samples.count - 1]
        var i = samples.count - 2
        while i >= 1 {
            let s = samples[i]
            if Double(s.g + headSample.g + headSample.delta) < threshold {
                headSample.g += s.g
            } else {
                reversed.append(headSample)
                headSample = s
            }
            i -= 1
        }
        reversed.append(headSample)
        let first = samples[0]
        if sparkCompare(first.value, headSample.value) <= 0 && samples.count > 1 { reversed.append(first) }
        return reversed.reversed()
    }

    /// Spark's `merge` of two compressed summaries (both are compressed first here).
    public mutating func merge(_ other: QuantileSummary) {
        var o = other
        o.compress()
        compress()
        if o.count == 0 { return }
        if count == 0 { sampled = o.sampled; count = o.count; return }
        var merged: [Sample] = []
        merged.reserveCapacity(sampled.count + o.sampled.count)
        var a = 0, b = 0
        while a < sampled.count || b < o.sampled.count {
            if b == o.sampled.count || (a < sampled.count && sparkCompare(sampled[a].value, o.sampled[b].value) <= 0) {
                merged.append(sampled[a]); a += 1
            } else {
                merged.append(o.sampled[b]); b += 1
            }
        }
        count += o.count
        sampled = Self.compressed(merged, threshold: 2 * relativeError * Double(count))
    }

    /// The approximate `quantile` (Spark's `query`); nil when empty.
    public func query(_ quantile: Double) -> Double? {
        var s = self
        s.compress()
        return s.queryCompressed(quantile)
    }

    private func queryCompressed(_ quantile: Double) -> Double? {
        guard let firstSample = sampled.first, let lastSample = sampled.last else { return nil }
        if quantile <= relativeError { return firstSample.value }
        if quantile >= 1 - relativeError { return lastSample.value }
        let rank = Int64((quantile * Double(count)).rounded(.up))
        var maxGap = Int64.min
        for s in sampled { maxGap = Swift.max(maxGap, s.delta + s.g) }
        let targetError = maxGap / 2
        var minRank: Int64 = 0
        var i = 0
        while i < sampled.count - 1 {
            let cur = sampled[i]
            minRank += cur.g
            let maxRank = minRank + cur.delta
            if maxRank - targetError <= rank && rank <= minRank + targetError { return cur.value }
            i += 1
        }
        return lastSample.value
    }

    func write(to w: inout StateWriter) {
        w.write(count)
        w.writeCount(sampled.count)
        for s in sampled { w.write(s.value); w.write(s.g); w.write(s.delta) }
        w.writeCount(head.count)
        for x in head { w.write(x) }
    }

    mutating func read(from r: inout StateReader) throws(StateDecodingError) {
        count = try r.readInt64()
        let n = try r.readCount(limit: (r.bytes.count - r.offset) / 24)
        var samples: [Sample] = []
        samples.reserveCapacity(n)
        for _ in 0..<n { samples.append(Sample(value: try r.readDouble(), g: try r.readInt64(), delta: try r.readInt64())) }
        let h = try r.readCount(limit: (r.bytes.count - r.offset) / 8)
        var values: [Double] = []
        values.reserveCapacity(h)
        for _ in 0..<h { values.append(try r.readDouble()) }
        sampled = samples
        head = values
    }
}

/// `percentile_approx(x, percentage[, accuracy])` / `approx_percentile`: one
/// `QuantileSummary` per group (relative error 1 / accuracy). The result has the argument's
/// type (ints truncate the double answer, as Spark). NULL for a group without values.
public struct PercentileAccumulator: Accumulator {
    public let spec: AggregateSpec
    public let percentage: Double
    public let relativeError: Double
    public private(set) var summaries: [QuantileSummary] = []

    public init(_ spec: AggregateSpec) throws(AggregateError) {
        self.spec = spec
        let (p, accuracy) = try spec.percentileParameters()
        percentage = p
        relativeError = 1.0 / Double(accuracy)
    }

    public var groupCount: Int { summaries.count }

    public mutating func resize(groupCount n: Int) {
        if n > summaries.count { summaries.append(contentsOf: repeatElement(QuantileSummary(relativeError: relativeError), count: n - summaries.count)) }
    }

    public mutating func update(_ arguments: [Column], groups: UnsafeBufferPointer<UInt32>, selection: Validity?, firstRowStamp: Int64) {
        let sel = effectiveSelection(selection, arguments)
        let v = arguments[0].doubleValues()
        forEachSelectedRow(count: groups.count, sel) { i in summaries[Int(groups[i])].insert(v[i]) }
    }

    public mutating func merge(_ other: PercentileAccumulator, groupMap: UnsafeBufferPointer<UInt32>) {
        for g in 0..<other.groupCount where other.summaries[g].totalCount > 0 {
            summaries[Int(groupMap[g])].merge(other.summaries[g])
        }
    }

    public func finalize() -> Column {
        let answers = summaries.map { $0.query(percentage) }
        let type = spec.argumentTypes[0]
        if type == .double {
            return makeDoubleColumn(count: answers.count, isNull: { answers[$0] == nil }, value: { answers[$0] ?? 0 })
        }
        return makeColumn(type, count: answers.count, isNull: { answers[$0] == nil }, int64: { g in
            guard let d = answers[g], d.isFinite else { return 0 }
            return Int64(exactly: d.rounded(.towardZero)) ?? 0
        })
    }

    public func write(group g: Int, to w: inout StateWriter) { summaries[g].write(to: &w) }

    public mutating func read(group g: Int, from r: inout StateReader) throws(StateDecodingError) {
        var s = QuantileSummary(relativeError: relativeError)
        try s.read(from: &r)
        summaries[g] = s
    }
}
