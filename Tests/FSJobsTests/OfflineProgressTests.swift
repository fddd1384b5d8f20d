import FSTestSupport
import FSCore
import FSParquet
import Foundation
import Logging
import Testing
@testable import FSJobs

/// Progress while fs-agg-offline reads (a bar on a terminal, log lines otherwise) and the
/// split of few files into row groups across threads.
@Suite struct OfflineProgressTests {
    /// Log messages and their metadata, captured from a `Logger`.
    final class Captured: @unchecked Sendable {
        private let lock = NSLock()
        private var entries: [(message: String, metadata: Logger.Metadata)] = []
        func append(_ m: String, _ md: Logger.Metadata) { lock.lock(); entries.append((m, md)); lock.unlock() }
        var all: [(message: String, metadata: Logger.Metadata)] { lock.lock(); defer { lock.unlock() }; return entries }
    }

    struct CapturingHandler: LogHandler {
        let sink: Captured
        var metadata: Logger.Metadata = [:]
        var logLevel: Logger.Level = .info
        subscript(metadataKey key: String) -> Logger.Metadata.Value? {
            get { metadata[key] }
            set { metadata[key] = newValue }
        }
        func log(event: LogEvent) { sink.append("\(event.message)", event.metadata ?? [:]) }
    }

    /// A clock the test moves by hand.
    final class ManualClock: @unchecked Sendable {
        var now = 0.0
    }

    func logger(_ sink: Captured) -> Logger { Logger(label: "test") { _ in CapturingHandler(sink: sink) } }

    @Test func progressLinesComeAtEveryTenthOfTheWorkAndEndAtOneHundredPercent() {
        let sink = Captured()
        let clock = ManualClock()
        let p = ScanProgress(totalUnits: 20, totalBytes: 2000, unitName: "files", style: .lines, logger: logger(sink), clock: { clock.now })
        for _ in 0..<20 { p.unitDone(bytes: 100, rows: 10) }
        p.finish()
        #expect(sink.all.map(\.message) == (1...10).map { "progress \($0 * 10)%" })
        let last = sink.all.last?.metadata
        #expect(last?["files"] == "20/20")
        #expect(last?["rows_read"] == "200")
    }

    @Test func eachProgressLineSaysTheRowRateSinceThePreviousLine() {
        let sink = Captured()
        let clock = ManualClock()
        let p = ScanProgress(totalUnits: 1000, totalBytes: 1000, unitName: "files", style: .lines, logger: logger(sink), clock: { clock.now })
        clock.now += 6
        p.unitDone(bytes: 1, rows: 600)
        clock.now += 6
        p.unitDone(bytes: 1, rows: 60)
        #expect(sink.all.map { $0.metadata["rows_per_s"] } == ["100", "10"])
    }

    @Test func aRateOverNoElapsedTimeIsZeroAndTheNextIntervalStartsFromThere() {
        var rate = ProgressRate(startMicros: 1_000_000)
        #expect(rate.perSecond(count: 50, nowMicros: 1_000_000) == 0)
        #expect(rate.perSecond(count: 250, nowMicros: 3_000_000) == 100)
        #expect(rate.perSecond(count: 250, nowMicros: 4_000_000) == 0)
    }

    @Test func aSlowScanStillLogsALineEveryFiveSeconds() {
        let sink = Captured()
        let clock = ManualClock()
        // 1000 equal units: the percentage moves by 1 every 10 units; each unit takes 6 s.
        let p = ScanProgress(totalUnits: 1000, totalBytes: 1000, unitName: "row groups", style: .lines, logger: logger(sink), clock: { clock.now })
        for _ in 0..<3 {
            clock.now += 6
            p.unitDone(bytes: 1, rows: 1)
        }
        #expect(sink.all.map(\.message) == ["progress 0%", "progress 0%", "progress 0%"])
        #expect(sink.all.first?.metadata["row_groups"] == "1/1000")
    }

    @Test func theBarIsRedrawnInPlaceAndEndsWithANewline() {
        let sink = Captured()
        let written = Captured()
        let clock = ManualClock()
        let p = ScanProgress(totalUnits: 4, totalBytes: 400, unitName: "files", style: .bar, logger: logger(sink), clock: { clock.now },
                             writeText: { written.append($0, [:]) })
        for _ in 0..<4 {
            clock.now += 1
            p.unitDone(bytes: 100, rows: 1500)
        }
        p.finish()
        p.finish()
        let texts = written.all.map(\.message)
        #expect(sink.all.isEmpty)
        #expect(texts.count == 5)
        #expect(texts.allSatisfy { $0.hasPrefix("\r") })
        #expect(texts.dropLast().allSatisfy { !$0.contains("\n") })
        #expect(texts.last == "\r[##############################] 100%  4/4 files  6.0K rows  4.0 s\n")
        #expect(texts[1] == "\r[###############---------------]  50%  2/4 files  3.0K rows  2.0 s")
    }

    @Test func theBarHasAFixedWidthLayout() {
        #expect(ScanProgress.renderBar(percent: 33, units: 61, totalUnits: 183, unitName: "files", rows: 1_700_000, seconds: 2.14)
            == "[#########---------------------]  33%  61/183 files  1.7M rows  2.1 s")
        #expect(ScanProgress.renderBar(percent: 0, units: 0, totalUnits: 1, unitName: "row groups", rows: 0, seconds: 0)
            == "[------------------------------]   0%  0/1 row groups  0 rows  0.0 s")
        #expect(ScanProgress.compactCount(999) == "999")
        #expect(ScanProgress.compactCount(12_345) == "12.3K")
        #expect(ScanProgress.compactCount(2_500_000_000) == "2.5G")
    }

    @Test func percentReachesOneHundredOnlyWhenEveryUnitIsDone() {
        #expect(ScanProgress.percent(done: 999, total: 1000, unitsDone: 9, totalUnits: 10) == 99)
        #expect(ScanProgress.percent(done: 1000, total: 1000, unitsDone: 10, totalUnits: 10) == 100)
        #expect(ScanProgress.percent(done: 0, total: 0, unitsDone: 1, totalUnits: 4) == 25)
    }

    @Test func theStyleIsABarOnATerminalLinesOtherwiseAndNothingAboveInfo() {
        #expect(ProgressStyle.detect(logLevel: .info, stderrIsTerminal: true) == .bar)
        #expect(ProgressStyle.detect(logLevel: .debug, stderrIsTerminal: false) == .lines)
        #expect(ProgressStyle.detect(logLevel: .warning, stderrIsTerminal: true) == .off)
    }

    @Test func theBinaryWritesProgressLinesWhenStderrIsAPipe() throws {
        let dir = try OfflineFixture.temporaryDirectory()
        defer { try? FileSystem.removeTree(dir) }
        let input = try OfflineFixture.makeInput(try OfflineFixture.ordersBatch(), in: dir)
        let run = try Binaries.run("fs-agg-offline", [
            "--input-table", input, "--output-table", dir + "/out", "--agg-field", "customer_id", "--time-field", "order_created_at",
            "--start-date", "2019-06-01", "--end-date", "2019-06-30", "--log-level", "info",
        ])
        #expect(run.status == 0, "\(run.stderr)")
        let lines = run.stderr.split(separator: "\n").filter { $0.contains(" progress ") }
        #expect(!lines.isEmpty, "\(run.stderr)")
        #expect(lines.last?.contains("progress 100%") == true, "\(run.stderr)")
        #expect(!run.stderr.contains("\r"))
    }

    @Test func oneFileOfManyRowGroupsIsSplitAcrossThreadsWithTheSameFeatures() throws {
        let dir = try OfflineFixture.temporaryDirectory()
        defer { try? FileSystem.removeTree(dir) }
        var options = ParquetWriterOptions()
        options.rowGroupBytes = 1  // a row group per write
        let writer = try ParquetFileWriter(path: dir + "/orders.parquet", schema: OfflineFixture.schema, options: options)
        let batch = try OfflineFixture.ordersBatch()
        for start in stride(from: 0, to: batch.rowCount, by: 60) {
            try writer.write(batch.gather(Array(start..<min(batch.rowCount, start + 60))))
        }
        _ = try writer.finish()
        let defs = OfflineFixture.directory + "/definitions.json"
        func run(_ threads: Int, _ out: String) throws -> OfflineSummary {
            try OfflineFixture.run(["--input-table", dir + "/orders.parquet", "--output-table", dir + "/" + out, "--agg-field", "customer_id",
                                    "--time-field", "order_created_at", "--start-date", "2019-06-01", "--end-date", "2019-06-30",
                                    "--aggregations", defs, "--master-mode", "local[\(threads)]"])
        }
        let one = try run(1, "one")
        let four = try run(4, "four")
        #expect(one.threads == 1)
        #expect(four.rowGroupsRead >= 4 && four.threads == 4, "\(four)")
        #expect(one.rowsInRange == four.rowsInRange && one.keys == four.keys)
        let a = try OfflineFixture.output(dir + "/one", year: 2019, month: 6, day: 30)
        let b = try OfflineFixture.output(dir + "/four", year: 2019, month: 6, day: 30)
        #expect(a.rowCount == b.rowCount && a.schema == b.schema)
        for c in a.columns.indices where a.rowCount == b.rowCount {
            for r in 0..<a.rowCount { #expect(OfflineBehaviourTests.close(a.columns[c][r], b.columns[c][r]), "column \(a.schema.fields[c].name) row \(r)") }
        }
    }

    @Test(arguments: [("", 4), ("first-merchant=first(merchant_id)", 1)])
    func keysArePartitionedBetweenThreadsUnlessAnAggregateDependsOnRowOrder(extra: String, partitions: Int) throws {
        let dir = try OfflineFixture.temporaryDirectory()
        defer { try? FileSystem.removeTree(dir) }
        let input = try OfflineFixture.makeInput(try OfflineFixture.ordersBatch(), in: dir)
        let features = ["n=count(*)", "amount=sum(order_total_amount)", "merchants=count(DISTINCT merchant_id)",
                        "sd=stddev_samp(order_total_amount)", "late=count(*) FILTER (WHERE order_total_amount > 50)"] + (extra.isEmpty ? [] : [extra])
        func run(_ threads: Int, _ out: String) throws -> OfflineSummary {
            try OfflineFixture.run(["--input-table", input, "--output-table", dir + "/" + out, "--agg-field", "customer_id",
                                    "--time-field", "order_created_at", "--start-date", "2019-06-01", "--end-date", "2019-06-30",
                                    "--master-mode", "local[\(threads)]"] + features.flatMap { ["--agg", $0] })
        }
        let one = try run(1, "one")
        let four = try run(4, "four")
        #expect(one.keyPartitions == 1)
        #expect(four.keyPartitions == partitions && four.threads == 4)
        #expect(one.keys == four.keys && one.rowsInRange == four.rowsInRange)
        #expect(OfflineBehaviourTests.sameFeatures(try OfflineFixture.output(dir + "/one", year: 2019, month: 6, day: 30),
                                                   try OfflineFixture.output(dir + "/four", year: 2019, month: 6, day: 30)))
    }
}
