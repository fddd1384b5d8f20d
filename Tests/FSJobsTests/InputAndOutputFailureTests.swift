import FSTestSupport
import FSCore
import FSTable
import Foundation
import Testing
@testable import FSJobs

/// Failures that used to pass for something else: an unreadable `_delta_log` taken for "no
/// table" (exit 64, or waiting forever), emitted windows without `window_end` written as 0 rows.
@Suite struct InputAndOutputFailureTests {
    /// A directory whose `_delta_log` is a link to itself: stat fails with ELOOP (root is not
    /// stopped by permissions, so a mode-000 directory would not fail for the test runner).
    func unreadableTable() throws -> (dir: String, log: String) {
        let dir = try OfflineFixture.temporaryDirectory()
        try FileSystem.createDirectory(dir + "/in")
        let log = dir + "/in/_delta_log"
        try FileManager.default.createSymbolicLink(atPath: log, withDestinationPath: log)
        return (dir, log)
    }

    @Test func fsAggOfflineExits74NamingAnUnreadableDeltaLog() throws {
        let (dir, log) = try unreadableTable()
        defer { try? FileSystem.removeTree(dir) }
        let run = try Binaries.run("fs-agg-offline", ["--input-table", dir + "/in", "--output-table", dir + "/out", "--agg-field", "k",
                                                     "--time-field", "t", "--start-date", "2019-01-01", "--end-date", "2019-01-31"])
        #expect(run.status == 74, "\(run.stderr)")
        #expect(run.stderr.contains(log), "\(run.stderr)")
        #expect(!run.stderr.contains("Usage:"), "\(run.stderr)")
    }

    @Test func fsAggOnlineExits74OnAnUnreadableInputInsteadOfWaitingForIt() throws {
        let (dir, log) = try unreadableTable()
        defer { try? FileSystem.removeTree(dir) }
        // Without --available-now: the old behaviour was to wait forever for the table to appear.
        let run = try Binaries.run("fs-agg-online", ["--input-table", dir + "/in", "--output-table", dir + "/out", "--agg-field", "k",
                                                    "--time-field", "t", "--window-duration", "1 hour", "--trigger-interval", "50ms"])
        #expect(run.status == 74, "\(run.stderr)")
        #expect(run.stderr.contains(log), "\(run.stderr)")
    }

    @Test func emittedWindowsWithoutWindowEndAreRefusedNotCountedAsZeroRows() throws {
        let dir = try OfflineFixture.temporaryDirectory()
        defer { try? FileSystem.removeTree(dir) }
        let schema = Schema([Field("k", .string), Field("window_start", .timestamp), Field("year", .int32), Field("month", .int32), Field("day", .int32)])
        let table = try DeltaTable.create(at: dir + "/out", schema: schema, partitionColumns: OnlineOutput.partitionColumns)
        let writer = try TableWriter(table: table)
        var k = ColumnBuilder(type: .string), s = ColumnBuilder(type: .timestamp)
        k.append("a"); s.append(Int64(0))
        let batch = RecordBatch(schema: Schema([Field("k", .string), Field("window_start", .timestamp)]), columns: [k.finish(), s.finish()])
        #expect(throws: OnlineError.outputWithoutWindowEnd(columns: ["k", "window_start"])) { try OnlineOutput.write(batch, to: writer) }
        #expect(OnlineError.outputWithoutWindowEnd(columns: []).exitStatus == .software)
    }
}
