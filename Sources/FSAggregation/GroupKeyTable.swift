import FSCore

/// Maps grouping-key values to dense group ids 0, 1, 2, … in order of first appearance.
///
/// Open addressing with linear probing over a power-of-two slot array that stores `id + 1`
/// (0 = empty); the keys themselves live column-wise (`Int64`s, or one byte buffer plus
/// offsets for strings) indexed by group id, so memory is proportional to the number of
/// distinct keys and nothing is allocated per row. NULL keys form one group of their own, as in
/// Spark's GROUP BY.
public struct GroupKeyTable: Sendable {
    /// The key column's type: any integer-like type (int32, int64, date, timestamp, boolean) or string.
    public let keyType: DataType
    private var slots: [UInt32]
    private var mask: Int
    private var intKeys: [Int64] = []
    private var stringKeys = StringArray()
    private var keyHashes: [UInt64] = []
    private var nullGroup: UInt32? = nil
    /// Ids handed out so far, NULL group included.
    public private(set) var groupCount = 0

    public init(keyType: DataType, expectedGroups: Int = 1024) {
        self.keyType = keyType
        var cap = 16
        while cap < expectedGroups * 2 { cap <<= 1 }
        slots = [UInt32](repeating: 0, count: cap)
        mask = cap - 1
    }

    private var isString: Bool { keyType == .string }

    @inline(__always)
    private static func mix(_ x: Int64) -> UInt64 {
        var h = UInt64(bitPattern: x) &* 0x9E37_79B9_7F4A_7C15
        h ^= h >> 32
        h = h &* 0xD6E8_FEB8_6659_FD93
        h ^= h >> 32
        return h
    }

    /// The group id of every row of `keys`, appended to `ids` (cleared first). New keys get new
    /// ids; `groupCount` grows accordingly.
    public mutating func groupIDs(for keys: Column, into ids: inout [UInt32]) {
        precondition(keys.type == keyType || (keys.type.isNumeric && keyType.isNumeric), "key column \(keys.type), table \(keyType)")
        let n = keys.count
        ids.removeAll(keepingCapacity: true)
        ids.reserveCapacity(n)
        switch keys.values {
        case .string(let s):
            s.bytes.withUnsafeBufferPointer { bytes in
                for i in 0..<n {
                    if keys.isNull(i) { ids.append(nullID()); continue }
                    let b = UnsafeBufferPointer(rebasing: bytes[s.offsets[i]..<s.offsets[i + 1]])
                    ids.append(stringID(b))
                }
            }
        case .double(let v):
            for i in 0..<n { ids.append(keys.isNull(i) ? nullID() : intID(DistinctAccumulator.key(v[i]))) }
        default:
            let v = keys.int64Values()
            if keys.validity == nil {
                for i in 0..<n { ids.append(intID(v[i])) }
            } else {
                for i in 0..<n { ids.append(keys.isNull(i) ? nullID() : intID(v[i])) }
            }
        }
    }

    private mutating func nullID() -> UInt32 {
        if let g = nullGroup { return g }
        let g = newGroup()
        if isString { stringKeys.appendEmpty(); keyHashes.append(0) } else { intKeys.append(0) }
        nullGroup = g
        return g
    }

    private mutating func newGroup() -> UInt32 {
        precondition(groupCount < Int(UInt32.max - 1), "more than 4 billion groups")
        let g = UInt32(groupCount)
        groupCount += 1
        return g
    }

    @inline(__always)
    private mutating func intID(_ key: Int64) -> UInt32 {
        var at = Int(truncatingIfNeeded: Self.mix(key)) & mask
        while true {
            let s = slots[at]
            if s == 0 { break }
            if intKeys[Int(s - 1)] == key { return s - 1 }
            at = (at + 1) & mask
        }
        let g = newGroup()
        intKeys.append(key)
        slots[at] = g + 1
        if groupCount * 2 > slots.count { rehash() }
        return g
    }

    private mutating func stringID(_ key: UnsafeBufferPointer<UInt8>) -> UInt32 {
        let h = XXH64.hash(bytes: key, seed: 0)
        var at = Int(truncatingIfNeeded: h) & mask
        while true {
            let s = slots[at]
            if s == 0 { break }
            let g = Int(s - 1)
            if keyHashes[g] == h && stringKeys.withUTF8(g, { $0.elementsEqual(key) }) { return s - 1 }
            at = (at + 1) & mask
        }
        let g = newGroup()
        stringKeys.append(utf8: UnsafeRawBufferPointer(key))
        keyHashes.append(h)
        slots[at] = g + 1
        if groupCount * 2 > slots.count { rehash() }
        return g
    }

    private mutating func rehash() {
        let cap = slots.count * 2
        slots = [UInt32](repeating: 0, count: cap)
        mask = cap - 1
        for g in 0..<groupCount where nullGroup != UInt32(g) {
            let h = isString ? keyHashes[g] : Self.mix(intKeys[g])
            var at = Int(truncatingIfNeeded: h) & mask
            while slots[at] != 0 { at = (at + 1) & mask }
            slots[at] = UInt32(g + 1)
        }
    }

    /// The key of every group, in id order (the first column of the grouped output).
    public func keyColumn() -> Column {
        let validity: Validity? = nullGroup.map { ng in Validity((0..<groupCount).map { $0 != Int(ng) }) }
        switch keyType {
        case .string: return Column(type: .string, values: .string(stringKeys), validity: validity)
        case .int32, .date: return Column(type: keyType, values: .int32(intKeys.map { Int32(truncatingIfNeeded: $0) }), validity: validity)
        case .boolean: return Column(type: .boolean, values: .boolean(intKeys.map { $0 != 0 }), validity: validity)
        case .double: return Column(type: .double, values: .double(intKeys.map { Double(bitPattern: UInt64(bitPattern: $0)) }), validity: validity)
        default: return Column(type: keyType, values: .int64(intKeys), validity: validity)
        }
    }

    /// Key of group `g` as a value (slow path: merging tables, tests).
    public func key(_ g: Int) -> Value {
        if nullGroup == UInt32(g) { return .null }
        return keyColumn().gather([g])[0]
    }
}
