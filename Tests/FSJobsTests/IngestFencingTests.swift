import FSCore
import FSKafka
import FSTable
import Foundation
import Testing

#if canImport(Glibc)
import Glibc
#endif

/// Writer fencing (issue 13): a member stalled past the session timeout loses its partitions to
/// the other member; when it resumes, the batch it held must not be committed on top of the new
/// owner's. The long suite stops it for 50 s (past librdkafka's 45 s default session timeout, so
/// the group rebalances); the default run stops it for 3 s (no rebalance: the pause alone).
@Suite(.serialized) struct IngestFencingTests {
    @Test func aMemberStoppedPastTheSessionTimeoutWritesNoMessageTwice() throws {
        let long = ProcessInfo.processInfo.environment["FS_LONG_TESTS"] == "1"
        let cluster = try MockKafkaCluster()
        try cluster.createTopic(IngestKafkaTests.topic, partitions: 4)
        let source = StatusSource(count: 4_000)
        try source.produce(to: cluster, topic: IngestKafkaTests.topic)
        let dir = temporaryDirectory("fence")
        let args = ["dev", "--kafka-brokers", cluster.bootstrapServers, "--kafka-topics", IngestKafkaTests.topic, "--data-dir", dir,
                    "--stream-type", "order-status-events", "--group-id", "g-\(UUID().uuidString)", "--trigger-interval", "200ms",
                    "--max-offsets-per-trigger", "50", "--log-level", "info"]
        let a = try launch("fs-ingest", args, log: dir + "/a.log")
        // Stop `a` right after its first commit, while it consumes the next batch.
        let table = dir + "/ingestion/order-status-events"
        let committedBy = Date().addingTimeInterval(60)
        while Date() < committedBy && ((try? DeltaTable.open(at: table).snapshot().txns.isEmpty) ?? true) { usleep(5_000) }
        kill(a.processIdentifier, SIGSTOP)
        let b = try launch("fs-ingest", args, log: dir + "/b.log")
        sleep(long ? 50 : 3)
        kill(a.processIdentifier, SIGCONT)

        func isComplete() -> Bool {
            guard let data = try? readTable(dir + "/ingestion/order-status-events") else { return false }
            return Set(strings(data, "status_id")).count >= source.expectedStatusIds.count
        }
        let deadline = Date().addingTimeInterval(90)
        while Date() < deadline && !isComplete() { usleep(300_000) }
        usleep(1_000_000)  // let a resumed member's last batch reach its commit (or its fence)
        for p in [a, b] { kill(p.processIdentifier, SIGTERM) }
        for p in [a, b] {
            let stopBy = Date().addingTimeInterval(30)
            while p.isRunning && Date() < stopBy { usleep(100_000) }
            if p.isRunning {
                Issue.record("fs-ingest \(p.processIdentifier) did not stop within 30 s of SIGTERM")
                kill(p.processIdentifier, SIGKILL)
            }
            p.waitUntilExit()
        }
        let logs = ["a", "b"].map { (try? String(contentsOfFile: dir + "/\($0).log", encoding: .utf8)) ?? "" }.joined(separator: "\n---\n")
        #expect(a.terminationStatus == 0 && b.terminationStatus == 0, "\(logs)")
        let data = try readTable(dir + "/ingestion/order-status-events")
        #expect(Set(coordinates(data)).count == data?.rowCount ?? -1, "a Kafka message was written twice\n\(logs)")
        #expect(Set(strings(data, "status_id")).sorted() == source.expectedStatusIds)
        if long {
            // The resumed member's batch was dropped by the fence, not committed on top of b's.
            let aLog = (try? String(contentsOfFile: dir + "/a.log", encoding: .utf8)) ?? ""
            #expect(aLog.contains("dropped a batch"), "\(logs)")
        }
    }
}
