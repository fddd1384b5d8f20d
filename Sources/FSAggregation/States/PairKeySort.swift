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
        let n = keys.count
        guard n > 1 else { return keys }
        let valueBits = UInt64(bitWidth(ofIDsBelow: valueCount))
        let totalBits = Int(valueBits) + bitWidth(ofIDsBelow: groupCount)
        precondition(totalBits <= 64, "pair ids wider than 64 bits")
        let valueMask: UInt64 = 0xFFFF_FFFF
        var a = [UInt64](unsafeUninitializedCapacity: n) { out, initialized in
            keys.withUnsafeBufferPointer { k in
                for i in 0..<n {
                    precondition(k[i] & valueMask < UInt64(Swift.max(1, valueCount)) && k[i] >> 32 < UInt64(Swift.max(1, groupCount)),
                                 "pair key \(k[i]) outside \(groupCount) groups × \(valueCount) values")
                    out[i] = (k[i] >> 32) << valueBits | (k[i] & valueMask)
                }
            }
            initialized = n
        }
        if totalBits > 0 { radixSort(&a, bits: totalBits) }
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

    /// Sorts `a`, whose keys use only their low `bits` bits, ascending.
    static func radixSort(_ a: inout [UInt64], bits: Int) {
        let n = a.count
        let passes = (bits + maxDigitBits - 1) / maxDigitBits
        let digitBits = (bits + passes - 1) / passes
        let radix = 1 << digitBits
        let digitMask = UInt64(radix - 1)
        // Every pass's histogram in one read of the keys (a permutation leaves them unchanged).
        var counts = [Int](repeating: 0, count: passes * radix)
        counts.withUnsafeMutableBufferPointer { c in
            a.withUnsafeBufferPointer { k in
                for i in 0..<n {
                    let key = k[i]
                    for p in 0..<passes { c[p * radix + Int((key >> UInt64(p * digitBits)) & digitMask)] += 1 }
                }
            }
        }
        var b = [UInt64](unsafeUninitializedCapacity: n) { _, initialized in initialized = n }
        for p in 0..<passes {
            let shift = UInt64(p * digitBits)
            let base = p * radix
            // A digit every key shares moves nothing.
            if counts[base + Int((a[0] >> shift) & digitMask)] == n { continue }
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
                            let d = base + Int((key >> shift) & digitMask)
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
