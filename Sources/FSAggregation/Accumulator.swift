import FSCore

/// The states of one aggregate for many groups, stored column-wise: one contiguous array per
/// state field, indexed by group id (never an object per group).
///
/// The offline job, the online job's window slices and the tests all drive aggregates through
/// this one protocol:
///
///     rows of a batch ──► group ids (GroupKeyTable) ──► update(args, groups, selection)
///     per-thread tables ─────────────────────────────► merge(other, groupMap)
///     end of input ──────────────────────────────────► finalize() → one column, a row per group
///
/// A single state is an accumulator with one group (`groupCount == 1`, every group id 0).
/// `merge` must be order-independent: for exact aggregates (counts, min/max, distinct sets,
/// HyperLogLog registers, first/last by row stamp) bit for bit, for floating sums and moments
/// up to rounding (Spark sums doubles in input order, so a different split can change the last
/// bits; differences stay within 1e-9 relative on ordinary data).
public protocol Accumulator: Sendable {
    /// What is being computed.
    var spec: AggregateSpec { get }
    /// Number of groups with a state (ids 0..<groupCount).
    var groupCount: Int { get }
    /// Adds empty states until there are `groupCount` groups (never shrinks).
    mutating func resize(groupCount: Int)
    /// Folds rows into their groups' states.
    /// - Parameters:
    ///   - arguments: the evaluated value arguments (`spec.kind.arity` columns, batch length).
    ///   - groups: the group id of every row of the batch; each must be `< groupCount`.
    ///   - selection: rows to include (FILTER and period masks, ANDed); nil = every row.
    ///     NULL arguments are skipped by the aggregate itself, as Spark does.
    ///   - firstRowStamp: the sequence number of row 0; `first`/`last`/`max_by` order rows by
    ///     stamp, which is what makes their merge order-independent.
    mutating func update(_ arguments: [Column], groups: UnsafeBufferPointer<UInt32>, selection: Validity?, firstRowStamp: Int64)
    /// Merges `other`'s group g into this accumulator's group `groupMap[g]`.
    /// `other` has the same spec; `groupMap.count == other.groupCount`.
    mutating func merge(_ other: Self, groupMap: UnsafeBufferPointer<UInt32>)
    /// The result of every group, in group id order, typed `spec.resultType()`.
    func finalize() -> Column
    /// Writes group `group`'s state.
    func write(group: Int, to writer: inout StateWriter)
    /// Replaces group `group`'s state with one read back.
    mutating func read(group: Int, from reader: inout StateReader) throws(StateDecodingError)
}

extension Accumulator {
    /// `merge` for an accumulator known only as an existential (the grouped driver holds
    /// `[any Accumulator]`). Mixing specs is a bug in the caller, not a data error.
    public mutating func merge(any other: any Accumulator, groupMap: UnsafeBufferPointer<UInt32>) {
        guard let o = other as? Self else {
            preconditionFailure("merging \(other.spec) into \(spec): accumulators of different aggregates")
        }
        precondition(o.spec == spec, "merging \(o.spec) into \(spec)")
        merge(o, groupMap: groupMap)
    }

    /// Single-group convenience: the first group's result as a value.
    public func finalizeValue() -> Value {
        let c = finalize()
        return c.count > 0 ? c[0] : .null
    }

    /// Every group's state as bytes: format tag, spec-checking kind name, group count, states.
    public func serialize() -> [UInt8] {
        var w = StateWriter()
        writeAll(to: &w)
        return w.bytes
    }

    /// `serialize().count`, without building the bytes.
    public func serializedByteCount() -> Int {
        var w = StateWriter.counting()
        writeAll(to: &w)
        return w.count
    }

    private func writeAll(to w: inout StateWriter) {
        w.write(UInt8(1))
        w.write(bytes: Array(spec.kind.rawValue.utf8))
        w.writeCount(groupCount)
        for g in 0..<groupCount { write(group: g, to: &w) }
    }

    /// Replaces every state with those of `serialize()`'s output.
    public mutating func deserialize(_ bytes: [UInt8]) throws(StateDecodingError) {
        var r = StateReader(bytes)
        let tag = try r.readUInt8()
        guard tag == 1 else { throw .invalid(offset: 0, reason: "unknown state format \(tag)") }
        let name = String(decoding: try r.readBytes(), as: UTF8.self)
        guard name == spec.kind.rawValue else { throw .invalid(offset: 1, reason: "state of \(name), expected \(spec.kind)") }
        let n = try r.readCount(limit: bytes.count)
        guard n >= groupCount else { throw .invalid(offset: r.offset, reason: "\(n) groups, accumulator already has \(groupCount)") }
        resize(groupCount: n)
        for g in 0..<n { try read(group: g, from: &r) }
        guard r.isAtEnd else { throw .invalid(offset: r.offset, reason: "\(bytes.count - r.offset) trailing bytes") }
    }

    /// Folds every row of `arguments` into group 0 (single-state use: tests, global aggregates).
    /// `rowCount` is needed only when there are no argument columns (`count(*)`).
    public mutating func update(_ arguments: [Column], rowCount: Int? = nil, selection: Validity? = nil, firstRowStamp: Int64 = 0) {
        let n = arguments.first?.count ?? rowCount ?? selection?.count ?? 0
        if groupCount == 0 { resize(groupCount: 1) }
        let zeros = [UInt32](repeating: 0, count: n)
        zeros.withUnsafeBufferPointer { update(arguments, groups: $0, selection: selection, firstRowStamp: firstRowStamp) }
    }

    /// Single-group merge.
    public mutating func merge(_ other: Self) {
        if groupCount == 0 { resize(groupCount: 1) }
        let map = [UInt32](repeating: 0, count: other.groupCount)
        map.withUnsafeBufferPointer { merge(other, groupMap: $0) }
    }
}

/// The rows an aggregate consumes: the selection ANDed with the validity of `columns` (Spark
/// skips a row when any argument is NULL). nil = every row.
@usableFromInline
func effectiveSelection(_ selection: Validity?, _ columns: [Column]) -> Validity? {
    var out = selection
    for c in columns {
        guard let v = c.validity else { continue }
        out = out.map { $0.intersection(v) } ?? v
    }
    return out
}

/// Calls `body(row)` for every row set in `selection` (every row when nil), word by word.
@inlinable @inline(__always)
func forEachSelectedRow(count n: Int, _ selection: Validity?, _ body: (Int) -> Void) {
    guard let sel = selection else {
        for i in 0..<n { body(i) }
        return
    }
    sel.words.withUnsafeBufferPointer { words in
        for (wi, w0) in words.enumerated() {
            var w = w0
            while w != 0 {
                let bit = w.trailingZeroBitCount
                let i = wi << 6 + bit
                if i >= n { return }
                body(i)
                w &= w - 1
            }
        }
    }
}

extension Column {
    /// The values as doubles (ints widen), for aggregates that compute in double as Spark does
    /// (`avg`, moments, `corr`). Slots under NULL hold placeholders.
    @usableFromInline
    func doubleValues() -> [Double] {
        switch values {
        case .double(let v): return v
        case .int32(let v): return v.map { Double($0) }
        case .int64(let v): return v.map { Double($0) }
        case .boolean(let v): return v.map { $0 ? 1 : 0 }
        case .string(let s): return [Double](repeating: .nan, count: s.count)
        }
    }

    /// The values as 64-bit integers (int32 and dates widen, booleans 0/1).
    @usableFromInline
    func int64Values() -> [Int64] {
        switch values {
        case .int64(let v): return v
        case .int32(let v): return v.map { Int64($0) }
        case .double(let v): return v.map { Int64(exactly: $0.rounded(.towardZero)) ?? 0 }
        case .boolean(let v): return v.map { $0 ? 1 : 0 }
        case .string(let s): return [Int64](repeating: 0, count: s.count)
        }
    }
}

/// Builds a result column of `type` from per-group optional values.
@usableFromInline
func makeColumn(_ type: DataType, count: Int, isNull: (Int) -> Bool, int64: (Int) -> Int64) -> Column {
    var b = ColumnBuilder(type: type, capacity: count)
    for g in 0..<count {
        if isNull(g) { b.appendNull(); continue }
        switch type {
        case .int32, .date: b.append(Int32(truncatingIfNeeded: int64(g)))
        case .int64, .timestamp: b.append(int64(g))
        case .boolean: b.append(int64(g) != 0)
        case .double: b.append(Double(int64(g)))
        case .string: b.append(String(int64(g)))
        }
    }
    return b.finish()
}

/// Double result column with NULL where `isNull`.
@usableFromInline
func makeDoubleColumn(count: Int, isNull: (Int) -> Bool, value: (Int) -> Double) -> Column {
    var vals = [Double](repeating: 0, count: count)
    var validity: Validity? = nil
    for g in 0..<count {
        if isNull(g) {
            if validity == nil { validity = Validity(repeating: true, count: count) }
            validity!.set(g, false)
        } else {
            vals[g] = value(g)
        }
    }
    return Column(type: .double, values: .double(vals), validity: validity)
}
