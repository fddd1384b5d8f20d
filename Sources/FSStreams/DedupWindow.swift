import FSCore

/// Remembers the last `capacity` dedup keys of one partition, to drop exact re-deliveries.
///
/// The status stream repeats events verbatim; within a bounded window a repeated key is
/// counted and not written. Keys are stored as 64-bit hashes (8 bytes each, in a ring plus a
/// set), so a window of 1M keys costs ~40 MB instead of the keys' text. The price is a
/// collision chance of about n²/2⁶⁵ (≈ 3·10⁻⁸ for a full 1M window) of treating a new key as
/// seen. The window lives in memory: after a restart it starts empty.
public struct DedupWindow: Sendable {
    public let capacity: Int
    private var ring: [UInt64]
    private var next = 0
    private var members: Set<UInt64>

    public init(capacity: Int) {
        self.capacity = max(1, capacity)
        ring = []
        members = []
        ring.reserveCapacity(min(self.capacity, 1 << 16))
    }

    /// Number of keys remembered.
    public var count: Int { members.count }

    /// True when `key` is in the window; otherwise remembers it (evicting the oldest key when
    /// full) and returns false.
    public mutating func checkAndInsert(_ key: UnsafeBufferPointer<UInt8>) -> Bool {
        let h = DedupWindow.hash(key)
        if members.contains(h) { return true }
        if ring.count < capacity {
            ring.append(h)
        } else {
            members.remove(ring[next])
            ring[next] = h
            next = (next + 1) % capacity
        }
        members.insert(h)
        return false
    }

    /// 64-bit FNV-1a with a final avalanche (murmur3's fmix64): stable across runs and
    /// platforms, unlike `Hasher`, and fast on short ids.
    public static func hash(_ p: UnsafeBufferPointer<UInt8>) -> UInt64 {
        var h: UInt64 = 0xcbf2_9ce4_8422_2325
        for b in p { h = (h ^ UInt64(b)) &* 0x0000_0100_0000_01B3 }
        return murmurFinalMix(h)
    }
}
