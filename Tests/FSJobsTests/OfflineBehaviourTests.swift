import FSCore
import FSTable
import Foundation
import Testing
@testable import FSJobs

/// Behaviour of fs-agg-offline beyond the numbers: the original command line, idempotent
/// re-runs, partition replacement, pruning, empty ranges, threads.
@Suite struct OfflineBehaviourTests {
    let dir: String
    let input: String

    init() throws {
        dir = try OfflineFixture.temporaryDirectory()
        input = try OfflineFixture.makeInput(try OfflineFixture.ordersBatch(), in: dir)
    }

    func args(start: String, end: String, out: String? = nil, extra: [String] = []) -> [String] {
        ["--input-table", input, "--output-table", out ?? dir + "/out", "--agg-field", "customer_id",
         "--time-field", "order_created_at", "--start-date", start, "--end-date", end] + extra
    }

    func liveFiles(_ path: String) throws -> [AddAction] { try DeltaTable(root: path).snapshot().sortedFiles }

    @Test func theOriginalRunAllCommandLineGivesTheOriginalFeatureNamesWithNullsOutsideTheData() throws {
        defer { try? FileSystem.removeTree(dir) }
        let out = dir + "/aggregations/offline/order-agg"
        let summary = try OfflineFixture.run([
            "dev", "--master-mode", "local[*]", "--input-data-table", input + "/", "--output-data-table", out, "--temp-dir", "tempDir",
            "--time-field", "order_created_at", "--start-date", "2018-02-01", "--end-date", "2020-12-01", "--group-field", "customer_id",
        ])
        #expect(summary.partition == "year=2020/month=12/day=1")
        let batch = try OfflineFixture.output(out, year: 2020, month: 12, day: 1)
        #expect(batch.schema.names == ["customer_id", "total-amount-3d", "total-avg-3d", "total-amount-1d", "year", "month", "day"])
        #expect(batch.rowCount == 25 + 1)  // every key of the data, "outside" included: the range covers it all
        // The data is of 2019: the 1- and 3-day periods ending 2020-12-01 hold no row, so the
        // features are NULL (the original wrote 0.0, and a wrong month partition).
        for c in 1...3 { #expect(batch.columns[c].nullCount == batch.rowCount) }
        #expect(batch.column(named: "month")?[0] == .int32(12))
        // fs-publish needs no flags: the table names its key and its (partition-derived) time.
        let properties = try DeltaTable(root: out).snapshot().metadata.configuration
        #expect(properties["fs.keyColumns"] == "customer_id")
        #expect(properties["fs.timeColumn"] == "feature_date")
        #expect(properties["fs.timeFromPartitions"] == "year,month,day")
    }

    @Test func periodsSeeOnlyTheirDaysAndAvgIsNotDraggedByRowsOutside() throws {
        defer { try? FileSystem.removeTree(dir) }
        _ = try OfflineFixture.run(args(start: "2019-06-01", end: "2019-06-30", extra: ["--agg", "e1=avg(order_total_amount)"]))
        let b = try OfflineFixture.output(dir + "/out", year: 2019, month: 6, day: 30)
        let keys = try #require(b.columns[0].strings)
        let edge = try #require((0..<b.rowCount).first { !b.columns[0].isNull($0) && keys[$0] == "edge" })
        // edge: 1, 2 (last µs of 06-30), 4, 8, 16, 32 (last µs of 06-29) all in June.
        #expect(b.column(named: "e1")?[edge] == .double(63.0 / 6))
    }

    @Test func rerunningTheSameEndDateReplacesItsPartitionAndLeavesOthersAlone() throws {
        defer { try? FileSystem.removeTree(dir) }
        let june = args(start: "2019-06-01", end: "2019-06-30")
        let s1 = try OfflineFixture.run(june)
        let first = try OfflineFixture.output(dir + "/out", year: 2019, month: 6, day: 30)
        _ = try OfflineFixture.run(args(start: "2019-06-01", end: "2019-06-15"))
        let filesBefore = try liveFiles(dir + "/out").filter { $0.path.contains("day=15") }
        let s2 = try OfflineFixture.run(june)
        let again = try OfflineFixture.output(dir + "/out", year: 2019, month: 6, day: 30)
        // Files go to whichever thread is free: floating sums may differ in their last bits.
        #expect(Self.sameFeatures(again, first))
        #expect(s2.outputVersion == (s1.outputVersion ?? 0) + 2)
        let live = try liveFiles(dir + "/out")
        #expect(live.filter { $0.path.contains("day=30") }.count == 1)
        #expect(live.filter { $0.path.contains("day=15") } == filesBefore)
        // A different feature set into the same table is refused (exit 65), nothing written.
        #expect(throws: OfflineError.self) { try OfflineFixture.run(june + ["--agg", "n=count(*)"]) }
        #expect(try liveFiles(dir + "/out").count == 2)
    }

    @Test func anEmptyRangeEmptiesItsPartition() throws {
        defer { try? FileSystem.removeTree(dir) }
        let count = ["--agg", "n=count(*)"]
        _ = try OfflineFixture.run(args(start: "2019-06-01", end: "2019-06-30", extra: count))
        #expect(try OfflineFixture.output(dir + "/out", year: 2019, month: 6, day: 30).rowCount == 25)
        // Same end day, a date-time range with no rows: the partition is replaced by nothing.
        let s = try OfflineFixture.run(args(start: "2019-06-30T23:00:00Z", end: "2019-06-30T23:00:01Z", extra: count))
        #expect(s.rowsInRange == 0 && s.keys == 0)
        #expect(try OfflineFixture.output(dir + "/out", year: 2019, month: 6, day: 30).rowCount == 0)
    }

    @Test func onlyTheRangesPartitionsAreOpened() throws {
        defer { try? FileSystem.removeTree(dir) }
        let all = try OfflineFixture.run(args(start: "2019-05-01", end: "2019-07-31", out: dir + "/all"))
        let s = try OfflineFixture.run(args(start: "2019-06-10", end: "2019-06-12"))
        #expect(all.filesPruned == 0)
        #expect(s.filesTotal == all.filesTotal)
        #expect(s.filesRead == 3)  // one file per day: 06-10, 06-11, 06-12
        #expect(s.filesPruned == all.filesTotal - 3)
        #expect(s.rowGroupsRead == 3)
        // A date-time range inside one day: the time statistics skip the day's file when no row of it
        // can fall in the range.
        let early = try OfflineFixture.run(args(start: "2019-06-10T00:00:00Z", end: "2019-06-10T00:00:01Z", out: dir + "/early", extra: ["--agg", "n=count(*)"]))
        #expect(early.filesRead + early.filesPruned + early.filesSkippedByStats == all.filesTotal)
        #expect(early.filesPruned == all.filesTotal - 1)
    }

    @Test func oneRowAndTheThreadCountDoNotChangeTheOutput() throws {
        defer { try? FileSystem.removeTree(dir) }
        let defs = OfflineFixture.directory + "/definitions.json"
        _ = try OfflineFixture.run(args(start: "2019-06-01", end: "2019-06-30", out: dir + "/one", extra: ["--aggregations", defs, "--master-mode", "local[1]"]))
        _ = try OfflineFixture.run(args(start: "2019-06-01", end: "2019-06-30", out: dir + "/four", extra: ["--aggregations", defs, "--master-mode", "local[4]"]))
        let one = try OfflineFixture.output(dir + "/one", year: 2019, month: 6, day: 30)
        let four = try OfflineFixture.output(dir + "/four", year: 2019, month: 6, day: 30)
        // Same keys and values; doubles agree to 1e-9 (summation order follows the file split).
        #expect(one.schema == four.schema && one.rowCount == four.rowCount)
        var differences = 0
        for c in one.columns.indices where one.rowCount == four.rowCount {
            for r in 0..<one.rowCount where !Self.close(one.columns[c][r], four.columns[c][r]) { differences += 1 }
        }
        #expect(differences == 0)
        let keys = try #require(one.columns[0].strings)
        let solo = try #require((0..<one.rowCount).first { !one.columns[0].isNull($0) && keys[$0] == "solo" })
        #expect(one.column(named: "orders")?[solo] == .int64(1))
        #expect(one.column(named: "amount-avg")?[solo] == .double(42.5))
        #expect(one.column(named: "amount-stddev")?[solo] == .null)
    }

    /// Same schema, keys in the same order and every value equal (doubles to 1e-9 relative).
    static func sameFeatures(_ a: RecordBatch, _ b: RecordBatch) -> Bool {
        guard a.schema == b.schema, a.rowCount == b.rowCount else { return false }
        for c in a.columns.indices {
            for r in 0..<a.rowCount where !close(a.columns[c][r], b.columns[c][r]) { return false }
        }
        return true
    }

    static func close(_ a: Value, _ b: Value) -> Bool {
        if case .double(let x) = a, case .double(let y) = b { return x == y || (x.isNaN && y.isNaN) || abs(x - y) <= 1e-9 * max(abs(x), abs(y)) }
        return a == b
    }

    @Test func anAllNullFieldGivesNullsAndZeroCounts() throws {
        defer { try? FileSystem.removeTree(dir) }
        _ = try OfflineFixture.run(args(start: "2019-06-01", end: "2019-06-30", extra: ["--aggregations", OfflineFixture.directory + "/definitions.json"]))
        let b = try OfflineFixture.output(dir + "/out", year: 2019, month: 6, day: 30)
        let keys = try #require(b.columns[0].strings)
        let row = try #require((0..<b.rowCount).first { !b.columns[0].isNull($0) && keys[$0] == "nulls" })
        #expect(b.column(named: "orders")?[row] == .int64(3))
        #expect(b.column(named: "amount-count")?[row] == .int64(0))
        for name in ["amount-sum", "amount-avg", "amount-min", "amount-max", "amount-stddev"] { #expect(b.column(named: name)?[row] == .null) }
    }

    @Test func aHivePartitionedParquetDirectoryIsReadLikeADeltaTable() throws {
        defer { try? FileSystem.removeTree(dir) }
        // Copy the Delta table's data files without the log: a plain hive directory.
        let hive = dir + "/hive"
        for f in try liveFiles(input) {
            let target = hive + "/" + f.path
            try FileSystem.createDirectory(String(target[..<target.lastIndex(of: "/")!]))
            try FileSystem.writeNewFile(target, try FileSystem.readFile(input + "/" + f.path))
        }
        _ = try OfflineFixture.run(args(start: "2019-06-01", end: "2019-06-30", out: dir + "/a"))
        let s = try OfflineFixture.run(["--input-table", hive, "--output-table", dir + "/b", "--agg-field", "customer_id",
                                        "--time-field", "order_created_at", "--start-date", "2019-06-01", "--end-date", "2019-06-30"])
        #expect(s.filesPruned > 0)
        #expect(Self.sameFeatures(try OfflineFixture.output(dir + "/a", year: 2019, month: 6, day: 30),
                                  try OfflineFixture.output(dir + "/b", year: 2019, month: 6, day: 30)))
    }
}
