import FSTestSupport
import FSAggregation
import FSCore
import FSTable
import Foundation
import Testing
@testable import FSJobs

/// fs-agg-offline's flags: the original's forms, validation before any work, exit codes of the
/// built binary.
@Suite struct OfflineCommandTests {
    let base = ["--input-table", "/in", "--output-table", "/out", "--agg-field", "customer_id", "--time-field", "order_created_at"]

    @Test func singleDashFormsAliasesAndIgnoredFlagsOfTheOriginalAreAccepted() throws {
        let c = try OfflineFixture.config(["dev", "-master-mode", "local[2]", "-input-data-table", "/a//b/", "-output-data-table", "/c",
                                           "-group-field", "k", "-time-field", "t", "-start-date", "2019-01-01", "-end-date", "2019-01-31",
                                           "-temp-dir", "tempDir", "--kafka-brokers", "b:9092", "--kafka-topics", "t"])
        #expect(c.inputTable == "/a/b" && c.outputTable == "/c" && c.aggField == "k" && c.timeField == "t")
        #expect(c.common.masterMode.threads == 2)
        #expect(c.common.appName == "feature-store-data-aggregations")
        #expect(c.ignoredFlags == ["--temp-dir", "--kafka-brokers", "--kafka-topics"])
        #expect(c.definitions == FeatureDefinition.originalOffline)
        #expect(c.range.startMicros == Int64(parseDate("2019-01-01")!) * microsPerDay)
        #expect(c.range.endMicros == Int64(parseDate("2019-02-01")!) * microsPerDay)
    }

    @Test func aggFlagsAddCustomFeaturesInOrder() throws {
        let c = try OfflineFixture.config(base + ["--start-date", "2019-01-01", "--end-date", "2019-01-31",
                                                  "--agg", "n=count(*)", "--agg", "avg-7= avg(x) "])
        #expect(c.definitions.map(\.featureName) == ["n", "avg-7"])
        #expect(c.definitions.last == .custom(AggCustomAction(featureName: "avg-7", expression: "avg(x)")))
    }

    @Test(arguments: [
        (["--start-date", "2019-13-01", "--end-date", "2019-12-31"], "--start-date"),
        (["--start-date", "2019-01-01", "--end-date", "yesterday"], "--end-date"),
        (["--start-date", "2019-02-01", "--end-date", "2019-01-31"], "--end-date"),
        (["--start-date", "2019-01-01T10:00:00Z", "--end-date", "2019-01-01T10:00:00Z"], "--end-date"),
        (["--start-date", "2019-11-30", "--end-date", "2019-11-30"], "--start-date"),  // 3-day period of the default features
        (["--start-date", "2019-01-01", "--end-date", "2019-01-31", "--agg", "no-equals-sign"], "--agg"),
        (["--start-date", "2019-01-01", "--end-date", "2019-01-31", "--agg", "n=count(*)", "--agg", "n=sum(x)"], "--agg"),
        (["--start-date", "2019-01-01", "--end-date", "2019-01-31", "--agg", "year=count(*)"], "--agg"),
        (["--end-date", "2019-01-31"], "--start-date"),
    ])
    func badFlagsAreUsageErrorsNamingTheFlag(extra: [String], flag: String) {
        do {
            _ = try OfflineFixture.config(base + extra)
            Issue.record("accepted \(extra)")
        } catch let e as UsageError {
            #expect(e.flag == flag, "\(e)")
            #expect(e.exitStatus == .usage)
        } catch {
            Issue.record("unexpected \(error)")
        }
    }

    @Test func periodsAreMeasuredFromTheEndOfTheRange() throws {
        let r = try OfflineRange(start: "2019-11-01", end: "2019-11-30")
        #expect(r.periodStart(.days(1)) == Int64(parseDate("2019-11-30")!) * microsPerDay)
        #expect(r.outputDay == CivilDate(year: 2019, month: 11, day: 30))
        let t = try OfflineRange(start: "2019-11-01T00:00:00Z", end: "2019-12-01T00:00:00Z")
        #expect(t.outputDay == CivilDate(year: 2019, month: 11, day: 30))  // the date of end − 1 µs
        #expect(t.periodStart(.days(7)) == parseTimestamp("2019-11-24T00:00:00Z"))
    }

    @Test func monthTermsPruneWholeAndPartialMonths() throws {
        let fields = [Field("fs_year", .int32), Field("fs_month", .int32), Field("fs_day", .int32)]
        let p = try #require(OfflinePruning.partitionFilter(partitionFields: fields, range: try OfflineRange(start: "2019-06-15", end: "2019-08-02")))
        func may(_ y: Int32, _ m: Int32, _ d: Int32) -> Bool {
            p.mayMatch { c in
                let v: Int32 = c == "fs_year" ? y : (c == "fs_month" ? m : d)
                return ColumnRange.partition(.int32(v), rowCount: 1)
            }
        }
        #expect(!may(2019, 6, 14) && may(2019, 6, 15) && may(2019, 7, 1) && may(2019, 7, 31) && may(2019, 8, 2) && !may(2019, 8, 3) && !may(2018, 7, 1))
    }

    // MARK: The binary

    @Test func theBinaryExitsWithTheDocumentedCodes() throws {
        let dir = try OfflineFixture.temporaryDirectory()
        defer { try? FileSystem.removeTree(dir) }
        let input = try OfflineFixture.makeInput(try OfflineFixture.ordersBatch(), in: dir)
        func run(_ args: [String]) throws -> BinaryRun { try Binaries.run("fs-agg-offline", args) }
        let common = ["--output-table", dir + "/out", "--agg-field", "customer_id", "--time-field", "order_created_at",
                      "--start-date", "2019-06-01", "--end-date", "2019-06-30"]

        let ok = try run(["dev", "--input-table", input, "--summary", "--log-level", "warning"] + common)
        #expect(ok.status == 0, "\(ok.stderr)")
        let summary = try JSONValue.parse(ok.stdout.trimmingCharacters(in: .whitespacesAndNewlines))
        #expect(summary["partition"]?.stringValue == "year=2019/month=6/day=30")
        #expect(summary["keys"]?.int64Value == 25)

        let missing = try run(["--input-table", dir + "/nope"] + common)
        #expect(missing.status == 64)
        #expect(missing.stderr.contains("--input-table \(dir)/nope: no input there"))

        let badColumn = try run(["--input-table", input, "--agg", "x=sum(order_total_amout)"] + common)
        #expect(badColumn.status == 64)
        #expect(badColumn.stderr.contains("order_total_amount"), "\(badColumn.stderr)")

        let badTime = try run(["--input-table", input] + common.map { $0 == "order_created_at" ? "order_create_at" : $0 })
        #expect(badTime.status == 64)
        #expect(badTime.stderr.contains("--time-field") && badTime.stderr.contains("order_created_at"), "\(badTime.stderr)")

        let badDate = try run(["--input-table", input] + common.map { $0 == "2019-06-30" ? "2019-06-31" : $0 })
        #expect(badDate.status == 64)
        #expect(badDate.stderr.contains("--end-date"))

        let unknownFlag = try run(["--input-table", input, "--window-duration", "5 seconds"] + common)
        #expect(unknownFlag.status == 64)
        // Nothing was written by any failed run: still one data file from the first.
        #expect(try FSTableAccess.liveFiles(dir + "/out") == 1)
    }
}
