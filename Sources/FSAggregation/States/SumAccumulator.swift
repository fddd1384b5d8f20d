import FSCore

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
