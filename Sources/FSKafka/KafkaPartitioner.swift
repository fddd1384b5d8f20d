import CRdKafka

/// The partition librdkafka's configured partitioner gives a message key, computed ahead of
/// `produce`, so a producer can enqueue a batch one partition after another.
///
/// Why: librdkafka's broker thread walks each partition's queue of messages when it builds a
/// request. Enqueued in key order, a partition's messages lie among the other partitions' in
/// memory (4 partitions: one in four), and the broker thread stalls loading them. Measured on
/// the 50k-message publish bench (load 10, 6 alternating runs): kcat given the same messages in
/// key order used 0.195 CPU-s against 0.16 in partition-grouped order — its bench input is
/// grouped because it is exported by a consumer — and wall time rose by a third.
///
/// Only the hash partitioners (`consistent`, `murmur2`, `fnv1a`, each with its `_random` form,
/// which differs only for an empty key) can be computed ahead; `random` and an application's
/// callback cannot, and `init` returns nil. A caller may produce to the partition computed here
/// (with the partition count of the topic's metadata): it is the one librdkafka would pick.
public struct KafkaPartitioner: Sendable, Equatable {
    enum Hash: Sendable { case crc32, murmur2, fnv1a }
    let hash: Hash

    /// The partitioner named by librdkafka's `partitioner` property (its default when absent:
    /// `consistent_random`); nil for one that is not a hash of the key.
    public init?(property: String?) {
        switch property ?? "consistent_random" {
        case "consistent", "consistent_random": hash = .crc32
        case "murmur2", "murmur2_random": hash = .murmur2
        case "fnv1a", "fnv1a_random": hash = .fnv1a
        default: return nil
        }
    }

    /// The partition of `key` among `partitionCount` partitions (> 0); nil for an empty key,
    /// which the `_random` forms place at random (leave it to librdkafka).
    /// (`rd_kafka_msg_partitioner_murmur2`/`_fnv1a`: pure functions of the key, the topic handle
    /// they take is not used; `consistent` is CRC-32 of the key modulo the count, computed here.)
    public func partition(ofKey key: UnsafeRawBufferPointer, partitionCount: Int32) -> Int32? {
        precondition(partitionCount > 0, "a topic has at least one partition")
        guard let base = key.baseAddress, key.count > 0 else { return nil }
        switch hash {
        case .crc32: return Int32(truncatingIfNeeded: Self.crc32(key) % UInt32(partitionCount))
        case .murmur2: return rd_kafka_msg_partitioner_murmur2(nil, base, key.count, partitionCount, nil, nil)
        case .fnv1a: return rd_kafka_msg_partitioner_fnv1a(nil, base, key.count, partitionCount, nil, nil)
        }
    }

    /// CRC-32 (IEEE, reflected 0xEDB88320, zlib's `crc32`), eight bytes per step through eight
    /// tables (slicing-by-8). librdkafka's consistent partitioner calls zlib's, which on keys of
    /// a few dozen bytes took ~60 ns each (3 ms for the bench's 50k keys, measured in C): the
    /// order pass before the first message hashed every key that way, and librdkafka hashed it
    /// again in `produce`.
    static func crc32(_ bytes: UnsafeRawBufferPointer) -> UInt32 {
        var crc: UInt32 = 0xFFFF_FFFF
        let n = bytes.count
        guard n > 0, let base = bytes.baseAddress else { return 0 }
        return crcTables.withUnsafeBufferPointer { t in
            var i = 0
            while i + 8 <= n {
                let lo = base.loadUnaligned(fromByteOffset: i, as: UInt32.self).littleEndian ^ crc
                let hi = base.loadUnaligned(fromByteOffset: i + 4, as: UInt32.self).littleEndian
                crc = t[7 * 256 + Int(lo & 0xff)] ^ t[6 * 256 + Int((lo >> 8) & 0xff)]
                    ^ t[5 * 256 + Int((lo >> 16) & 0xff)] ^ t[4 * 256 + Int(lo >> 24)]
                    ^ t[3 * 256 + Int(hi & 0xff)] ^ t[2 * 256 + Int((hi >> 8) & 0xff)]
                    ^ t[256 + Int((hi >> 16) & 0xff)] ^ t[Int(hi >> 24)]
                i += 8
            }
            while i < n {
                crc = t[Int((crc ^ UInt32(base.load(fromByteOffset: i, as: UInt8.self))) & 0xff)] ^ (crc >> 8)
                i += 1
            }
            return crc ^ 0xFFFF_FFFF
        }
    }

    /// Table k maps a byte to its CRC contribution k bytes further on (table 0: the classic one).
    private static let crcTables: [UInt32] = {
        var t = [UInt32](repeating: 0, count: 8 * 256)
        for b in 0..<256 {
            var c = UInt32(b)
            for _ in 0..<8 { c = c & 1 == 1 ? 0xEDB8_8320 ^ (c >> 1) : c >> 1 }
            t[b] = c
        }
        for k in 1..<8 {
            for b in 0..<256 { t[k * 256 + b] = t[0 * 256 + Int(t[(k - 1) * 256 + b] & 0xff)] ^ (t[(k - 1) * 256 + b] >> 8) }
        }
        return t
    }()
}
