import FSTestSupport
import FSCore
import FSJobs
import FSKafka
import Foundation
import Testing

/// A strict reader of Prometheus text exposition 0.0.4 (what node_exporter's textfile collector
/// accepts): every family has HELP then TYPE before its samples, names and label names match
/// the grammar, label values are quoted with only `\\ \" \n` escapes, values parse as floats,
/// counters end in `_total`, and no series appears twice.
struct PrometheusFile {
    struct Sample: Hashable { var name: String; var labels: [String: String] }
    var types: [String: String] = [:]
    var values: [Sample: Double] = [:]

    enum ParseError: Error, CustomStringConvertible {
        case bad(line: Int, String)
        var description: String { if case .bad(let l, let m) = self { return "line \(l): \(m)" }; return "" }
    }

    static func isName(_ s: Substring) -> Bool {
        guard let f = s.first, f.isLetter || f == "_" || f == ":" else { return false }
        return s.allSatisfy { $0.isASCII && ($0.isLetter || $0.isNumber || $0 == "_" || $0 == ":") }
    }

    init(_ text: String) throws {
        guard text.hasSuffix("\n") else { throw ParseError.bad(line: 0, "no final newline") }
        var helped: Set<String> = []
        for (n, line) in text.split(separator: "\n", omittingEmptySubsequences: false).dropLast().enumerated() {
            let lineNo = n + 1
            if line.hasPrefix("# HELP ") {
                let name = line.dropFirst(7).prefix { $0 != " " }
                guard Self.isName(name) else { throw ParseError.bad(line: lineNo, "bad HELP name") }
                helped.insert(String(name))
                continue
            }
            if line.hasPrefix("# TYPE ") {
                let parts = line.dropFirst(7).split(separator: " ")
                guard parts.count == 2, Self.isName(parts[0]), ["counter", "gauge", "summary", "histogram", "untyped"].contains(parts[1]) else {
                    throw ParseError.bad(line: lineNo, "bad TYPE")
                }
                guard helped.contains(String(parts[0])), types[String(parts[0])] == nil else { throw ParseError.bad(line: lineNo, "TYPE without HELP or repeated") }
                types[String(parts[0])] = String(parts[1])
                continue
            }
            guard !line.hasPrefix("#"), !line.isEmpty else { throw ParseError.bad(line: lineNo, "unexpected line") }
            var rest = line[...]
            let name = rest.prefix { $0 != "{" && $0 != " " }
            guard Self.isName(name) else { throw ParseError.bad(line: lineNo, "bad metric name \(name)") }
            rest = rest.dropFirst(name.count)
            var labels: [String: String] = [:]
            if rest.first == "{" {
                rest = rest.dropFirst()
                while rest.first != "}" {
                    let key = rest.prefix { $0 != "=" }
                    guard Self.isName(key), labels[String(key)] == nil else { throw ParseError.bad(line: lineNo, "bad label name") }
                    rest = rest.dropFirst(key.count)
                    guard rest.hasPrefix("=\"") else { throw ParseError.bad(line: lineNo, "label value not quoted") }
                    rest = rest.dropFirst(2)
                    var value = ""
                    while let c = rest.first, c != "\"" {
                        rest = rest.dropFirst()
                        if c == "\\" {
                            guard let e = rest.first, ["\\", "\"", "n"].contains(e) else { throw ParseError.bad(line: lineNo, "bad escape") }
                            value.append(e == "n" ? "\n" : e)
                            rest = rest.dropFirst()
                        } else {
                            value.append(c)
                        }
                    }
                    guard rest.first == "\"" else { throw ParseError.bad(line: lineNo, "unterminated label value") }
                    rest = rest.dropFirst()
                    labels[String(key)] = value
                    if rest.first == "," { rest = rest.dropFirst() }
                }
                rest = rest.dropFirst()
            }
            guard rest.first == " " else { throw ParseError.bad(line: lineNo, "no value") }
            let valueText = String(rest.dropFirst())
            guard let v = Double(valueText) ?? ["+Inf": Double.infinity, "-Inf": -Double.infinity, "NaN": Double.nan][valueText] else {
                throw ParseError.bad(line: lineNo, "bad value \(valueText)")
            }
            let family = types.keys.first { name == $0 || name == $0 + "_sum" || name == $0 + "_count" } ?? ""
            guard let type = types[family] else { throw ParseError.bad(line: lineNo, "sample \(name) before its TYPE") }
            if type == "counter" { guard family.hasSuffix("_total") else { throw ParseError.bad(line: lineNo, "counter \(family) not named _total") } }
            let sample = Sample(name: String(name), labels: labels)
            guard values[sample] == nil else { throw ParseError.bad(line: lineNo, "duplicate series") }
            values[sample] = v
        }
    }

    /// The sum over every series of `name` (e.g. a counter with a reason label).
    func total(_ name: String) -> Double? {
        let matching = values.filter { $0.key.name == name }
        return matching.isEmpty ? nil : matching.values.reduce(0, +)
    }
}

@Suite("Metrics file") struct MetricsFileTests {
    @Test func renderedTextParsesAndEscapesLabelValues() throws {
        var f = MetricFamily("fs_test_total", .counter, help: "A \\ help\nline.")
        f.add(3, [("topic", "a\"b\\c\nd"), ("partition", "0")])
        let g = MetricFamily("fs_test_seconds", .summary, help: "x", samples: [
            .init(suffix: "_sum", labels: [], value: 0.25), .init(suffix: "_count", labels: [], value: 2),
        ])
        let text = PrometheusText.render([f, g])
        #expect(text.contains(#"fs_test_total{topic="a\"b\\c\nd",partition="0"} 3"#))
        let parsed = try PrometheusFile(text)
        #expect(parsed.values[.init(name: "fs_test_total", labels: ["topic": "a\"b\\c\nd", "partition": "0"])] == 3)
        #expect(parsed.values[.init(name: "fs_test_seconds_sum", labels: [:])] == 0.25)
    }

    @Test func aOneSampleFamilyIsTheFamilyWithThatSample() {
        let labels = [("output_table", "/t")]
        let one = MetricFamily("fs_x_total", .counter, help: "x", labels: labels, value: 2.5)
        #expect(one == MetricFamily("fs_x_total", .counter, help: "x", samples: [.init(labels: labels, value: 2.5)]))
        #expect(PrometheusText.render([one]).contains(#"fs_x_total{output_table="/t"} 2.5"#))
    }

    @Test func theFileIsReplacedWholeAndNoTemporaryFileIsLeft() throws {
        let dir = try FileSystem.makeTemporaryDirectory(prefix: "fs-metrics")
        defer { try? FileSystem.removeTree(dir) }
        let file = MetricsFile(path: dir + "/fs.prom")
        for i in 0..<3 { try file.write([MetricFamily("fs_n_total", .counter, help: "n", samples: [.init(labels: [], value: Double(i))])]) }
        #expect(try FileSystem.listDirectory(dir) == ["fs.prom"])
        #expect(try PrometheusFile(String(contentsOfFile: dir + "/fs.prom", encoding: .utf8)).total("fs_n_total") == 2)
    }

    @Test func aMetricsFileInAMissingDirectoryIsAUsageError() {
        #expect(throws: UsageError.self) { try MetricsFile.validatedPath("/nonexistent-dir-fs/x.prom") }
    }

    @Test func fsIngestsMetricsFileParsesAndItsCountersEqualTheSummaryAtExit() throws {
        let cluster = try MockKafkaCluster()
        let topic = "de-order-status-events"
        try cluster.createTopic(topic, partitions: 3)
        let source = StatusSource(count: 400)
        try source.produce(to: cluster, topic: topic)
        let dir = temporaryDirectory("metrics")
        let prom = dir + "/ingest.prom"
        let run = try Binaries.run("fs-ingest", [
            "dev", "--kafka-brokers", cluster.bootstrapServers, "--kafka-topics", topic, "--data-dir", dir, "--stream-type", "order-status-events",
            "--available-now", "--max-offsets-per-trigger", "100", "--summary", "--log-level", "warning", "--metrics-file", prom])
        #expect(run.status == 0, "\(run.stderr)")
        let summary = try JSONValue.parse(run.stdout.trimmingCharacters(in: .whitespacesAndNewlines))
        let metrics = try PrometheusFile(String(contentsOfFile: prom, encoding: .utf8))
        for (metric, field) in [("fs_ingest_messages_total", "messages"), ("fs_ingest_rows_total", "rows"), ("fs_ingest_batches_total", "batches"),
                                ("fs_ingest_duplicates_total", "duplicates"), ("fs_ingest_quarantined_total", "quarantined"),
                                ("fs_ingest_bytes_total", "bytes"), ("fs_ingest_commit_seconds_count", "batches")] {
            #expect(metrics.total(metric) == summary[field]?.doubleValue, "\(metric) vs \(field)")
        }
        #expect(metrics.total("fs_ingest_rows_total") ?? 0 > 0)
        #expect(metrics.types["fs_ingest_commit_seconds"] == "summary")
        let lags = metrics.values.filter { $0.key.name == "fs_ingest_consumer_lag" }
        #expect(lags.count == 3 && lags.values.allSatisfy { $0 == 0 })
        #expect(lags.keys.allSatisfy { $0.labels["topic"] == topic && $0.labels["stream_type"] == "order-status-events" })
        let next = metrics.values.filter { $0.key.name == "fs_ingest_next_offset" }.map { ("\(topic)/\($0.key.labels["partition"]!)", $0.value) }
        for (tp, offset) in next { #expect(summary["nextOffsets"]?[tp]?.doubleValue == offset) }
        #expect(try FileSystem.listDirectory(dir).filter { $0.contains(".tmp-") }.isEmpty)
    }

    @Test func fsAggOnlinesMetricsFileParsesAndItsCountersEqualTheSummaryAtExit() throws {
        let cluster = try MockKafkaCluster()
        try OnlineKafkaTests.produce(cluster, count: 300)
        let dir = temporaryDirectory("online-metrics")
        let prom = dir + "/online.prom"
        let run = try Binaries.run("fs-agg-online", OnlineKafkaTests.onlineArgs(dir + "/out") + [
            "--kafka-brokers", cluster.bootstrapServers, "--kafka-topics", OnlineKafkaTests.topic, "--stream-type", "order-events",
            "--max-offsets-per-trigger", "100", "--summary", "--metrics-file", prom])
        #expect(run.status == 0, "\(run.stderr)")
        let summary = try JSONValue.parse(run.stdout.trimmingCharacters(in: .whitespacesAndNewlines))
        let metrics = try PrometheusFile(String(contentsOfFile: prom, encoding: .utf8))
        for (metric, field) in [("fs_online_events_total", "eventsTotal"), ("fs_online_late_events_total", "lateEvents"),
                                ("fs_online_windows_emitted_total", "windowsEmitted"), ("fs_online_rows_emitted_total", "rowsEmitted"),
                                ("fs_online_triggers_total", "triggers"), ("fs_online_unparsed_messages_total", "unparsedMessages"),
                                ("fs_online_quarantined_messages_total", "quarantinedMessages"),
                                ("fs_online_open_windows", "openWindows"), ("fs_online_state_bytes", "stateBytes"),
                                ("fs_online_output_version", "outputVersion")] {
            #expect(metrics.total(metric) == summary[field]?.doubleValue, "\(metric) vs \(field)")
        }
        #expect(metrics.total("fs_online_events_total") == 300)
        #expect(metrics.total("fs_online_watermark_timestamp_seconds") ?? 0 > 1_600_000_000)
    }
}
