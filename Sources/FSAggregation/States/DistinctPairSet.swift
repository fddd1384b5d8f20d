/// The distinct (group, value id) pairs of a DISTINCT aggregate over many groups, with each
/// group's pairs chained so one group's values are listed without scanning the others.
///
/// One open-addressing table for all groups instead of a hash set per group: a row costs one
/// hash and usually one probe that touches one cache line (the slot holds the pair itself),
/// and nothing is allocated per row or per group. Memory is about 28 bytes per distinct pair
/// plus 12 per group.
///
///     keys[p] = group << 32 | value      slots: power-of-two table of pair keys (empty = all ones)
///     heads[g] ─► p ─next[p]─► p' ─► … ─► none
struct DistinctPairSet: Sendable {
    /// Pair p packed as `group << 32 | value`, in insertion order.
    private(set) var keys: [UInt64] = []
    private var next: [UInt32] = []
    private var heads: [UInt32] = []
    /// Distinct values per group.
    private(set) var counts: [Int64] = []
    private var slots = [UInt64](repeating: empty, count: 16)
    private var mask = 15
    /// Sum of the slots loaded ahead (kept so the loads are not optimized away).
    private var prefetchSink: UInt64 = 0
    private static let none = UInt32.max
    /// No pair has it: group and value ids are both below `UInt32.max`.
    private static let empty = UInt64.max

    var groupCount: Int { counts.count }

    /// Adds empty groups up to `n` (never shrinks).
    mutating func resize(groupCount n: Int) {
        guard n > counts.count else { return }
        heads.append(contentsOf: repeatElement(Self.none, count: n - heads.count))
        counts.append(contentsOf: repeatElement(0, count: n - counts.count))
    }

    @inline(__always)
    private static func slot(_ key: UInt64, _ mask: Int) -> Int {
        var h = key &* 0x9E37_79B9_7F4A_7C15
        h ^= h >> 29
        h = h &* 0xBF58_476D_1CE4_E5B9
        h ^= h >> 32
        return Int(truncatingIfNeeded: h) & mask
    }

    /// Adds `value` to `group`'s set (a no-op when present). `group < groupCount`.
    @inline(__always)
    mutating func insert(group: UInt32, value: UInt32) {
        let key = UInt64(group) << 32 | UInt64(value)
        precondition(group < Self.none && value < Self.none, "group or value id out of range")
        var at = Self.slot(key, mask)
        while true {
            let s = slots[at]
            if s == key { return }
            if s == Self.empty { break }
            at = (at &+ 1) & mask
        }
        precondition(keys.count < Int(Self.none) - 1, "more than 4 billion distinct (group, value) pairs")
        let p = UInt32(keys.count)
        let g = Int(group)
        keys.append(key)
        next.append(heads[g])
        heads[g] = p
        counts[g] += 1
        slots[at] = key
        if keys.count * 2 > slots.count { rehash(capacity: slots.count * 2) }
    }

    /// Grows the table once so `pairs` distinct pairs fit without rehashing on the way (a merge
    /// of two large sets otherwise rehashes the whole table once or twice).
    mutating func reserve(pairs: Int) {
        var capacity = slots.count
        while pairs * 2 > capacity { capacity *= 2 }
        if capacity > slots.count { rehash(capacity: capacity) }
        keys.reserveCapacity(pairs)
        next.reserveCapacity(pairs)
    }

    /// Adds every `group << 32 | value` pair of `pairKeys`, loading the home slots of a block of
    /// pairs, and the group's head and count a new pair updates, before inserting them so their
    /// cache misses overlap (most pairs are new: a customer seldom orders twice from one
    /// merchant, and the head and count loads were two thirds of the insert's stalls).
    mutating func insert(pairKeys: UnsafeBufferPointer<UInt64>) {
        var touched: UInt64 = 0
        var start = 0
        while start < pairKeys.count {
            let end = Swift.min(pairKeys.count, start + GroupKeyTable.probeBlock)
            for i in start..<end {
                let g = Int(pairKeys[i] >> 32)
                touched &+= slots[Self.slot(pairKeys[i], mask)] &+ UInt64(heads[g]) &+ UInt64(bitPattern: counts[g])
            }
            for i in start..<end { insert(group: UInt32(pairKeys[i] >> 32), value: UInt32(truncatingIfNeeded: pairKeys[i])) }
            start = end
        }
        prefetchSink &+= touched
    }

    /// Calls `body` with every value id of group `g` (most recent first).
    func forEachValue(ofGroup g: Int, _ body: (UInt32) -> Void) {
        var p = heads[g]
        while p != Self.none {
            body(UInt32(truncatingIfNeeded: keys[Int(p)]))
            p = next[Int(p)]
        }
    }

    /// Empties group `g` (rebuilds the table: only for replacing a decoded state).
    mutating func removeAll(ofGroup g: Int) {
        guard counts[g] > 0 else { return }
        let old = keys
        keys.removeAll(keepingCapacity: true)
        next.removeAll(keepingCapacity: true)
        for i in heads.indices { heads[i] = Self.none; counts[i] = 0 }
        slots = [UInt64](repeating: Self.empty, count: slots.count)
        for key in old where Int(key >> 32) != g { insert(group: UInt32(key >> 32), value: UInt32(truncatingIfNeeded: key)) }
    }

    private mutating func rehash(capacity: Int) {
        slots = [UInt64](repeating: Self.empty, count: capacity)
        mask = capacity - 1
        // In blocks whose home slots are loaded first, as in `insert(pairKeys:)`: a table of
        // millions of pairs misses the cache on every key, and the rehash was a quarter of
        // the inserts' time.
        var touched: UInt64 = 0
        slots.withUnsafeMutableBufferPointer { table in
            keys.withUnsafeBufferPointer { k in
                var start = 0
                while start < k.count {
                    let end = Swift.min(k.count, start + GroupKeyTable.probeBlock)
                    for i in start..<end { touched &+= table[Self.slot(k[i], mask)] }
                    for i in start..<end {
                        var at = Self.slot(k[i], mask)
                        while table[at] != Self.empty { at = (at &+ 1) & mask }
                        table[at] = k[i]
                    }
                    start = end
                }
            }
        }
        prefetchSink &+= touched
    }
}
