import FSTestSupport
import FSCore
import FSJobs
import FSKafka
import FSTable
import Foundation
import Testing

/// fs-agg-online reading the topic directly (`--kafka-topics`) against librdkafka's mock
/// cluster, compared with the two-step pipeline fs-ingest → fs-agg-online on the table.
@Suite("fs-agg-online --kafka-topics", .serialized)
struct OnlineKafkaTests {
    static let topic = "de-order-events"
    static let minute: Int64 = 60_000_000

    /// Orders drifting forward 20 s per event with ±3 min jitter (inside the 10 min watermark,
    /// so no event is late whatever the micro-batching), one malformed message in the middle.
    static func produce(_ cluster: MockKafkaCluster, count: Int) throws {
        try cluster.createTopic(topic, partitions: 3)
        let producer = try KafkaProducer(config: KafkaProducerConfig(bootstrapServers: cluster.bootstrapServers))
        var rng = SplitMix64(seed: 77)
        let customers = ["c1", "c2", "ç3", "", "c5", "c6", "c7"]
        for i in 0..<count {
            let t = 1_600_000_000_000_000 + Int64(i) * 20_000_000 + Int64.random(in: -3 * minute...3 * minute, using: &rng)
            let customer = customers[Int.random(in: 0..<customers.count, using: &rng)]
            let amount = (Double.random(in: 1...300, using: &rng) * 100).rounded() / 100
            let json = #"{"customer_id":"\#(customer)","order_id":"o\#(i)","order_created_at":"\#(formatISO8601(micros: t))","order_total_amount":\#(amount)}"#
            try producer.produce(topic: topic, key: Array(customer.utf8), value: Array(json.utf8))
            if i == count / 2 { try producer.produce(topic: topic, key: nil, value: Array("not json".utf8)) }
        }
        try producer.flush(timeout: .seconds(30))
    }

    static func onlineArgs(_ output: String) -> [String] {
        ["dev", "--output-table", output, "--time-field", "order_created_at", "--agg-field", "customer_id", "--window-duration", "1 hour",
         "--window-slide-duration", "5 minutes", "--watermark", "10 minutes", "--available-now", "--log-level", "error"]
    }

    static func online(_ args: [String]) throws -> OnlineSummary {
        JobRunner.bootstrapLogging(level: .error, format: .text)
        let c = try OnlineCommand.parseCommandLine(args).resolve()
        return try OnlineJob(config: c).run()
    }

    /// (key|start|end) → feature values of an output table.
    static func rows(_ table: String) throws -> [String: [Value]] {
        var scan = try TableScan(table: DeltaTable(root: table))
        let all = try scan.readAll()
        var out: [String: [Value]] = [:]
        for i in 0..<all.rowCount {
            let r = all.row(i)
            out["\(r[0])|\(r[1])|\(r[2])"] = Array(r.dropFirst(3))
        }
        return out
    }

    static func sameValues(_ a: [Value], _ b: [Value]) -> Bool {
        a.count == b.count && zip(a, b).allSatisfy { x, y in
            if case .double(let p) = x, case .double(let q) = y { return abs(p - q) <= 1e-9 * max(1, abs(p)) }
            return x == y
        }
    }

    @Test("Reading the topic directly gives the same output as fs-ingest then fs-agg-online on the ingested table")
    func directEqualsIngestedTable() throws {
        let cluster = try MockKafkaCluster()
        try Self.produce(cluster, count: 600)
        let dir = try FileSystem.makeTemporaryDirectory(prefix: "online-kafka")
        defer { try? FileSystem.removeTree(dir) }
        // Two steps: fs-ingest (one batch: a long trigger interval), then the table path.
        let ingest = try Binaries.run("fs-ingest", ["dev", "--kafka-brokers", cluster.bootstrapServers, "--kafka-topics", Self.topic,
                                                    "--data-dir", dir, "--stream-type", "order-events", "--available-now",
                                                    "--trigger-interval", "120s", "--log-level", "warning"])
        #expect(ingest.status == 0, "\(ingest.stderr)")
        let viaTable = try Self.online(Self.onlineArgs(dir + "/via-table") + ["--input-table", dir + "/ingestion/order-events"])
        // Direct.
        let direct = try Self.online(Self.onlineArgs(dir + "/direct") + ["--kafka-brokers", cluster.bootstrapServers, "--kafka-topics", Self.topic,
                                                                        "--stream-type", "order-events"])
        #expect(direct.status == .completed)
        #expect(direct.eventsThisRun == 600 && viaTable.eventsThisRun == 600)
        #expect(direct.unparsedMessages == 1)
        #expect(direct.counters.lateEvents == 0 && viaTable.counters.lateEvents == 0)
        let a = try Self.rows(dir + "/via-table"), b = try Self.rows(dir + "/direct")
        #expect(!a.isEmpty)
        #expect(Set(a.keys) == Set(b.keys))
        #expect(a.allSatisfy { k, v in b[k].map { Self.sameValues(v, $0) } ?? false })
        // Nothing new: a second direct run commits nothing; offsets are in the output's txns.
        let again = try Self.online(Self.onlineArgs(dir + "/direct") + ["--kafka-brokers", cluster.bootstrapServers, "--kafka-topics", Self.topic,
                                                                       "--stream-type", "order-events"])
        #expect(again.triggers == 0 && again.eventsThisRun == 0)
        #expect(try Self.rows(dir + "/direct") == b)
    }

    @Test("A restart resumes after the committed offsets: every message counts exactly once")
    func restartCountsEachMessageOnce() throws {
        let cluster = try MockKafkaCluster()
        try Self.produce(cluster, count: 400)
        let dir = try FileSystem.makeTemporaryDirectory(prefix: "online-kafka-restart")
        defer { try? FileSystem.removeTree(dir) }
        let kafka = ["--kafka-brokers", cluster.bootstrapServers, "--kafka-topics", Self.topic, "--stream-type", "order-events"]
        // Small triggers, then more messages and a second run.
        let first = try Self.online(Self.onlineArgs(dir + "/out") + kafka + ["--max-offsets-per-trigger", "150"])
        #expect(first.triggers >= 3)
        let producer = try KafkaProducer(config: KafkaProducerConfig(bootstrapServers: cluster.bootstrapServers))
        let t: Int64 = 1_600_000_000_000_000 + 401 * 20_000_000
        try producer.produce(topic: Self.topic, key: Array("c1".utf8), value: Array(#"{"customer_id":"c1","order_created_at":"\#(formatISO8601(micros: t))","order_total_amount":1.5}"#.utf8))
        try producer.flush(timeout: .seconds(30))
        let second = try Self.online(Self.onlineArgs(dir + "/out") + kafka)
        #expect(second.eventsThisRun == 1)
        #expect(second.counters.eventsIn == 401)  // totals survive the restart through the state
    }
}
