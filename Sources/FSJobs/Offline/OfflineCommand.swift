import ArgumentParser
import FSAggregation
import FSCore

/// `fs-agg-offline`: flags of the original AggregationsOfflineMain plus ours. Parsing only;
/// `OfflineConfig` holds the validated result and `OfflineJob` does the work.
public struct OfflineCommand: ExecutableJobCommand {
    public typealias Job = OfflineJob

    public static let commandName = "fs-agg-offline"
    public static let abstract = "Compute features per key over a date range of a table, all periods in one pass; write one year/month/day partition."
    public static let discussion = """
        Range: dates select start-date 00:00 <= time < end-date + 1 day (UTC); date-times select [start, end). A period of N days covers the last N days ending with the range's end.

        Output columns: the agg-field, one column per feature, year, month, day (the day of the range's last instant); a re-run replaces that partition atomically.

        Exit codes: 0 ok · 64 usage (bad flag, date, column, feature, missing input) · 65 bad data · 74 I/O · 70 internal.

        The original command line works unchanged, e.g.
          fs-agg-offline dev --master-mode "local[*]" \\
            --input-data-table /tmp/ifood/data/ingestion/order-events/ \\
            --output-data-table /tmp/ifood/data/aggregations/offline/order-agg \\
            --temp-dir tempDir --time-field order_created_at \\
            --start-date 2018-02-01 --end-date 2020-12-01 --group-field customer_id
        """

    @Argument(help: "The original's positional environment word (e.g. dev); accepted and ignored.")
    public var environment: String?

    @OptionGroup public var common: CommonOptions

    @OptionGroup public var tables: AggregationTableOptions

    @Option(name: [.long, .customLong("sd", withSingleDash: true)], help: "First day (YYYY-MM-DD, from 00:00 UTC) or a UTC date-time (inclusive).")
    public var startDate: String?

    @Option(name: [.long, .customLong("ed", withSingleDash: true)], help: "Last day (YYYY-MM-DD, through 24:00 UTC) or a UTC date-time (exclusive).")
    public var endDate: String?

    @OptionGroup public var features: FeatureOptions

    @Option(name: [.long, .customLong("b", withSingleDash: true)], help: "The original's Kafka brokers; accepted and ignored.")
    public var kafkaBrokers: String?
    @Option(name: [.long, .customLong("k", withSingleDash: true)], help: "The original's Kafka topics; accepted and ignored.")
    public var kafkaTopics: String?

    public init() {}

    /// Validates every flag before any work starts; definitions files are read here too, so a
    /// typo in one fails before the input is opened.
    public func resolve() throws -> OfflineConfig {
        let common = try self.common.resolve(defaultAppName: "feature-store-data-aggregations")
        let input = normalizeTablePath(try UsageError.required(tables.inputTable, flag: "--input-table", "the table to aggregate"))
        let output = try tables.output(differentFrom: input)
        let (key, time) = try tables.columns()
        let range = try OfflineRange(start: try UsageError.required(startDate, flag: "--start-date", "first day of the range"),
                                     end: try UsageError.required(endDate, flag: "--end-date", "last day of the range"))
        let definitions = try features.resolve(defaults: FeatureDefinition.originalOffline, reservedColumns: [key] + OfflineOutput.partitionColumns)
        for d in definitions {
            if let p = d.period { try range.validate(period: p, feature: d.featureName) }
        }
        var ignored = tables.ignoredFlags
        if kafkaBrokers != nil { ignored.append("--kafka-brokers") }
        if kafkaTopics != nil { ignored.append("--kafka-topics") }
        return OfflineConfig(common: common, inputTable: input, outputTable: output, aggField: key, timeField: time, range: range,
                             definitions: definitions, ignoredFlags: ignored)
    }
}

/// Validated configuration of one fs-agg-offline run.
public struct OfflineConfig: JobConfiguration {
    public var common: CommonConfig
    public var inputTable: String
    public var outputTable: String
    public var aggField: String
    public var timeField: String
    public var range: OfflineRange
    /// The features, in output column order.
    public var definitions: [FeatureDefinition]
    /// Flags of the original accepted for compatibility and not used (warned about).
    public var ignoredFlags: [String]
}
