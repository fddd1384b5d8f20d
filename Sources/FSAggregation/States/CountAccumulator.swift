import FSCore

/// `count(*)`, `count(x)`, `count_if(b)` and `size(collect_list(x))`: one Int64 per group.
///
/// All four are "how many selected rows qualified": every row, rows with a non-NULL argument,
/// rows whose boolean argument is TRUE, non-NULL elements collected. Empty input gives 0.
public struct CountAccumulator: Accumulator {
    public let spec: AggregateSpec
    /// Per-group counts, indexed by group id.
    public private(set) var counts: [Int64] = []

    public init(_ spec: AggregateSpec) {
        precondition([.countStar, .count, .countIf, .collectListSize].contains(spec.kind), "CountAccumulator for \(spec.kind)")
        self.spec = spec
    }

    public var groupCount: Int { counts.count }

    public mutating func resize(groupCount n: Int) {
        if n > counts.count { counts.append(contentsOf: repeatElement(0, count: n - counts.count)) }
    }

    public mutating func update(_ arguments: [Column], groups: UnsafeBufferPointer<UInt32>, selection: Validity?, firstRowStamp: Int64) {
        let n = groups.count
        var sel = spec.kind == .countStar ? selection : effectiveSelection(selection, arguments)
        if spec.kind == .countIf, let b = arguments.first?.booleans {
            sel = sel.map { s in Validity((0..<n).map { s.isValid($0) && b[$0] }) } ?? Validity(b)
        }
        counts.withUnsafeMutableBufferPointer { c in
            if sel == nil {
                for i in 0..<n { c[Int(groups[i])] &+= 1 }
            } else {
                forEachSelectedRow(count: n, sel) { i in c[Int(groups[i])] &+= 1 }
            }
        }
    }

    public mutating func merge(_ other: CountAccumulator, groupMap: UnsafeBufferPointer<UInt32>) {
        for g in 0..<other.counts.count { counts[Int(groupMap[g])] &+= other.counts[g] }
    }

    public func finalize() -> Column {
        if spec.kind == .collectListSize {
            return Column(type: .int32, values: .int32(counts.map { Int32(truncatingIfNeeded: $0) }))
        }
        return Column(type: .int64, values: .int64(counts))
    }

    public func write(group: Int, to w: inout StateWriter) { w.write(counts[group]) }

    public mutating func read(group: Int, from r: inout StateReader) throws(StateDecodingError) {
        counts[group] = try r.readInt64()
    }
}
