import FSCore

/// Slot numbers for the distinct keys of a stream of batches, without a `String` or `[Value]`
/// per row: each row's key is encoded into a reused byte buffer and looked up in an
/// open-addressing table whose keys live in one byte arena.
///
/// Encoding: a single string key is its UTF-8 bytes; otherwise each part is a type tag, then
/// 8 little-endian bytes (integers, dates, timestamps, doubles by bit pattern with -0.0 folded
/// into 0.0, booleans) or a 4-byte length and the UTF-8 bytes (strings) — so distinct keys never
/// share an encoding. A key with a NULL part has no slot.
struct KeyTable {
    private var arena: [UInt8] = []
    private var starts: [Int] = [0]
    private var hashes: [UInt64] = []
    /// (hash's high 32 bits << 32) | (slot + 1), 0 = empty; capacity a power of two, kept under
    /// 70 % full. The hash bits in the bucket reject almost every non-matching probe without
    /// touching `hashes` or the arena: one cache miss per row instead of three (measured on the
    /// 12M-row window table: KeyTable.find + memcmp were 55 % of the profile).
    private var buckets = [UInt64](repeating: 0, count: 1024)
    private var scratch: [UInt8] = []

    var count: Int { hashes.count }

    /// The slot of row `r`'s key (allocating one for a new key), or nil when a part is NULL.
    mutating func slot(_ columns: [Column], _ r: Int) -> (slot: Int, isNew: Bool)? {
        if columns.count == 1, case .string(let s) = columns[0].values {
            if columns[0].isNull(r) { return nil }
            return s.withUTF8(r) { find($0) }
        }
        scratch.removeAll(keepingCapacity: true)
        for c in columns {
            if c.isNull(r) { return nil }
            switch c.values {
            case .boolean(let v): scratch.append(1); append64(v[r] ? 1 : 0)
            case .int32(let v): scratch.append(2); append64(UInt64(bitPattern: Int64(v[r])))
            case .int64(let v): scratch.append(2); append64(UInt64(bitPattern: v[r]))
            case .double(let v): scratch.append(3); append64((v[r] == 0 ? 0.0 : v[r]).bitPattern)
            case .string(let v):
                scratch.append(4)
                let n = v.length(r)
                append32(UInt32(truncatingIfNeeded: n))
                v.withUTF8(r) { scratch.append(contentsOf: $0) }
            }
        }
        let key = scratch
        defer { scratch = key }
        return key.withUnsafeBufferPointer { find($0) }
    }

    /// The slot of a single string key given as its UTF-8 bytes (the caller skips NULLs):
    /// the same slot `slot(_:_:)` gives that key, without reading the column per row. Also
    /// takes any key in its encoded form (`withKey`), which is how two tables are merged.
    mutating func slot(utf8 key: UnsafeBufferPointer<UInt8>) -> (slot: Int, isNew: Bool) { find(key) }

    /// The encoded bytes of `slot`'s key (as `slot(utf8:)` takes them), lent to `body`.
    func withKey<R>(_ slot: Int, _ body: (UnsafeBufferPointer<UInt8>) -> R) -> R {
        arena.withUnsafeBufferPointer { a in body(UnsafeBufferPointer(rebasing: a[starts[slot]..<starts[slot + 1]])) }
    }

    private mutating func append64(_ x: UInt64) { for i in 0..<8 { scratch.append(UInt8(truncatingIfNeeded: x >> (8 * UInt64(i)))) } }
    private mutating func append32(_ x: UInt32) { for i in 0..<4 { scratch.append(UInt8(truncatingIfNeeded: x >> (8 * UInt32(i)))) } }

    /// Room for `keys` keys of `bytes` bytes in all without growing, for a caller that knows
    /// how many keys may come (a reducer's first batch holds at most one per row). Only an
    /// empty table is resized.
    mutating func reserve(keys n: Int, bytes: Int) {
        guard hashes.isEmpty else { return }
        var capacity = buckets.count
        while n * 10 > capacity * 7 { capacity *= 2 }
        if capacity > buckets.count { buckets = [UInt64](repeating: 0, count: capacity) }
        hashes.reserveCapacity(n)
        starts.reserveCapacity(n + 1)
        arena.reserveCapacity(bytes)
    }

    private mutating func find(_ key: UnsafeBufferPointer<UInt8>) -> (slot: Int, isNew: Bool) {
        let h = Self.hash(key)
        var mask = buckets.count - 1
        var i = Int(truncatingIfNeeded: h) & mask
        let tag = h & 0xffff_ffff_0000_0000
        while true {
            let b = buckets[i]
            if b == 0 { break }
            if b & 0xffff_ffff_0000_0000 == tag {
                let slot = Int(b & 0xffff_ffff) - 1
                if keyEquals(slot, key) { return (slot, false) }
            }
            i = (i + 1) & mask
        }
        let slot = hashes.count
        hashes.append(h)
        arena.append(contentsOf: key)
        starts.append(arena.count)
        if (slot + 1) * 10 > buckets.count * 7 {
            grow()
            mask = buckets.count - 1
            i = Int(truncatingIfNeeded: h) & mask
            while buckets[i] != 0 { i = (i + 1) & mask }
        }
        buckets[i] = tag | UInt64(slot + 1)
        return (slot, true)
    }

    /// Whether `slot`'s key is `key` (encoded bytes, as `slot(utf8:)` takes them).
    func keyEquals(_ slot: Int, _ key: UnsafeBufferPointer<UInt8>) -> Bool {
        let s = starts[slot], n = starts[slot + 1] - s
        guard n == key.count else { return false }
        return arena.withUnsafeBufferPointer { a in
            guard n > 0 else { return true }
            // Inlined word-at-a-time comparison: libc's memcmp call was 12 % of a 12M-row publish.
            return bytesEqual(a.baseAddress! + s, key.baseAddress!, n)
        }
    }

    private mutating func grow() {
        var next = [UInt64](repeating: 0, count: buckets.count * 2)
        let mask = next.count - 1
        for (slot, h) in hashes.enumerated() {
            var i = Int(truncatingIfNeeded: h) & mask
            while next[i] != 0 { i = (i + 1) & mask }
            next[i] = (h & 0xffff_ffff_0000_0000) | UInt64(slot + 1)
        }
        buckets = next
    }

    /// A 64-bit hash taking 8 bytes a step (then the tail), with a final avalanche: keys are
    /// short and the mix spreads low bits for the mask. Byte-at-a-time FNV-1a cost ~36 dependent
    /// multiplies for a UUID key, the larger part of `find` in a 12M-row publish.
    static func hash(_ p: UnsafeBufferPointer<UInt8>) -> UInt64 {
        let n = p.count
        var h: UInt64 = 0xcbf2_9ce4_8422_2325 ^ (UInt64(n) &* 0x9e37_79b9_7f4a_7c15)
        guard n > 0, let base = UnsafeRawPointer(p.baseAddress) else { return murmurFinalMix(h) }
        var i = 0
        while i + 8 <= n {
            h = (h ^ base.loadUnaligned(fromByteOffset: i, as: UInt64.self)) &* 0x9e37_79b9_7f4a_7c15
            h ^= h >> 32
            i += 8
        }
        if i < n {
            var tail: UInt64 = 0
            for j in i..<n { tail |= UInt64(p[j]) << (8 * UInt64(j - i)) }
            h = (h ^ tail) &* 0x9e37_79b9_7f4a_7c15
        }
        return murmurFinalMix(h)
    }
}
