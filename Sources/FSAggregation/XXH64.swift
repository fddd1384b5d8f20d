/// XXH64, the 64-bit xxHash, written from the published specification.
///
/// Spark hashes values for `approx_count_distinct` with XXH64 and seed 42 over each value's
/// binary form (`XxHash64Function`): 4-byte ints and dates, 8-byte longs, timestamps and double
/// bits, UTF-8 bytes of strings. Reproducing it bit for bit is what lets our HyperLogLog++
/// registers — and so our estimates — equal Spark's.
public enum XXH64 {
    @usableFromInline static let p1: UInt64 = 11_400_714_785_074_694_791
    @usableFromInline static let p2: UInt64 = 14_029_467_366_897_019_727
    @usableFromInline static let p3: UInt64 = 1_609_587_929_392_839_161
    @usableFromInline static let p4: UInt64 = 9_650_029_242_287_828_579
    @usableFromInline static let p5: UInt64 = 2_870_177_450_012_600_261

    /// The seed Spark's `approx_count_distinct` and `xxhash64()` use.
    public static let sparkSeed: UInt64 = 42

    @inlinable @inline(__always)
    static func rotl(_ x: UInt64, _ r: UInt64) -> UInt64 { (x << r) | (x >> (64 - r)) }

    @inlinable @inline(__always)
    static func round(_ acc: UInt64, _ input: UInt64) -> UInt64 {
        rotl(acc &+ input &* p2, 31) &* p1
    }

    @inlinable @inline(__always)
    static func mergeRound(_ acc: UInt64, _ val: UInt64) -> UInt64 {
        (acc ^ round(0, val)) &* p1 &+ p4
    }

    @inlinable @inline(__always)
    static func avalanche(_ h0: UInt64) -> UInt64 {
        var h = h0
        h ^= h >> 33; h = h &* p2
        h ^= h >> 29; h = h &* p3
        h ^= h >> 32
        return h
    }

    /// Hash of the 4 little-endian bytes of `v` (Spark's `hashInt`).
    @inlinable
    public static func hash(int32 v: Int32, seed: UInt64 = sparkSeed) -> UInt64 {
        var h = seed &+ p5 &+ 4
        h ^= UInt64(UInt32(bitPattern: v)) &* p1
        h = rotl(h, 23) &* p2 &+ p3
        return avalanche(h)
    }

    /// Hash of the 8 little-endian bytes of `v` (Spark's `hashLong`).
    @inlinable
    public static func hash(int64 v: Int64, seed: UInt64 = sparkSeed) -> UInt64 {
        var h = seed &+ p5 &+ 8
        h ^= round(0, UInt64(bitPattern: v))
        h = rotl(h, 27) &* p1 &+ p4
        return avalanche(h)
    }

    /// Hash of a double as Spark hashes it: ±0.0 as the long 0, NaN as its canonical bits.
    @inlinable
    public static func hash(double v: Double, seed: UInt64 = sparkSeed) -> UInt64 {
        if v == 0 { return hash(int64: 0, seed: seed) }
        let bits = v.isNaN ? Double.nan.bitPattern : v.bitPattern
        return hash(int64: Int64(bitPattern: bits), seed: seed)
    }

    /// Hash of an arbitrary byte string (Spark's `hashUnsafeBytes`, the reference XXH64).
    @inlinable
    public static func hash(bytes p: UnsafeBufferPointer<UInt8>, seed: UInt64 = sparkSeed) -> UInt64 {
        let n = p.count
        var i = 0
        var h: UInt64
        @inline(__always) func read64(_ at: Int) -> UInt64 {
            var x: UInt64 = 0
            for k in 0..<8 { x |= UInt64(p[at + k]) << UInt64(8 * k) }
            return x
        }
        @inline(__always) func read32(_ at: Int) -> UInt64 {
            var x: UInt64 = 0
            for k in 0..<4 { x |= UInt64(p[at + k]) << UInt64(8 * k) }
            return x
        }
        if n >= 32 {
            var v1 = seed &+ p1 &+ p2, v2 = seed &+ p2, v3 = seed, v4 = seed &- p1
            while i + 32 <= n {
                v1 = round(v1, read64(i)); v2 = round(v2, read64(i + 8))
                v3 = round(v3, read64(i + 16)); v4 = round(v4, read64(i + 24))
                i += 32
            }
            h = rotl(v1, 1) &+ rotl(v2, 7) &+ rotl(v3, 12) &+ rotl(v4, 18)
            h = mergeRound(h, v1); h = mergeRound(h, v2); h = mergeRound(h, v3); h = mergeRound(h, v4)
        } else {
            h = seed &+ p5
        }
        h = h &+ UInt64(n)
        while i + 8 <= n {
            h ^= round(0, read64(i))
            h = rotl(h, 27) &* p1 &+ p4
            i += 8
        }
        if i + 4 <= n {
            h ^= read32(i) &* p1
            h = rotl(h, 23) &* p2 &+ p3
            i += 4
        }
        while i < n {
            h ^= UInt64(p[i]) &* p5
            h = rotl(h, 11) &* p1
            i += 1
        }
        return avalanche(h)
    }

    /// Hash of a byte array (convenience for tests and slow paths).
    public static func hash(_ bytes: [UInt8], seed: UInt64 = sparkSeed) -> UInt64 {
        bytes.withUnsafeBufferPointer { hash(bytes: $0, seed: seed) }
    }
}
