/// Builds the dictionary of one string column chunk, hashing raw UTF-8 bytes (never `String`).
///
/// Entries are stored already PLAIN-encoded (uint32 length + bytes) in one buffer, which is the
/// dictionary page body as is. Lookup is open addressing with linear probing over a power-of-two
/// slot table of entry numbers, with each entry's 64-bit hash kept so that most mismatches are
/// rejected without comparing bytes. `plainByteCount` is what the writer compares against
/// `maxDictionaryBytes` to fall back to PLAIN.
package final class StringDictionary {
    /// The PLAIN encoding of the entries, in index order: the dictionary page body.
    package let plain = ByteSink(capacity: 1 << 16)
    private var table = Table()

    /// The lookup structure, a value type so the per-value loop works on a local copy with
    /// static exclusivity (class properties would be checked at run time on every access).
    private struct Table {
        /// Start of entry i's bytes (after its length prefix) in `plain`.
        var starts: [Int] = []
        var lengths: [Int] = []
        var hashes: [UInt64] = []
        /// Slot -> entry number + 1 (0 = empty).
        var slots = [UInt32](repeating: 0, count: 1024)
        var mask = 1023

        @inline(__always)
        mutating func index(of bytes: UnsafeRawPointer, length: Int, plain: ByteSink) -> UInt32 {
            let h = hashBytes(bytes, length)
            var slot = Int(truncatingIfNeeded: h) & mask
            while true {
                let e = slots[slot]
                if e == 0 { break }
                let entry = Int(e &- 1)
                if hashes[entry] == h && lengths[entry] == length
                    && (length == 0 || memcmpEqual(plain.base + starts[entry], bytes, length)) {
                    return UInt32(truncatingIfNeeded: entry)
                }
                slot = (slot &+ 1) & mask
            }
            let entry = starts.count
            plain.append(littleEndian: UInt32(truncatingIfNeeded: length))
            starts.append(plain.count)
            if length > 0 { plain.append(UnsafeRawBufferPointer(start: bytes, count: length)) }
            lengths.append(length)
            hashes.append(h)
            slots[slot] = UInt32(truncatingIfNeeded: entry + 1)
            if starts.count * 2 > slots.count { rehash() }
            return UInt32(truncatingIfNeeded: entry)
        }

        mutating func rehash() {
            let newCount = slots.count * 2
            slots = [UInt32](repeating: 0, count: newCount)
            mask = newCount - 1
            for entry in 0..<starts.count {
                var slot = Int(truncatingIfNeeded: hashes[entry]) & mask
                while slots[slot] != 0 { slot = (slot + 1) & mask }
                slots[slot] = UInt32(entry + 1)
            }
        }
    }

    package init() {}

    /// Number of entries.
    package var count: Int { table.starts.count }

    /// Size of the dictionary page body before compression.
    package var plainByteCount: Int { plain.count }

    /// Index of the string `bytes`, inserting it if new.
    package func index(of bytes: UnsafeRawPointer, length: Int) -> UInt32 {
        table.index(of: bytes, length: length, plain: plain)
    }

    /// Appends the indices of the non-null rows of `range` of a string column (offsets + bytes)
    /// to `indices`. Stops after the row whose insertion makes the dictionary's PLAIN size exceed
    /// `limit` and returns the row after it; otherwise returns `range.upperBound`.
    package func appendIndices(
        offsets: UnsafeBufferPointer<Int>, bytes: UnsafeRawPointer, range: Range<Int>,
        validity: UnsafeBufferPointer<UInt64>?, limit: Int, into indices: inout [UInt32]
    ) -> Int {
        var t = table
        table = Table()  // `t` now holds the only reference: no copy-on-write in the loop
        defer { table = t }
        let plain = self.plain
        for i in range {
            if let w = validity, !isValid(w, i) { continue }
            let start = offsets[i]
            indices.append(t.index(of: bytes + start, length: offsets[i + 1] - start, plain: plain))
            if plain.count > limit { return i + 1 }
        }
        return range.upperBound
    }

    /// Calls `body` with the bytes of entry `i` (statistics over the dictionary).
    package func withEntry<R>(_ i: Int, _ body: (UnsafeBufferPointer<UInt8>) -> R) -> R {
        body(UnsafeBufferPointer(start: (plain.base + table.starts[i]).assumingMemoryBound(to: UInt8.self), count: table.lengths[i]))
    }
}

@inline(__always)
private func memcmpEqual(_ a: UnsafeRawPointer, _ b: UnsafeRawPointer, _ n: Int) -> Bool {
    var i = 0
    while i + 8 <= n {
        if a.loadUnaligned(fromByteOffset: i, as: UInt64.self) != b.loadUnaligned(fromByteOffset: i, as: UInt64.self) { return false }
        i += 8
    }
    while i < n {
        if a.load(fromByteOffset: i, as: UInt8.self) != b.load(fromByteOffset: i, as: UInt8.self) { return false }
        i += 1
    }
    return true
}

/// A fast non-cryptographic 64-bit hash of a byte string: 8 bytes per step, multiply-rotate
/// mixing, then a murmur3 finalizer so the low bits (the slot number) depend on every input bit.
@inline(__always)
package func hashBytes(_ p: UnsafeRawPointer, _ n: Int) -> UInt64 {
    let k: UInt64 = 0x9E37_79B9_7F4A_7C15
    var h: UInt64 = UInt64(truncatingIfNeeded: n) &* k
    var i = 0
    while i + 8 <= n {
        let w = p.loadUnaligned(fromByteOffset: i, as: UInt64.self)
        h = ((h << 5) | (h >> 59)) ^ w
        h = h &* k
        i += 8
    }
    if i < n {
        var w: UInt64 = 0
        var s: UInt64 = 0
        while i < n {
            w |= UInt64(p.load(fromByteOffset: i, as: UInt8.self)) << s
            s += 8
            i += 1
        }
        h = ((h << 5) | (h >> 59)) ^ w
        h = h &* k
    }
    h ^= h >> 33
    h = h &* 0xFF51_AFD7_ED55_8CCD
    h ^= h >> 33
    h = h &* 0xC4CE_B9FE_1A85_EC53
    h ^= h >> 33
    return h
}
