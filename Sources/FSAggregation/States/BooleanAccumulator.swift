import FSCore

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
