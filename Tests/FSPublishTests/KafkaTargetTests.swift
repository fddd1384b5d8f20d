import FSCore
import FSKafka
import FSTable
import Foundation
import Testing
@testable import FSJobs
@testable import FSPublish

/// `--publisher-type kafka` against librdkafka's mock cluster, read back with kcat.
@Suite(.serialized) struct KafkaTargetTests {
    typealias F = OnlineTableFixture

    func config(_ f: F, _ cluster: MockKafkaCluster, topic: String = "features") -> PublishConfig {
        f.config {
            $0.publisherType = .kafka
            $0.outputTable = topic
            $0.connection.sqlitePath = nil
            $0.connection.kafkaBrokers = cluster.bootstrapServers
        }
    }

    /// Every message of `topic` as (key, value, headers), read with kcat to the end.
    static func kcat(_ cluster: MockKafkaCluster, _ topic: String) throws -> [(key: String, value: String, headers: String)] {
        let p = Process()
        p.executableURL = URL(fileURLWithPath: "/usr/bin/kcat")
        p.arguments = ["-C", "-b", cluster.bootstrapServers, "-t", topic, "-e", "-q", "-f", "%k\u{1}%s\u{1}%h\u{2}"]
        let out = Pipe()
        p.standardOutput = out
        p.standardError = FileHandle.nullDevice
        try p.run()
        let data = out.fileHandleForReading.readDataToEndOfFile()
        p.waitUntilExit()
        return String(decoding: data, as: UTF8.self).split(separator: "\u{2}").map { record in
            let parts = record.split(separator: "\u{1}", omittingEmptySubsequences: false).map(String.init)
            return (parts[0], parts.count > 1 ? parts[1] : "", parts.count > 2 ? parts[2] : "")
        }
    }

    /// A message value as a store line `key|window_end|amount|n|vip` (the fixture's format).
    static func line(_ value: String) throws -> String {
        let j = try JSONValue.parse(value)
        let amount = j["total-amount"]?.doubleValue.map { "\($0)" } ?? "NULL"
        let vip = j["is_vip"]?.boolValue == true ? "1" : "0"
        return [j["customer_id"]?.stringValue ?? "?", j["window_end"]?.stringValue ?? "?", amount,
                "\(j["it's \"n\""]?.int64Value ?? -1)", vip].joined(separator: "|")
    }

    @Test func theTopicHoldsTheNewestRowOfEveryKeyAsJSONKeyedByTheEntityWithSourceHeaders() throws {
        let cluster = try MockKafkaCluster()
        try cluster.createTopic("features", partitions: 3)
        let f = try F()
        try f.create()
        let rows = F.randomRows(300, keys: 40, minuteRange: 0..<3000, seed: 11, nullKeys: 4)
        try f.append(rows)
        let summary = try OnlinePublisher(config: config(f, cluster)).run()
        let messages = try Self.kcat(cluster, "features")
        #expect(messages.count == F.expectedLines(rows).count)
        #expect(try messages.map { try Self.line($0.value) }.sorted() == F.expectedLines(rows))
        for m in messages {
            #expect(try JSONValue.parse(m.value)["customer_id"]?.stringValue == m.key)
            #expect(m.headers.contains("fs_source_version=1"))
            #expect(m.headers.contains("fs_source_table=\(f.input)"))
        }
        #expect(summary.keysUpserted == messages.count)
        #expect(summary.sourceVersion == 1)
        let state = try Self.kcat(cluster, KafkaTarget.stateTopic("features"))
        #expect(state.count == 1)
        #expect(try JSONValue.parse(state[0].value)["version"]?.int64Value == 1)
        #expect(try JSONValue.parse(state[0].value)["key_columns"]?.arrayValue?.first?.stringValue == "customer_id")
    }

    @Test func aReRunPublishesNothingAndANewCommitOnlyTheNewestRowsOfItsKeys() throws {
        let cluster = try MockKafkaCluster()
        try cluster.createTopic("features", partitions: 2)
        let f = try F()
        try f.create()
        let first = F.randomRows(120, keys: 15, minuteRange: 0..<500, seed: 12)
        try f.append(first)
        _ = try OnlinePublisher(config: config(f, cluster)).run()
        let afterFirst = try Self.kcat(cluster, "features").count
        let again = try OnlinePublisher(config: config(f, cluster)).run()
        #expect(again.keysUpserted == 0 && again.versionsPublished == 0)
        #expect(try Self.kcat(cluster, "features").count == afterFirst)
        let second = F.randomRows(30, keys: 5, minuteRange: 600..<900, seed: 13)
        try f.append(second)
        let third = try OnlinePublisher(config: config(f, cluster)).run()
        let all = try Self.kcat(cluster, "features")
        #expect(third.keysUpserted == F.expectedLines(second).count)
        #expect(all.count == afterFirst + F.expectedLines(second).count)
        // Partitions interleave in a read-back: the second publish's messages are those naming version 2.
        #expect(try all.filter { $0.headers.contains("fs_source_version=2") }.map { try Self.line($0.value) }.sorted() == F.expectedLines(second))
        // A consumer keeping the last value per key (a compacted topic) holds the latest of everything.
        var latest: [String: String] = [:]
        for m in all { latest[m.key] = try Self.line(m.value) }
        #expect(latest.values.sorted() == F.expectedLines(first + second))
    }

    @Test func anOlderRowInALaterCommitDoesNotRegressAKeyEvenAfterARestart() throws {
        let cluster = try MockKafkaCluster()
        try cluster.createTopic("features", partitions: 2)
        let f = try F()
        try f.create()
        let first = [F.Row(key: "a", minute: 100, amount: 1, n: 1, vip: true), F.Row(key: "b", minute: 100, amount: 2, n: 2, vip: false)]
        try f.append(first)
        _ = try OnlinePublisher(config: config(f, cluster)).run()
        // A later commit (a new process: the guard is rebuilt from the topic) with an older row of
        // "a", an equal-time row of "b" and a new key "c".
        let late = [F.Row(key: "a", minute: 50, amount: 9, n: 3, vip: false), F.Row(key: "b", minute: 100, amount: 8, n: 4, vip: true),
                    F.Row(key: "c", minute: 10, amount: 3, n: 5, vip: true)]
        try f.append(late)
        let s = try OnlinePublisher(config: config(f, cluster)).run()
        #expect(s.keysUpserted == 1)
        #expect(s.rowsSkippedAsOlder == 2)
        var latest: [String: String] = [:]
        for m in try Self.kcat(cluster, "features") { latest[m.key] = try Self.line(m.value) }
        #expect(latest.values.sorted() == F.expectedLines(first + late))
        #expect(try Self.kcat(cluster, "features").count == 3)
    }

    @Test func afterAFirstLoadIntoAnEmptyTopicTheSameTargetStillSkipsOlderAndEqualRows() throws {
        let cluster = try MockKafkaCluster()
        try cluster.createTopic("features", partitions: 2)
        let schema = Schema([Field("k", .string), Field("t", .timestamp), Field("x", .double)])
        let layout = PublishLayout(target: "features", sourceTableId: "id-1", sourcePath: "/in", keyColumns: [schema.fields[0]],
                                   timeColumn: schema.fields[1], featureColumns: [schema.fields[2]])
        func batch(_ rows: [(String, Int64, Double)]) -> RecordBatch {
            RecordBatch(schema: schema, columns: [Column(.string, rows.map { .string($0.0) }), Column(.timestamp, rows.map { .timestamp($0.1) }),
                                                  Column(.double, rows.map { .double($0.2) })])
        }
        let target = try KafkaTarget(brokers: cluster.bootstrapServers, topic: "features", client: KafkaClientConfig())
        defer { target.close() }
        try target.prepare(layout)
        // Version 1 arrives in two chunks into the empty topic: the first-load path, no guard.
        #expect(try target.publish(batch([("a", 100, 1), ("b", 100, 2)]), recordingVersion: nil) == PublishCounts())
        #expect(try target.publish(batch([("c", 100, 3)]), recordingVersion: 1) == PublishCounts(upserted: 3, skippedAsOlder: 0))
        // Version 2 through the same target: the guard is read from the topic the first load filled.
        let second = try target.publish(batch([("a", 50, 9), ("b", 100, 8), ("c", 101, 7), ("d", 1, 6)]), recordingVersion: 2)
        #expect(second == PublishCounts(upserted: 2, skippedAsOlder: 2))
        // Version 3: the guard kept in memory knows version 2's times.
        #expect(try target.publish(batch([("c", 101, 5), ("d", 2, 4)]), recordingVersion: 3) == PublishCounts(upserted: 1, skippedAsOlder: 1))
        #expect(try target.publishedVersion() == 3)
        var latest: [String: Double] = [:]
        for m in try Self.kcat(cluster, "features") { latest[m.key] = try JSONValue.parse(m.value)["x"]?.doubleValue }
        #expect(latest == ["a": 1, "b": 2, "c": 7, "d": 4])
    }

    @Test func aTopicFedByAnotherInputTableIsRefused() throws {
        let cluster = try MockKafkaCluster()
        try cluster.createTopic("features", partitions: 1)
        let a = try F(), b = try F()
        try a.create()
        try b.create()
        try a.append(F.randomRows(10, keys: 3, minuteRange: 0..<50, seed: 14))
        try b.append(F.randomRows(10, keys: 3, minuteRange: 0..<50, seed: 15))
        _ = try OnlinePublisher(config: config(a, cluster)).run()
        #expect(throws: PublishError.self) { try OnlinePublisher(config: config(b, cluster)).run() }
    }

    @Test func theMetricsFileCountsWhatTheSummarySays() throws {
        let cluster = try MockKafkaCluster()
        try cluster.createTopic("features", partitions: 1)
        let f = try F()
        try f.create()
        try f.append(F.randomRows(50, keys: 9, minuteRange: 0..<100, seed: 16, nullKeys: 2))
        var c = config(f, cluster)
        c.metricsFile = f.root + "/publish.prom"
        let s = try OnlinePublisher(config: c).run()
        let text = try String(contentsOfFile: f.root + "/publish.prom", encoding: .utf8)
        let labels = #"{publisher_type="kafka",output_table="features"}"#
        #expect(text.contains("# TYPE fs_publish_keys_upserted_total counter\nfs_publish_keys_upserted_total\(labels) \(s.keysUpserted)\n"))
        #expect(text.contains("fs_publish_rows_read_total\(labels) \(s.rowsRead)\n"))
        #expect(text.contains("fs_publish_null_keys_skipped_total\(labels) 2\n"))
        #expect(text.contains("fs_publish_source_version\(labels) 1\n"))
        #expect(text.contains("fs_publish_input_version\(labels) 1\n"))
    }

    @Test func keysAreTheTextOfOneColumnOrAJSONArrayOfSeveral() {
        #expect(KafkaTarget.encodeKey([.string("c1")]) == "c1")
        #expect(KafkaTarget.encodeKey([.int64(42)]) == "42")
        #expect(KafkaTarget.encodeKey([.string("c\"1"), .int32(3)]) == #"["c\"1",3]"#)
        #expect(KafkaTarget.encodeKey([.timestamp(F.base)]) == #""2019-01-17T00:00:00.000000Z""#)
        let schema = Schema([Field("k", .string), Field("t", .timestamp), Field("x", .double), Field("d", .date)])
        #expect(KafkaTarget.encodeValue([.string("é"), .timestamp(F.base), .double(.nan), .date(17_913)], schema: schema)
                == #"{"k":"é","t":"2019-01-17T00:00:00.000000Z","x":null,"d":"2019-01-17"}"#)
    }

    @Test func theKafkaPublisherNeedsBrokersAndALegalTopicAndTakesClientSettings() throws {
        let base = ["--publisher-type", "kafka", "--input-table", "/tmp/in"]
        #expect(throws: UsageError.self) { try PublishCommand.parse(base + ["--output-table", "t"]).resolve() }
        #expect(throws: UsageError.self) { try PublishCommand.parse(base + ["--output-table", "a b", "--kafka-brokers", "b:1"]).resolve() }
        #expect(throws: UsageError.self) { try PublishCommand.parse(base + ["--output-table", "t", "--kafka-brokers", "b:1", "-X", "enable.idempotence=false"]).resolve() }
        let c = try PublishCommand.parse(base + ["--output-table", "t", "--kafka-brokers", "b:1", "-X", "client.id=pub"]).resolve()
        #expect(c.kafkaClient.settings.effective.first { $0.0 == "client.id" }?.1 == "pub")
    }
}
