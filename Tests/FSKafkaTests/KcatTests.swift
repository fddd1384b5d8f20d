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

    /// Both header paths of the producer (a topic by name, a topic handle) go through one shim
    /// (`fs_rdk_produce_rkt_with_headers`); each message must carry its own copy of the list.
    @Test func headersSentByTopicNameAndByTopicHandleReachKcatOnEveryMessage() throws {
        let kcat = try #require(KcatTests.kcat)
        let cluster = try MockKafkaCluster()
        try cluster.createTopic("with-headers", partitions: 1)
        let producer = try KafkaProducer(config: KafkaProducerConfig(bootstrapServers: cluster.bootstrapServers))
        let shared = KafkaHeaders([(name: "source", value: Array("t1".utf8)), (name: "empty", value: [])])
        let handle = try producer.topic("with-headers")
        for i in 0 ..< 3 {
            try producer.produce(topic: "with-headers", key: Array("n\(i)".utf8), value: Array("v\(i)".utf8),
                                 headers: [(name: "by", value: Array("name".utf8))])
            try Array("s\(i)".utf8).withUnsafeBytes { v in
                try producer.produce(topic: "with-headers", key: nil, value: v, headers: shared)
                try producer.produce(to: handle, key: nil, value: v, headers: shared)
            }
        }
        try producer.flush(timeout: .seconds(10))
        let consumed = try ProcessRunner.run(kcat, ["-b", cluster.bootstrapServers, "-t", "with-headers", "-C", "-e", "-q", "-f", "%s %h\n"])
        #expect(consumed.status == 0, "\(consumed.stderr)")
        let expected = (0 ..< 3).flatMap { ["v\($0) by=name", "s\($0) source=t1,empty=", "s\($0) source=t1,empty="] }
        #expect(consumed.stdout.split(separator: "\n").map(String.init) == expected)
    }
}
