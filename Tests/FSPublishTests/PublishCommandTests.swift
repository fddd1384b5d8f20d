import FSCore
import Testing
@testable import FSJobs
@testable import FSPublish

@Suite struct PublishCommandTests {
    func parse(_ args: [String]) throws -> PublishConfig {
        try PublishCommand.parse(LegacyArguments.normalize(args, longNames: PublishCommand.longOptionNames)).resolve()
    }

    @Test func originalRunAllCommandLineParsesUnchanged() throws {
        let c = try parse(["dev", "--master-mode", "local[*]", "--app-name", "publisher", "--publisher-type", "historical",
                           "--input-table", "/tmp/ifood/data/aggregations/online/order-agg",
                           "--output-table", "/tmp/ifood/data/publisher/aggregations/order-agg"])
        #expect(c.publisherType == .historical)
        #expect(c.common.appName == "publisher")
        #expect(c.inputTable == "/tmp/ifood/data/aggregations/online/order-agg")
        #expect(c.outputTable == "/tmp/ifood/data/publisher/aggregations/order-agg")
        #expect(c.common.masterMode.threads >= 1)
    }

    @Test func singleDashFormsAndAliasesOfTheOriginalAreAccepted() throws {
        let c = try parse(["dev", "-master-mode", "local[2]", "-publisher-type", "historical",
                           "-input-data-table", "/a//b/", "-output-data-table", "/c", "-jdbc-hostname", "db"])
        #expect(c.inputTable == "/a/b")
        #expect(c.outputTable == "/c")
        #expect(c.common.masterMode.threads == 2)
        #expect(c.ignoredFlags == ["--jdbc-hostname"])
    }

    @Test func unknownPublisherTypeIsAUsageErrorNamingTheChoices() {
        #expect(throws: UsageError.self) { try parse(["--publisher-type", "cassandra", "--input-table", "/a", "--output-table", "/b"]) }
        do { _ = try parse(["--publisher-type", "cassandra", "--input-table", "/a", "--output-table", "/b"]) } catch {
            #expect("\(error)".contains("unknown publisher type 'cassandra'"))
            #expect("\(error)".contains("historical"))
        }
    }

    @Test(arguments: [["--output-table", "/b"], ["--input-table", "/a"], ["--input-table", "/a", "--output-table", "/a/"]])
    func missingOrConflictingTablesAreUsageErrors(args: [String]) {
        #expect(throws: UsageError.self) { try parse(args) }
    }

    @Test(arguments: ["yarn", "local[0]", "local[x]", "spark://host:7077"])
    func clusterMastersAreRejectedWithAScaleOutHint(mode: String) {
        #expect(throws: UsageError.self) { try MasterMode(parsing: mode) }
    }

    @Test func masterModeThreads() throws {
        #expect(try MasterMode(parsing: "local").threads == 1)
        #expect(try MasterMode(parsing: "local[3]").threads == 3)
        #expect(try MasterMode(parsing: "local[*]", availableCores: 8).threads == 8)
    }

    @Test func negativeNumbersAreNotMistakenForFlags() {
        #expect(LegacyArguments.normalize(["-47.39", "-input-table", "-x"], longNames: ["input-table"]) == ["-47.39", "--input-table", "-x"])
    }
}

@Suite struct PublishCommandStoreFlagTests {
    func parse(_ args: [String]) throws -> PublishConfig {
        try PublishCommand.parse(LegacyArguments.normalize(args, longNames: PublishCommand.longOptionNames)).resolve()
    }

    @Test func sqliteFlagsParseIntoTheConfig() throws {
        let c = try parse(["-publisher-type", "sqlite", "-input-table", "/d/agg/", "-output-table", "order-features", "-sqlite-path", "/d/f.db",
                           "--key-field", "customer_id, day", "--time-field", "window_end", "--columns", "a,b", "--follow",
                           "--trigger-interval", "250ms", "--max-retry-duration", "30s", "--batch-rows", "1000", "--redis-url", "redis://x"])
        #expect(c.publisherType == .sqlite)
        #expect(c.inputTable == "/d/agg")
        #expect(c.outputTable == "order-features")
        #expect(c.connection.sqlitePath == "/d/f.db")
        #expect(c.keyFields == ["customer_id", "day"])
        #expect(c.timeField == "window_end")
        #expect(c.columns == ["a", "b"])
        #expect(c.follow)
        #expect(c.triggerInterval == .milliseconds(250))
        #expect(c.maxRetryDuration == .seconds(30))
        #expect(c.batchRows == 1000)
        #expect(c.ignoredFlags == ["--redis-url"])
    }

    @Test(arguments: [
        (["--key-field", "a,,b"], "--key-field"), (["--time-field", "a,b"], "--time-field"), (["--columns", "x,x"], "--columns"),
        (["--trigger-interval", "soon"], "--trigger-interval"), (["--batch-rows", "0"], "--batch-rows"),
    ])
    func badStoreFlagsAreUsageErrorsNamingTheFlag(extra: [String], flag: String) {
        #expect {
            _ = try parse(["--publisher-type", "sqlite", "--input-table", "/a", "--output-table", "t", "--sqlite-path", "/f.db"] + extra)
        } throws: { ($0 as? UsageError)?.flag == flag }
    }

    @Test func historicalRefusesFollow() {
        #expect(throws: UsageError.self) { try parse(["--input-table", "/a", "--output-table", "/b", "--follow"]) }
    }
}
