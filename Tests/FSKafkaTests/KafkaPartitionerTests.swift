import CRdKafka
import FSKafka
import Testing

/// `KafkaPartitioner` must name the partition librdkafka's producer then picks for each key —
/// checked against where the messages land, read back with kcat (`%p`).
@Suite struct KafkaPartitionerTests {
    /// Keys of every shape the publisher sends: UUID-like text, JSON arrays, non-ASCII, one byte.
    static let keys: [String] = (0 ..< 200).map { "0\($0 * 7919)-c05e-4f06-\($0)" } + ["[\"c1\",3]", "日本", "x", "\"quoted\""]

    @Test(arguments: [nil, "consistent_random", "consistent", "murmur2_random", "murmur2", "fnv1a_random", "fnv1a"])
    func thePartitionComputedAheadIsTheOneTheProducerPicks(property: String?) throws {
        let kcat = try #require(KcatTests.kcat)
        let cluster = try MockKafkaCluster()
        try cluster.createTopic("p", partitions: 5)
        let extra = property.map { ["partitioner": $0] } ?? [:]
        let producer = try KafkaProducer(config: KafkaProducerConfig(bootstrapServers: cluster.bootstrapServers, extra: extra))
        let partitioner = try #require(producer.partitioner)
        #expect(producer.partitionCount(topic: "p", timeout: .seconds(5)) == 5)
        for key in Self.keys { try producer.produce(topic: "p", key: Array(key.utf8), value: Array("v".utf8)) }
        try producer.flush(timeout: .seconds(10))
        let consumed = try ProcessRunner.run(kcat, ["-b", cluster.bootstrapServers, "-t", "p", "-C", "-e", "-q", "-f", "%p\t%k\n"])
        #expect(consumed.status == 0, "\(consumed.stderr)")
        var landed: [String: Int32] = [:]
        for line in consumed.stdout.split(separator: "\n") {
            let parts = line.split(separator: "\t", maxSplits: 1)
            landed[String(parts[1])] = Int32(parts[0])
        }
        #expect(landed.count == Self.keys.count)
        #expect(Set(landed.values).count > 1, "the keys spread over several partitions")
        for key in Self.keys {
            let ahead = Array(key.utf8).withUnsafeBytes { partitioner.partition(ofKey: $0, partitionCount: 5) }
            #expect(ahead == landed[key], "key \(key)")
        }
    }

    @Test func aPartitionerThatIsNotAHashOfTheKeyCannotBeComputedAhead() {
        #expect(KafkaPartitioner(property: "random") == nil)
        #expect(KafkaPartitioner(property: "murmur2") != nil)
        #expect(KafkaPartitioner(property: nil) == KafkaPartitioner(property: "consistent"))
    }

    @Test func anEmptyKeyIsLeftToLibrdkafkaAndASinglePartitionGivesZero() throws {
        let partitioner = try #require(KafkaPartitioner(property: nil))
        #expect([UInt8]().withUnsafeBytes { partitioner.partition(ofKey: $0, partitionCount: 3) } == nil)
        #expect(Array("k".utf8).withUnsafeBytes { partitioner.partition(ofKey: $0, partitionCount: 1) } == 0)
    }

    /// The Swift CRC-32 the consistent partitioner uses against librdkafka's (zlib's), through
    /// the largest partition count, on every length from 0 to 100 and every byte value.
    @Test func theKeyCRCEqualsLibrdkafkasOnEveryLengthAndByte() throws {
        let partitioner = try #require(KafkaPartitioner(property: "consistent"))
        var state: UInt64 = 0x9e37_79b9_7f4a_7c15
        for length in 1...100 {
            for round in 0..<4 {
                let key: [UInt8] = (0..<length).map { i in
                    state = state &* 6_364_136_223_846_793_005 &+ 1_442_695_040_888_963_407
                    return round == 0 ? UInt8(truncatingIfNeeded: i &* 37 &+ length) : UInt8(truncatingIfNeeded: state >> 56)
                }
                let ours = key.withUnsafeBytes { partitioner.partition(ofKey: $0, partitionCount: .max) }
                let theirs = key.withUnsafeBytes { librdkafkaConsistentPartition($0, .max) }
                #expect(ours == theirs, "length \(length) round \(round)")
            }
        }
    }
}

/// librdkafka's consistent partitioner itself (CRC-32 by zlib), the reference for ours.
func librdkafkaConsistentPartition(_ key: UnsafeRawBufferPointer, _ count: Int32) -> Int32 {
    rd_kafka_msg_partitioner_consistent(nil, key.baseAddress, key.count, count, nil, nil)
}
