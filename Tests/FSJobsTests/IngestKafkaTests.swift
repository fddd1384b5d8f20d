import FSTestSupport
import FSCore
import FSKafka
import FSTable
import Foundation
import Testing

#if canImport(Glibc)
import Glibc
#endif

/// fs-ingest (the built binary) against librdkafka's mock cluster running in the test process.
@Suite(.serialized) struct IngestKafkaTests {
    static let topic = "de-order-status-events"

    func args(_ cluster: MockKafkaCluster, _ dir: String, _ extra: [String] = []) -> [String] {
        ["dev", "--kafka-brokers", cluster.bootstrapServers, "--kafka-topics", Self.topic, "--data-dir", dir,
         "--stream-type", "order-status-events", "--log-level", "warning"] + extra
    }

    func setUp(count: Int, partitions: Int32 = 4) throws -> (MockKafkaCluster, StatusSource) {
        let cluster = try MockKafkaCluster()
        try cluster.createTopic(Self.topic, partitions: partitions)
        let source = StatusSource(count: count)
        try source.produce(to: cluster, topic: Self.topic)
        return (cluster, source)
    }

    /// The table holds each good status once, the quarantine each bad message once.
    func expectExact(_ dir: String, _ source: StatusSource) throws {
        let data = try readTable(dir + "/ingestion/order-status-events")
        #expect(strings(data, "status_id").sorted() == source.expectedStatusIds)
        #expect(Set(coordinates(data)).count == data?.rowCount ?? 0)
        let quarantine = try readTable(dir + "/quarantine/order-status-events")
        #expect(quarantine?.rowCount == source.badCount)
        #expect(Set(coordinates(quarantine)).count == source.badCount)
    }

    @Test func availableNowIngestsTheSourceExactlyAndQuarantinesTheBadMessages() throws {
        let (cluster, source) = try setUp(count: 600)
        let dir = temporaryDirectory("exact")
        let run = try Binaries.run("fs-ingest", args(cluster, dir, ["--available-now", "--summary", "--max-offsets-per-trigger", "150"]))
        #expect(run.status == 0, "\(run.stderr)")
        try expectExact(dir, source)
        let summary = try JSONValue.parse(run.stdout.trimmingCharacters(in: .whitespacesAndNewlines))
        #expect(summary["status"]?.stringValue == "completed")
        #expect(summary["messages"]?.int64Value == Int64(source.messages.count))
        #expect(summary["quarantined"]?.int64Value == Int64(source.badCount))
        #expect(summary["duplicates"]?.int64Value == Int64(source.duplicateCount))
        #expect((summary["batches"]?.int64Value ?? 0) >= 4)
        // Phase timings of both threads, in seconds.
        for phase in ["poll", "parse", "build", "handOffWait", "drainWait", "groupCommit", "trim", "write", "quarantineCommit", "dataCommit"] {
            let seconds = summary["phases"]?[phase]?.doubleValue
            #expect(seconds != nil && seconds! >= 0, "phase \(phase): \(String(describing: seconds))")
        }
        // Every partition's progress is in the table as txn(last offset).
        let snapshot = try DeltaTable.open(at: dir + "/ingestion/order-status-events").snapshot()
        let quarantine = try readTable(dir + "/quarantine/order-status-events")
        #expect(Set(strings(quarantine, "reason")).isSuperset(of: ["invalid_json", "empty_message", "missing_time_field", "unparsable_time", "null_time_field", "not_an_object", "invalid_utf8", "wrong_type"]))
        #expect(strings(quarantine, "value").contains("//4="))  // 0xFF 0xFE as base64
        var total: Int64 = 0
        for p in 0..<4 {
            let consumer = try KafkaConsumer(config: KafkaConsumerConfig(bootstrapServers: cluster.bootstrapServers, groupId: "check"))
            let high = try consumer.watermarks(TopicPartition(topic: Self.topic, partition: Int32(p)), timeout: .seconds(5)).high
            consumer.close()
            total += high
            #expect(snapshot.txnVersion(appId: "fs-ingest/\(Self.topic)/\(p)") == (high > 0 ? high - 1 : nil))
        }
        #expect(total == Int64(source.messages.count))
    }

    /// Partitions whose record batches differ 40-fold in size are read in step: partition 0
    /// is produced in batches of 200 messages and partition 1 in batches of 5, and the mock
    /// broker answers each fetch with one batch per partition, so unaligned, partition 0 is read
    /// to its end while partition 1 is at ~1% (a spread of ~0.98 at the commits). Aligned, the
    /// spread at every commit stays within three scales — at most three of partition 0's fetches
    /// (0.1 each) while partition 1's are not yet counted — plus one poll (0.1) — and every
    /// status arrives once.
    @Test func partitionsFetchedAtDifferentRatesAreReadInStep() throws {
        let cluster = try MockKafkaCluster()
        try cluster.createTopic(Self.topic, partitions: 2)
        var expected: [String] = []
        for (partition, perBatch) in [(Int32(0), 200), (Int32(1), 5)] {
            let producer = try KafkaProducer(config: KafkaProducerConfig(bootstrapServers: cluster.bootstrapServers, lingerMillis: 1_000))
            for i in 0 ..< 2_000 {
                let status = "p\(partition)-\(i)"
                expected.append(status)
                let value = #"{"created_at":"2019-01-0\#(1 + i / 700)T00:00:00.000Z","order_id":"o-\#(i)","status_id":"\#(status)","value":"PLACED"}"#
                try producer.produce(topic: Self.topic, partition: partition, key: Array("o-\(i)".utf8), value: Array(value.utf8))
                if i % perBatch == perBatch - 1 { try producer.flush(timeout: .seconds(10)) }
            }
            try producer.flush(timeout: .seconds(10))
        }
        let dir = temporaryDirectory("in-step")
        let run = try Binaries.run("fs-ingest", args(cluster, dir, ["--available-now", "--summary", "--max-offsets-per-trigger", "200"]))
        #expect(run.status == 0, "\(run.stderr)")
        let summary = try JSONValue.parse(run.stdout.trimmingCharacters(in: .whitespacesAndNewlines))
        #expect((summary["partitionPauses"]?.int64Value ?? 0) > 0)
        let data = try readTable(dir + "/ingestion/order-status-events")
        #expect(strings(data, "status_id").sorted() == expected.sorted())

        let log = dir + "/ingestion/order-status-events/_delta_log"
        let commits = try FileManager.default.contentsOfDirectory(atPath: log).filter { $0.hasSuffix(".json") }.sorted()
        var next: [Int32: Int64] = [0: 0, 1: 0]
        for name in commits {
            for line in try String(contentsOfFile: log + "/" + name, encoding: .utf8).split(separator: "\n") {
                guard let txn = try JSONValue.parse(String(line))["txn"], let id = txn["appId"]?.stringValue,
                      let version = txn["version"]?.int64Value, let p = Int32(id.split(separator: "/").last ?? "") else { continue }
                next[p] = version + 1
            }
            let spread = abs(Double(next[0]!) - Double(next[1]!)) / 2_000
            #expect(spread <= 0.45, "commit \(name): partitions read to \(next)")
        }
        #expect(next == [0: 2_000, 1: 2_000])
        #expect(commits.count >= 20)  // 4,000 messages, 200 a batch
    }

    /// Micro-batches of 20 messages over partitions fetched 250 messages at a time: a fair
    /// fetcher leaves the partitions up to one fetch apart, 12 micro-batches' worth. Measured
    /// in micro-batches alone that spread would pause a partition at almost every poll (1,038
    /// pauses for 50k events in 16 partitions, 80 s instead of 3); the scale is the fetch.
    @Test func microBatchesSmallerThanAFetchDoNotPauseFairlyFetchedPartitions() throws {
        let cluster = try MockKafkaCluster()
        try cluster.createTopic(Self.topic, partitions: 4)
        let producer = try KafkaProducer(config: KafkaProducerConfig(bootstrapServers: cluster.bootstrapServers, lingerMillis: 1_000))
        for batch in 0 ..< 4 {
            for partition in Int32(0) ..< 4 {
                for i in 0 ..< 250 {
                    let n = batch * 250 + i
                    let value = #"{"created_at":"2019-01-01T00:00:00.000Z","order_id":"o-\#(n)","status_id":"p\#(partition)-\#(n)","value":"PLACED"}"#
                    try producer.produce(topic: Self.topic, partition: partition, key: Array("o-\(n)".utf8), value: Array(value.utf8))
                }
            }
            try producer.flush(timeout: .seconds(10))
        }
        let dir = temporaryDirectory("small-batches")
        let run = try Binaries.run("fs-ingest", args(cluster, dir, ["--available-now", "--summary", "--max-offsets-per-trigger", "20"]))
        #expect(run.status == 0, "\(run.stderr)")
        let summary = try JSONValue.parse(run.stdout.trimmingCharacters(in: .whitespacesAndNewlines))
        #expect(summary["rows"]?.int64Value == 4_000)
        #expect((summary["batches"]?.int64Value ?? 0) >= 200)
        #expect((summary["partitionPauses"]?.int64Value ?? -1) <= 8)
    }

    @Test func aSecondRunAddsNothing() throws {
        let (cluster, source) = try setUp(count: 300)
        let dir = temporaryDirectory("twice")
        let first = try Binaries.run("fs-ingest", args(cluster, dir, ["--available-now"]))
        #expect(first.status == 0, "\(first.stderr)")
        let second = try Binaries.run("fs-ingest", args(cluster, dir, ["--available-now", "--summary"]))
        #expect(second.status == 0, "\(second.stderr)")
        let summary = try JSONValue.parse(second.stdout.trimmingCharacters(in: .whitespacesAndNewlines))
        #expect(summary["messages"]?.int64Value == 0)
        try expectExact(dir, source)
    }

    @Test func killedAtRandomPointsAndRestartedTheTableIsExact() throws {
        let (cluster, source) = try setUp(count: 3000)
        let dir = temporaryDirectory("kill9")
        let cycles = ProcessInfo.processInfo.environment["FS_LONG_TESTS"] == "1" ? 20 : 4
        var generator = SystemRandomNumberGenerator()
        for cycle in 0..<cycles {
            let p = try launch("fs-ingest", args(cluster, dir, ["--available-now", "--max-offsets-per-trigger", "40"]), log: dir + "/cycle-\(cycle).log")
            usleep(UInt32.random(in: 150_000...900_000, using: &generator))
            kill(p.processIdentifier, SIGKILL)
            p.waitUntilExit()
        }
        let final = try Binaries.run("fs-ingest", args(cluster, dir, ["--available-now"]))
        #expect(final.status == 0, "\(final.stderr)")
        try expectExact(dir, source)
    }

    @Test func twoProcessesInOneGroupConsumeEachPartitionOnceAndStopCleanlyOnSigterm() throws {
        let (cluster, source) = try setUp(count: 800)
        let dir = temporaryDirectory("group")
        let group = ["--group-id", "g-\(UUID().uuidString)", "--trigger-interval", "200ms", "--max-offsets-per-trigger", "100", "--log-level", "info"]
        let a = try launch("fs-ingest", args(cluster, dir, group), log: dir + "/a.log")
        let b = try launch("fs-ingest", args(cluster, dir, group), log: dir + "/b.log")
        let expectedRows = source.expectedStatusIds.count
        let deadline = Date().addingTimeInterval(60)
        // Each process dedups only what it saw; a partition moving between them may let a
        // duplicate through, so wait for every status id rather than a row count.
        func isComplete() -> Bool {
            guard let data = try? readTable(dir + "/ingestion/order-status-events"),
                  let quarantine = try? readTable(dir + "/quarantine/order-status-events") else { return false }
            return Set(strings(data, "status_id")).count >= expectedRows && quarantine.rowCount == source.badCount
        }
        while Date() < deadline && !isComplete() { usleep(300_000) }
        kill(a.processIdentifier, SIGTERM)
        kill(b.processIdentifier, SIGTERM)
        for p in [a, b] {
            let stopBy = Date().addingTimeInterval(30)
            while p.isRunning && Date() < stopBy { usleep(100_000) }
            if p.isRunning {
                Issue.record("fs-ingest \(p.processIdentifier) did not stop within 30 s of SIGTERM")
                kill(p.processIdentifier, SIGKILL)
            }
            p.waitUntilExit()
        }
        #expect(a.terminationStatus == 0, "\((try? String(contentsOfFile: dir + "/a.log", encoding: .utf8)) ?? "")")
        #expect(b.terminationStatus == 0, "\((try? String(contentsOfFile: dir + "/b.log", encoding: .utf8)) ?? "")")
        let data = try readTable(dir + "/ingestion/order-status-events")
        #expect(Set(coordinates(data)).count == data?.rowCount ?? -1, "a Kafka message was written twice")
        #expect(Set(strings(data, "status_id")).sorted() == source.expectedStatusIds)
        let quarantine = try readTable(dir + "/quarantine/order-status-events")
        #expect(quarantine?.rowCount == source.badCount)
    }

    @Test func anUnreachableBrokerExits69AfterTheRetryBudget() throws {
        let dir = temporaryDirectory("down")
        let run = try Binaries.run("fs-ingest", ["dev", "--kafka-brokers", "127.0.0.1:1", "--data-dir", dir, "--stream-type", "consumer-events",
                                                 "--available-now", "--max-retry-duration", "2s"])
        #expect(run.status == 69, "\(run.stderr)")
        #expect(run.stderr.contains("retrying"))
        #expect(run.stderr.contains("unreachable"))
    }

    @Test func usageErrorsExit64() throws {
        let run = try Binaries.run("fs-ingest", ["dev", "--kafka-brokers", "h:1", "--data-dir", "/tmp/x", "--stream-type", "order"])
        #expect(run.status == 64)
        #expect(run.stderr.contains("--stream-type"))
    }
}
