/// Maps 64-bit keys to dense ids 0, 1, 2, … in order of first appearance: the index of the
/// window engine's (key id, slice) rows and of the (key id, window) output groups.
///
/// Open addressing with linear probing over a power-of-two array of `id + 1` (0 = empty), at
/// most half full; the keys live in one array indexed by id. No deletion: the engine frees a
/// whole map at once (a block of slices, an emitted chunk), which is what keeps it this small —
/// 8 bytes of key plus 8 to 16 bytes of slots per entry.
struct DenseKeyMap: Sendable {
    /// The key of every id.
    private(set) var keys: [UInt64] = []
    private var slots: [UInt32]
    private var mask: Int

    init(expectedCount: Int = 8) {
        var cap = 16
        while cap < expectedCount * 2 { cap <<= 1 }
        slots = [UInt32](repeating: 0, count: cap)
        mask = cap - 1
        keys.reserveCapacity(expectedCount)
    }

    var count: Int { keys.count }

    /// Bytes held (capacities, not counts): what the state-size figures report.
    var memoryBytes: Int { keys.capacity * 8 + slots.capacity * 4 }

    @inline(__always)
    static func hash(_ k: UInt64) -> UInt64 {
        var h = k &* 0x9E37_79B9_7F4A_7C15
        h ^= h >> 29
        h = h &* 0xBF58_476D_1CE4_E5B9
        h ^= h >> 32
        return h
    }

    /// The id of `key`, inserting it with the next id when new.
    @inline(__always)
    mutating func id(for key: UInt64) -> UInt32 {
        var at = Int(truncatingIfNeeded: Self.hash(key)) & mask
        while true {
            let s = slots[at]
            if s == 0 { break }
            if keys[Int(s &- 1)] == key { return s &- 1 }
            at = (at &+ 1) & mask
        }
        precondition(keys.count < Int(UInt32.max - 1), "more than 4 billion entries in one window block")
        let id = UInt32(keys.count)
        keys.append(key)
        slots[at] = id &+ 1
        if keys.count * 2 > slots.count { grow() }
        return id
    }

    private mutating func grow() {
        let cap = slots.count * 2
        slots = [UInt32](repeating: 0, count: cap)
        mask = cap - 1
        for (i, k) in keys.enumerated() {
            var at = Int(truncatingIfNeeded: Self.hash(k)) & mask
            while slots[at] != 0 { at = (at &+ 1) & mask }
            slots[at] = UInt32(i + 1)
        }
    }
}
