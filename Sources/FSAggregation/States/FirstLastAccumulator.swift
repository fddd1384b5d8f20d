import FSCore

/// `first(x[, ignoreNulls])` and `last(x[, ignoreNulls])`, made order-independent by row stamps.
///
/// Spark's `first` is "the first row the task happened to see". fs gives every row a sequence
/// stamp (`firstRowStamp + row index`; the jobs use the global read position) and keeps the value
/// with the smallest (`first`) or largest (`last`) stamp, so merging partial states in any order
/// gives the single-pass answer. Without `ignoreNulls` a NULL value counts as a value (Spark).
public struct FirstLastAccumulator: Accumulator {
    public let spec: AggregateSpec
    public private(set) var slots: ValueSlots
    public private(set) var stamps: [Int64] = []
    public private(set) var hasValue: [Bool] = []
    private var isFirst: Bool { spec.kind == .first }

    public init(_ spec: AggregateSpec) {
        self.spec = spec
        slots = ValueSlots(type: spec.argumentTypes[0])
    }

    public var groupCount: Int { hasValue.count }

    public mutating func resize(groupCount n: Int) {
        guard n > hasValue.count else { return }
        slots.resize(n)
        stamps.append(contentsOf: repeatElement(0, count: n - stamps.count))
        hasValue.append(contentsOf: repeatElement(false, count: n - hasValue.count))
    }

    public mutating func update(_ arguments: [Column], groups: UnsafeBufferPointer<UInt32>, selection: Validity?, firstRowStamp: Int64) {
        let col = arguments[0]
        let sel = spec.ignoreNulls ? effectiveSelection(selection, arguments) : selection
        let n = groups.count
        if isFirst {
            forEachSelectedRow(count: n, sel) { i in
                let g = Int(groups[i]), stamp = firstRowStamp + Int64(i)
                if !hasValue[g] || stamp < stamps[g] { store(g, col, i, stamp) }
            }
        } else {
            // Backwards, so each group materializes its value once per batch.
            var i = n - 1
            while i >= 0 {
                defer { i -= 1 }
                if let s = sel, !s.isValid(i) { continue }
                let g = Int(groups[i]), stamp = firstRowStamp + Int64(i)
                if !hasValue[g] || stamp > stamps[g] { store(g, col, i, stamp) }
            }
        }
    }

    private mutating func store(_ g: Int, _ col: Column, _ row: Int, _ stamp: Int64) {
        slots.set(g, from: col, row: row)
        stamps[g] = stamp
        hasValue[g] = true
    }

    public mutating func merge(_ other: FirstLastAccumulator, groupMap: UnsafeBufferPointer<UInt32>) {
        for g in 0..<other.groupCount where other.hasValue[g] {
            let t = Int(groupMap[g])
            let better = isFirst ? other.stamps[g] < stamps[t] : other.stamps[g] > stamps[t]
            if !hasValue[t] || better {
                slots.set(t, from: other.slots, g)
                stamps[t] = other.stamps[g]
                hasValue[t] = true
            }
        }
    }

    public func finalize() -> Column { slots.column() }

    public func write(group: Int, to w: inout StateWriter) {
        w.write(hasValue[group])
        guard hasValue[group] else { return }
        w.write(stamps[group])
        slots.write(group, to: &w)
    }

    public mutating func read(group: Int, from r: inout StateReader) throws(StateDecodingError) {
        hasValue[group] = try r.readBool()
        guard hasValue[group] else { slots.isNull[group] = true; return }
        stamps[group] = try r.readInt64()
        try slots.read(group, from: &r)
    }
}

/// `max_by(x, ord)` and `min_by(x, ord)`: the `x` of the row with the largest (smallest) `ord`.
///
/// Rows with a NULL `ord` are skipped; a NULL `x` on the winning row gives NULL. Ties on `ord`
/// go to the latest row stamp — Spark's `MaxMinBy` replaces the kept row unless the old key is
/// strictly better, so its single pass ends with the last of equal keys; the stamp keeps that
/// true across merges.
public struct ExtremumByAccumulator: Accumulator {
    public let spec: AggregateSpec
    public private(set) var values: ValueSlots
    public private(set) var orderings: ValueSlots
    public private(set) var stamps: [Int64] = []
    public private(set) var hasValue: [Bool] = []
    private var isMax: Bool { spec.kind == .maxBy }

    public init(_ spec: AggregateSpec) {
        self.spec = spec
        values = ValueSlots(type: spec.argumentTypes[0])
        orderings = ValueSlots(type: spec.argumentTypes[1])
    }

    public var groupCount: Int { hasValue.count }

    public mutating func resize(groupCount n: Int) {
        guard n > hasValue.count else { return }
        values.resize(n)
        orderings.resize(n)
        stamps.append(contentsOf: repeatElement(0, count: n - stamps.count))
        hasValue.append(contentsOf: repeatElement(false, count: n - hasValue.count))
    }

    public mutating func update(_ arguments: [Column], groups: UnsafeBufferPointer<UInt32>, selection: Validity?, firstRowStamp: Int64) {
        let x = arguments[0], ord = arguments[1]
        let sel = effectiveSelection(selection, [ord])
        forEachSelectedRow(count: groups.count, sel) { i in
            let g = Int(groups[i]), stamp = firstRowStamp + Int64(i)
            var take = !hasValue[g]
            if !take {
                let c = orderings.compare(ord, row: i, toSlot: g)
                take = (isMax ? c > 0 : c < 0) || (c == 0 && stamp > stamps[g])
            }
            if take {
                values.set(g, from: x, row: i)
                orderings.set(g, from: ord, row: i)
                stamps[g] = stamp
                hasValue[g] = true
            }
        }
    }

    public mutating func merge(_ other: ExtremumByAccumulator, groupMap: UnsafeBufferPointer<UInt32>) {
        for g in 0..<other.groupCount where other.hasValue[g] {
            let t = Int(groupMap[g])
            var take = !hasValue[t]
            if !take {
                let c = orderings.compare(other.orderings, g, toSlot: t)
                take = (isMax ? c > 0 : c < 0) || (c == 0 && other.stamps[g] > stamps[t])
            }
            if take {
                values.set(t, from: other.values, g)
                orderings.set(t, from: other.orderings, g)
                stamps[t] = other.stamps[g]
                hasValue[t] = true
            }
        }
    }

    public func finalize() -> Column { values.column() }

    public func write(group: Int, to w: inout StateWriter) {
        w.write(hasValue[group])
        guard hasValue[group] else { return }
        w.write(stamps[group])
        values.write(group, to: &w)
        orderings.write(group, to: &w)
    }

    public mutating func read(group: Int, from r: inout StateReader) throws(StateDecodingError) {
        hasValue[group] = try r.readBool()
        guard hasValue[group] else { values.isNull[group] = true; orderings.isNull[group] = true; return }
        stamps[group] = try r.readInt64()
        try values.read(group, from: &r)
        try orderings.read(group, from: &r)
    }
}
