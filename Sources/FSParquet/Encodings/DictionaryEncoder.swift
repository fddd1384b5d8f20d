import FSCore

/// Builds the dictionary of one string column chunk, hashing raw UTF-8 bytes (never `String`).
///
/// Entries are stored already PLAIN-encoded (uint32 length + bytes) in one buffer, which is the
/// dictionary page body as is. Lookup is open addressing with linear probing over a power-of-two
/// slot table; each slot holds the entry number and 32 bits of its hash, so that almost every
/// mismatch is rejected without comparing bytes (hashes are recomputed only when rehashing).
/// `plainByteCount` is what the writer compares against `maxDictionaryBytes` to fall back to
/// PLAIN.
package final class StringDictionary {
    /// The PLAIN encoding of the entries, in index order: the dictionary page body.
    package let plain = ByteSink(capacity: StringDictionary.initialBytes)
    private var table = Table()

    /// The lookup structure, a value type so the per-value loop works on a local copy with
    /// static exclusivity (class properties would be checked at run time on every access).
    private struct Table {
        /// Entry i: where its bytes start in `plain` (after the length prefix), and its length.
        var entries: [Entry] = []
        /// Slot -> (high 32 bits of the hash << 32) | (entry number + 1); 0 = empty. Keeping part
        /// of the hash in the slot rejects almost every collision without touching `entries`.
        var slots = [UInt64](repeating: 0, count: StringDictionary.initialSlots)
        var mask = StringDictionary.initialSlots - 1

        struct Entry {
            var start: Int
            var length: Int
        }

        @inline(__always)
        mutating func index(of bytes: UnsafeRawPointer, length: Int, plain: ByteSink) -> UInt32 {
            let h = hashBytes(bytes, length)
            let tag = h & 0xFFFF_FFFF_0000_0000
            var slot = Int(truncatingIfNeeded: h) & mask
            while true {
                let e = slots[slot]
                if e == 0 { break }
                if e & 0xFFFF_FFFF_0000_0000 == tag {
                    let entry = Int(truncatingIfNeeded: e & 0xFFFF_FFFF) &- 1
                    let x = entries[entry]
                    if x.length == length && (length == 0 || bytesEqual(plain.base + x.start, bytes, length)) {
                        return UInt32(truncatingIfNeeded: entry)
                    }
                }
                slot = (slot &+ 1) & mask
            }
            let entry = entries.count
            plain.append(littleEndian: UInt32(truncatingIfNeeded: length))
            entries.append(Entry(start: plain.count, length: length))
            if length > 0 { plain.append(UnsafeRawBufferPointer(start: bytes, count: length)) }
            slots[slot] = tag | UInt64(entry + 1)
            if entries.count * 2 > slots.count { rehash(plain: plain) }
            return UInt32(truncatingIfNeeded: entry)
        }

        mutating func rehash(plain: ByteSink) {
            let newCount = slots.count * 2
            slots = [UInt64](repeating: 0, count: newCount)
            mask = newCount - 1
            for (i, e) in entries.enumerated() {
                let h = hashBytes(plain.base + e.start, e.length)
                var slot = Int(truncatingIfNeeded: h) & mask
                while slots[slot] != 0 { slot = (slot + 1) & mask }
                slots[slot] = (h & 0xFFFF_FFFF_0000_0000) | UInt64(i + 1)
            }
        }
    }

    /// Every string column of every open file starts a dictionary (one that turns out PLAIN
    /// stays empty), and a stream whose micro-batch spans a few hundred days keeps thousands of
    /// them open at once: fs-ingest's ×5 run held ~33 MB of empty 1,024-slot tables and 4 KiB
    /// buffers at its peak (heaptrack). They start small and double as entries come (64 slots,
    /// 256 bytes); a day file of the 1M run grows its largest dictionaries ~5 times more.
    static let initialSlots = 64
    static let initialBytes = 256

    package init() {}

    /// Number of entries.
    package var count: Int { table.entries.count }

    /// Size of the dictionary page body before compression.
    package var plainByteCount: Int { plain.count }

    /// Bytes the dictionary holds: its entries' buffer, slot table and entry list (capacities).
    package var heldBytes: Int {
        plain.capacity + table.slots.capacity * MemoryLayout<UInt64>.stride + table.entries.capacity * MemoryLayout<Table.Entry>.stride
    }

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

    /// `appendIndices` for a column whose producer gave each row a code (`DictionaryHint`):
    /// `memo[code]` remembers the entry the code's value got, so a row costs a memo load and a
    /// byte compare with that entry instead of a hash and a probe. The compare makes the hint
    /// safe: a row whose bytes differ from its code's entry (a stale memo from an earlier chunk,
    /// a wrong hint) takes the hashed path and re-points the memo. `memo` grows to
    /// `codeCount` (new slots `UInt32.max`) and may be kept across chunks.
    package func appendIndices(
        offsets: UnsafeBufferPointer<Int>, bytes: UnsafeRawPointer, range: Range<Int>,
        validity: UnsafeBufferPointer<UInt64>?, limit: Int, codes: UnsafeBufferPointer<UInt32>, codeCount: Int,
        memo: inout [UInt32], into indices: inout [UInt32]
    ) -> Int {
        if memo.count < codeCount { memo.append(contentsOf: repeatElement(UInt32.max, count: codeCount - memo.count)) }
        var t = table
        table = Table()  // `t` now holds the only reference: no copy-on-write in the loop
        defer { table = t }
        let plain = self.plain
        return memo.withUnsafeMutableBufferPointer { known in
            for i in range {
                if let w = validity, !isValid(w, i) { continue }
                let start = offsets[i], length = offsets[i + 1] - start
                let code = Int(codes[i])
                if code < known.count {
                    let e = Int(known[code])
                    if e < t.entries.count {
                        let x = t.entries[e]
                        if x.length == length && (length == 0 || bytesEqual(plain.base + x.start, bytes + start, length)) {
                            indices.append(UInt32(truncatingIfNeeded: e))
                            continue
                        }
                    }
                }
                let e = t.index(of: bytes + start, length: length, plain: plain)
                if code < known.count { known[code] = e }
                indices.append(e)
                if plain.count > limit { return i + 1 }
            }
            return range.upperBound
        }
    }

    /// Calls `body` with the bytes of entry `i` (statistics over the dictionary).
    package func withEntry<R>(_ i: Int, _ body: (UnsafeBufferPointer<UInt8>) -> R) -> R {
        let e = table.entries[i]
        return body(UnsafeBufferPointer(start: (plain.base + e.start).assumingMemoryBound(to: UInt8.self), count: e.length))
    }
}

/// A fast non-cryptographic 64-bit hash of a byte string: 8 bytes per step (the tail as one
/// overlapping load), multiply-rotate mixing, then a murmur3 finalizer so the low bits (the slot
/// number) depend on every input bit. Equal strings hash equally; the length is mixed in first.
@inline(__always)
package func hashBytes(_ p: UnsafeRawPointer, _ n: Int) -> UInt64 {
    let k: UInt64 = 0x9E37_79B9_7F4A_7C15
    var h: UInt64 = UInt64(truncatingIfNeeded: n) &* k
    @inline(__always) func mix(_ w: UInt64) {
        h = ((h << 5) | (h >> 59)) ^ w
        h = h &* k
    }
    if n >= 8 {
        var i = 0
        while i + 8 <= n {
            mix(p.loadUnaligned(fromByteOffset: i, as: UInt64.self))
            i += 8
        }
        if i < n { mix(p.loadUnaligned(fromByteOffset: n - 8, as: UInt64.self)) }
    } else if n >= 4 {
        mix(UInt64(p.loadUnaligned(as: UInt32.self)) | UInt64(p.loadUnaligned(fromByteOffset: n - 4, as: UInt32.self)) << 32)
    } else if n > 0 {
        mix(UInt64(p.load(as: UInt8.self)) | UInt64(p.load(fromByteOffset: n / 2, as: UInt8.self)) << 8
            | UInt64(p.load(fromByteOffset: n - 1, as: UInt8.self)) << 16)
    }
    return murmurFinalMix(h)
}
