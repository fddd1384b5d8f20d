import ArgumentParser
import FSAggregation
import FSCore
import FSKafka
import FSTable
import FSStreams

/// `fs-agg-online`: flags of the original AggregationsOnlineMain plus ours. Parsing only;
/// `OnlineConfig` holds the validated result and `OnlineJob` does the work.
public struct OnlineCommand: ExecutableJobCommand {
    public typealias Job = OnlineJob

    public static let commandName = "fs-agg-online"
    public static let abstract = "Sliding event-time window features over an ingestion table, exactly once, with late rows kept."
    public static let discussion = """
        Windows are [start, end) aligned to the epoch (Spark's window()); the watermark is the largest event time seen minus --watermark; append mode writes a window once, after the watermark passes its end.

        Exit codes: 0 ok · 64 usage · 65 bad data (corrupt state, incompatible tables) · 74 I/O · 70 internal.

        The original command line works unchanged, e.g.
          fs-agg-online dev --master-mode local[*] \\
            --input-data-table /tmp/ifood/data/ingestion/order-events/ \\
            --output-data-table /tmp/ifood/data/aggregations/online/order-agg \\
            --temp-dir tempDir --window-duration "5 seconds" \\
            --window-slide-duration "5 seconds" --watermark "10 seconds" \\
            --time-field fs_ingestion_timestamp --group-field customer_id
        """

    @Argument(help: "The original's positional environment word (e.g. dev); accepted and ignored.")
    public var environment: String?

    @OptionGroup public var common: CommonOptions

    @OptionGroup public var features: FeatureOptions

    @OptionGroup public var tables: AggregationTableOptions

    @Option(help: "Where late rows go (default: <output-table>_late, a Delta table next to the output).")
    public var lateTable: String?

    @Option(name: [.long, .customShort("w")], help: "Watermark delay, e.g. \"10 minutes\" (default 0 seconds).")
    public var watermark: String = "0 seconds"

    @Option(name: [.long, .customLong("wd", withSingleDash: true)], help: "Window length, e.g. \"1 hour\".")
    public var windowDuration: String?

    @Option(name: [.long, .customLong("wsd", withSingleDash: true)], help: "Distance between window starts (default: the window length, i.e. tumbling).")
    public var windowSlideDuration: String?

    @Option(help: "append (a window once, when final) or update (changed windows every trigger).")
    public var outputMode: String = "append"

    @Option(help: "How often to look for new input when idle, e.g. \"1 second\".")
    public var triggerInterval: String = "1 second"

    @Option(help: "Input versions processed per trigger at most (one output commit per trigger).")
    public var maxVersionsPerTrigger: Int = 100

    @Option(help: "Where the window state snapshots live (default: <output-table>/_fs_checkpoint).")
    public var checkpointDir: String?

    @Flag(help: "Process every input version present now, commit, and exit 0 (Spark's availableNow trigger).")
    public var availableNow = false

    @Option(name: [.long, .customShort("b")], help: "Kafka bootstrap servers (for --kafka-topics).")
    public var kafkaBrokers: String?

    @Option(name: [.long, .customShort("k")], help: "Read these topics (comma-separated) directly with the ingest parsers, instead of --input-table.")
    public var kafkaTopics: String?

    @Option(help: "Parser of the topics' messages when reading Kafka directly: order-events, order-status-events, restaurant-events, consumer-events.")
    public var streamType: String?

    @Option(help: "Kafka messages read per trigger at most (with --kafka-topics).")
    public var maxOffsetsPerTrigger: Int = 1_000_000

    @Option(help: "With --kafka-topics: where messages the parser refuses go (default: <output-table>_quarantine; the schema of fs-ingest's quarantine table).")
    public var quarantineTable: String?

    @Option(help: "With --kafka-topics: give up (exit 69) when the brokers stay unreachable this long, e.g. 30s, 5m (default: retry forever).")
    public var maxRetryDuration: String?

    @OptionGroup public var kafkaClient: KafkaClientOptions

    @OptionGroup public var upkeep: StreamingTableOptions

    public init() {}

    /// Validates every flag before any work starts.
    public func resolve() throws -> OnlineConfig {
        let common = try self.common.resolve(defaultAppName: "feature-store-agg-online")
        var kafka: OnlineKafkaInput? = nil
        if let topicList = kafkaTopics {
            guard tables.inputTable == nil else { throw UsageError(flag: "--kafka-topics", message: "give either --input-table or --kafka-topics, not both") }
            let topics = topicList.split(separator: ",").map { String($0).trimmingSpaces() }.filter { !$0.isEmpty }
            guard !topics.isEmpty else { throw UsageError(flag: "--kafka-topics", message: "names no topic") }
            guard let brokers = kafkaBrokers, !brokers.trimmingSpaces().isEmpty else {
                throw UsageError(flag: "--kafka-brokers", message: "is required with --kafka-topics (host:port[,host:port…])")
            }
            guard let typeName = streamType else {
                throw UsageError(flag: "--stream-type", message: "is required with --kafka-topics: one of \(StreamType.allCases.map(\.rawValue).joined(separator: ", "))")
            }
            guard let type = StreamType(name: typeName) else {
                throw UsageError(flag: "--stream-type", message: "'\(typeName)' is not one of \(StreamType.allCases.map(\.rawValue).joined(separator: ", "))")
            }
            guard maxOffsetsPerTrigger >= 1 else { throw UsageError(flag: "--max-offsets-per-trigger", message: "must be at least 1") }
            kafka = OnlineKafkaInput(brokers: brokers.trimmingSpaces(), topics: topics, streamType: type, maxOffsetsPerTrigger: maxOffsetsPerTrigger,
                                     maxRetryDuration: try maxRetryDuration.map { .microseconds(try durationFlag($0, flag: "--max-retry-duration")) },
                                     client: try kafkaClient.resolve(role: .consumer))
        }
        guard let input = kafka.map({ "kafka:" + $0.topics.joined(separator: ",") }) ?? tables.inputTable, !input.isEmpty else {
            throw UsageError(flag: "--input-table", message: "is required (the ingestion table to tail), or --kafka-topics with --stream-type")
        }
        let inPath = kafka == nil ? normalizeTablePath(input) : input
        let outPath = try tables.output(differentFrom: inPath)
        let (key, time) = try tables.columns()
        guard let durationText = windowDuration else { throw UsageError(flag: "--window-duration", message: "is required, e.g. \"1 hour\"") }
        let duration = try durationFlag(durationText, flag: "--window-duration")
        let slide = try windowSlideDuration.map { try durationFlag($0, flag: "--window-slide-duration") } ?? duration
        let spec: WindowSpec
        do { spec = try WindowSpec(duration: duration, slide: slide) } catch {
            throw UsageError(flag: "--window-slide-duration", message: error.description)
        }
        let delay = try durationFlag(watermark, flag: "--watermark", allowZero: true)
        let trigger = try durationFlag(triggerInterval, flag: "--trigger-interval")
        guard let mode = WindowOutputMode(rawValue: outputMode.lowercased()) else {
            throw UsageError(flag: "--output-mode", message: "'\(outputMode)' is not one of append, update")
        }
        guard maxVersionsPerTrigger >= 1 else { throw UsageError(flag: "--max-versions-per-trigger", message: "must be at least 1") }
        let definitions = try features.resolve(defaults: FeatureDefinition.originalOnline,
                                               reservedColumns: [key, "window_start", "window_end"] + OnlineOutput.partitionColumns)
        let late = lateTable.map(normalizeTablePath) ?? outPath + "_late"
        guard late != outPath, late != inPath else { throw UsageError(flag: "--late-table", message: "must differ from the input and output tables") }
        if kafka == nil, quarantineTable != nil { throw UsageError(flag: "--quarantine-table", message: "applies only with --kafka-topics") }
        if kafka != nil {
            let quarantine = quarantineTable.map(normalizeTablePath) ?? outPath + "_quarantine"
            guard quarantine != outPath, quarantine != late else {
                throw UsageError(flag: "--quarantine-table", message: "must differ from the output and late tables")
            }
            kafka?.quarantineTable = quarantine
        }
        let upkeep = try self.upkeep.resolve()
        var ignored = tables.ignoredFlags
        if kafka == nil && kafkaBrokers != nil { ignored.append("--kafka-brokers") }
        if kafka == nil && kafkaClient.kafkaConfig != nil { ignored.append("--kafka-config") }
        if kafka == nil && !kafkaClient.properties.isEmpty { ignored.append("-X") }
        if kafka == nil && streamType != nil { ignored.append("--stream-type") }
        return OnlineConfig(
            common: common, definitions: definitions, inputTable: inPath, outputTable: outPath, lateTable: late,
            checkpointDir: checkpointDir.map(normalizeTablePath) ?? outPath + "/_fs_checkpoint", timeField: time, aggField: key,
            window: spec, watermarkDelay: delay, outputMode: mode, triggerIntervalMicros: trigger,
            maxVersionsPerTrigger: maxVersionsPerTrigger, availableNow: availableNow, kafka: kafka, ignoredFlags: ignored,
            metricsFile: upkeep.metricsFile,
            compactMinFiles: upkeep.compactMinFiles)
    }
}

/// Validated configuration of one fs-agg-online run.
public struct OnlineConfig: JobConfiguration, Equatable {
    public var common: CommonConfig
    public var definitions: [FeatureDefinition]
    public var inputTable: String
    public var outputTable: String
    /// Late rows (all windows closed, some closed, NULL time) with reason and missed windows.
    public var lateTable: String
    public var checkpointDir: String
    public var timeField: String
    public var aggField: String
    public var window: WindowSpec
    public var watermarkDelay: Int64
    public var outputMode: WindowOutputMode
    public var triggerIntervalMicros: Int64
    public var maxVersionsPerTrigger: Int
    public var availableNow: Bool
    /// Read these topics directly instead of tailing `inputTable` (which is then "kafka:<topics>").
    public var kafka: OnlineKafkaInput?
    /// Flags of the original accepted but not used (warned about).
    public var ignoredFlags: [String]
    /// `--metrics-file`: rewritten after every trigger; nil when not asked for.
    public var metricsFile: String? = nil
    /// Auto-compaction threshold of the output and late tables (0: off).
    public var compactMinFiles: Int = AutoCompaction.defaultMinFiles

    /// The auto-compaction the writers use (nil: off).
    public var autoCompaction: AutoCompaction? { AutoCompaction.fromFlag(minFiles: compactMinFiles) }
}

/// The Kafka side of `--kafka-topics`: what to read and how to parse it.
public struct OnlineKafkaInput: Sendable, Equatable {
    public var brokers: String
    public var topics: [String]
    public var streamType: StreamType
    public var maxOffsetsPerTrigger: Int
    /// `--max-retry-duration`: how long unreachable brokers are retried (nil: forever).
    public var maxRetryDuration: Duration? = nil
    /// `--kafka-config` and `-X`, validated.
    public var client = KafkaClientConfig()
    /// `--quarantine-table`: the messages the parser refused (`QuarantineBuffer`'s schema);
    /// default `<output-table>_quarantine`.
    public var quarantineTable = ""
}
