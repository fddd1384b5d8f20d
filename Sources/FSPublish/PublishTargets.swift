import FSJobs

/// The publishers fs has. Adding a store = a case here, its flag checks in `validate`, and its
/// type in `makeTarget`: the job, the change reader and the summary are shared.
public enum PublisherType: String, Sendable, CaseIterable {
    case historical
    case sqlite
    case postgres
    case mysql
    case redis
    case kafka

    /// The online-store types, for help texts.
    static var onlineStoreNames: String {
        allCases.filter { $0 != .historical }.map(\.rawValue).joined(separator: ", ")
    }

    /// Checks the connection flags this type needs (usage errors name the flag) and records the
    /// ones it ignores in `config.ignoredFlags`.
    func validate(_ config: inout PublishConfig) throws(UsageError) {
        var used: Set<String> = []
        switch self {
        case .historical:
            if config.follow { throw UsageError(flag: "--follow", message: "is for the online stores; historical publishes what is new and exits (run it from cron)") }
            for (flag, given) in [("--key-field", config.keyFields != nil), ("--time-field", config.timeField != nil), ("--columns", config.columns != nil)] where given {
                config.ignoredFlags.append(flag)
            }
        case .sqlite:
            guard let path = config.connection.sqlitePath, !path.isEmpty else {
                throw UsageError(flag: "--sqlite-path", message: "is required with --publisher-type sqlite (the database file, created if missing)")
            }
            if let problem = SQLDialect.sqlite.validate(config.outputTable) { throw UsageError(flag: "--output-table", message: problem) }
            used = ["--sqlite-path"]
        case .postgres:
            guard let url = config.connection.postgresURL, !url.isEmpty else {
                throw UsageError(flag: "--postgres-url", message: "is required with --publisher-type postgres (e.g. postgresql://user@host:5432/db; the password from PGPASSWORD or ~/.pgpass)")
            }
            do { try PostgresTarget.validate(url: url) } catch { throw UsageError(flag: "--postgres-url", message: Self.reason(error)) }
            if let problem = SQLDialect.postgres.validate(config.outputTable) { throw UsageError(flag: "--output-table", message: problem) }
            used = ["--postgres-url"]
        case .mysql:
            _ = try StoreFlags.mysql(config.connection)
            if let problem = SQLDialect.mysql.validate(config.outputTable) { throw UsageError(flag: "--output-table", message: problem) }
            used = ["--jdbc-hostname", "--jdbc-port", "--jdbc-database", "--jdbc-user", "--jdbc-password-file"]
        case .redis:
            guard let url = config.connection.redisURL, !url.isEmpty else {
                throw UsageError(flag: "--redis-url", message: "is required with --publisher-type redis (redis://host:port/db; the password from FS_REDIS_PASSWORD)")
            }
            do { _ = try RedisTarget.parse(url: url) } catch { throw UsageError(flag: "--redis-url", message: Self.reason(error)) }
            _ = try StoreFlags.ttl(config.connection.ttl)
            used = ["--redis-url", "--ttl"]
        case .kafka:
            guard let brokers = config.connection.kafkaBrokers, !brokers.isEmpty else {
                throw UsageError(flag: "--kafka-brokers", message: "is required with --publisher-type kafka (host:port[,host:port…])")
            }
            if let problem = PublisherType.topicProblem(config.outputTable) { throw UsageError(flag: "--output-table", message: problem) }
            used = ["--kafka-brokers"]
        }
        config.ignoredFlags += config.connection.givenFlags.filter { !used.contains($0) }
    }

    /// Opens the store of an online-store type (nil for historical, which has its own path).
    func makeTarget(_ config: PublishConfig) throws -> (any PublishTarget)? {
        switch self {
        case .historical: return nil
        case .sqlite: return try SQLiteTarget(path: config.connection.sqlitePath ?? "", table: config.outputTable)
        // The job loop retries an unavailable store for --max-retry-duration itself, so the
        // targets fail fast (retry budget zero) instead of retrying inside each call.
        case .postgres:
            return try PostgresTarget(.init(url: config.connection.postgresURL ?? "", password: StoreFlags.environment("PGPASSWORD"), maxRetryDuration: .zero))
        case .mysql:
            let m = try StoreFlags.mysql(config.connection)
            return MySQLTarget(.init(host: m.host, port: m.port, database: m.database, user: m.user,
                                     password: try StoreFlags.mysqlPassword(config.connection), maxRetryDuration: .zero))
        case .redis:
            return try RedisTarget(.init(url: config.connection.redisURL ?? "", password: StoreFlags.environment("FS_REDIS_PASSWORD"),
                                         ttl: try StoreFlags.ttl(config.connection.ttl), maxRetryDuration: .zero))
        case .kafka: return try KafkaTarget(brokers: config.connection.kafkaBrokers ?? "", topic: config.outputTable, client: config.kafkaClient)
        }
    }

    private static func reason(_ error: any Error) -> String {
        if case StoreError.badConfiguration(_, let reason) = error { return reason }
        return "\(error)"
    }

    /// Why `name` cannot be a Kafka topic (Kafka's rule: 1–249 of `[a-zA-Z0-9._-]`, not `.`/`..`;
    /// the state topic adds 16 characters), nil when it can.
    static func topicProblem(_ name: String) -> String? {
        let allowed = name.unicodeScalars.allSatisfy { ($0.isASCII && ($0.properties.isAlphabetic || ("0"..."9").contains($0))) || "._-".unicodeScalars.contains($0) }
        if !allowed { return "'\(name)' is not a Kafka topic name (letters, digits, '.', '_' and '-' only)" }
        if name == "." || name == ".." { return "'\(name)' is not a Kafka topic name" }
        if name.count + ".fs_publish_state".count > 249 { return "'\(name)' is too long for a Kafka topic with its state topic (at most 232 characters)" }
        return nil
    }
}
