import FSCore

#if canImport(Glibc)
import Glibc
#endif

/// Maps grouping-key values to dense group ids 0, 1, 2, … in order of first appearance.
///
/// Open addressing with linear probing over a power-of-two slot array; a slot holds the upper
/// 32 bits of the key's hash and `id + 1` (0 = empty), so a probe compares keys only when the
/// hash tags agree. For strings a slot is two words: that tagged id and the key's start and
/// length (`keyRef`), side by side so one cache line brings both, and a lookup on a large table
/// waits for two cache misses (slot, then the stored key's bytes) instead of three or four
/// (a parallel array of refs, `offsets[id]`, `offsets[id + 1]`). The keys
/// themselves live column-wise (`Int64`s, or one byte buffer plus offsets for strings) indexed
/// by group id, so memory is proportional to the number of distinct keys and nothing is
/// allocated per row. NULL keys form one group of their own, as in Spark's GROUP BY.
///
///     slot = hash >> 32 << 32 | (id + 1)              integer keys: slots[at]
///     slots[2·at] = that, slots[2·at + 1] = keyRef     string keys
///
/// A batch of strings is looked up in three passes over blocks of rows (`groupIDs`): hash every
/// key, load each block's home slots, load the stored keys those slots name, then probe. The
/// loads of a block are independent, so their cache misses overlap instead of following one
/// another, and the probes find their lines in the cache.
public struct GroupKeyTable: Sendable {
    /// The key column's type: any integer-like type (int32, int64, date, timestamp, boolean) or string.
    public let keyType: DataType
    /// `slotWords` words per slot; see the type's comment.
    private var slots: [UInt64]
    private var mask: Int
    private var intKeys: [Int64] = []
    private var stringKeys = StringArray()
    private var keyHashes: [UInt64] = []
    /// Scratch: the hash of every row of the string batch being looked up.
    private var rowHashes: [UInt64] = []
    private var nullGroup: UInt32? = nil
    /// Ids handed out so far, NULL group included.
    public private(set) var groupCount = 0

    public init(keyType: DataType, expectedGroups: Int = 1024) {
        self.keyType = keyType
        var cap = 16
        while cap < expectedGroups * 2 { cap <<= 1 }
        slots = [UInt64](repeating: 0, count: cap * (keyType == .string ? 2 : 1))
        mask = cap - 1
    }

    private static let tagMask: UInt64 = 0xFFFF_FFFF_0000_0000
    /// Rows whose slots are loaded ahead of their lookups.
    static let probeBlock = 16
    /// Sum of the values loaded ahead (kept so the loads are not optimized away).
    private var prefetchSink: UInt64 = 0

    private var isString: Bool { keyType == .string }
    /// Number of slots (a power of two).
    private var capacity: Int { mask + 1 }

    @inline(__always)
    private static func mix(_ x: Int64) -> UInt64 {
        var h = UInt64(bitPattern: x) &* 0x9E37_79B9_7F4A_7C15
        h ^= h >> 32
        h = h &* 0xD6E8_FEB8_6659_FD93
        h ^= h >> 32
        return h
    }

    /// The hash a string table gives `key` (`stringHashes` must hold exactly these).
    @inline(__always)
    package static func stringHash(_ key: UnsafeBufferPointer<UInt8>) -> UInt64 { XXH64.hash(bytes: key, seed: 0) }

    /// The group id of every row of `keys`, appended to `ids` (cleared first). New keys get new
    /// ids; `groupCount` grows accordingly. `stringHashes`, for a string column, is each row's
    /// `stringHash` already computed by the caller (the offline pass hashes keys to partition
    /// them); any other value there would split a key into several groups.
    public mutating func groupIDs(for keys: Column, into ids: inout [UInt32]) {
        groupIDs(for: keys, stringHashes: nil, into: &ids)
    }

    package mutating func groupIDs(for keys: Column, stringHashes: [UInt64]?, into ids: inout [UInt32]) {
        precondition(keys.type == keyType || (keys.type.isNumeric && keyType.isNumeric), "key column \(keys.type), table \(keyType)")
        let n = keys.count
        ids.removeAll(keepingCapacity: true)
        ids.reserveCapacity(n)
        switch keys.values {
        case .string(let s):
            var hashes = rowHashes
            rowHashes = []
            hashes.removeAll(keepingCapacity: true)
            hashes.reserveCapacity(n)
            var touched: UInt64 = 0
            s.offsets.withUnsafeBufferPointer { off in
                s.bytes.withUnsafeBufferPointer { bytes in
                    func key(_ i: Int) -> UnsafeBufferPointer<UInt8> { UnsafeBufferPointer(rebasing: bytes[off[i]..<off[i + 1]]) }
                    // Every hash first: interleaved with the loads below, the hash's own
                    // instructions filled the CPU's window and only a few misses overlapped.
                    if let known = stringHashes, known.count == n {
                        hashes.append(contentsOf: known)
                    } else {
                        for i in 0..<n { hashes.append(keys.isNull(i) ? 0 : Self.stringHash(key(i))) }
                    }
                    hashes.withUnsafeBufferPointer { h in
                        var start = 0
                        while start < n {
                            let end = Swift.min(n, start + Self.probeBlock)
                            touched &+= touchSlots(h, start..<end)
                            touched &+= touchStoredKeys(h, start..<end)
                            for i in start..<end {
                                ids.append(keys.isNull(i) ? nullID() : stringID(key(i), hash: h[i]))
                            }
                            start = end
                        }
                    }
                }
            }
            rowHashes = hashes
            prefetchSink &+= touched
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

    /// Loads the home slot of every row in `rows` (hashes `h`) and returns their sum, so the
    /// loads are kept: a loop of loads alone, so all of them are in flight at once.
    @inline(__always)
    private func touchSlots(_ h: UnsafeBufferPointer<UInt64>, _ rows: Range<Int>) -> UInt64 {
        slots.withUnsafeBufferPointer { t in
            var sum: UInt64 = 0
            for i in rows { sum &+= t[(Int(truncatingIfNeeded: h[i]) & mask) << 1] }
            return sum
        }
    }

    /// Loads the first and last byte of the stored key each row's home slot names when the tags
    /// agree (the key the probe will most likely compare), once those slots are in the cache:
    /// a 36-byte UUID at a random offset spans two cache lines more often than not.
    @inline(__always)
    private func touchStoredKeys(_ h: UnsafeBufferPointer<UInt64>, _ rows: Range<Int>) -> UInt64 {
        slots.withUnsafeBufferPointer { t in
            stringKeys.bytes.withUnsafeBufferPointer { b in
                var sum: UInt64 = 0
                for i in rows {
                    let at = (Int(truncatingIfNeeded: h[i]) & mask) << 1
                    let s = t[at]
                    guard s != 0, s & Self.tagMask == h[i] & Self.tagMask else { continue }
                    let ref = Int(truncatingIfNeeded: t[at + 1])
                    let o = ref >> Self.lengthBits, last = o + Swift.max(0, (ref & Self.longKey) - 1)
                    if last < b.count { sum &+= UInt64(b[o]) &+ UInt64(b[last]) }
                }
                return sum
            }
        }
    }

    /// The id of one integer-like key (for a double table: its `DistinctAccumulator.key`),
    /// adding it when new. For callers that intern values one at a time (state decoding).
    package mutating func id(forInteger key: Int64) -> UInt32 {
        precondition(!isString, "integer key for a string table")
        return intID(key)
    }

    /// The id of one string key (its UTF-8 bytes), adding it when new.
    package mutating func id(forString key: UnsafeBufferPointer<UInt8>) -> UInt32 {
        precondition(isString, "string key for a \(keyType) table")
        return stringID(key)
    }

    /// The stored key of group `g` of an integer-like table (doubles as their normalized bit
    /// pattern), without building a column.
    package func integerKey(_ g: Int) -> Int64 { intKeys[g] }

    /// Calls `body` with the UTF-8 bytes of group `g`'s key in a string table.
    package func withStringKey<R>(_ g: Int, _ body: (UnsafeBufferPointer<UInt8>) throws -> R) rethrows -> R {
        try stringKeys.withUTF8(g, body)
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
        let h = Self.mix(key)
        let tag = h & Self.tagMask
        var at = Int(truncatingIfNeeded: h) & mask
        while true {
            let s = slots[at]
            if s == 0 { break }
            let g = UInt32(truncatingIfNeeded: s) &- 1
            if s & Self.tagMask == tag && intKeys[Int(g)] == key { return g }
            at = (at &+ 1) & mask
        }
        let g = newGroup()
        intKeys.append(key)
        slots[at] = tag | UInt64(g + 1)
        if groupCount * 2 > capacity { rehash() }
        return g
    }

    @inline(__always)
    private mutating func stringID(_ key: UnsafeBufferPointer<UInt8>) -> UInt32 {
        stringID(key, hash: Self.stringHash(key))
    }

    @inline(__always)
    private mutating func stringID(_ key: UnsafeBufferPointer<UInt8>, hash h: UInt64) -> UInt32 {
        let tag = h & Self.tagMask
        var at = Int(truncatingIfNeeded: h) & mask
        while true {
            let s = slots[at << 1]
            if s == 0 { break }
            let g = UInt32(truncatingIfNeeded: s) &- 1
            if s & Self.tagMask == tag && storedKey(at: Int(truncatingIfNeeded: slots[at << 1 | 1]), group: Int(g), equals: key) { return g }
            at = (at &+ 1) & mask
        }
        let g = newGroup()
        slots[at << 1 | 1] = UInt64(truncatingIfNeeded: Self.keyRef(start: stringKeys.bytes.count, length: key.count))
        stringKeys.append(utf8: UnsafeRawBufferPointer(key))
        keyHashes.append(h)
        slots[at << 1] = tag | UInt64(g + 1)
        if groupCount * 2 > capacity { rehash() }
        return g
    }

    /// Bits of a `keyRef` that hold the key's length; the rest hold its start (keys up to 2^40
    /// bytes in all). A length that does not fit is stored as `longKey` and read from the offsets.
    static let lengthBits = 24
    static let longKey = (1 << lengthBits) - 1

    /// A string key's start in `stringKeys.bytes` and its length, in one word per slot.
    @inline(__always)
    static func keyRef(start: Int, length: Int) -> Int { start << lengthBits | Swift.min(length, longKey) }

    /// Whether group g's stored string (`ref` = its slot's `keyRef`) is exactly `key`: lengths
    /// first, then the bytes, compared in words here (a libc memcmp call per probe of a
    /// 36-byte UUID cost more than the compare).
    @inline(__always)
    private func storedKey(at ref: Int, group g: Int, equals key: UnsafeBufferPointer<UInt8>) -> Bool {
        let start = ref >> Self.lengthBits
        let stored = ref & Self.longKey
        let length = stored == Self.longKey ? stringKeys.offsets[g + 1] - start : stored
        guard length == key.count, start + length <= stringKeys.bytes.count else { return false }
        guard let k = key.baseAddress, length > 0 else { return true }
        return stringKeys.bytes.withUnsafeBufferPointer { b in
            guard let base = b.baseAddress else { return false }
            return bytesEqual(UnsafeRawPointer(base + start), UnsafeRawPointer(k), length)
        }
    }

    private mutating func rehash() {
        let cap = capacity * 2
        let words = isString ? 2 : 1
        slots = [UInt64](repeating: 0, count: cap * words)
        mask = cap - 1
        for g in 0..<groupCount where nullGroup != UInt32(g) {
            let h = isString ? keyHashes[g] : Self.mix(intKeys[g])
            var at = Int(truncatingIfNeeded: h) & mask
            while slots[at * words] != 0 { at = (at + 1) & mask }
            slots[at * words] = h & Self.tagMask | UInt64(g + 1)
            if isString {
                let ref = Self.keyRef(start: stringKeys.offsets[g], length: stringKeys.offsets[g + 1] - stringKeys.offsets[g])
                slots[at << 1 | 1] = UInt64(truncatingIfNeeded: ref)
            }
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

