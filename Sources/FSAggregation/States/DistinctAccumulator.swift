import FSCore

/// Exact sets of distinct non-NULL values per group: `count(DISTINCT x)`,
/// `size(collect_set(x))`, and any other one-argument aggregate with DISTINCT
/// (`sum(DISTINCT x)`, `avg(DISTINCT x)`, …), which runs its plain accumulator over each
/// group's set at `finalize`.
///
/// Exact means the values themselves are kept — integers (and dates, timestamps, booleans) as
/// Int64, doubles as normalized bit patterns (every NaN one value, -0.0 = 0.0, as Spark's
/// `NormalizeFloatingNumbers` does for DISTINCT), strings as their UTF-8 bytes. Each value is
/// interned once for all groups (a `GroupKeyTable`), and the groups' sets are one table of
/// (group, value id) pairs (`DistinctPairSet`): no set object per group and no allocation per
/// row, memory ∝ distinct values + distinct (group, value) pairs. Merge is set union: exact and
/// order-free. States are written as each group's sorted values, whatever the layout.
public struct DistinctAccumulator: Accumulator {
    public let spec: AggregateSpec
    /// Every value any group has seen, interned to a dense id (doubles by their set key).
    private var values: GroupKeyTable
    /// The distinct (group, value id) pairs and the count per group.
    private var pairs = DistinctPairSet()
    /// Scratch: the value id of every row of the batch being folded.
    private var valueIDs: [UInt32] = []
    private let isString: Bool
    /// Whether `update` appends its pairs to `pending` instead of inserting them (`deferPairs`).
    package private(set) var defersPairs = false
    /// Pairs folded but not yet in `pairs`, unsorted and possibly repeated (deferring only).
    private var pending: [UInt64] = []

    public init(_ spec: AggregateSpec) {
        precondition(spec.kind.arity == 1, "DISTINCT over \(spec.kind)")
        self.spec = spec
        isString = spec.argumentTypes[0] == .string
        values = GroupKeyTable(keyType: spec.argumentTypes[0])
    }

    public var groupCount: Int { pairs.groupCount }

    /// From now on, `update` only appends each row's (group, value id) pair to a list, and the
    /// list is sorted and deduplicated once (`PairKeySort`), when the sets are first needed:
    /// for a table that is folded and then finished, as the offline job's are. Inserting row
    /// by row costs a random probe of a table of millions of pairs per row (13% of that job's
    /// CPU at 10M orders); appending costs a sequential write, and the sort a few sweeps.
    /// Results are the same either way. Serializing an accumulator that holds pending pairs
    /// sorts them again for every group, so the online job's slices, which are serialized,
    /// do not defer.
    package mutating func deferPairs() { defersPairs = true }

    public mutating func resize(groupCount n: Int) { pairs.resize(groupCount: n) }

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
        values.groupIDs(for: col, into: &valueIDs)
        if defersPairs {
            valueIDs.withUnsafeBufferPointer { ids in
                forEachSelectedRow(count: groups.count, sel) { i in pending.append(UInt64(groups[i]) << 32 | UInt64(ids[i])) }
            }
            return
        }
        var keys: [UInt64] = []
        keys.reserveCapacity(groups.count)
        valueIDs.withUnsafeBufferPointer { ids in
            forEachSelectedRow(count: groups.count, sel) { i in keys.append(UInt64(groups[i]) << 32 | UInt64(ids[i])) }
        }
        keys.withUnsafeBufferPointer { pairs.insert(pairKeys: $0) }
    }

    /// The pending pairs, sorted and without repeats, moved into `pairs`.
    private mutating func settle() {
        guard !pending.isEmpty else { return }
        let unique = PairKeySort.sortedUnique(pending, groupCount: pairs.groupCount, valueCount: values.groupCount)
        pending = []
        pairs.reserve(pairs: pairs.keys.count + unique.count)
        unique.withUnsafeBufferPointer { pairs.insert(pairKeys: $0) }
    }

    /// This accumulator with its pending pairs in `pairs` (itself when none are pending).
    private func settled() -> DistinctAccumulator {
        var copy = self
        copy.settle()
        return copy
    }

    public mutating func merge(_ other: DistinctAccumulator, groupMap: UnsafeBufferPointer<UInt32>) {
        settle()
        let other = other.settled()
        var valueMap: [UInt32] = []
        values.groupIDs(for: other.values.keyColumn(), into: &valueMap)
        let mapped = other.pairs.keys.map { key in
            UInt64(groupMap[Int(key >> 32)]) << 32 | UInt64(valueMap[Int(UInt32(truncatingIfNeeded: key))])
        }
        pairs.reserve(pairs: pairs.keys.count + mapped.count)
        mapped.withUnsafeBufferPointer { pairs.insert(pairKeys: $0) }
    }

    /// Group g's distinct values as sorted set keys (numbers) — the order states are written in.
    private func sortedNumbers(_ g: Int) -> [Int64] {
        var out: [Int64] = []
        out.reserveCapacity(Int(pairs.counts[g]))
        pairs.forEachValue(ofGroup: g) { out.append(values.integerKey(Int($0))) }
        return out.sorted()
    }

    /// Group g's distinct strings as value ids, in byte order.
    private func sortedStrings(_ g: Int) -> [UInt32] {
        var ids: [UInt32] = []
        ids.reserveCapacity(Int(pairs.counts[g]))
        pairs.forEachValue(ofGroup: g) { ids.append($0) }
        return ids.sorted { a, b in
            values.withStringKey(Int(a)) { x in values.withStringKey(Int(b)) { y in x.lexicographicallyPrecedes(y) } }
        }
    }

    public func finalize() -> Column {
        if !pending.isEmpty {
            // The offline job's case: every pair pending, and only the counts wanted. The
            // sorted pairs come grouped by group, so counting them needs no table at all.
            guard pairs.keys.isEmpty, [.count, .approxCountDistinct, .countIf, .collectSetSize, .collectListSize].contains(spec.kind) else {
                return settled().finalize()
            }
            let counts = PairKeySort.distinctCounts(pending, groupCount: groupCount, valueCount: values.groupCount)
            if spec.kind == .collectSetSize || spec.kind == .collectListSize { return Column(type: .int32, values: .int32(counts.map { Int32($0) })) }
            return Column(type: .int64, values: .int64(counts))
        }
        switch spec.kind {
        case .count, .approxCountDistinct, .countIf:
            return Column(type: .int64, values: .int64(pairs.counts))
        case .collectSetSize, .collectListSize:
            return Column(type: .int32, values: .int32(pairs.counts.map { Int32($0) }))
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
                for id in sortedStrings(g) {
                    values.withStringKey(Int(id)) { b.append(utf8: UnsafeRawBufferPointer($0)) }
                    groups.append(UInt32(g))
                }
            } else {
                for k in sortedNumbers(g) {
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
        if !pending.isEmpty { return settled().write(group: g, to: &w) }
        if isString {
            let ids = sortedStrings(g)
            w.writeCount(ids.count)
            for id in ids { values.withStringKey(Int(id)) { w.write(bytes: $0) } }
        } else {
            let items = sortedNumbers(g)
            w.writeCount(items.count)
            for v in items { w.write(v) }
        }
    }

    public mutating func read(group g: Int, from r: inout StateReader) throws(StateDecodingError) {
        let n = try r.readCount(limit: r.bytes.count - r.offset)
        settle()
        pairs.removeAll(ofGroup: g)
        for _ in 0..<n {
            let id: UInt32
            if isString {
                let bytes = try r.readBytes()
                id = bytes.withUnsafeBufferPointer { values.id(forString: $0) }
            } else {
                id = values.id(forInteger: try r.readInt64())
            }
            pairs.insert(group: UInt32(g), value: id)
        }
    }
}
