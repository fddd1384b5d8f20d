import FSJobs

/// The publishers fs has. Adding a store = a case here, its flag checks in `validate`, and its
/// type in `makeTarget`: the job, the change reader and the summary are shared.
public enum PublisherType: String, Sendable, CaseIterable {
    case historical
    case sqlite

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
        }
        config.ignoredFlags += config.connection.givenFlags.filter { !used.contains($0) }
    }

    /// Opens the store of an online-store type (nil for historical, which has its own path).
    func makeTarget(_ config: PublishConfig) throws -> (any PublishTarget)? {
        switch self {
        case .historical: return nil
        case .sqlite: return try SQLiteTarget(path: config.connection.sqlitePath ?? "", table: config.outputTable)
        }
    }
}
