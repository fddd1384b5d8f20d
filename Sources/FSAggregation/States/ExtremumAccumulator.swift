import FSCore

/// `min` and `max` of any type, Spark's ordering: strings by UTF-8 bytes, doubles with NaN
/// greater than every number (so `max` of a column with a NaN is NaN, `min` ignores it),
/// booleans false < true. NULL when no non-NULL input.
///
/// Ties keep the value already stored; the only observable tie is -0.0 vs 0.0, whose sign can
/// then depend on input order (Spark's single pass keeps the first one seen, too).
public struct ExtremumAccumulator: Accumulator {
    public let spec: AggregateSpec
    public private(set) var slots: ValueSlots
    private var isMax: Bool { spec.kind == .max }

    public init(_ spec: AggregateSpec) {
        self.spec = spec
        slots = ValueSlots(type: spec.argumentTypes[0])
    }

    public var groupCount: Int { slots.count }
    public mutating func resize(groupCount n: Int) { slots.resize(n) }

    public mutating func update(_ arguments: [Column], groups: UnsafeBufferPointer<UInt32>, selection: Validity?, firstRowStamp: Int64) {
        let col = arguments[0]
        let sel = effectiveSelection(selection, arguments)
        let n = groups.count
        let wantMax = isMax
        switch col.values {
        case .double(let v):
            slots.doubles.withUnsafeMutableBufferPointer { d in
                slots.isNull.withUnsafeMutableBufferPointer { nul in
                    forEachSelectedRow(count: n, sel) { i in
                        let g = Int(groups[i]), x = v[i]
                        if nul[g] { d[g] = x; nul[g] = false; return }
                        let c = sparkCompare(x, d[g])
                        if wantMax ? c > 0 : c < 0 { d[g] = x }
                    }
                }
            }
        case .string(let s):
            forEachSelectedRow(count: n, sel) { i in
                let g = Int(groups[i])
                if slots.isNull[g] || (wantMax ? slots.compare(col, row: i, toSlot: g) > 0 : slots.compare(col, row: i, toSlot: g) < 0) {
                    slots.strings[g] = s.withUTF8(i) { Array($0) }
                    slots.isNull[g] = false
                }
            }
        default:
            let v = col.int64Values()
            slots.ints.withUnsafeMutableBufferPointer { d in
                slots.isNull.withUnsafeMutableBufferPointer { nul in
                    forEachSelectedRow(count: n, sel) { i in
                        let g = Int(groups[i]), x = v[i]
                        if nul[g] { d[g] = x; nul[g] = false; return }
                        if wantMax ? x > d[g] : x < d[g] { d[g] = x }
                    }
                }
            }
        }
    }

    public mutating func merge(_ other: ExtremumAccumulator, groupMap: UnsafeBufferPointer<UInt32>) {
        // Typed loops for numbers (window emission merges every slice row through here).
        let wantMax = isMax
        switch slots.kind {
        case 1:
            other.slots.doubles.withUnsafeBufferPointer { od in
                other.slots.isNull.withUnsafeBufferPointer { onul in
                    slots.doubles.withUnsafeMutableBufferPointer { d in
                        slots.isNull.withUnsafeMutableBufferPointer { nul in
                            for g in 0..<onul.count where !onul[g] {
                                let t = Int(groupMap[g]), x = od[g]
                                if nul[t] { d[t] = x; nul[t] = false; continue }
                                let c = sparkCompare(x, d[t])
                                if wantMax ? c > 0 : c < 0 { d[t] = x }
                            }
                        }
                    }
                }
            }
            return
        case 0:
            other.slots.ints.withUnsafeBufferPointer { od in
                other.slots.isNull.withUnsafeBufferPointer { onul in
                    slots.ints.withUnsafeMutableBufferPointer { d in
                        slots.isNull.withUnsafeMutableBufferPointer { nul in
                            for g in 0..<onul.count where !onul[g] {
                                let t = Int(groupMap[g]), x = od[g]
                                if nul[t] { d[t] = x; nul[t] = false; continue }
                                if wantMax ? x > d[t] : x < d[t] { d[t] = x }
                            }
                        }
                    }
                }
            }
            return
        default:
            break
        }
        for g in 0..<other.groupCount where !other.slots.isNull[g] {
            let t = Int(groupMap[g])
            if slots.isNull[t] { slots.set(t, from: other.slots, g); continue }
            let c = slots.compare(other.slots, g, toSlot: t)
            if isMax ? c > 0 : c < 0 { slots.set(t, from: other.slots, g) }
        }
    }

    public func finalize() -> Column { slots.column() }
    public func write(group: Int, to w: inout StateWriter) { slots.write(group, to: &w) }
    public mutating func read(group: Int, from r: inout StateReader) throws(StateDecodingError) { try slots.read(group, from: &r) }
}
