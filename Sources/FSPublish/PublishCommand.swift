import ArgumentParser
import FSCore
import FSJobs

/// `fs-publish`: flags of the original PublisherMain plus ours. Parsing only; `PublishConfig`
/// holds the validated result and `HistoricalPublisher` does the work.
public struct PublishCommand: ParsableCommand {
    public static let configuration = CommandConfiguration(
        commandName: "fs-publish",
        abstract: "Publish a feature table: --publisher-type historical copies it, incrementally and idempotently, into a compacted Delta table.",
        discussion: """
            Exit codes: 0 ok · 64 usage · 65 bad data (corrupt or incompatible table) · 74 I/O · 70 internal.
            The original command line works unchanged, e.g.
              fs-publish dev --master-mode local[*] --app-name publisher --publisher-type historical \\
                --input-table /tmp/ifood/data/aggregations/online/order-agg \\
                --output-table /tmp/ifood/data/publisher/aggregations/order-agg
            """
    )

    @Argument(help: "The original's positional environment word (e.g. dev); accepted and ignored.")
    public var environment: String?

    @OptionGroup public var common: CommonOptions

    @Option(name: [.long, .customLong("s", withSingleDash: true)], help: "historical (copy into a Delta table).")
    public var publisherType: String = "historical"

    @Option(name: [.long, .customLong("input-data-table"), .customLong("it", withSingleDash: true)], help: "The table to publish (a Delta table directory).")
    public var inputTable: String?

    @Option(name: [.long, .customLong("output-data-table"), .customShort("d")], help: "Where to publish (historical: a Delta table directory, created if missing).")
    public var outputTable: String?

    @Option(help: "Target size of the compacted files written, in MiB.")
    public var targetFileSizeMb: Int = 128

    @Option(name: [.long, .customLong("jh", withSingleDash: true)], help: "The original's MySQL host (not used by historical).")
    public var jdbcHostname: String?
    @Option(name: [.long, .customLong("jp", withSingleDash: true)], help: "The original's MySQL port (not used by historical).")
    public var jdbcPort: String?
    @Option(name: [.long, .customLong("jd", withSingleDash: true)], help: "The original's MySQL database (not used by historical).")
    public var jdbcDatabase: String?

    public init() {}

    /// Long option names, for `LegacyArguments.normalize` (single-dash forms of the original).
    public static let longNames: Set<String> = [
        "app-name", "master-mode", "log-level", "log-format", "summary", "publisher-type", "input-table",
        "input-data-table", "output-table", "output-data-table", "target-file-size-mb", "jdbc-hostname",
        "jdbc-port", "jdbc-database",
    ]

    /// Validates every flag before any work starts.
    public func resolve() throws(UsageError) -> PublishConfig {
        let common = try self.common.resolve(defaultAppName: "feature-store-publisher")
        guard let type = PublisherType(rawValue: publisherType.lowercased()) else {
            throw UsageError(flag: "--publisher-type", message: "unknown publisher type '\(publisherType)'; available: \(PublisherType.allCases.map(\.rawValue).joined(separator: ", "))")
        }
        guard let input = inputTable, !input.isEmpty else {
            throw UsageError(flag: "--input-table", message: "is required (the table to publish)")
        }
        guard let output = outputTable, !output.isEmpty else {
            throw UsageError(flag: "--output-table", message: "is required (where to publish)")
        }
        guard targetFileSizeMb >= 1 && targetFileSizeMb <= 4096 else {
            throw UsageError(flag: "--target-file-size-mb", message: "must be between 1 and 4096, got \(targetFileSizeMb)")
        }
        let inPath = normalizeTablePath(input), outPath = normalizeTablePath(output)
        guard inPath != outPath else {
            throw UsageError(flag: "--output-table", message: "must differ from --input-table (\(inPath))")
        }
        var ignored: [String] = []
        if jdbcHostname != nil { ignored.append("--jdbc-hostname") }
        if jdbcPort != nil { ignored.append("--jdbc-port") }
        if jdbcDatabase != nil { ignored.append("--jdbc-database") }
        return PublishConfig(
            common: common, publisherType: type, inputTable: inPath, outputTable: outPath,
            targetFileBytes: Int64(targetFileSizeMb) << 20, ignoredFlags: ignored)
    }
}

/// The publishers fs has.
public enum PublisherType: String, Sendable, CaseIterable {
    case historical
}

/// Validated configuration of one fs-publish run.
public struct PublishConfig: Sendable, Equatable {
    public var common: CommonConfig
    public var publisherType: PublisherType
    public var inputTable: String
    public var outputTable: String
    /// Files written by the compaction are cut near this size.
    public var targetFileBytes: Int64
    /// Flags of the original that this publisher accepts but does not use (warned about).
    public var ignoredFlags: [String]
}
