import ArgumentParser
import FSCore
import FSJobs
import FSKafka

/// `fs-publish`: flags of the original PublisherMain plus ours. Parsing only; `PublishConfig`
/// holds the validated result, `PublishJob` runs the publisher it names.
public struct PublishCommand: ExecutableJobCommand {
    public typealias Job = PublishJob

    public static let commandName = "fs-publish"
    public static let abstract = "Publish a feature table: historical copies it into a compacted Delta table; the online stores (sqlite, …) receive the newest row of every key."
    public static let discussion = """
        Exit codes: 0 ok (also after a clean SIGTERM/SIGINT stop) · 64 usage · 65 bad data (corrupt or incompatible table) · 69 store unavailable after --max-retry-duration · 74 I/O · 70 internal.
        The original command line works unchanged, e.g.
          fs-publish dev --master-mode local[*] --app-name publisher --publisher-type historical \\
            --input-table /tmp/ifood/data/aggregations/online/order-agg \\
            --output-table /tmp/ifood/data/publisher/aggregations/order-agg
        The newest features of every customer, kept up to date in an embedded SQLite store:
          fs-publish --publisher-type sqlite --input-table /tmp/ifood/data/aggregations/online/order-agg \\
            --sqlite-path /tmp/ifood/data/features.db --output-table order_features --follow
        Passwords never go in flags: PGPASSWORD or ~/.pgpass, FS_MYSQL_PASSWORD or --jdbc-password-file, FS_REDIS_PASSWORD.
        """

    @Argument(help: "The original's positional environment word (e.g. dev); accepted and ignored.")
    public var environment: String?

    @OptionGroup public var common: CommonOptions

    @Option(name: [.long, .customLong("s", withSingleDash: true)], help: "historical (copy into a Delta table) or an online store: \(PublisherType.onlineStoreNames).")
    public var publisherType: String = "historical"

    @Option(name: [.long, .customLong("input-data-table"), .customLong("it", withSingleDash: true)], help: "The table to publish (a Delta table directory).")
    public var inputTable: String?

    @Option(name: [.long, .customLong("output-data-table"), .customShort("d")], help: "Where to publish: historical: a Delta table directory; sqlite/postgres/mysql: the SQL table; redis: the key prefix; kafka: the topic.")
    public var outputTable: String?

    @Option(help: "Historical: target size of the compacted files written, in MiB.")
    public var targetFileSizeMb: Int = 128

    @Option(help: "The key column(s), comma-separated (default: the input table's fs.keyColumns property).")
    public var keyField: String?

    @Option(help: "The column that orders the versions of a key (default: the input table's fs.timeColumn property).")
    public var timeField: String?

    @Option(help: "The feature columns to publish, comma-separated (default: every column except the key, the time and the partition columns).")
    public var columns: String?

    @Flag(help: "Keep tailing the input table and publish each new commit until SIGTERM/SIGINT.")
    public var follow = false

    @Option(help: "With --follow: how often the input's log is polled, e.g. 1s, 500ms.")
    public var triggerInterval: String = "1s"

    @Option(help: "Give up (exit 69) when the store stays unreachable this long, e.g. 30s, 5m.")
    public var maxRetryDuration: String = "5m"

    @Option(help: "Rows written per store transaction (the last one of a source version also records it).")
    public var batchRows: Int = 50_000

    @Option(help: "sqlite: the database file (created if missing; WAL mode).")
    public var sqlitePath: String?

    @Option(help: "postgres: a libpq URI or conninfo, without a password (PGPASSWORD or ~/.pgpass).")
    public var postgresUrl: String?

    @Option(name: [.long, .customLong("jh", withSingleDash: true)], help: "mysql: the server host.")
    public var jdbcHostname: String?
    @Option(name: [.long, .customLong("jp", withSingleDash: true)], help: "mysql: the server port.")
    public var jdbcPort: String?
    @Option(name: [.long, .customLong("jd", withSingleDash: true)], help: "mysql: the database.")
    public var jdbcDatabase: String?
    @Option(name: [.long, .customLong("ju", withSingleDash: true)], help: "mysql: the user (the password comes from FS_MYSQL_PASSWORD or --jdbc-password-file).")
    public var jdbcUser: String?
    @Option(help: "mysql: a file whose first line is the password.")
    public var jdbcPasswordFile: String?

    @Option(help: "redis: redis://host:port/db, without a password (FS_REDIS_PASSWORD).")
    public var redisUrl: String?
    @Option(help: "redis: expire each key's hash this long after its last update, e.g. 7d, 12h.")
    public var ttl: String?

    @Option(help: "kafka: the bootstrap servers, host:port[,host:port].")
    public var kafkaBrokers: String?

    @OptionGroup public var kafkaClient: KafkaClientOptions

    @Option(help: ArgumentHelp("Online stores: rewrite this file with Prometheus metrics after every cycle (for node_exporter's textfile collector; name it *.prom).", valueName: "path"))
    public var metricsFile: String?

    public init() {}

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
        guard batchRows >= 1 else { throw UsageError(flag: "--batch-rows", message: "must be ≥ 1, got \(batchRows)") }
        guard let trigger = parseDuration(triggerInterval), trigger > .zero else {
            throw UsageError(flag: "--trigger-interval", message: "'\(triggerInterval)' is not a positive duration (e.g. 1s, 500ms)")
        }
        guard let retry = parseDuration(maxRetryDuration) else {
            throw UsageError(flag: "--max-retry-duration", message: "'\(maxRetryDuration)' is not a duration (e.g. 30s, 5m)")
        }
        let inPath = normalizeTablePath(input)
        let outName = type == .historical ? normalizeTablePath(output) : output
        if type == .historical, inPath == outName {
            throw UsageError(flag: "--output-table", message: "must differ from --input-table (\(inPath))")
        }
        var config = PublishConfig(
            common: common, publisherType: type, inputTable: inPath, outputTable: outName,
            targetFileBytes: Int64(targetFileSizeMb) << 20, ignoredFlags: [])
        config.keyFields = try keyField.map { text throws(UsageError) in try Self.nameList(text, flag: "--key-field") }
        config.timeField = try timeField.map { text throws(UsageError) in try Self.nameList(text, flag: "--time-field", single: true)[0] }
        config.columns = try columns.map { text throws(UsageError) in try Self.nameList(text, flag: "--columns") }
        config.follow = follow
        config.triggerInterval = trigger
        config.maxRetryDuration = retry
        config.batchRows = batchRows
        config.connection = PublishConnection(
            sqlitePath: sqlitePath, postgresURL: postgresUrl, jdbcHostname: jdbcHostname, jdbcPort: jdbcPort,
            jdbcDatabase: jdbcDatabase, jdbcUser: jdbcUser, jdbcPasswordFile: jdbcPasswordFile, redisURL: redisUrl,
            ttl: ttl, kafkaBrokers: kafkaBrokers)
        if type == .kafka {
            config.kafkaClient = try kafkaClient.resolve(role: .producer)
        } else {
            if kafkaClient.kafkaConfig != nil { config.ignoredFlags.append("--kafka-config") }
            if !kafkaClient.properties.isEmpty { config.ignoredFlags.append("-X") }
        }
        config.metricsFile = try MetricsFile.validatedPath(metricsFile)
        if type == .historical, config.metricsFile != nil { config.ignoredFlags.append("--metrics-file") }
        try type.validate(&config)
        return config
    }

    /// Splits a comma-separated list of column names; empty names and duplicates are usage errors.
    static func nameList(_ text: String, flag: String, single: Bool = false) throws(UsageError) -> [String] {
        let names = text.split(separator: ",", omittingEmptySubsequences: false).map { String($0).trimmingSpaces() }
        if names.isEmpty || names.contains(where: \.isEmpty) {
            throw UsageError(flag: flag, message: "'\(text)' has an empty column name")
        }
        if single && names.count != 1 { throw UsageError(flag: flag, message: "takes one column, got \(names.count)") }
        if let dup = names.first(where: { n in names.filter { $0 == n }.count > 1 }) {
            throw UsageError(flag: flag, message: "names \(dup) twice")
        }
        return names
    }
}

/// The connection flags of every store, as given; each publisher type validates its own in
/// `PublisherType.validate` and ignores (with a warning) the others.
public struct PublishConnection: Sendable, Equatable {
    public var sqlitePath: String?
    public var postgresURL: String?
    public var jdbcHostname: String?
    public var jdbcPort: String?
    public var jdbcDatabase: String?
    public var jdbcUser: String?
    public var jdbcPasswordFile: String?
    public var redisURL: String?
    public var ttl: String?
    public var kafkaBrokers: String?

    public init(sqlitePath: String? = nil, postgresURL: String? = nil, jdbcHostname: String? = nil, jdbcPort: String? = nil,
                jdbcDatabase: String? = nil, jdbcUser: String? = nil, jdbcPasswordFile: String? = nil, redisURL: String? = nil,
                ttl: String? = nil, kafkaBrokers: String? = nil) {
        self.sqlitePath = sqlitePath
        self.postgresURL = postgresURL
        self.jdbcHostname = jdbcHostname
        self.jdbcPort = jdbcPort
        self.jdbcDatabase = jdbcDatabase
        self.jdbcUser = jdbcUser
        self.jdbcPasswordFile = jdbcPasswordFile
        self.redisURL = redisURL
        self.ttl = ttl
        self.kafkaBrokers = kafkaBrokers
    }

    /// The flags given, by name (to warn about those the chosen publisher does not use).
    public var givenFlags: [String] {
        var out: [String] = []
        if sqlitePath != nil { out.append("--sqlite-path") }
        if postgresURL != nil { out.append("--postgres-url") }
        if jdbcHostname != nil { out.append("--jdbc-hostname") }
        if jdbcPort != nil { out.append("--jdbc-port") }
        if jdbcDatabase != nil { out.append("--jdbc-database") }
        if jdbcUser != nil { out.append("--jdbc-user") }
        if jdbcPasswordFile != nil { out.append("--jdbc-password-file") }
        if redisURL != nil { out.append("--redis-url") }
        if ttl != nil { out.append("--ttl") }
        if kafkaBrokers != nil { out.append("--kafka-brokers") }
        return out
    }
}

/// Validated configuration of one fs-publish run.
public struct PublishConfig: JobConfiguration, Equatable {
    public var common: CommonConfig
    public var publisherType: PublisherType
    public var inputTable: String
    /// Historical: the output Delta table's path; online stores: the table / prefix / topic name.
    public var outputTable: String
    /// Historical: files written by the compaction are cut near this size.
    public var targetFileBytes: Int64
    /// Flags given that this publisher accepts but does not use (warned about).
    public var ignoredFlags: [String]
    /// `--key-field`; nil: the input table's `fs.keyColumns`.
    public var keyFields: [String]? = nil
    /// `--time-field`; nil: the input table's `fs.timeColumn`.
    public var timeField: String? = nil
    /// `--columns`; nil: every column but the key, the time and the partition columns.
    public var columns: [String]? = nil
    public var follow = false
    public var triggerInterval: Duration = .seconds(1)
    /// How long an unreachable store is retried (with backoff) before exit 69.
    public var maxRetryDuration: Duration = .seconds(300)
    /// Rows per store transaction: bounds the memory of one write and the work a crash redoes.
    public var batchRows = 50_000
    public var connection = PublishConnection()
    /// kafka: `--kafka-config` and `-X`, validated for a producer.
    public var kafkaClient = KafkaClientConfig()
    /// `--metrics-file` (online stores): rewritten after every cycle; nil when not asked for.
    public var metricsFile: String?

    public init(common: CommonConfig, publisherType: PublisherType, inputTable: String, outputTable: String,
                targetFileBytes: Int64 = 128 << 20, ignoredFlags: [String] = []) {
        self.common = common
        self.publisherType = publisherType
        self.inputTable = inputTable
        self.outputTable = outputTable
        self.targetFileBytes = targetFileBytes
        self.ignoredFlags = ignoredFlags
    }
}
