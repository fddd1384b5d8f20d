import FSCore
import FSTable
import Foundation
@testable import FSJobs

/// Inputs and runs for the offline job's tests: the committed golden orders written into a
/// Delta table partitioned fs_year/fs_month/fs_day, and in-process runs with real flags.
enum OfflineFixture {
    static let directory = URL(fileURLWithPath: #filePath).deletingLastPathComponent().appendingPathComponent("Fixtures/offline").path

    static let schema = Schema([
        Field("customer_id", .string), Field("merchant_id", .string), Field("order_total_amount", .double),
        Field("items", .int32), Field("platform", .string), Field("scheduled", .boolean), Field("order_created_at", .timestamp),
        Field("fs_year", .int32), Field("fs_month", .int32), Field("fs_day", .int32),
    ])

    static func lines(_ name: String) throws -> [JSONValue] {
        let text = try String(contentsOfFile: directory + "/" + name, encoding: .utf8)
        return try text.split(separator: "\n").map { try JSONValue.parse(String($0)) }
    }

    /// The golden input rows as one batch (partition columns from the timestamp's UTC date).
    static func ordersBatch() throws -> RecordBatch {
        var builders = schema.fields.map { ColumnBuilder(type: $0.type) }
        for row in try lines("orders.jsonl") {
            for (i, f) in schema.fields.enumerated().prefix(7) {
                let v = row[f.name] ?? .null
                switch (f.type, v) {
                case (_, .null): builders[i].appendNull()
                case (.string, .string(let s)): builders[i].append(s)
                case (.double, _): builders[i].append(v.doubleValue ?? .nan)
                case (.int32, _): builders[i].append(Int32(v.int64Value ?? 0))
                case (.boolean, .bool(let b)): builders[i].append(b)
                case (.timestamp, .string(let s)): builders[i].append(parseTimestamp(s) ?? 0)
                default: builders[i].appendNull()
                }
            }
            let ts = row["order_created_at"]?.stringValue.flatMap(parseTimestamp) ?? 0
            let d = CivilDate(daysSinceEpoch: daysOf(micros: ts))
            builders[7].append(Int32(d.year)); builders[8].append(Int32(d.month)); builders[9].append(Int32(d.day))
        }
        return RecordBatch(schema: schema, columns: builders.map { $0.finish() })
    }

    /// A fresh Delta table of `batch` partitioned by day; returns its path.
    static func makeInput(_ batch: RecordBatch, in dir: String) throws -> String {
        let path = dir + "/orders"
        let table = try DeltaTable.create(at: path, schema: batch.schema, partitionColumns: ["fs_year", "fs_month", "fs_day"])
        let w = try TableWriter(table: table)
        try w.write(batch)
        try w.commit()
        return path
    }

    static func temporaryDirectory() throws -> String { try FileSystem.makeTemporaryDirectory(prefix: "fs-offline-test") }

    /// Parses and validates a command line as the executable does.
    static func config(_ args: [String]) throws -> OfflineConfig {
        try OfflineCommand.parseCommandLine(args).resolve()
    }

    /// Runs the job in-process.
    static func run(_ args: [String]) throws -> OfflineSummary {
        try OfflineJob(config: config(args)).run()
    }

    /// The rows of one output partition, as (key, values by feature name) in file order.
    static func output(_ path: String, year: Int, month: Int, day: Int) throws -> RecordBatch {
        var scan = try TableScan.open(path, partitionFilter: .and([
            .compare(column: "year", op: .equal, value: .int32(Int32(year))), .compare(column: "month", op: .equal, value: .int32(Int32(month))),
            .compare(column: "day", op: .equal, value: .int32(Int32(day))),
        ]))
        return try scan.readAll()
    }
}

/// Live-file counts of a Delta table (tests assert that failed runs wrote nothing).
enum FSTableAccess {
    static func liveFiles(_ path: String) throws -> Int { try DeltaTable(root: path).snapshot().files.count }
}
