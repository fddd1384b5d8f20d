import FSCore
import Testing
@testable import FSJobs
@testable import FSPublish

@Suite struct PublishCommandTests {
    func parse(_ args: [String]) throws -> PublishConfig {
        try PublishCommand.parse(LegacyArguments.normalize(args, longNames: PublishCommand.longNames)).resolve()
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
