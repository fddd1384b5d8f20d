import FSTestSupport
import FSCore
import FSTable
import Foundation
import Testing
@testable import FSJobs
@testable import FSPublish

/// A small feature table partitioned by day, written through the real table layer.
struct FeatureTableFixture {
    static let schema = Schema([
        Field("customer_id", .string), Field("amount", .double), Field("orders", .int64),
        Field("year", .int32), Field("month", .int32), Field("day", .int32),
    ])

    let root: String

    init() throws {
        root = try FileSystem.makeTemporaryDirectory(prefix: "fs-publish-test")
    }

    var input: String { root + "/input" }
    var output: String { root + "/output" }

    func createInput() throws -> DeltaTable {
        try DeltaTable.create(at: input, schema: Self.schema, partitionColumns: ["year", "month", "day"])
    }

    static func batch(day: Int32, customers: Range<Int>, amount: Double) -> RecordBatch {
        let n = customers.count
        return RecordBatch(schema: schema, columns: [
            Column(.string, customers.map { .string("c\($0)") }),
            Column(.double, customers.map { $0 % 7 == 0 ? .null : .double(amount + Double($0)) }),
            Column(.int64, customers.map { .int64(Int64($0)) }),
            Column(.int32, Array(repeating: .int32(2019), count: n)),
            Column(.int32, Array(repeating: .int32(6), count: n)),
            Column(.int32, Array(repeating: .int32(day), count: n)),
        ])
    }

    /// Appends one commit to the input.
    func append(_ batches: [RecordBatch]) throws {
        let w = try TableWriter(table: try DeltaTable.open(at: input))
        for b in batches { try w.write(b) }
        try w.commit()
    }

    /// Replaces the input's partitions that `batch` falls in.
    func replace(_ batch: RecordBatch) throws {
        let w = try TableWriter(table: try DeltaTable.open(at: input))
        try w.write(batch)
        try w.commitReplacingPartitions()
    }

    /// Every row of a table as sorted text lines: equality of two tables as multisets.
    static func rows(_ path: String) throws -> [String] {
        var scan = try TableScan(table: try DeltaTable.open(at: path))
        var out: [String] = []
        try scan.forEachBatch { b in for i in 0..<b.rowCount { out.append(b.row(i).map(\.description).joined(separator: "|")) } }
        return out.sorted()
    }

    func config(target: Int64 = 128 << 20) -> PublishConfig {
        PublishConfig(common: CommonConfig(appName: "t", masterMode: try! MasterMode(parsing: "local[1]"), logLevel: .error, logFormat: .text, printSummary: false),
                      publisherType: .historical, inputTable: input, outputTable: output, targetFileBytes: target, ignoredFlags: [])
    }

    func publish(target: Int64 = 128 << 20, compactionMinFiles: Int = 4) throws -> PublishSummary {
        var p = HistoricalPublisher(config: config(target: target))
        p.compactionMinFiles = compactionMinFiles
        return try p.run()
    }
}

@Suite struct HistoricalPublisherTests {
    @Test func firstPublishCopiesEveryRowAndRecordsTheSourceVersion() throws {
        let f = try FeatureTableFixture()
        _ = try f.createInput()
        try f.append([FeatureTableFixture.batch(day: 1, customers: 0..<50, amount: 1)])
        try f.append([FeatureTableFixture.batch(day: 2, customers: 0..<30, amount: 2)])
        let s = try f.publish()
        #expect(s.mode == "initial")
        #expect(s.rowsWritten == 80)
        #expect(s.filesRead == 2)
        #expect(try FeatureTableFixture.rows(f.output) == FeatureTableFixture.rows(f.input))
        let source = try DeltaTable.open(at: f.input).snapshot()
        let out = try DeltaTable.open(at: f.output).snapshot()
        #expect(out.txns["fs-publish/historical/" + source.metadata.id]?.version == source.version)
        #expect(out.partitionColumns == ["year", "month", "day"])
    }

    @Test func reRunWithoutSourceChangesPublishesNothing() throws {
        let f = try FeatureTableFixture()
        _ = try f.createInput()
        try f.append([FeatureTableFixture.batch(day: 1, customers: 0..<10, amount: 1)])
        _ = try f.publish()
        let v = try DeltaTable.open(at: f.output).snapshot().version
        let s = try f.publish()
        #expect(s.mode == "upToDate" && s.rowsWritten == 0 && s.outputVersion == nil)
        #expect(try DeltaTable.open(at: f.output).snapshot().version == v)
    }

    @Test func reRunAfterNewCommitsPublishesOnlyTheNewFiles() throws {
        let f = try FeatureTableFixture()
        _ = try f.createInput()
        try f.append([FeatureTableFixture.batch(day: 1, customers: 0..<40, amount: 1)])
        _ = try f.publish()
        try f.append([FeatureTableFixture.batch(day: 1, customers: 40..<45, amount: 3)])
        try f.append([FeatureTableFixture.batch(day: 3, customers: 0..<7, amount: 4)])
        let s = try f.publish()
        #expect(s.mode == "incremental")
        #expect(s.filesRead == 2)
        #expect(s.rowsWritten == 12)
        #expect(s.filesRemoved == 0)
        #expect(try FeatureTableFixture.rows(f.output) == FeatureTableFixture.rows(f.input))
    }

    @Test func aReplacedSourcePartitionIsRewrittenNotDuplicated() throws {
        let f = try FeatureTableFixture()
        _ = try f.createInput()
        try f.append([FeatureTableFixture.batch(day: 1, customers: 0..<20, amount: 1), FeatureTableFixture.batch(day: 2, customers: 0..<20, amount: 1)])
        _ = try f.publish()
        // An offline re-run replaces day 1 with different numbers.
        try f.replace(FeatureTableFixture.batch(day: 1, customers: 0..<15, amount: 100))
        let s = try f.publish()
        #expect(s.partitionsRewritten == 1)
        #expect(s.rowsWritten == 15)
        #expect(try FeatureTableFixture.rows(f.output) == FeatureTableFixture.rows(f.input))
        #expect(try FeatureTableFixture.rows(f.output).count == 35)
    }

    @Test func manySmallPublishesAreCompactedWithoutChangingTheData() throws {
        let f = try FeatureTableFixture()
        _ = try f.createInput()
        for i in 0..<5 {
            try f.append([FeatureTableFixture.batch(day: 1, customers: (i * 10)..<(i * 10 + 10), amount: Double(i))])
            _ = try f.publish(compactionMinFiles: 3)
        }
        let out = try DeltaTable.open(at: f.output).snapshot()
        #expect(out.files.count < 5)
        #expect(try FeatureTableFixture.rows(f.output) == FeatureTableFixture.rows(f.input))
        // A streaming reader of the output sees each row once: compaction commits are dataChange=false.
        var tailer = LogTailer(log: LogPath(root: f.output), after: 0)
        let added = try tailer.poll().flatMap(\.adds)
        var rows: Int64 = 0
        for a in added { rows += FileStatistics.parse(a.stats ?? "", schema: out.schema)?.numRecords ?? 0 }
        #expect(rows == 50)
    }

    @Test func aMissingInputTableIsAUsageError() throws {
        let f = try FeatureTableFixture()
        #expect(throws: UsageError.publishInputMissing(f.input)) { try f.publish() }
    }

    @Test func anOutputHoldingOtherDataIsRefused() throws {
        let f = try FeatureTableFixture()
        _ = try f.createInput()
        try f.append([FeatureTableFixture.batch(day: 1, customers: 0..<3, amount: 1)])
        let other = try DeltaTable.create(at: f.output, schema: FeatureTableFixture.schema, partitionColumns: ["year", "month", "day"])
        let w = try TableWriter(table: other)
        try w.write(FeatureTableFixture.batch(day: 9, customers: 0..<3, amount: 1))
        try w.commit()
        #expect(throws: PublishError.foreignOutput(output: f.output)) { try f.publish() }
    }

    @Test func anOutputWithAnotherSchemaIsRefused() throws {
        let f = try FeatureTableFixture()
        _ = try f.createInput()
        try f.append([FeatureTableFixture.batch(day: 1, customers: 0..<3, amount: 1)])
        _ = try DeltaTable.create(at: f.output, schema: Schema([Field("x", .int64)]))
        #expect(throws: PublishError.self) { try f.publish() }
    }
}

@Suite struct PublishBinaryTests {
    @Test func unknownPublisherTypeExits64WithAClearMessage() throws {
        let r = try Binaries.run("fs-publish", ["dev", "--publisher-type", "cassandra", "--input-table", "/tmp/a", "--output-table", "/tmp/b"])
        #expect(r.status == 64)
        #expect(r.stderr.contains("unknown publisher type 'cassandra'"))
        #expect(r.stdout.isEmpty)
    }

    @Test func missingInputTableExits64NamingTheFlag() throws {
        let r = try Binaries.run("fs-publish", ["--input-table", "/nonexistent/fs-in", "--output-table", "/tmp/fs-out-never"])
        #expect(r.status == 64)
        #expect(r.stderr.contains("--input-table /nonexistent/fs-in"))
    }

    @Test func badFlagExits64WithUsage() throws {
        let r = try Binaries.run("fs-publish", ["--no-such-flag"])
        #expect(r.status == 64)
        #expect(r.stderr.contains("Usage"))
    }

    @Test func helpExits0() throws {
        let r = try Binaries.run("fs-publish", ["--help"])
        #expect(r.status == 0)
        #expect(r.stdout.contains("--publisher-type"))
    }

    @Test func originalCommandLinePublishesAndPrintsASummary() throws {
        let f = try FeatureTableFixture()
        _ = try f.createInput()
        try f.append([FeatureTableFixture.batch(day: 1, customers: 0..<25, amount: 1)])
        let args = ["dev", "--master-mode", "local[*]", "--app-name", "publisher", "--publisher-type", "historical",
                    "--input-table", f.input + "/", "--output-table", f.output, "--summary"]
        let r = try Binaries.run("fs-publish", args)
        #expect(r.status == 0, "stderr: \(r.stderr)")
        let summary = try JSONValue.parse(r.stdout.trimmingCharacters(in: .whitespacesAndNewlines))
        #expect(summary["rowsWritten"]?.int64Value == 25)
        #expect(summary["mode"]?.stringValue == "initial")
        let again = try Binaries.run("fs-publish", args)
        #expect(again.status == 0)
        #expect(try JSONValue.parse(again.stdout.trimmingCharacters(in: .whitespacesAndNewlines))["mode"]?.stringValue == "upToDate")
        #expect(try FeatureTableFixture.rows(f.output) == FeatureTableFixture.rows(f.input))
    }
}
