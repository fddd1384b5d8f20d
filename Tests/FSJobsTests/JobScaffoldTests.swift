import FSTestSupport
import ArgumentParser
import FSCore
import FSSandbox
import Foundation
import Glibc
import Testing
@testable import FSJobs
import FSPublish
import FSServe

/// The scaffold every job executable shares: single-dash long forms derived from the declared
/// options, the usage line after a configuration error, and the one summary line.
@Suite struct JobScaffoldTests {
    /// The option and flag long names a command declares, with whether each takes a value, read
    /// straight from ArgumentParser's description (independently of `longOptionNames`).
    static func declaredLongOptions(_ command: any ParsableCommand.Type) throws -> [(name: String, takesValue: Bool)] {
        let info = try JSONValue.parse(command._dumpHelp())
        var out: [(String, Bool)] = []
        for argument in info["command"]?["arguments"]?.arrayValue ?? [] {
            let kind = argument["kind"]?.stringValue
            guard kind == "option" || kind == "flag" else { continue }
            for name in argument["names"]?.arrayValue ?? [] where name["kind"]?.stringValue == "long" {
                if let n = name["name"]?.stringValue, n != "help" { out.append((n, kind == "option")) }
            }
        }
        return out
    }

    /// One command of an executable: the names its binary normalizes with, the arguments it
    /// needs to parse at all (required positionals and options), and how many long options it
    /// must at least declare (so an empty description cannot pass).
    struct Entry: @unchecked Sendable {
        var command: any ParsableCommand.Type
        var names: Set<String>
        var required: [String] = []
        var minimumOptions = 15
    }

    /// Every command of every executable: the jobs, fs-publish, fs-serve, and each subcommand
    /// of fs-table and fs-sandbox (normalized with its group's names, as the binary does).
    static let commands: [Entry] = [
        Entry(command: IngestCommand.self, names: IngestCommand.longOptionNames),
        Entry(command: OfflineCommand.self, names: OfflineCommand.longOptionNames),
        Entry(command: OnlineCommand.self, names: OnlineCommand.longOptionNames),
        Entry(command: PublishCommand.self, names: PublishCommand.longOptionNames, minimumOptions: 25),
        Entry(command: ServeCommand.self, names: ServeCommand.longOptionNames),
    ] + TableCommand.configuration.subcommands.map { sub in
        let positionals: [String: [String]] = ["dump": ["/t"], "write-sample": ["/t"], "race-append": ["/t", "1"], "hang-write": ["/t", "1"]]
        let name = sub.configuration.commandName ?? ""
        return Entry(command: sub, names: TableCommand.longOptionNames, required: positionals[name] ?? ["/t"], minimumOptions: 0)
    } + [
        Entry(command: SandboxCommand.Broker.self, names: SandboxCommand.longOptionNames, minimumOptions: 3),
        Entry(command: SandboxCommand.Generate.self, names: SandboxCommand.longOptionNames, required: ["--out", "/t"], minimumOptions: 3),
        Entry(command: SandboxCommand.Produce.self, names: SandboxCommand.longOptionNames,
              required: ["--stream-type", "order-events", "--source", "/s", "--bootstrap-servers", "b:1"], minimumOptions: 13),
    ]

    /// A value every option of every command parses (and passes `validate()`) with.
    static func sampleValue(for option: String) -> String {
        switch option {
        case "format": "json"
        default: "2"
        }
    }

    @Test func everySubcommandOfTheToolsIsOnTheScaffold() {
        for sub in TableCommand.configuration.subcommands + SandboxCommand.configuration.subcommands {
            #expect(sub is any JobCommand.Type, "\(sub)")
        }
    }

    @Test func everyDeclaredLongOptionOfEveryJobAcceptsItsSingleDashForm() throws {
        for entry in Self.commands {
            let command = entry.command
            let declared = try Self.declaredLongOptions(command)
            #expect(declared.count >= entry.minimumOptions, "\(command): only \(declared.count) long options found")
            for (name, takesValue) in declared {
                let args = LegacyArguments.normalize(takesValue ? ["-" + name, Self.sampleValue(for: name)] : ["-" + name], longNames: entry.names)
                #expect(args.first == "--" + name, "\(command) -\(name)")
                #expect(throws: Never.self, "\(command) -\(name)") { _ = try command.parseAsRoot(entry.required + args) }
            }
        }
    }

    @Test func theCommonOptionsAndOriginalAliasesAreAmongTheDerivedNames() {
        for entry in Self.commands.prefix(5) {
            let (command, names) = (entry.command, entry.names)
            #expect(names.isSuperset(of: ["app-name", "master-mode", "log-level", "log-format", "summary"]), "\(command)")
            #expect(!names.contains("help"))
        }
        #expect(IngestCommand.longOptionNames.isSuperset(of: ["output-dir", "data-dir", "max-offsets-per-trigger"]))
        #expect(OfflineCommand.longOptionNames.isSuperset(of: ["input-data-table", "group-field", "agg-field", "temp-dir"]))
        #expect(OnlineCommand.longOptionNames.isSuperset(of: ["output-data-table", "window-slide-duration", "watermark"]))
    }

    @Test func singleDashTokensThatAreNotLongOptionsAreLeftAlone() {
        let names = OfflineCommand.longOptionNames
        #expect(LegacyArguments.normalize(["-47.39", "-5", "-x", "-no-such-option", "--agg=x"], longNames: names)
                == ["-47.39", "-5", "-x", "-no-such-option", "--agg=x"])
        #expect(LegacyArguments.normalize(["-agg=n=count(*)"], longNames: names) == ["--agg=n=count(*)"])
    }

    struct Counters: JobSummaryDetails {
        var status = JobStatus.stopped
        var seconds = 1.23456
        var details: [(String, JSONValue)] { [("rows", .int(3))] }
    }

    @Test func theSummaryLineNamesTheJobAndStatusFirstAndSecondsLastInMilliseconds() {
        #expect(JobSummary(job: "fs-x", Counters()).description == #"{"job":"fs-x","status":"stopped","rows":3,"seconds":1.235}"#)
    }

    @Test(arguments: [
        ("fs-ingest", ["dev", "--kafka-brokers", "h:1", "--data-dir", "/tmp/fs-never", "--stream-type", "orders"], "--stream-type: 'orders'"),
        ("fs-ingest", ["-kafka-brokers", "h:1", "-data-dir", "/tmp/fs-never", "-stream-type", "order-events", "-trigger-interval", "soon"],
         "--trigger-interval"),
        ("fs-agg-offline", ["--input-table", "/tmp/fs-a", "--output-table", "/tmp/fs-b", "--agg-field", "k", "--time-field", "t",
                            "--start-date", "2019-13-01", "--end-date", "2019-12-31"], "--start-date"),
        ("fs-agg-online", ["--input-table", "/tmp/fs-a", "--output-table", "/tmp/fs-b", "--agg-field", "k", "--time-field", "t",
                           "--window-duration", "5 fortnights"], "--window-duration"),
        ("fs-agg-online", ["--input-table", "/tmp/fs-a", "--output-table", "/tmp/fs-b", "--agg-field", "k", "--time-field", "t",
                           "--window-duration", "1 hour", "--master-mode", "yarn"], "--master-mode"),
        ("fs-publish", ["dev", "-publisher-type", "cassandra", "-input-table", "/tmp/fs-a", "-output-table", "b"], "--publisher-type: unknown publisher type 'cassandra'"),
        ("fs-serve", ["-delta-table", "/tmp/fs-never", "-refresh-interval", "5 fortnights"], "--refresh-interval"),
        ("fs-table", ["hang-write", "/tmp/fs-never", "3", "-at", "later"], "--at: must be staged or placed"),
        ("fs-sandbox", ["produce", "-stream-type", "orders", "-source", "/dev/null", "-bootstrap-servers", "x:1"], "--stream-type: 'orders'"),
    ])
    func aConfigurationErrorPrintsTheMessageAndTheUsageLineAndExits64(job: String, args: [String], message: String) throws {
        let run = try Binaries.run(job, args)
        #expect(run.status == 64, "\(run.stderr)")
        #expect(run.stderr.contains("\(job): error: \(message)"), "\(run.stderr)")
        #expect(run.stderr.contains("Usage: \(job) "), "\(run.stderr)")
        #expect(run.stderr.contains("See '\(job) --help'"), "\(run.stderr)")
    }

    @Test(arguments: [(["--help"], "SUBCOMMANDS:"), (["help", "vacuum"], "--retain-hours"), (["vacuum", "--help"], "--retain-hours"), ([], "SUBCOMMANDS:")])
    func aCommandGroupPrintsTheHelpAskedForAndExits0(args: [String], expected: String) throws {
        let run = try Binaries.run("fs-table", args)
        #expect(run.status == 0, "\(run.stderr)")
        #expect(run.stdout.contains(expected), "\(run.stdout)")
        #expect(!run.stdout.contains("OVERVIEW: Show subcommand help information."), "\(run.stdout)")
    }

    @Test func anUnknownColumnFoundAfterOpeningTheInputAlsoPrintsTheUsageLine() throws {
        let dir = try OfflineFixture.temporaryDirectory()
        defer { try? FileSystem.removeTree(dir) }
        let input = try OfflineFixture.makeInput(try OfflineFixture.ordersBatch(), in: dir)
        let run = try Binaries.run("fs-agg-offline", ["-input-data-table", input, "-output-data-table", dir + "/out", "-group-field", "customer_id",
                                                     "-time-field", "order_create_at", "-start-date", "2019-06-01", "-end-date", "2019-06-30"])
        #expect(run.status == 64, "\(run.stderr)")
        #expect(run.stderr.contains("--time-field") && run.stderr.contains("order_created_at"), "\(run.stderr)")
        #expect(run.stderr.contains("Usage: fs-agg-offline "), "\(run.stderr)")
    }

    /// The help is wrapped by the parser only: no line is longer than the 80 columns it wraps to,
    /// and two consecutive prose lines are broken only where the next word would not have fit
    /// in 79 columns (a hand break inside a paragraph is what made the old texts ragged once
    /// re-wrapped).
    @Test(arguments: ["fs-ingest", "fs-agg-offline", "fs-agg-online"])
    func theHelpTextIsWrappedByTheParserNotByHand(job: String) throws {
        let run = try Binaries.run(job, ["--help"])
        #expect(run.status == 0)
        let lines = run.stdout.split(separator: "\n", omittingEmptySubsequences: false).map(String.init)
        #expect(lines.count > 20)
        for line in lines { #expect(line.count <= 80, "\(job): \(line)") }
        let discussion = lines.prefix { !$0.hasPrefix("USAGE:") }
        for (line, next) in zip(discussion, discussion.dropFirst()) {
            guard !line.isEmpty, !next.isEmpty, !line.hasPrefix(" "), !next.hasPrefix(" ") else { continue }
            let nextWord = next.split(separator: " ").first.map(String.init) ?? ""
            #expect(line.count + 1 + nextWord.count >= 80, "\(job): hand break after \"\(line)\"")
        }
    }

    @Test func aSecondSignalExitsWith130ForSIGINTAnd143ForSIGTERM() {
        #expect(StopSignal.exitStatus(forSecond: SIGINT) == .interrupted && ExitStatus.interrupted.rawValue == 130)
        #expect(StopSignal.exitStatus(forSecond: SIGTERM) == .terminated && ExitStatus.terminated.rawValue == 143)
    }

    @Test func theBinarysSummaryLineIsTheOneJobSummaryShape() throws {
        let dir = try OfflineFixture.temporaryDirectory()
        defer { try? FileSystem.removeTree(dir) }
        let input = try OfflineFixture.makeInput(try OfflineFixture.ordersBatch(), in: dir)
        let run = try Binaries.run("fs-agg-offline", ["dev", "-input-data-table", input, "-output-data-table", dir + "/out", "-group-field", "customer_id",
                                                     "-time-field", "order_created_at", "-start-date", "2019-06-01", "-end-date", "2019-06-30",
                                                     "-summary", "-log-level", "warning"])
        #expect(run.status == 0, "\(run.stderr)")
        let summary = try JSONValue.parse(run.stdout.trimmingCharacters(in: .whitespacesAndNewlines))
        let keys = summary.objectValue?.map(\.0) ?? []
        #expect(keys.first == "job" && keys.dropFirst().first == "status" && keys.last == "seconds", "\(keys)")
        #expect(summary["job"]?.stringValue == "fs-agg-offline" && summary["status"]?.stringValue == "completed")
        #expect(summary["keys"]?.int64Value == 25)
    }
}
