import FSCore
import FSStreams
import FSSandbox
import FSJobs
import FSKafka
import Testing

@Suite("fs-sandbox produce")
struct SandboxReplayTests {
    /// Every message of a partitioned topic, read from the beginning: (key, value) pairs.
    static func readAll(_ cluster: MockKafkaCluster, topic: String, partitions: Int32, expected: Int) throws -> [(key: String?, value: String)] {
        let consumer = try KafkaConsumer(config: KafkaConsumerConfig(bootstrapServers: cluster.bootstrapServers, groupId: "replay-check"))
        defer { consumer.close() }
        try consumer.assign((0 ..< partitions).map { TopicPartitionOffset(topic: topic, partition: $0, offset: KafkaOffset.beginning) })
        return try KafkaFixture.drain(consumer, expected: expected).map { ($0.key, $0.value) }
    }

    static func sourceLines(_ stream: StreamType, _ texts: [StreamType: String]) -> [String] {
        (texts[stream] ?? "").split(separator: "\n").map(String.init)
    }

    @Test(arguments: StreamType.allCases)
    func aReplayedSourceArrivesKeyedAndComplete(stream: StreamType) throws {
        let dir = try FileSystem.makeTemporaryDirectory(prefix: "fs-sandbox-replay")
        defer { try? FileSystem.removeTree(dir) }
        let generator = SampleGenerator(orders: 40, seed: 11)
        _ = try generator.write(to: dir)
        let texts = generator.generate()
        let cluster = try MockKafkaCluster()
        try cluster.createTopic(stream.defaultTopic, partitions: 3)

        let summary = try SourceReplayer(config: ReplayConfig(stream: stream, sourcePath: "\(dir)/\(stream.sourceFileName)",
                                                              bootstrapServers: cluster.bootstrapServers, retimeToNow: false)).run()
        var lines = Self.sourceLines(stream, texts)
        let header = stream.isCSV ? lines.removeFirst().split(separator: ",").map(String.init) : []
        #expect(summary.messages == lines.count)
        #expect(summary.unconverted == 0)
        #expect(summary.topic == stream.defaultTopic)

        let got = try Self.readAll(cluster, topic: stream.defaultTopic, partitions: 3, expected: lines.count)
        #expect(got.count == lines.count)
        // Expected values: JSON lines verbatim; CSV rows as objects of strings in header order.
        let expected: [String] = lines.map { line in
            guard stream.isCSV else { return line }
            let fields = line.split(separator: ",", omittingEmptySubsequences: false).map { JSONValue.string(String($0)) }
            return JSONValue.object(Array(zip(header, fields))).description
        }
        #expect(got.map(\.value).sorted() == expected.sorted())
        for message in got {
            let object = try JSONValue.parse(message.value)
            #expect(message.key != nil && message.key == object[stream.keyField]?.stringValue)
        }
    }

    @Test func retimeNowSetsTheEventTimeToTheClock() throws {
        let dir = try FileSystem.makeTemporaryDirectory(prefix: "fs-sandbox-retime")
        defer { try? FileSystem.removeTree(dir) }
        _ = try SampleGenerator(orders: 5, seed: 2).write(to: dir)
        let cluster = try MockKafkaCluster()
        try cluster.createTopic("de-order-status-events", partitions: 1)
        let now: Int64 = 1_700_000_000_123_000
        let summary = try SourceReplayer(config: ReplayConfig(stream: .orderStatusEvents, sourcePath: "\(dir)/status.json.gz",
                                                              bootstrapServers: cluster.bootstrapServers, retimeToNow: true),
                                         clock: FixedWallClock(micros: now)).run()
        let got = try Self.readAll(cluster, topic: "de-order-status-events", partitions: 1, expected: summary.messages)
        #expect(got.count == summary.messages && summary.messages > 0)
        for message in got {
            let object = try JSONValue.parse(message.value)
            #expect(object["created_at"]?.stringValue == "2023-11-14T22:13:20.123Z")
            #expect(object.objectValue?.map(\.0) == ["created_at", "order_id", "status_id", "value"])
        }
    }

    @Test func unconvertibleLinesAreSentAsIsAndCounted() throws {
        let dir = try FileSystem.makeTemporaryDirectory(prefix: "fs-sandbox-bad")
        defer { try? FileSystem.removeTree(dir) }
        let source = "{\"order_id\":\"a\",\"created_at\":\"2019-01-01T00:00:00.000Z\",\"status_id\":\"s\",\"value\":\"PLACED\"}\nnot json\n\n[1,2]\n{\"order_id\":\"é\"}"
        try FileSystem.writeNewFile("\(dir)/status.json", Array(source.utf8))
        let cluster = try MockKafkaCluster()
        try cluster.createTopic("de-order-status-events", partitions: 1)
        let summary = try SourceReplayer(config: ReplayConfig(stream: .orderStatusEvents, sourcePath: "\(dir)/status.json",
                                                              bootstrapServers: cluster.bootstrapServers, retimeToNow: false)).run()
        #expect(summary.messages == 4)
        #expect(summary.unconverted == 2)
        let got = try Self.readAll(cluster, topic: "de-order-status-events", partitions: 1, expected: 4)
        #expect(got.map(\.value) == [String(source.split(separator: "\n")[0]), "not json", "[1,2]", "{\"order_id\":\"é\"}"])
        #expect(got.map(\.key) == ["a", nil, nil, "é"])
    }

    @Test func badFlagsAreUsageErrors() throws {
        var produce = try SandboxCommand.Produce.parse(["--stream-type", "orders", "--source", "/nonexistent", "--bootstrap-servers", "x:1"])
        #expect(throws: UsageError.self) { try produce.resolve() }
        produce.streamType = "order-status-event"
        #expect(throws: UsageError.self) { try produce.resolve() }  // the source is missing
        produce.source = "/dev/null"
        #expect(try produce.resolve().stream == .orderStatusEvents)
        produce.retime = "later"
        #expect(throws: UsageError.self) { try produce.resolve() }
    }
}
