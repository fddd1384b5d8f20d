import FSTestSupport
import FSCore
@testable import FSJobs
import Logging
import FSKafka
import FSTable
import Foundation
import Testing

/// fs-agg-online `--kafka-topics`: the messages the parser refuses go to the quarantine table
/// (fs-ingest's schema), once each, also when the built binary is killed and restarted.
@Suite("fs-agg-online --kafka-topics quarantine", .serialized)
struct OnlineKafkaQuarantineTests {
    static let topic = OnlineKafkaTests.topic
    /// One of each kind of refused message: not JSON, empty, no event time, invalid UTF-8.
    static let bad: [[UInt8]] = [Array("not json".utf8), [], Array(#"{"customer_id":"c1","order_total_amount":2}"#.utf8), [0x7B, 0xFF, 0xFE, 0x7D]]
    static let badReasons: Set<String> = ["invalid_json", "empty_message", "missing_time_field", "invalid_utf8"]

    /// `good` valid orders (numbered from `first`) with `rounds` rounds of the four bad messages
    /// spread among them; creates the topic when `first` is 0.
    static func produce(_ cluster: MockKafkaCluster, first: Int = 0, good: Int, rounds: Int) throws {
        if first == 0 { try cluster.createTopic(topic, partitions: 3) }
        let producer = try KafkaProducer(config: KafkaProducerConfig(bootstrapServers: cluster.bootstrapServers))
        for j in 0..<good {
            let i = first + j
            let t = 1_600_000_000_000_000 + Int64(i) * 20_000_000
            let json = #"{"customer_id":"c\#(i % 7)","order_id":"o\#(i)","order_created_at":"\#(formatISO8601(micros: t))","order_total_amount":1.5}"#
            try producer.produce(topic: topic, key: Array("c\(i % 7)".utf8), value: Array(json.utf8))
            if j % (good / rounds) == 0, j / (good / rounds) < rounds {
                for (k, value) in bad.enumerated() { try producer.produce(topic: topic, key: Array("bad\(k)".utf8), value: value) }
            }
        }
        try producer.flush(timeout: .seconds(30))
    }

    /// (partition, offset, reason) of every quarantine row.
    static func quarantineRows(_ table: String) throws -> [(partition: Int32, offset: Int64, reason: String)] {
        var scan = try TableScan(table: DeltaTable(root: table))
        let all = try scan.readAll()
        guard let p = all.column(named: "fs_partition")?.int32s, let o = all.column(named: "fs_offset")?.int64s,
              let r = all.column(named: "reason")?.strings, let t = all.column(named: "fs_topic")?.strings else { return [] }
        #expect(all.schema.names == ["key", "key_is_base64", "value", "value_is_base64", "fs_topic", "fs_partition", "fs_offset", "reason",
                                     "reason_detail", "kafka_timestamp", "fs_ingestion_timestamp", "fs_year", "fs_month", "fs_day"])
        #expect((0..<all.rowCount).allSatisfy { t[$0] == topic })
        return (0..<all.rowCount).map { (p[$0], o[$0], r[$0]) }
    }

    static func args(_ cluster: MockKafkaCluster, _ output: String) -> [String] {
        OnlineKafkaTests.onlineArgs(output) + ["--kafka-brokers", cluster.bootstrapServers, "--kafka-topics", topic, "--stream-type", "order-events"]
    }

    @Test("The binary writes every refused message to <output-table>_quarantine once, and a second run adds nothing")
    func refusedMessagesAreQuarantinedOnce() throws {
        let cluster = try MockKafkaCluster()
        try Self.produce(cluster, good: 300, rounds: 3)
        let dir = try FileSystem.makeTemporaryDirectory(prefix: "online-quarantine")
        defer { try? FileSystem.removeTree(dir) }
        let run = try Binaries.run("fs-agg-online", Self.args(cluster, dir + "/out") + ["--max-offsets-per-trigger", "50", "--summary"])
        #expect(run.status == 0, "\(run.stderr)")
        let summary = try JSONValue.parse(run.stdout.split(separator: "\n").last.map(String.init) ?? "")
        #expect(summary["unparsedMessages"]?.int64Value == 12)
        #expect(summary["quarantinedMessages"]?.int64Value == 12)
        let rows = try Self.quarantineRows(dir + "/out_quarantine")
        #expect(rows.count == 12)
        #expect(Set(rows.map { "\($0.partition)/\($0.offset)" }).count == 12)
        #expect(Set(rows.map(\.reason)) == Self.badReasons)
        let again = try Binaries.run("fs-agg-online", Self.args(cluster, dir + "/out") + ["--summary"])
        #expect(again.status == 0, "\(again.stderr)")
        #expect(try Self.quarantineRows(dir + "/out_quarantine").count == 12)
    }

    @Test("kill -9 of the binary at random points, then a run to the end: each refused message is quarantined exactly once")
    func killLoopNeitherLosesNorDuplicates() throws {
        let cycles = ProcessInfo.processInfo.environment["FS_LONG_TESTS"] == "1" ? 16 : 4
        let cluster = try MockKafkaCluster()
        let dir = try FileSystem.makeTemporaryDirectory(prefix: "online-quarantine-kill")
        defer { try? FileSystem.removeTree(dir) }
        var rng = SplitMix64(seed: 7)
        var killed = 0
        for cycle in 0..<cycles {
            // The topic grows every cycle, so each run has triggers to be killed in.
            try Self.produce(cluster, first: cycle * 200, good: 200, rounds: 2)
            let p = Process()
            p.executableURL = Binaries.productsDirectory.appendingPathComponent("fs-agg-online")
            p.arguments = Self.args(cluster, dir + "/out") + ["--max-offsets-per-trigger", "10"]
            p.standardError = FileHandle.nullDevice
            try p.run()
            usleep(UInt32.random(in: 100_000...900_000, using: &rng))
            if p.isRunning { kill(p.processIdentifier, SIGKILL); killed += 1 }
            p.waitUntilExit()
        }
        let last = try Binaries.run("fs-agg-online", Self.args(cluster, dir + "/out"))
        #expect(last.status == 0, "\(last.stderr)")
        let rows = try Self.quarantineRows(dir + "/out_quarantine")
        #expect(rows.count == cycles * 8)
        #expect(Set(rows.map { "\($0.partition)/\($0.offset)" }).count == cycles * 8)
        print("quarantine kill loop: \(cycles) cycles, \(killed) killed mid-run")
    }

    @Test("Refused messages at or below the quarantine table's offsets are not handed out again (a run that died before its output commit)")
    func messagesTheQuarantineTableHoldsAreSkipped() throws {
        let cluster = try MockKafkaCluster()
        try Self.produce(cluster, good: 40, rounds: 1)  // partition of each bad message: by its key
        let input = OnlineKafkaInput(brokers: cluster.bootstrapServers, topics: [Self.topic], streamType: .orderEvents,
                                     maxOffsetsPerTrigger: 1_000, quarantineTable: "unused")
        func refused(done: [TopicPartition: Int64]) throws -> [TopicPartitionOffset] {
            let source = try OnlineKafkaSource(input: input, committed: [:], quarantined: done, availableNow: true, groupId: "g",
                                               logger: Logger(label: "test"))
            let read = try #require(try source.readMicroBatch(waitMicros: 20_000_000, nowMicros: { SystemWallClock().nowMicros() }))
            #expect(source.quarantined == 4)
            guard let q = read.quarantine, let p = q.column(named: "fs_partition")?.int32s, let o = q.column(named: "fs_offset")?.int64s else { return [] }
            return (0..<q.rowCount).map { TopicPartitionOffset(topic: Self.topic, partition: p[$0], offset: o[$0]) }
                .sorted { ($0.partition, $0.offset) < ($1.partition, $1.offset) }
        }
        let all = try refused(done: [:])
        #expect(all.count == 4)
        // The quarantine table holds the first refused message of its partition: only the others come back.
        #expect(try refused(done: [all[0].topicPartition: all[0].offset]) == Array(all.dropFirst()))
    }

    @Test("A partition an earlier run's commit already took further stays out of the txns, so the commit is not dropped whole")
    func partitionTxnsLeaveOutPartitionsAlreadyPast() {
        let a = TopicPartition(topic: "t", partition: 0), b = TopicPartition(topic: "t", partition: 1), c = TopicPartition(topic: "u", partition: 0)
        let txns = OnlineJob.partitionTxns([a: 45, b: 30, c: 7], past: [a: 50, b: 29], appId: "app", lastUpdated: 1)
        #expect(txns.map(\.appId) == ["app/t/1", "app/u/0"])
        #expect(txns.map(\.version) == [30, 7])
        #expect(OnlineJob.partitionTxns([a: 50], past: [a: 50], appId: "app", lastUpdated: 1).isEmpty)
        #expect(OnlineJob.partitionTxns([b: 3, a: 9], appId: "app", lastUpdated: 1).map(\.appId) == ["app/t/0", "app/t/1"])
    }

    @Test func quarantineTableIsRefusedWithoutKafkaTopicsAndMustDifferFromTheOutput() throws {
        let base = ["dev", "--output-table", "/tmp/o", "--time-field", "t", "--agg-field", "k", "--window-duration", "1 hour"]
        #expect(throws: UsageError.self) { try OnlineCommand.parseCommandLine(base + ["--input-table", "/tmp/i", "--quarantine-table", "/tmp/q"]).resolve() }
        let kafka = base + ["--kafka-brokers", "b:9092", "--kafka-topics", Self.topic, "--stream-type", "order-events"]
        #expect(throws: UsageError.self) { try OnlineCommand.parseCommandLine(kafka + ["--quarantine-table", "/tmp/o"]).resolve() }
        #expect(try OnlineCommand.parseCommandLine(kafka).resolve().kafka?.quarantineTable == "/tmp/o_quarantine")
        #expect(try OnlineCommand.parseCommandLine(kafka + ["--quarantine-table", "/tmp/q/"]).resolve().kafka?.quarantineTable == "/tmp/q")
    }
}
