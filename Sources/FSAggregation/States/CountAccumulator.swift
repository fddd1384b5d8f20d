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

/// `sum` of integer columns: a wrapping Int64 per group, as Spark with ANSI mode off (a sum that
/// passes Int64.max wraps to negative, it does not fail or widen). NULL when no row was summed.
public struct SumInt64Accumulator: Accumulator {
    public let spec: AggregateSpec
    public private(set) var sums: [Int64] = []
    public private(set) var isSet: [Bool] = []

    public init(_ spec: AggregateSpec) { self.spec = spec }

    public var groupCount: Int { sums.count }

    public mutating func resize(groupCount n: Int) {
        guard n > sums.count else { return }
        sums.append(contentsOf: repeatElement(0, count: n - sums.count))
        isSet.append(contentsOf: repeatElement(false, count: n - isSet.count))
    }

    public mutating func update(_ arguments: [Column], groups: UnsafeBufferPointer<UInt32>, selection: Validity?, firstRowStamp: Int64) {
        let sel = effectiveSelection(selection, arguments)
        let v = arguments[0].int64Values()
        let n = groups.count
        sums.withUnsafeMutableBufferPointer { s in
            isSet.withUnsafeMutableBufferPointer { f in
                v.withUnsafeBufferPointer { v in
                    if sel == nil {
                        for i in 0..<n { let g = Int(groups[i]); s[g] &+= v[i]; f[g] = true }
                    } else {
                        forEachSelectedRow(count: n, sel) { i in let g = Int(groups[i]); s[g] &+= v[i]; f[g] = true }
                    }
                }
            }
        }
    }

    public mutating func merge(_ other: SumInt64Accumulator, groupMap: UnsafeBufferPointer<UInt32>) {
        for g in 0..<other.sums.count where other.isSet[g] {
            let t = Int(groupMap[g])
            sums[t] &+= other.sums[g]
            isSet[t] = true
        }
    }

    public func finalize() -> Column {
        let validity = isSet.allSatisfy { $0 } ? nil : Validity(isSet)
        return Column(type: .int64, values: .int64(sums), validity: validity)
    }

    public func write(group: Int, to w: inout StateWriter) { w.write(isSet[group]); w.write(sums[group]) }

    public mutating func read(group: Int, from r: inout StateReader) throws(StateDecodingError) {
        isSet[group] = try r.readBool()
        sums[group] = try r.readInt64()
    }
}

/// `sum` of doubles: naive addition in input order, as Spark (no Kahan compensation, so the
/// same rows split differently can differ in the last bits). NaN and ±Infinity propagate.
public struct SumDoubleAccumulator: Accumulator {
    public let spec: AggregateSpec
    public private(set) var sums: [Double] = []
    public private(set) var isSet: [Bool] = []

    public init(_ spec: AggregateSpec) { self.spec = spec }

    public var groupCount: Int { sums.count }

    public mutating func resize(groupCount n: Int) {
        guard n > sums.count else { return }
        sums.append(contentsOf: repeatElement(0, count: n - sums.count))
        isSet.append(contentsOf: repeatElement(false, count: n - isSet.count))
    }

    public mutating func update(_ arguments: [Column], groups: UnsafeBufferPointer<UInt32>, selection: Validity?, firstRowStamp: Int64) {
        let sel = effectiveSelection(selection, arguments)
        let v = arguments[0].doubleValues()
        let n = groups.count
        sums.withUnsafeMutableBufferPointer { s in
            isSet.withUnsafeMutableBufferPointer { f in
                v.withUnsafeBufferPointer { v in
                    if sel == nil {
                        for i in 0..<n { let g = Int(groups[i]); s[g] += v[i]; f[g] = true }
                    } else {
                        forEachSelectedRow(count: n, sel) { i in let g = Int(groups[i]); s[g] += v[i]; f[g] = true }
                    }
                }
            }
        }
    }

    public mutating func merge(_ other: SumDoubleAccumulator, groupMap: UnsafeBufferPointer<UInt32>) {
        for g in 0..<other.sums.count where other.isSet[g] {
            let t = Int(groupMap[g])
            sums[t] += other.sums[g]
            isSet[t] = true
        }
    }

    public func finalize() -> Column {
        let validity = isSet.allSatisfy { $0 } ? nil : Validity(isSet)
        return Column(type: .double, values: .double(sums), validity: validity)
    }

    public func write(group: Int, to w: inout StateWriter) { w.write(isSet[group]); w.write(sums[group]) }

    public mutating func read(group: Int, from r: inout StateReader) throws(StateDecodingError) {
        isSet[group] = try r.readBool()
        sums[group] = try r.readDouble()
    }
}

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

/// `bool_and`/`every` and `bool_or`/`some`/`any`: NULL when no non-NULL input.
public struct BooleanAccumulator: Accumulator {
    public let spec: AggregateSpec
    public private(set) var values: [Bool] = []
    public private(set) var isSet: [Bool] = []

    public init(_ spec: AggregateSpec) { self.spec = spec }

    public var groupCount: Int { values.count }
    private var isAnd: Bool { spec.kind == .boolAnd }

    public mutating func resize(groupCount n: Int) {
        guard n > values.count else { return }
        values.append(contentsOf: repeatElement(isAnd, count: n - values.count))
        isSet.append(contentsOf: repeatElement(false, count: n - isSet.count))
    }

    public mutating func update(_ arguments: [Column], groups: UnsafeBufferPointer<UInt32>, selection: Validity?, firstRowStamp: Int64) {
        guard let b = arguments[0].booleans else { return }
        let sel = effectiveSelection(selection, arguments)
        let and = isAnd
        values.withUnsafeMutableBufferPointer { v in
            isSet.withUnsafeMutableBufferPointer { f in
                forEachSelectedRow(count: groups.count, sel) { i in
                    let g = Int(groups[i])
                    v[g] = and ? (v[g] && b[i]) : (v[g] || b[i])
                    f[g] = true
                }
            }
        }
    }

    public mutating func merge(_ other: BooleanAccumulator, groupMap: UnsafeBufferPointer<UInt32>) {
        for g in 0..<other.values.count where other.isSet[g] {
            let t = Int(groupMap[g])
            values[t] = isAnd ? (values[t] && other.values[g]) : (values[t] || other.values[g])
            isSet[t] = true
        }
    }

    public func finalize() -> Column {
        Column(type: .boolean, values: .boolean(values), validity: isSet.allSatisfy { $0 } ? nil : Validity(isSet))
    }

    public func write(group: Int, to w: inout StateWriter) { w.write(isSet[group]); w.write(values[group]) }

    public mutating func read(group: Int, from r: inout StateReader) throws(StateDecodingError) {
        isSet[group] = try r.readBool()
        values[group] = try r.readBool()
    }
}
