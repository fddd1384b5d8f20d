import FSTestSupport
import FSCore
import FSKafka
import Foundation
import Testing
@testable import FSJobs
@testable import FSPublish

#if canImport(Glibc)
import Glibc
#endif

/// `fs-publish --publisher-type kafka` as a built binary against the mock cluster.
@Suite(.serialized) struct KafkaPublisherBinaryTests {
    typealias F = OnlineTableFixture

    func args(_ f: F, _ cluster: MockKafkaCluster, topic: String) -> [String] {
        ["--publisher-type", "kafka", "--input-table", f.input, "--output-table", topic, "--kafka-brokers", cluster.bootstrapServers,
         "--log-level", "error"]
    }

    /// After kills at random points and a final run, the topic read as "last value per key"
    /// equals an independent latest-per-key of the input, no (key, time) was sent twice, and the
    /// state records the last source version.
    @Test func killMinus9AtRandomPointsThenAReRunLeavesTheLatestRowOfEveryKey() throws {
        let cycles = ProcessInfo.processInfo.environment["FS_LONG_TESTS"] == "1" ? 12 : 3
        let cluster = try MockKafkaCluster()
        try cluster.createTopic("features", partitions: 3)
        let f = try F()
        defer { try? FileSystem.removeTree(f.root) }
        try f.create()
        var rng = SplitMix64(seed: 91)
        var all: [F.Row] = []
        var killed = 0
        for cycle in 0..<cycles {
            let rows = F.randomRows(300, keys: 120, minuteRange: Int64(cycle * 50)..<Int64(cycle * 50 + 400), seed: UInt64(2000 + cycle))
            all += rows
            try f.append(rows)
            let p = Process()
            p.executableURL = Binaries.productsDirectory.appendingPathComponent("fs-publish")
            p.arguments = args(f, cluster, topic: "features") + ["--batch-rows", "25"]
            p.standardError = FileHandle.nullDevice
            try p.run()
            usleep(UInt32(rng.next() % 1_500_000))
            if p.isRunning { kill(p.processIdentifier, SIGKILL); killed += 1 }
            p.waitUntilExit()
        }
        let last = try Binaries.run("fs-publish", args(f, cluster, topic: "features") + ["--summary"])
        #expect(last.status == 0, "\(last.stderr)")
        var latest: [String: String] = [:]
        let messages = try KafkaTargetTests.kcat(cluster, "features")
        for m in messages { latest[m.key] = try KafkaTargetTests.line(m.value) }
        // The time guard, rebuilt from the topic by each run, keeps a killed run's rows from being sent twice.
        let versions = try messages.map { "\($0.key)|\(try JSONValue.parse($0.value)["window_end"]?.stringValue ?? "?")" }
        #expect(Set(versions).count == messages.count)
        #expect(latest.values.sorted() == F.expectedLines(all))
        let state = try KafkaTargetTests.kcat(cluster, KafkaTarget.stateTopic("features"))
        #expect(try state.last.map { try JSONValue.parse($0.value)["version"]?.int64Value } == Int64(cycles))
        let again = try Binaries.run("fs-publish", args(f, cluster, topic: "features") + ["--summary"])
        #expect(try JSONValue.parse(again.stdout.trimmingCharacters(in: .whitespacesAndNewlines))["keysUpserted"]?.int64Value == 0)
        print("kafka kill loop: \(cycles) cycles, \(killed) killed mid-run")
    }

    @Test func theSaslPasswordNeverAppearsInTheOutputOfAPublish() throws {
        let cluster = try MockKafkaCluster()
        try cluster.createTopic("features", partitions: 1)
        let f = try F()
        defer { try? FileSystem.removeTree(f.root) }
        try f.create()
        try f.append(F.randomRows(20, keys: 5, minuteRange: 0..<50, seed: 92))
        let secret = "pub-\(UUID().uuidString)"
        let ok = try Binaries.run("fs-publish", args(f, cluster, topic: "features") + [
            "-X", "sasl.password=\(secret)", "--log-level", "debug", "--summary"])
        #expect(ok.status == 0, "\(ok.stderr)")
        #expect(!ok.stdout.contains(secret) && !ok.stderr.contains(secret))
        let refused = try Binaries.run("fs-publish", args(f, cluster, topic: "other") + [
            "-X", "security.protocol=SASL_PLAINTEXT", "-X", "sasl.mechanisms=PLAIN", "-X", "sasl.username=u", "-X", "sasl.password=\(secret)",
            "--max-retry-duration", "2s", "--summary"])
        #expect(refused.status == 69, "\(refused.stderr)")
        #expect(!refused.stdout.contains(secret) && !refused.stderr.contains(secret))
    }
}
