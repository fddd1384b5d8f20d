import FSCore

/// Exact sets of distinct non-NULL values per group: `count(DISTINCT x)`,
/// `size(collect_set(x))`, and any other one-argument aggregate with DISTINCT
/// (`sum(DISTINCT x)`, `avg(DISTINCT x)`, …), which runs its plain accumulator over each
/// group's set at `finalize`.
///
/// Exact means the values themselves are kept — integers (and dates, timestamps, booleans) as
/// Int64, doubles as normalized bit patterns (every NaN one value, -0.0 = 0.0, as Spark's
/// `NormalizeFloatingNumbers` does for DISTINCT), strings as their UTF-8 bytes — so memory grows
/// with the number of distinct values per group. Merge is set union: exact and order-free.
public struct DistinctAccumulator: Accumulator {
    public let spec: AggregateSpec
    /// Distinct integer-like values or double bit patterns, one set per group.
    public private(set) var numberSets: [Set<Int64>] = []
    /// Distinct strings, one set per group (used when the argument is a string).
    public private(set) var stringSets: [Set<[UInt8]>] = []
    private let isString: Bool

    public init(_ spec: AggregateSpec) {
        precondition(spec.kind.arity == 1, "DISTINCT over \(spec.kind)")
        self.spec = spec
        isString = spec.argumentTypes[0] == .string
    }

    public var groupCount: Int { isString ? stringSets.count : numberSets.count }

    public mutating func resize(groupCount n: Int) {
        guard n > groupCount else { return }
        if isString { stringSets.append(contentsOf: repeatElement([], count: n - stringSets.count)) }
        else { numberSets.append(contentsOf: repeatElement([], count: n - numberSets.count)) }
    }

    /// The set key of a double: one NaN, one zero.
    @inlinable static func key(_ d: Double) -> Int64 {
        if d.isNaN { return Int64(bitPattern: Double.nan.bitPattern) }
        if d == 0 { return 0 }
        return Int64(bitPattern: d.bitPattern)
    }

    public mutating func update(_ arguments: [Column], groups: UnsafeBufferPointer<UInt32>, selection: Validity?, firstRowStamp: Int64) {
        let col = arguments[0]
        var sel = effectiveSelection(selection, arguments)
        if spec.kind == .countIf, let b = col.booleans {
            sel = Validity((0..<b.count).map { (sel?.isValid($0) ?? true) && b[$0] })
        }
        switch col.values {
        case .string(let s):
            forEachSelectedRow(count: groups.count, sel) { i in
                stringSets[Int(groups[i])].insert(s.withUTF8(i) { Array($0) })
            }
        case .double(let v):
            forEachSelectedRow(count: groups.count, sel) { i in numberSets[Int(groups[i])].insert(Self.key(v[i])) }
        default:
            let v = col.int64Values()
            forEachSelectedRow(count: groups.count, sel) { i in numberSets[Int(groups[i])].insert(v[i]) }
        }
    }

    public mutating func merge(_ other: DistinctAccumulator, groupMap: UnsafeBufferPointer<UInt32>) {
        for g in 0..<other.groupCount {
            let t = Int(groupMap[g])
            if isString { stringSets[t].formUnion(other.stringSets[g]) } else { numberSets[t].formUnion(other.numberSets[g]) }
        }
    }

    private func size(_ g: Int) -> Int { isString ? stringSets[g].count : numberSets[g].count }

    public func finalize() -> Column {
        switch spec.kind {
        case .count, .approxCountDistinct, .countIf:
            return Column(type: .int64, values: .int64((0..<groupCount).map { Int64(size($0)) }))
        case .collectSetSize, .collectListSize:
            return Column(type: .int32, values: .int32((0..<groupCount).map { Int32(size($0)) }))
        default:
            return finalizeThroughPlainAggregate()
        }
    }

    /// Feeds each group's distinct values, sorted (for a deterministic summation order), to the
    /// aggregate without DISTINCT.
    private func finalizeThroughPlainAggregate() -> Column {
        var plainSpec = spec
        plainSpec.isDistinct = false
        guard var inner = try? makeAccumulator(plainSpec) else {
            preconditionFailure("DISTINCT accumulator built for an invalid spec \(spec)")
        }
        inner.resize(groupCount: groupCount)
        var groups: [UInt32] = []
        var b = ColumnBuilder(type: spec.argumentTypes[0])
        for g in 0..<groupCount {
            if isString {
                for bytes in stringSets[g].sorted(by: { $0.lexicographicallyPrecedes($1) }) {
                    bytes.withUnsafeBytes { b.append(utf8: $0) }
                    groups.append(UInt32(g))
                }
            } else {
                for k in numberSets[g].sorted() {
                    switch spec.argumentTypes[0] {
                    case .double: b.append(Double(bitPattern: UInt64(bitPattern: k)))
                    case .int32, .date: b.append(Int32(truncatingIfNeeded: k))
                    case .boolean: b.append(k != 0)
                    default: b.append(k)
                    }
                    groups.append(UInt32(g))
                }
            }
        }
        let col = b.finish()
        groups.withUnsafeBufferPointer { inner.update([col], groups: $0, selection: nil, firstRowStamp: 0) }
        return inner.finalize()
    }

    public func write(group g: Int, to w: inout StateWriter) {
        if isString {
            let items = stringSets[g].sorted { a, b in a.lexicographicallyPrecedes(b) }
            w.writeCount(items.count)
            for s in items { w.write(bytes: s) }
        } else {
            let items = numberSets[g].sorted()
            w.writeCount(items.count)
            for v in items { w.write(v) }
        }
    }

    public mutating func read(group g: Int, from r: inout StateReader) throws(StateDecodingError) {
        let n = try r.readCount(limit: r.bytes.count - r.offset)
        if isString {
            var s = Set<[UInt8]>(minimumCapacity: n)
            for _ in 0..<n { s.insert(try r.readBytes()) }
            stringSets[g] = s
        } else {
            var s = Set<Int64>(minimumCapacity: n)
            for _ in 0..<n { s.insert(try r.readInt64()) }
            numberSets[g] = s
        }
    }
}
