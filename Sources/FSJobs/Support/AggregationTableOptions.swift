import ArgumentParser

/// The table and column flags of the two aggregation jobs (fs-agg-offline, fs-agg-online),
/// declared once with the original's spellings (`--input-data-table`/`-it`,
/// `--output-data-table`/`-ot`, `--group-field`/`-af`, `-tf`, `-t`) and checked once: the
/// output and both columns are required, and the output must not be the input. The input is
/// the caller's to check: fs-agg-online may read Kafka instead.
public struct AggregationTableOptions: ParsableArguments, Sendable {
    @Option(name: [.long, .customLong("input-data-table"), .customLong("it", withSingleDash: true)],
            help: "The input table (fs-agg-offline also reads a hive-partitioned Parquet directory; fs-agg-online tails it).")
    public var inputTable: String?

    @Option(name: [.long, .customLong("output-data-table"), .customLong("ot", withSingleDash: true)],
            help: "The feature Delta table to write (created if missing), partitioned by year/month/day.")
    public var outputTable: String?

    @Option(name: [.long, .customLong("group-field"), .customLong("af", withSingleDash: true)], help: "The key column to group by.")
    public var aggField: String?

    @Option(name: [.long, .customLong("tf", withSingleDash: true)], help: "The event-time column (a timestamp, or a date offline).")
    public var timeField: String?

    @Option(name: [.long, .customLong("t", withSingleDash: true)], help: "The original's Spark temp dir; accepted and ignored.")
    public var tempDir: String?

    public init() {}

    /// The output table's path (normalized), required and different from `input` (normalized).
    public func output(differentFrom input: String) throws(UsageError) -> String {
        let output = normalizeTablePath(try UsageError.required(outputTable, flag: "--output-table", "the feature table to write"))
        guard output != input else { throw UsageError(flag: "--output-table", message: "must differ from --input-table (\(input))") }
        return output
    }

    /// The key and event-time columns, both required.
    public func columns() throws(UsageError) -> (key: String, time: String) {
        (try UsageError.required(aggField, flag: "--agg-field", "the key column to group by, e.g. customer_id"),
         try UsageError.required(timeField, flag: "--time-field", "the event-time column, e.g. fs_ingestion_timestamp"))
    }

    /// The original's flags given here that fs does not use.
    public var ignoredFlags: [String] { tempDir == nil ? [] : ["--temp-dir"] }
}
