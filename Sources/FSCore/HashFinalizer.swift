/// murmur3's 64-bit finalizer (fmix64): every input bit flips each output bit with probability
/// about one half, so a cheap running hash of a key's bytes can pick a slot of a power-of-two
/// table by its low bits, and two hashes of the same bytes agree across runs and machines
/// (unlike `Hasher`). The one copy of its shifts and constants for fs's own hash tables: the
/// Parquet dictionary encoder, fs-publish's key table and fs-ingest's dedup window.
/// `@inlinable` so each hashing loop gets it inlined across the module boundary, as if written
/// in place.
@inlinable @inline(__always)
public func murmurFinalMix(_ x: UInt64) -> UInt64 {
    var h = x
    h ^= h >> 33
    h = h &* 0xFF51_AFD7_ED55_8CCD
    h ^= h >> 33
    h = h &* 0xC4CE_B9FE_1A85_EC53
    h ^= h >> 33
    return h
}
