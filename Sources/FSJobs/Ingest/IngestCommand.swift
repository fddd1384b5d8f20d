import ArgumentParser
import FSCore
import FSKafka
import FSParquet
import FSTable
import FSStreams

/// `fs-ingest`: the original DataIngestionStreamMain's flags plus ours. Parsing only;
/// `IngestConfig` holds the validated result and `IngestJob` does the work.
public struct IngestCommand: ExecutableJobCommand {
    public typealias Job = IngestJob

    public static let commandName = "fs-ingest"
    public static let abstract = "Ingest a Kafka stream into a Delta table, exactly once; bad messages go to a quarantine table."
    public static let discussion = """
        Table: <data-dir>/ingestion/<stream-type>, partitioned fs_year/fs_month/fs_day; quarantine: <data-dir>/quarantine/<stream-type>. Each commit stores txn(appId "fs-ingest/<topic>/<partition>", version = last offset written); a restart resumes from the table, not from the group.

        Without --available-now the job joins the consumer group (--group-id) and runs until SIGTERM/SIGINT, which finish and commit the batch in flight and exit 0 (a second signal during that commit exits at once with 143/130; the table stays consistent and the batch is re-read on restart).

        Exit codes: 0 ok · 64 usage · 69 broker unreachable for --max-retry-duration · 74 I/O · 70 internal.

        The original command line works unchanged, e.g.
          fs-ingest dev --kafka-topics de-order-events --master-mode local[*] \\
            --kafka-brokers host:9092 --output-dir /tmp/ifood/data/ \\
            --stream-type order-events --max-offsets-per-trigger 50000
        """

    @Argument(help: "The original's positional environment word (e.g. dev); accepted and ignored.")
    public var environment: String?

    @OptionGroup public var common: CommonOptions

    @Option(name: [.long, .customShort("b")], help: "Bootstrap servers, host:port[,host:port…].")
    public var kafkaBrokers: String?

    @Option(name: [.long, .customShort("k")], help: "Comma-separated topics (default: de-<stream-type>).")
    public var kafkaTopics: String?

    @Option(name: [.long, .customLong("output-dir"), .customShort("d")], help: "Root data directory (tables go under ingestion/ and quarantine/).")
    public var dataDir: String?

    @Option(help: "order-events, order-status-events (or order-status-event), restaurant-events, consumer-events.")
    public var streamType: String?

    @Option(name: [.long, .customLong("mopt", withSingleDash: true)], help: "At most this many messages per micro-batch.")
    public var maxOffsetsPerTrigger: Int = 50_000

    @Option(name: [.long, .customShort("m")], help: "The original's unused flag; accepted and ignored.")
    public var kafkaMaxOffsetsPerTrigger: String?

    @Option(help: "Commit a micro-batch at least this often, e.g. 1s, 500ms, \"5 seconds\".")
    public var triggerInterval: String = "1s"

    @Option(help: "Consumer group (default fs-ingest-<stream-type>).")
    public var groupId: String?

    @Option(help: "Where a partition with no offset in the table starts: earliest or latest.")
    public var startingOffsets: String = "earliest"

    @Flag(help: "Consume to the current end of every partition, commit, exit 0.")
    public var availableNow = false

    @Option(help: "Drop repeats of this field within a window (default status_id for order-status-events; 'none' disables; 'key' = the Kafka key).")
    public var dedupKey: String?

    @Option(help: "Dedup keys remembered per partition.")
    public var dedupWindow: Int = 1_000_000

    @Option(help: "Give up (exit 69) when the brokers stay unreachable this long, e.g. 30s, 5m (default: retry forever).")
    public var maxRetryDuration: String?

    @Option(help: "Messages larger than this many bytes go to quarantine.")
    public var maxMessageBytes: Int = 1 << 20

    @Option(parsing: .unconditional,
            help: ArgumentHelp("ZSTD level of the data table's Parquet pages (negative: zstd's fast levels, bigger files).",
                               valueName: "level"))
    public var zstdLevel: Int = 1

    @OptionGroup public var kafka: KafkaClientOptions

    @OptionGroup public var tables: StreamingTableOptions

    public init() {}

    /// Validates every flag before any work starts.
    public func resolve() throws(UsageError) -> IngestConfig {
        let common = try self.common.resolve(defaultAppName: "feature-store-data-ingest")
        guard let name = streamType, !name.isEmpty else {
            throw UsageError(flag: "--stream-type", message: "is required: one of \(StreamType.allCases.map(\.rawValue).joined(separator: ", "))")
        }
        guard let type = StreamType(name: name) else {
            throw UsageError(flag: "--stream-type", message: "'\(name)' is not one of \(StreamType.allCases.map(\.rawValue).joined(separator: ", ")) (order-status-event is accepted too)")
        }
        guard let brokers = kafkaBrokers, !brokers.isEmpty else {
            throw UsageError(flag: "--kafka-brokers", message: "is required (host:port[,host:port…])")
        }
        guard let dir = dataDir, !dir.isEmpty else { throw UsageError(flag: "--data-dir", message: "is required (root of the tables)") }
        let topics = (kafkaTopics ?? type.defaultTopic).split(separator: ",").map { String($0).trimmingSpaces() }.filter { !$0.isEmpty }
        guard !topics.isEmpty else { throw UsageError(flag: "--kafka-topics", message: "names no topic") }
        guard maxOffsetsPerTrigger >= 1 else { throw UsageError(flag: "--max-offsets-per-trigger", message: "must be ≥ 1, got \(maxOffsetsPerTrigger)") }
        let trigger = Duration.microseconds(try durationFlag(triggerInterval, flag: "--trigger-interval"))
        let start: StartingOffsets
        switch startingOffsets.lowercased() {
        case "earliest": start = .earliest
        case "latest": start = .latest
        default: throw UsageError(flag: "--starting-offsets", message: "'\(startingOffsets)' is not earliest or latest")
        }
        var dedup: (name: String, key: DedupKey)? = nil
        let dedupName = dedupKey ?? type.defaultDedupKey
        if let n = dedupName, n.lowercased() != "none" {
            guard let k = type.dedupKey(named: n) else {
                throw UsageError(flag: "--dedup-key", message: "'\(n)' is not a field of \(type) (fields: key, \(type.fields.map(\.name).joined(separator: ", ")); or none)")
            }
            dedup = (n, k)
        }
        guard dedupWindow >= 1 else { throw UsageError(flag: "--dedup-window", message: "must be ≥ 1, got \(dedupWindow)") }
        var retry: Duration? = nil
        if let r = maxRetryDuration {
            retry = .microseconds(try durationFlag(r, flag: "--max-retry-duration"))
        }
        guard maxMessageBytes >= 1 else { throw UsageError(flag: "--max-message-bytes", message: "must be ≥ 1, got \(maxMessageBytes)") }
        let levels = ParquetCompression.zstdLevels
        guard let level = Int32(exactly: zstdLevel), levels.contains(level) else {
            throw UsageError(flag: "--zstd-level", message: "must be a ZSTD level in \(levels.lowerBound)...\(levels.upperBound), got \(zstdLevel)")
        }
        let kafkaClient = try kafka.resolve(role: .consumer)
        let upkeep = try tables.resolve()
        let root = normalizeTablePath(dir)
        return IngestConfig(
            common: common, streamType: type, brokers: brokers, topics: topics, dataDir: root,
            table: root + "/ingestion/" + type.rawValue, quarantineTable: root + "/quarantine/" + type.rawValue,
            maxOffsetsPerTrigger: maxOffsetsPerTrigger, triggerInterval: trigger, groupId: groupId ?? "fs-ingest-\(type.rawValue)",
            startingOffsets: start, availableNow: availableNow, dedupKeyName: dedup?.name, dedupKey: dedup?.key, dedupWindow: dedupWindow,
            maxRetryDuration: retry, limits: ParseLimits(maxMessageBytes: maxMessageBytes), kafkaClient: kafkaClient,
            metricsFile: upkeep.metricsFile, zstdLevel: level,
            ignoredFlags: kafkaMaxOffsetsPerTrigger == nil ? [] : ["--kafka-max-offsets-per-trigger"], compactMinFiles: upkeep.compactMinFiles)
    }
}

/// Validated configuration of one fs-ingest run.
public struct IngestConfig: JobConfiguration {
    public var common: CommonConfig
    public var streamType: StreamType
    public var brokers: String
    public var topics: [String]
    public var dataDir: String
    /// `<data-dir>/ingestion/<stream-type>`.
    public var table: String
    /// `<data-dir>/quarantine/<stream-type>`.
    public var quarantineTable: String
    public var maxOffsetsPerTrigger: Int
    public var triggerInterval: Duration
    public var groupId: String
    public var startingOffsets: StartingOffsets
    public var availableNow: Bool
    public var dedupKeyName: String?
    public var dedupKey: DedupKey?
    public var dedupWindow: Int
    /// nil: retry an unreachable broker forever.
    public var maxRetryDuration: Duration?
    public var limits: ParseLimits
    /// `--kafka-config` and `-X`, validated.
    public var kafkaClient: KafkaClientConfig
    /// `--metrics-file`: rewritten after every trigger; nil when not asked for.
    public var metricsFile: String?
    /// `--zstd-level` of the data table's pages. 1 (the default) matches pyarrow's and DuckDB's
    /// speed and size; negative levels trade file size for writer CPU (see bench/ANALYSIS.md).
    public var zstdLevel: Int32 = 1
    public var ignoredFlags: [String]
    /// Auto-compaction threshold of the data and quarantine tables (0: off).
    public var compactMinFiles: Int = AutoCompaction.defaultMinFiles

    /// The auto-compaction the writers use (nil: off).
    public var autoCompaction: AutoCompaction? { AutoCompaction.fromFlag(minFiles: compactMinFiles) }
}
