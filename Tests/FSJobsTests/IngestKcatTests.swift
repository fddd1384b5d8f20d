import FSTestSupport
import FSCore
import FSKafka
import Foundation
import Testing

/// kcat (apt `kcat`, a declared dependency) produces into the mock cluster and fs-ingest reads
/// it: the broker speaks real Kafka protocol to a client that is not ours, keys and
/// compressed batches included, and the table equals what kcat sent.
@Suite struct IngestKcatTests {
    static let topic = "de-order-events"

    /// One order event as kcat sends it (`key|json` per line) and the row fs-ingest must write.
    struct Order {
        var line: String
        var row: [Value]?  // nil: must land in quarantine
    }

    /// `count` orders over three days and two hours, non-ASCII names, escaped quotes, empty
    /// strings, ±0.0 and a huge amount; every 25th message is bad (in one of three ways).
    static func orders(_ count: Int, tag: String) -> [Order] {
        let names = ["GUSTAVO", "JOÃO ÇÃ", "", "名前 ✓", "A \\\"quoted\\\" name"]
        let decoded = ["GUSTAVO", "JOÃO ÇÃ", "", "名前 ✓", "A \"quoted\" name"]
        let amounts = ["12.5", "0.0", "-0.0", "1e300", "99"]
        let amountValues: [Double] = [12.5, 0.0, -0.0, 1e300, 99]
        var out: [Order] = []
        for i in 0..<count {
            let id = "\(tag)-order-\(i)"
            if i % 25 == 24 {
                let bad = [#"{"order_id":"\#(id)"}"#, #"{"order_id":"\#(id)","order_created_at":"never"}"#, "{not json"][(i / 25) % 3]
                out.append(Order(line: "\(id)|\(bad)", row: nil))
                continue
            }
            let day = 1 + i % 3, hour = 10 + i % 2, minute = i % 60
            let created = String(format: "2019-02-%02dT%02d:%02d:07.123Z", day, hour, minute)
            let micros = parseTimestamp(created) ?? 0
            let json = #"{"cpf":"\#(i)","customer_id":"c-\#(i % 7)","customer_name":"\#(names[i % 5])","#
                + #""items":"[{\"name\":\"AÇAÍ\",\"quantity\":\#(i % 4)}]","merchant_id":"m-\#(i % 3)","#
                + #""order_created_at":"\#(created)","order_id":"\#(id)","order_scheduled":\#(i % 2 == 0),"#
                + #""order_total_amount":\#(amounts[i % 5]),"origin_platform":"ANDROID"}"#
            let row: [Value] = [
                .string(id), .string(id), .string("c-\(i % 7)"), .string(decoded[i % 5]), .string(#"[{"name":"AÇAÍ","quantity":\#(i % 4)}]"#),
                .string("m-\(i % 3)"), .timestamp(micros), .boolean(i % 2 == 0), .double(amountValues[i % 5]), .string("ANDROID"),
                .null, .int32(2019), .int32(2), .int32(Int32(day)), .int32(Int32(hour)), .int32(Int32(minute)), .string(topic),
            ]
            out.append(Order(line: "\(id)|\(json)", row: row))
        }
        return out
    }

    static let columns = ["key", "order_id", "customer_id", "customer_name", "items", "merchant_id", "order_created_at",
                          "order_scheduled", "order_total_amount", "origin_platform", "delivery_address_city",
                          "fs_year", "fs_month", "fs_day", "fs_hour", "fs_minute", "fs_topic"]

    /// A row as comparable text: `Value.description` would print -0.0 and 0.0 alike, so doubles
    /// are compared by bit pattern.
    static func text(_ row: [Value]) -> String {
        row.map { v in if case .double(let d) = v { return "d\(d.bitPattern)" } else { return "\(v)" } }.joined(separator: "\u{1}")
    }

    /// kcat -P from a file (`-l`): one message per line, `-K |` splits key and value, no fixed
    /// partition (librdkafka's partitioner spreads the keys), optional batch compression.
    func produceWithKcat(_ kcat: String, _ bootstrap: String, _ orders: [Order], compression: String?, dir: String) throws {
        let file = dir + "/kcat-\(compression ?? "none").txt"
        try (orders.map(\.line).joined(separator: "\n") + "\n").write(toFile: file, atomically: true, encoding: .utf8)
        var args = ["-P", "-b", bootstrap, "-t", Self.topic, "-K", "|", "-l"]
        if let compression { args += ["-z", compression] }
        let run = try Binaries.runToFiles(executable: URL(fileURLWithPath: kcat), args + [file])
        #expect(run.status == 0, "kcat -P failed: \(run.stderr)")
    }

    @Test func ordersProducedByKcatWithKeysAndZstdAreIngestedExactly() throws {
        let kcat = try #require(which("kcat"), "kcat is a declared dependency: run scripts/setup/install-deps.sh")
        let cluster = try MockKafkaCluster()
        try cluster.createTopic(Self.topic, partitions: 4)
        let dir = temporaryDirectory("kcat")
        let plain = Self.orders(300, tag: "plain"), zstd = Self.orders(300, tag: "zstd")
        try produceWithKcat(kcat, cluster.bootstrapServers, plain, compression: nil, dir: dir)
        try produceWithKcat(kcat, cluster.bootstrapServers, zstd, compression: "zstd", dir: dir)

        let run = try Binaries.run("fs-ingest", ["dev", "--kafka-brokers", cluster.bootstrapServers, "--kafka-topics", Self.topic,
                                                 "--data-dir", dir, "--stream-type", "order-events", "--available-now", "--summary",
                                                 "--max-offsets-per-trigger", "200", "--log-level", "warning"])
        #expect(run.status == 0, "\(run.stderr)")
        let source = plain + zstd
        let summary = try JSONValue.parse(run.stdout.trimmingCharacters(in: .whitespacesAndNewlines))
        #expect(summary["messages"]?.int64Value == Int64(source.count))

        let table = try #require(try readTable(dir + "/ingestion/order-events"))
        let cols = try Self.columns.map { name in try #require(table.column(named: name), "column \(name)") }
        let got = (0..<table.rowCount).map { r in Self.text(cols.map { $0[r] }) }.sorted()
        let want = source.compactMap { $0.row.map(Self.text) }.sorted()
        #expect(got.count == want.count)
        #expect(got == want)
        // Every message landed once: distinct Kafka coordinates, in the table or in quarantine.
        #expect(Set(coordinates(table)).count == table.rowCount)
        let quarantine = try readTable(dir + "/quarantine/order-events")
        #expect(quarantine?.rowCount == source.count - want.count)
        #expect(strings(quarantine, "key").sorted() == source.filter { $0.row == nil }.map { String($0.line.prefix { $0 != "|" }) }.sorted())
    }
}

/// The absolute path of `name` on PATH, nil when it is not installed.
func which(_ name: String) -> String? {
    let path = ProcessInfo.processInfo.environment["PATH"] ?? "/usr/bin:/bin"
    for dir in path.split(separator: ":") where FileManager.default.isExecutableFile(atPath: "\(dir)/\(name)") {
        return "\(dir)/\(name)"
    }
    return nil
}
