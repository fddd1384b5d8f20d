/// Builds the dictionary of one INT32, INT64 or DOUBLE column chunk, keyed by the values' bit
/// patterns (so -0.0 and +0.0, or two NaN payloads, are distinct entries and round-trip exactly).
///
/// Why: a column whose values repeat — the online job's features, identical across the sliding
/// windows of a key when it writes a key's windows side by side, and its window bounds, a few
/// hundred per day file — costs 8 bytes a row PLAIN and as much again for ZSTD to find the
/// repeats, but a few bits a row (or one RLE run) as dictionary indices. A row equal to the row
/// before costs one compare (no hash), so runs are nearly free to encode.
///
/// Entries are stored PLAIN (little-endian, 4 or 8 bytes) in one buffer, which is the dictionary
/// page body as is. Lookup is open addressing with linear probing over a power-of-two slot table
/// holding entry numbers + 1 (0 = empty). `plainByteCount` is what the writer compares against
/// `maxDictionaryBytes` to fall back to PLAIN.
package final class NumericDictionary {
    /// The PLAIN encoding of the entries, in index order: the dictionary page body (and the
    /// entries the lookup compares against).
    package let plain = ByteSink(capacity: 1 << 10)
    /// DOUBLE column: rows holding a NaN are counted (statistics count rows, not entries).
    private let isDouble: Bool
    /// Rows (not entries) that were NaN, for `nan_count`.
    package private(set) var nanRows: Int64 = 0
    private var table: Table
    /// Indices of one `appendIndices` call before they are appended in one copy.
    private var scratch: UnsafeMutablePointer<UInt32>
    private var scratchCount = 0

    /// The lookup state, a value type copied into a local for the per-row loop: stored
    /// properties of a class would be checked for exclusive access at run time on every row
    /// (that check cost more than the lookup itself). Pointers, so copies share the memory.
    private struct Table {
        /// 4 or 8 bytes an entry.
        let width: Int
        /// Open addressing slots: entry number + 1, 0 = empty; `slotCount` a power of two.
        var slots: UnsafeMutablePointer<UInt32>
        var slotCount = 256
        var count = 0
        /// `plain.base`, refreshed after every insertion (the sink may move).
        var entries: UnsafeMutableRawPointer
        /// The last row's value and entry (`UInt32.max`: none yet): a run skips the hash.
        var lastBits: UInt64 = 0
        var lastEntry = UInt32.max

        @inline(__always)
        func entry(_ i: Int) -> UInt64 {
            width == 4 ? UInt64(entries.loadUnaligned(fromByteOffset: i * 4, as: UInt32.self).littleEndian)
                : entries.loadUnaligned(fromByteOffset: i * 8, as: UInt64.self).littleEndian
        }

        /// A full 64-bit mix (the murmur3 finalizer's shape), then the low bits. A multiplicative
        /// hash's top bits alone clustered the online job's values (window bounds a multiple of
        /// 5 minutes in µs, prices of two decimals): long linear probes, measured at ~40% of the
        /// dictionary's time.
        @inline(__always)
        static func slot(of bits: UInt64, mask: Int) -> Int {
            var x = bits ^ (bits >> 31)
            x = x &* 0x7FB5_D329_728E_A185
            x ^= x >> 27
            x = x &* 0x81DA_DEF4_BC2D_D44D
            x ^= x >> 33
            return Int(truncatingIfNeeded: x) & mask
        }

        /// The entry of `bits`, inserted into `plain` if new.
        @inline(__always)
        mutating func lookup(_ bits: UInt64, plain: ByteSink) -> UInt32 {
            let mask = slotCount - 1
            var slot = Self.slot(of: bits, mask: mask)
            while true {
                let e = slots[slot]
                if e == 0 { break }
                if entry(Int(e) - 1) == bits { return e - 1 }
                slot = (slot &+ 1) & mask
            }
            return insert(bits, at: slot, plain: plain)
        }

        mutating func insert(_ bits: UInt64, at slot: Int, plain: ByteSink) -> UInt32 {
            let e = UInt32(truncatingIfNeeded: count)
            if width == 4 { plain.append(littleEndian: UInt32(truncatingIfNeeded: bits)) } else { plain.append(littleEndian: bits) }
            entries = plain.base
            count += 1
            slots[slot] = e + 1
            if count * 2 > slotCount { rehash() }
            return e
        }

        mutating func rehash() {
            slots.deallocate()
            slotCount *= 2
            slots = .allocate(capacity: slotCount)
            slots.initialize(repeating: 0, count: slotCount)
            let mask = slotCount - 1
            for i in 0..<count {
                var slot = Self.slot(of: entry(i), mask: mask)
                while slots[slot] != 0 { slot = (slot + 1) & mask }
                slots[slot] = UInt32(i + 1)
            }
        }
    }

    /// - Parameter width: 4 for INT32 (and DATE) columns, 8 for INT64 (TIMESTAMP) and DOUBLE.
    package init(width: Int, isDouble: Bool) {
        precondition(width == 4 || width == 8, "numeric dictionary entries are 4 or 8 bytes, not \(width)")
        self.isDouble = isDouble
        let slots = UnsafeMutablePointer<UInt32>.allocate(capacity: 256)
        slots.initialize(repeating: 0, count: 256)
        table = Table(width: width, slots: slots, entries: plain.base)
        scratch = .allocate(capacity: 1)
    }

    deinit {
        table.slots.deallocate()
        scratch.deallocate()
    }

    /// 4 or 8 bytes an entry.
    package var width: Int { table.width }

    /// Number of entries.
    package var count: Int { table.count }

    /// Size of the dictionary page body before compression.
    package var plainByteCount: Int { plain.count }

    /// The bit pattern of entry `i` (an Int32's low 32 bits for width 4).
    package func entry(_ i: Int) -> UInt64 { table.entry(i) }

    /// `appendIndices` for a column whose producer gave each row a code (`DictionaryHint`; the
    /// online job's window bounds: the window's number within its day). `memo[code]` remembers
    /// the entry of the code's value, so a row whose value differs from the row before costs a
    /// memo load and a compare with that entry instead of a hash and a probe — in key-major
    /// order the window bounds change on every row. The compare makes the hint safe: a row whose
    /// value differs from its code's entry (a stale memo from an earlier chunk, a wrong hint)
    /// takes the hashed path and re-points the memo. `memo` grows to `codeCount` (new slots
    /// `UInt32.max`) and may be kept across chunks.
    @inline(__always)
    package func appendIndices<T>(
        _ values: UnsafeBufferPointer<T>, range: Range<Int>, validity: UnsafeBufferPointer<UInt64>?, limit: Int,
        codes: UnsafeBufferPointer<UInt32>, codeCount: Int, memo: inout [UInt32],
        bits: (T) -> UInt64, into indices: inout [UInt32]
    ) -> Int {
        if memo.count < codeCount { memo.append(contentsOf: repeatElement(UInt32.max, count: codeCount - memo.count)) }
        if scratchCount < range.count {
            scratch.deallocate()
            scratchCount = range.count
            scratch = .allocate(capacity: scratchCount)
        }
        let out = scratch, plain = self.plain, isDouble = self.isDouble
        var t = table
        var written = 0
        var last = t.lastBits, lastE = t.lastEntry
        var nans: Int64 = 0
        var end = range.upperBound
        memo.withUnsafeMutableBufferPointer { known in
            for i in range {
                if let w = validity, !isValid(w, i) { continue }
                let b = bits(values[i])
                if b != last || lastE == UInt32.max {
                    let code = Int(codes[i])
                    let remembered = code < known.count ? Int(known[code]) : Int.max
                    if remembered < t.count && t.entry(remembered) == b {
                        lastE = UInt32(truncatingIfNeeded: remembered)
                    } else {
                        lastE = t.lookup(b, plain: plain)
                        if code < known.count { known[code] = lastE }
                    }
                    last = b
                    if t.count &* t.width > limit {
                        out[written] = lastE
                        written += 1
                        end = i + 1
                        break
                    }
                }
                out[written] = lastE
                written += 1
            }
        }
        if isDouble {
            for k in 0..<written where Double(bitPattern: t.entry(Int(out[k]))).isNaN { nans += 1 }
        }
        t.lastBits = last
        t.lastEntry = lastE
        table = t
        nanRows += nans
        indices.append(contentsOf: UnsafeBufferPointer(start: out, count: written))
        return end
    }

    /// Appends the indices of the non-null rows of `values[range]` to `indices`. Stops after the
    /// row whose insertion makes the dictionary's PLAIN size exceed `limit` and returns the row
    /// after it; otherwise returns `range.upperBound`.
    ///
    /// The loop works on locals, writes into a scratch buffer and compares each value with the
    /// row before it first: in a run, a row costs a compare and a store.
    @inline(__always)
    package func appendIndices<T>(
        _ values: UnsafeBufferPointer<T>, range: Range<Int>, validity: UnsafeBufferPointer<UInt64>?, limit: Int,
        bits: (T) -> UInt64, into indices: inout [UInt32]
    ) -> Int {
        if scratchCount < range.count {
            scratch.deallocate()
            scratchCount = range.count
            scratch = .allocate(capacity: scratchCount)
        }
        let out = scratch, plain = self.plain, isDouble = self.isDouble
        var t = table
        var written = 0
        var last = t.lastBits, lastE = t.lastEntry
        var lastIsNaN: Int64 = 0, nans: Int64 = 0
        var end = range.upperBound
        for i in range {
            if let w = validity, !isValid(w, i) { continue }
            let b = bits(values[i])
            if b != last || lastE == UInt32.max {
                lastE = t.lookup(b, plain: plain)
                last = b
                lastIsNaN = isDouble && b & 0x7FF0_0000_0000_0000 == 0x7FF0_0000_0000_0000 && b & 0x000F_FFFF_FFFF_FFFF != 0 ? 1 : 0
                if t.count &* t.width > limit {
                    out[written] = lastE
                    written += 1
                    nans += lastIsNaN
                    end = i + 1
                    break
                }
            }
            nans &+= lastIsNaN
            out[written] = lastE
            written += 1
        }
        t.lastBits = last
        t.lastEntry = lastE
        table = t
        nanRows += nans
        indices.append(contentsOf: UnsafeBufferPointer(start: out, count: written))
        return end
    }
}
