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

    @Test func anEmptyKeyAndASinglePartitionGivePartitionZero() throws {
        let partitioner = try #require(KafkaPartitioner(property: nil))
        #expect([UInt8]().withUnsafeBytes { partitioner.partition(ofKey: $0, partitionCount: 3) } == 0)
        #expect(Array("k".utf8).withUnsafeBytes { partitioner.partition(ofKey: $0, partitionCount: 1) } == 0)
    }
}
