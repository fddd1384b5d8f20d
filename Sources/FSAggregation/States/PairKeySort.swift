/// Sorting and deduplication of packed `group << 32 | value` pair keys: how a DISTINCT
/// aggregate that collected its pairs unsorted (`DistinctAccumulator.deferPairs()`) turns them
/// into sets at the end.
///
/// An LSD radix sort over only the bits the ids use (`group` below `groupCount`, `value`
/// below `valueCount`): at 10M orders a key partition holds ~2.5M pairs of 18 + 17 bits, three
/// passes of 12-bit digits whose 4,096 counters stay in cache. Every pass reads and writes the
/// keys in order, so the ~2.5M random hash-table probes a row-by-row insert costs (13% of the
/// offline job's CPU) become a few sequential sweeps.
///
///     keys ──compact: group << valueBits | value──► passes of ≤ 12-bit digits (a pass whose
///          digit is the same in every key is skipped) ──► one scan: drop repeats, re-pack
enum PairKeySort {
    /// Digits wider than this make the counters and the scatter targets spill out of cache.
    static let maxDigitBits = 12

    /// Bits that hold every id below `count` (0 for counts up to 1).
    static func bitWidth(ofIDsBelow count: Int) -> Int {
        count <= 1 ? 0 : UInt64.bitWidth - UInt64(count - 1).leadingZeroBitCount
    }

    /// The distinct keys of `keys`, ascending (by group, then value id), each packed as
    /// `group << 32 | value`. Every key's group must be below `groupCount` and its value below
    /// `valueCount`: the sort looks at no other bits.
    static func sortedUnique(_ keys: [UInt64], groupCount: Int, valueCount: Int) -> [UInt64] {
        guard keys.count > 1 else { return keys }
        let (a, valueBits) = sortedCompact(keys, groupCount: groupCount, valueCount: valueCount)
        let n = a.count
        return [UInt64](unsafeUninitializedCapacity: n) { out, initialized in
            a.withUnsafeBufferPointer { s in
                let lowMask = (UInt64(1) << valueBits) &- 1
                var previous = s[0]
                out[0] = (previous >> valueBits) << 32 | (previous & lowMask)
                var m = 1
                for i in 1..<n where s[i] != previous {
                    previous = s[i]
                    out[m] = (previous >> valueBits) << 32 | (previous & lowMask)
                    m += 1
                }
                initialized = m
            }
        }
    }

    /// The number of distinct values of every group (`groupCount` entries): `sortedUnique`
    /// counted as it is scanned, without building it.
    static func distinctCounts(_ keys: [UInt64], groupCount: Int, valueCount: Int) -> [Int64] {
        var counts = [Int64](repeating: 0, count: groupCount)
        guard !keys.isEmpty else { return counts }
        let (a, valueBits) = sortedCompact(keys, groupCount: groupCount, valueCount: valueCount)
        counts.withUnsafeMutableBufferPointer { c in
            a.withUnsafeBufferPointer { s in
                var previous = s[0]
                c[Int(previous >> valueBits)] += 1
                for i in 1..<s.count where s[i] != previous {
                    previous = s[i]
                    c[Int(previous >> valueBits)] += 1
                }
            }
        }
        return counts
    }

    /// `keys` as `group << valueBits | value`, sorted; and `valueBits`. The compaction and every
    /// pass's histogram share one read of the keys.
    private static func sortedCompact(_ keys: [UInt64], groupCount: Int, valueCount: Int) -> (keys: [UInt64], valueBits: UInt64) {
        let n = keys.count
        let valueBits = UInt64(bitWidth(ofIDsBelow: valueCount))
        let totalBits = Int(valueBits) + bitWidth(ofIDsBelow: groupCount)
        precondition(totalBits <= 64, "pair ids wider than 64 bits")
        let digits = Digits(bits: totalBits)
        var counts = [Int](repeating: 0, count: digits.passes * digits.radix)
        let valueMask: UInt64 = 0xFFFF_FFFF
        let groupLimit = UInt64(Swift.max(1, groupCount)), valueLimit = UInt64(Swift.max(1, valueCount))
        var a = [UInt64](unsafeUninitializedCapacity: n) { out, initialized in
            keys.withUnsafeBufferPointer { k in
                counts.withUnsafeMutableBufferPointer { c in
                    for i in 0..<n {
                        let group = k[i] >> 32, value = k[i] & valueMask
                        precondition(value < valueLimit && group < groupLimit, "pair key \(k[i]) outside \(groupCount) groups × \(valueCount) values")
                        let key = group << valueBits | value
                        out[i] = key
                        digits.count(key, into: c)
                    }
                }
            }
            initialized = n
        }
        digits.sort(&a, counts: &counts)
        return (a, valueBits)
    }

    /// Sorts `a`, whose keys use only their low `bits` bits, ascending.
    static func radixSort(_ a: inout [UInt64], bits: Int) {
        guard !a.isEmpty else { return }
        let digits = Digits(bits: bits)
        var counts = [Int](repeating: 0, count: digits.passes * digits.radix)
        counts.withUnsafeMutableBufferPointer { c in
            for key in a { digits.count(key, into: c) }
        }
        digits.sort(&a, counts: &counts)
    }

    /// How keys of `bits` bits are cut into the passes' digits.
    struct Digits {
        let passes: Int
        let digitBits: Int
        var radix: Int { 1 << digitBits }
        var mask: UInt64 { UInt64(radix - 1) }

        init(bits: Int) {
            passes = bits == 0 ? 0 : (bits + PairKeySort.maxDigitBits - 1) / PairKeySort.maxDigitBits
            digitBits = passes == 0 ? 0 : (bits + passes - 1) / passes
        }

        /// Adds `key` to every pass's histogram (`c[pass * radix + digit]`).
        @inline(__always)
        func count(_ key: UInt64, into c: UnsafeMutableBufferPointer<Int>) {
            for p in 0..<passes { c[p * radix + Int((key >> UInt64(p * digitBits)) & mask)] += 1 }
        }

        /// The scatter passes, given every pass's histogram of `a`'s keys (a permutation leaves
        /// them unchanged, so they are counted once).
        func sort(_ a: inout [UInt64], counts: inout [Int]) {
            let n = a.count
            guard n > 1, passes > 0 else { return }
            let radix = self.radix, mask = self.mask
            var b = [UInt64](unsafeUninitializedCapacity: n) { _, initialized in initialized = n }
            for p in 0..<passes {
                let shift = UInt64(p * digitBits)
                let base = p * radix
                // A digit every key shares moves nothing.
                if counts[base + Int((a[0] >> shift) & mask)] == n { continue }
                counts.withUnsafeMutableBufferPointer { c in
                    var sum = 0
                    for d in 0..<radix {
                        let count = c[base + d]
                        c[base + d] = sum
                        sum += count
                    }
                    a.withUnsafeBufferPointer { from in
                        b.withUnsafeMutableBufferPointer { to in
                            for i in 0..<n {
                                let key = from[i]
                                let d = base + Int((key >> shift) & mask)
                                to[c[d]] = key
                                c[d] += 1
                            }
                        }
                    }
                }
                swap(&a, &b)
            }
        }
    }
}
