import FSTestSupport
import FSCore
import FSKafka
import FSTable
import Foundation
import Testing

/// The retention clamp of `PartitionCursor`, through both built Kafka jobs: the broker deleted
/// offsets the job's table has not read yet, so the job resumes at the low watermark and names
/// the lost range. The mock cluster keeps about 5 MiB per partition and drops older message
/// sets, which is how the test makes the retention pass the committed offset.
@Suite("Kafka retention clamp", .serialized)
struct KafkaRetentionTests {
    static let topic = "de-order-events"

    static func produceOrders(_ producer: KafkaProducer, _ ids: Range<Int>) throws {
        for i in ids {
            let t = 1_600_000_000_000_000 + Int64(i) * 20_000_000
            let json = #"{"customer_id":"c1","order_id":"o\#(i)","order_created_at":"\#(formatISO8601(micros: t))","order_total_amount":1.5}"#
            try producer.produce(topic: topic, partition: 0, key: Array("c1".utf8), value: Array(json.utf8))
            try producer.flush(timeout: .seconds(10))
        }
    }

    /// Three orders (offsets 0–2), then `afterFirstRun`, then eight 900 KB messages (one
    /// message set each, uncompressed) that push the oldest sets out, then two more orders.
    /// Returns the low watermark, which must be past offset 3.
    static func pushPastRetention(_ cluster: MockKafkaCluster, afterFirstRun: () throws -> Void) throws -> Int64 {
        try cluster.createTopic(topic, partitions: 1)
        let producer = try KafkaProducer(config: KafkaProducerConfig(bootstrapServers: cluster.bootstrapServers, compression: "none", lingerMillis: 0))
        try produceOrders(producer, 0..<3)
        try afterFirstRun()
        for _ in 0..<8 {
            try producer.produce(topic: topic, partition: 0, key: nil, value: [UInt8](repeating: UInt8(ascii: "x"), count: 900_000))
            try producer.flush(timeout: .seconds(10))
        }
        try produceOrders(producer, 3..<5)
        let consumer = try KafkaConsumer(config: KafkaConsumerConfig(bootstrapServers: cluster.bootstrapServers, groupId: "probe"))
        defer { consumer.close() }
        let marks = try consumer.watermarks(TopicPartition(topic: topic, partition: 0), timeout: .seconds(5))
        try #require(marks.low > 3, "the mock cluster kept offsets 0..<\(marks.low): nothing was pushed out")
        return marks.low
    }

    @Test("fs-ingest --available-now resumes at the low watermark and names the offsets the retention deleted")
    func ingestResumesAtTheLowWatermark() throws {
        let cluster = try MockKafkaCluster()
        let dir = try FileSystem.makeTemporaryDirectory(prefix: "ingest-retention")
        defer { try? FileSystem.removeTree(dir) }
        let args = ["dev", "--kafka-brokers", cluster.bootstrapServers, "--kafka-topics", Self.topic, "--data-dir", dir,
                    "--stream-type", "order-events", "--available-now", "--log-level", "warning"]
        let low = try Self.pushPastRetention(cluster) {
            let first = try Binaries.run("fs-ingest", args)
            #expect(first.status == 0, "\(first.stderr)")
        }
        let second = try Binaries.run("fs-ingest", args + ["--summary"])
        #expect(second.status == 0, "\(second.stderr)")
        #expect(second.stderr.contains("offsets 3..<\(low) are gone from the broker (retention); resuming at \(low)"), "\(second.stderr)")
        #expect(strings(try readTable(dir + "/ingestion/order-events"), "order_id").sorted() == ["o0", "o1", "o2", "o3", "o4"])
    }

    @Test("fs-ingest in group mode with --starting-offsets latest resumes at the low watermark, not at the end")
    func ingestGroupModeDoesNotSkipTheBacklog() throws {
        let cluster = try MockKafkaCluster()
        let dir = try FileSystem.makeTemporaryDirectory(prefix: "ingest-retention-group")
        defer { try? FileSystem.removeTree(dir) }
        let args = ["dev", "--kafka-brokers", cluster.bootstrapServers, "--kafka-topics", Self.topic, "--data-dir", dir,
                    "--stream-type", "order-events", "--starting-offsets", "latest", "--log-level", "warning"]
        let low = try Self.pushPastRetention(cluster) {
            // The partition has no txn yet: --starting-offsets latest would skip offsets 0-2.
            let first = try Binaries.run("fs-ingest", args.filter { $0 != "latest" && $0 != "--starting-offsets" } + ["--available-now"])
            #expect(first.status == 0, "\(first.stderr)")
        }
        // Before the clamp, the out-of-range txn + 1 fell to auto.offset.reset = latest: o3 and
        // o4 were never read.
        let job = try launch("fs-ingest", args + ["--group-id", "g-retention", "--trigger-interval", "200ms"], log: dir + "/ingest.log")
        let deadline = Date().addingTimeInterval(30)
        func orders() -> [String] { strings(try? readTable(dir + "/ingestion/order-events"), "order_id").sorted() }
        while Date() < deadline && orders().count < 5 { usleep(200_000) }
        kill(job.processIdentifier, SIGTERM)
        job.waitUntilExit()
        #expect(job.terminationStatus == 0)
        #expect(orders() == ["o0", "o1", "o2", "o3", "o4"])
        let log = try String(contentsOfFile: dir + "/ingest.log", encoding: .utf8)
        #expect(log.contains("offsets 3..<\(low) are gone from the broker (retention); resuming at \(low)"), "\(log)")
    }

    @Test("fs-agg-online --kafka-topics resumes at the low watermark and names the offsets the retention deleted")
    func onlineResumesAtTheLowWatermark() throws {
        let cluster = try MockKafkaCluster()
        let dir = try FileSystem.makeTemporaryDirectory(prefix: "online-retention")
        defer { try? FileSystem.removeTree(dir) }
        let args = OnlineKafkaTests.onlineArgs(dir + "/out").filter { $0 != "error" && $0 != "--log-level" }
            + ["--log-level", "warning", "--kafka-brokers", cluster.bootstrapServers, "--kafka-topics", Self.topic, "--stream-type", "order-events"]
        let low = try Self.pushPastRetention(cluster) {
            let first = try Binaries.run("fs-agg-online", args)
            #expect(first.status == 0, "\(first.stderr)")
        }
        let second = try Binaries.run("fs-agg-online", args + ["--summary"])
        #expect(second.status == 0, "\(second.stderr)")
        #expect(second.stderr.contains("offsets 3..<\(low) are gone from the broker (retention); resuming at \(low)"), "\(second.stderr)")
        let summary = try JSONValue.parse(second.stdout.trimmingCharacters(in: .whitespacesAndNewlines))
        #expect(summary["eventsThisRun"]?.int64Value == 2)
    }
}
