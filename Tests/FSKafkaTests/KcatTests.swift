import FSKafka
import Testing

/// kcat is a declared dependency (scripts/setup/install-deps.sh): these prove the mock cluster
/// speaks real Kafka protocol to a client that is not ours, both ways.
@Suite("kcat interoperability")
struct KcatTests {
    static let kcat = ProcessRunner.which("kcat")

    @Test func kcatIsInstalled() {
        #expect(KcatTests.kcat != nil, "kcat is a declared dependency: run scripts/setup/install-deps.sh")
    }

    @Test func messagesProducedByKcatAreReadByOurConsumer() throws {
        let kcat = try #require(KcatTests.kcat)
        let cluster = try MockKafkaCluster()
        try cluster.createTopic("from-kcat", partitions: 1)
        let lines = (0 ..< 100).map { "k\($0)|{\"i\":\($0),\"s\":\"ünï\"}" }
        let produced = try ProcessRunner.run(kcat, ["-b", cluster.bootstrapServers, "-t", "from-kcat", "-P", "-K", "|", "-p", "0"],
                                             stdin: lines.joined(separator: "\n") + "\n")
        #expect(produced.status == 0, "\(produced.stderr)")

        let consumer = try KafkaConsumer(config: KafkaConsumerConfig(bootstrapServers: cluster.bootstrapServers, groupId: "g"))
        defer { consumer.close() }
        try consumer.assign([TopicPartitionOffset(topic: "from-kcat", partition: 0, offset: KafkaOffset.beginning)])
        let seen = try KafkaFixture.drain(consumer, expected: 100)
        #expect(seen.count == 100)
        for (i, m) in seen.enumerated() {
            #expect(m.key == "k\(i)")
            #expect(m.value == "{\"i\":\(i),\"s\":\"ünï\"}")
            #expect(m.offset == Int64(i))
        }
    }

    @Test func messagesProducedByUsAreReadByKcat() throws {
        let kcat = try #require(KcatTests.kcat)
        let cluster = try MockKafkaCluster()
        try cluster.createTopic("to-kcat", partitions: 1)
        try KafkaFixture.produce(cluster, topic: "to-kcat", count: 50)
        let consumed = try ProcessRunner.run(kcat, ["-b", cluster.bootstrapServers, "-t", "to-kcat", "-C", "-e", "-q", "-f", "%k\t%o\t%s\n"])
        #expect(consumed.status == 0, "\(consumed.stderr)")
        let expected = (0 ..< 50).map { "key-\($0)\t\($0)\t" + String(decoding: KafkaFixture.payload($0), as: UTF8.self) }
        #expect(consumed.stdout.split(separator: "\n").map(String.init) == expected)
    }
}
