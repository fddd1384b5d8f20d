import FSCore

/// `avg`/`mean`: a double sum and a count per group, as Spark's `Average` (integers are summed
/// as doubles too). NULL when the count is 0.
public struct AverageAccumulator: Accumulator {
    public let spec: AggregateSpec
    public private(set) var sums: [Double] = []
    public private(set) var counts: [Int64] = []

    public init(_ spec: AggregateSpec) { self.spec = spec }

    public var groupCount: Int { sums.count }

    public mutating func resize(groupCount n: Int) {
        guard n > sums.count else { return }
        sums.append(contentsOf: repeatElement(0, count: n - sums.count))
        counts.append(contentsOf: repeatElement(0, count: n - counts.count))
    }

    public mutating func update(_ arguments: [Column], groups: UnsafeBufferPointer<UInt32>, selection: Validity?, firstRowStamp: Int64) {
        let sel = effectiveSelection(selection, arguments)
        let v = arguments[0].doubleValues()
        let n = groups.count
        sums.withUnsafeMutableBufferPointer { s in
            counts.withUnsafeMutableBufferPointer { c in
                v.withUnsafeBufferPointer { v in
                    forEachSelectedRow(count: n, sel) { i in let g = Int(groups[i]); s[g] += v[i]; c[g] += 1 }
                }
            }
        }
    }

    public mutating func merge(_ other: AverageAccumulator, groupMap: UnsafeBufferPointer<UInt32>) {
        for g in 0..<other.sums.count where other.counts[g] > 0 {
            let t = Int(groupMap[g])
            sums[t] += other.sums[g]
            counts[t] += other.counts[g]
        }
    }

    public func finalize() -> Column {
        makeDoubleColumn(count: groupCount, isNull: { counts[$0] == 0 }, value: { sums[$0] / Double(counts[$0]) })
    }

    public func write(group: Int, to w: inout StateWriter) { w.write(counts[group]); w.write(sums[group]) }

    public mutating func read(group: Int, from r: inout StateReader) throws(StateDecodingError) {
        counts[group] = try r.readInt64()
        sums[group] = try r.readDouble()
    }
}
