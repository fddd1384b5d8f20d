/// SplitMix64: a tiny seeded generator that gives the same sequence on every platform and Swift
/// version (the standard library's generators promise neither). Every seeded thing in fs —
/// sample data, benchmark inputs, law tests — draws from this one type, so "seed 42" means the
/// same numbers everywhere.
public struct SplitMix64: RandomNumberGenerator, Sendable {
    public private(set) var state: UInt64

    public init(seed: UInt64) { state = seed }

    public mutating func next() -> UInt64 {
        state &+= 0x9E37_79B9_7F4A_7C15
        var z = state
        z = (z ^ (z >> 30)) &* 0xBF58_476D_1CE4_E5B9
        z = (z ^ (z >> 27)) &* 0x94D0_49BB_1331_11EB
        return z ^ (z >> 31)
    }

    /// Uniform in `0 ..< n` (n ≥ 1; modulo bias is irrelevant at these sizes and keeps the
    /// sequence simple to reproduce in other languages).
    public mutating func below(_ n: Int) -> Int { Int(next() % UInt64(n)) }

    /// True with probability `p`, from the top 53 bits.
    public mutating func chance(_ p: Double) -> Bool { Double(next() >> 11) / Double(1 << 53) < p }
}
