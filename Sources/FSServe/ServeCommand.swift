import ArgumentParser
import FSCore
import FSJobs

/// `fs-serve`: flags → `ServeConfig` (validated once) → `ServeJob(config).run()`.
public struct ServeCommand: ExecutableJobCommand {
    public typealias Job = ServeJob

    public static let commandName = "fs-serve"
    public static let abstract = "Serve published feature vectors over HTTP (Feast's /get-online-features, /features/<table>/<key>, /health, /metrics)."
    public static let discussion = """
        Sources: --store sqlite:PATH | postgres:URL | redis:URL with one --table per published table
        (fs-publish's --output-table; for Redis its key prefix); passwords from PGPASSWORD or ~/.pgpass
        and FS_REDIS_PASSWORD, never in the URL,
        and/or --delta-table [NAME=]PATH for a Delta feature table held in memory (newest row per key,
        refreshed every --refresh-interval).
        Exit codes: 0 ok (also after SIGTERM drained the requests in flight) · 64 usage · 65 bad store ·
        69 cannot listen / store unavailable at start · 70 internal.
          fs-serve --store sqlite:/tmp/ifood/data/publisher/features.db --table order_agg --port 6566
        """

    @OptionGroup public var common: CommonOptions

    @Option(help: "The store fs-publish wrote: sqlite:PATH, postgres:URL or redis:URL.")
    public var store: String?

    @Option(help: "A table of --store to serve (repeatable).")
    public var table: [String] = []

    @Option(help: "A Delta feature table to serve from memory, [NAME=]PATH (repeatable; NAME defaults to the directory name).")
    public var deltaTable: [String] = []

    @Option(help: "Delta tables: key columns, comma-separated (default: the table's first column).")
    public var keyColumns: String?

    @Option(help: "Delta tables: the column that orders a key's versions (default: window_end, else the year/month/day partition date).")
    public var timeColumn: String?

    @Option(help: "Delta tables: how often to look for new commits (e.g. 500ms, 1s).")
    public var refreshInterval: String = "1s"

    @Option(help: "Address to listen on (loopback by default: put a proxy in front to expose it).")
    public var host: String = "127.0.0.1"

    @Option(help: "Port to listen on (0: any free port, printed on stdout as {\"port\":N}).")
    public var port: Int = 6566

    @Option(help: "Event-loop threads (default: one per core).")
    public var threads: Int?

    @Option(help: "File holding a bearer token: requests then need 'Authorization: Bearer <token>' (all routes but /health).")
    public var authTokenFile: String?

    @Option(help: "Largest request body accepted, in bytes (larger: 413).")
    public var maxRequestBytes: Int = 1 << 20

    @Option(help: "Most entity rows one request may ask for (more: 422).")
    public var maxKeys: Int = 1_000

    @Flag(help: "Log one structured line per request on stderr (off by default).")
    public var accessLog = false

    public init() {}

    /// Validates every flag before anything starts.
    public func resolve() throws(UsageError) -> ServeConfig {
        let common = try self.common.resolve(defaultAppName: "fs-serve")
        var sources: [ServeConfig.Source] = []
        if let store {
            let spec = try StoreSpec.parse(store)
            guard !table.isEmpty else { throw UsageError(flag: "--table", message: "name at least one table of \(store) to serve") }
            for t in table {
                guard !t.isEmpty, !t.contains(":"), !t.contains("/") else {
                    throw UsageError(flag: "--table", message: "'\(t)' cannot be a served table name (no ':' or '/')")
                }
                sources.append(.store(spec, table: t))
            }
        } else if !table.isEmpty {
            throw UsageError(flag: "--table", message: "needs --store (the store that holds the table)")
        }
        let keys = keyColumns.map { $0.split(separator: ",").map { String($0).trimmedOfWhitespace }.filter { !$0.isEmpty } }
        if let keys, keys.isEmpty { throw UsageError(flag: "--key-columns", message: "name at least one column") }
        for spec in deltaTable {
            let name: String, path: String
            if let eq = spec.firstIndex(of: "="), !spec[..<eq].contains("/") {
                name = String(spec[..<eq]); path = String(spec[spec.index(after: eq)...])
            } else {
                path = spec
                name = spec.split(separator: "/").last.map(String.init) ?? spec
            }
            guard !name.isEmpty, !name.contains(":"), !path.isEmpty else {
                throw UsageError(flag: "--delta-table", message: "'\(spec)' is not [NAME=]PATH")
            }
            sources.append(.delta(name: name, path: path, keyColumns: keys, timeColumn: timeColumn))
        }
        guard !sources.isEmpty else {
            throw UsageError(message: "nothing to serve: give --store sqlite:PATH|postgres:URL|redis:URL --table NAME, or --delta-table PATH")
        }
        var seen = Set<String>()
        for s in sources where !seen.insert(s.name).inserted {
            throw UsageError(flag: "--table", message: "two served tables are named '\(s.name)'")
        }
        guard let refresh = parseDuration(refreshInterval), refresh > .zero else {
            throw UsageError(flag: "--refresh-interval", message: "'\(refreshInterval)' is not a duration such as 500ms or 1s")
        }
        guard (0...65535).contains(port) else { throw UsageError(flag: "--port", message: "must be 0...65535, got \(port)") }
        let threadCount = threads ?? systemCoreCount()
        guard (1...256).contains(threadCount) else { throw UsageError(flag: "--threads", message: "must be 1...256, got \(threadCount)") }
        guard maxRequestBytes >= 64 else { throw UsageError(flag: "--max-request-bytes", message: "must be at least 64, got \(maxRequestBytes)") }
        guard maxKeys >= 1 else { throw UsageError(flag: "--max-keys", message: "must be at least 1, got \(maxKeys)") }
        var token: String?
        if let file = authTokenFile {
            guard let bytes = try? FileSystem.readFile(file) else {
                throw UsageError(flag: "--auth-token-file", message: "cannot read \(file)")
            }
            let t = String(decoding: bytes, as: UTF8.self).trimmedOfWhitespace
            guard !t.isEmpty, !t.contains(where: \.isNewline) else {
                throw UsageError(flag: "--auth-token-file", message: "\(file) must hold one non-empty token line")
            }
            token = t
        }
        return ServeConfig(common: common, sources: sources, host: host, port: port, threads: threadCount, authToken: token,
                           limits: ServeLimits(maxRequestBytes: maxRequestBytes, maxKeys: maxKeys), refreshInterval: refresh,
                           isAccessLogEnabled: accessLog)
    }
}

/// The validated configuration of one fs-serve process.
public struct ServeConfig: JobConfiguration, Equatable {
    /// fs-serve has no flags of the original to ignore.
    public var ignoredFlags: [String] { [] }

    /// One served table.
    public enum Source: Sendable, Equatable {
        /// A table (Redis: key prefix) fs-publish wrote into `store`.
        case store(StoreSpec, table: String)
        case delta(name: String, path: String, keyColumns: [String]?, timeColumn: String?)

        public var name: String {
            switch self {
            case .store(_, let table): return table
            case .delta(let name, _, _, _): return name
            }
        }
    }

    public var common: CommonConfig
    public var sources: [Source]
    public var host: String
    public var port: Int
    public var threads: Int
    /// Never logged or printed.
    public var authToken: String?
    public var limits: ServeLimits
    public var refreshInterval: Duration
    public var isAccessLogEnabled: Bool
}

extension String {
    /// Without leading and trailing spaces, tabs and newlines (token files end with a newline).
    var trimmedOfWhitespace: String {
        let isSpace: (Character) -> Bool = { $0 == " " || $0 == "\t" || $0.isNewline }
        guard let start = firstIndex(where: { !isSpace($0) }), let end = lastIndex(where: { !isSpace($0) }) else { return "" }
        return String(self[start...end])
    }
}
