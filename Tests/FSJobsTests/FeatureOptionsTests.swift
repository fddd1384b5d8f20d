import FSAggregation
import FSCore
import Testing
@testable import FSJobs

/// fs-agg-offline and fs-agg-online take their features through one option group, so the same
/// flags mean the same and are refused for the same reasons.
@Suite struct FeatureOptionsTests {
    static let offlineBase = ["--input-table", "/in", "--output-table", "/out", "--agg-field", "customer_id", "--time-field", "t",
                              "--start-date", "2019-01-01", "--end-date", "2019-01-31"]
    static let onlineBase = ["--input-table", "/in", "--output-table", "/out", "--agg-field", "customer_id", "--time-field", "t",
                             "--window-duration", "1 hour"]

    func definitions(_ job: String, _ extra: [String]) throws -> [FeatureDefinition] {
        if job == "offline" {
            return try OfflineCommand.parseCommandLine(Self.offlineBase + extra)
                .resolve().definitions
        }
        return try OnlineCommand.parseCommandLine(Self.onlineBase + extra)
            .resolve().definitions
    }

    func withFiles(_ body: (String, String) throws -> Void) throws {
        let dir = try FileSystem.makeTemporaryDirectory(prefix: "fs-features-test")
        defer { try? FileSystem.removeTree(dir) }
        try FileSystem.writeNewFile(dir + "/a.json", Array(#"[{"featureName": "a-sum", "field": "x", "operation": "sum"}]"#.utf8))
        try FileSystem.writeNewFile(dir + "/b.json", Array(#"[{"featureName": "b-n", "expression": "count(*)"}]"#.utf8))
        try body(dir + "/a.json", dir + "/b.json")
    }

    @Test(arguments: ["offline", "online"])
    func filesAndInlineFeaturesAreRepeatableAndKeepTheirOrder(job: String) throws {
        try withFiles { a, b in
            let d = try definitions(job, ["--aggregations", a, "--agg", "c=max(x)", "-aggregations", b, "-agg", "d = min(x) "])
            #expect(d.map(\.featureName) == ["a-sum", "b-n", "c", "d"])
            #expect(d.last == .custom(AggCustomAction(featureName: "d", expression: "min(x)")))
        }
    }

    @Test(arguments: ["offline", "online"])
    func withoutFeatureFlagsTheOriginalJobsFeaturesAreUsed(job: String) throws {
        #expect(try definitions(job, []) == (job == "offline" ? FeatureDefinition.originalOffline : FeatureDefinition.originalOnline))
    }

    static let refusals: [(extra: [String], flag: String, message: String)] = [
        (["--agg", "no-equals-sign"], "--agg", "is not name=EXPR"),
        (["--agg", "=count(*)"], "--agg", "must be non-empty"),
        (["--agg", "n=count(*)", "--agg", "N=sum(x)"], "--agg", "is defined twice"),
        (["--agg", "customer_id=count(*)"], "--agg", "collides with the output column customer_id"),
        (["--agg", "Year=count(*)"], "--agg", "collides with the output column year"),
        (["--agg", "day=count(*)"], "--agg", "collides with the output column day"),
    ]

    @Test(arguments: refusals)
    func bothJobsRefuseTheSameMistakesNamingTheFlag(extra: [String], flag: String, message: String) {
        for job in ["offline", "online"] {
            do {
                _ = try definitions(job, extra)
                Issue.record("\(job) accepted \(extra)")
            } catch let e as UsageError {
                #expect(e.flag == flag && e.message.contains(message), "\(job): \(e)")
            } catch {
                Issue.record("\(job): unexpected \(error)")
            }
        }
    }

    @Test func aDuplicateBetweenAFileAndAnInlineFeatureNamesTheLaterFlag() throws {
        try withFiles { a, _ in
            for job in ["offline", "online"] {
                #expect(throws: UsageError(flag: "--agg", message: "feature \"a-sum\" is defined twice")) {
                    try definitions(job, ["--aggregations", a, "--agg", "a-sum=count(*)"])
                }
                #expect(throws: UsageError(flag: "--aggregations", message: "feature \"a-sum\" is defined twice")) {
                    try definitions(job, ["--aggregations", a, "--aggregations", a])
                }
            }
        }
    }

    @Test func theWindowBoundsAreReservedOnlyForTheOnlineJob() throws {
        #expect(throws: UsageError(flag: "--agg", message: "feature \"window_end\" collides with the output column window_end")) {
            try definitions("online", ["--agg", "window_end=count(*)"])
        }
        #expect(try definitions("offline", ["--agg", "window_end=count(*)"]).map(\.featureName) == ["window_end"])
    }
}
