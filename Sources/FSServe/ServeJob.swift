import Dispatch
import FSCore
import FSJobs
import Logging

#if canImport(Glibc)
import Glibc
#endif

/// One fs-serve process: open the sources, listen, serve until SIGTERM/SIGINT, drain, exit 0.
///
/// A SQL store that does not answer at start is not fatal (fs-serve may start before the first
/// publish): `/health` says 503 until it does. A Delta table is loaded before listening, so the
/// first answer is already complete; a missing table is exit 69. The server drains on SIGTERM
/// itself (`ShutdownSignals`), with its own dispatch source.
public final class ServeJob: RunnableJob {
    let config: ServeConfig
    let logger: Logger

    public init(config: ServeConfig, logger: Logger) {
        self.config = config
        self.logger = logger
    }

    /// The sources of `config`, opened (Delta tables loaded).
    static func makeSources(_ config: ServeConfig, logger: Logger) throws(ServeError) -> [any FeatureSource] {
        var sources: [any FeatureSource] = []
        for s in config.sources {
            switch s {
            case .store(let spec, let table):
                let store: any FeatureSource
                switch spec {
                case .sqlite(let path): store = SQLiteStore(path: path, table: table)
                case .postgres(let url): store = try PostgresStore(url: url, password: environment("PGPASSWORD"), table: table)
                case .redis(let url): store = try RedisStore(url: url, password: environment("FS_REDIS_PASSWORD"), prefix: table)
                }
                if case .down(let reason) = store.checkHealth() {
                    logger.warning("table \(table) is not servable yet (\(reason)); /health answers 503 until it is")
                }
                sources.append(store)
            case .delta(let name, let path, let keys, let time):
                let store = DeltaMemoryStore(name: name, root: path, keyColumns: keys, timeColumn: time)
                let version = try store.refresh()
                logger.info("delta table \(name): version \(version), \(store.keyCount) keys in memory")
                store.startRefreshing(every: config.refreshInterval)
                sources.append(store)
            }
        }
        return sources
    }

    public func run() throws -> ServeSummary {
        let started = ContinuousClock.now
        let logger = self.logger  // the signal handler captures the logger, not the job
        // Signals first, before any thread starts, so every thread inherits the blocked mask and
        // only the dispatch source sees them.
        let signals = ShutdownSignals()
        let sources = try Self.makeSources(config, logger: logger)
        defer { for s in sources { (s as? DeltaMemoryStore)?.stop() } }
        let service = FeatureService(sources: sources, limits: config.limits, authToken: config.authToken)
        let server = HTTPServer(service: service, host: config.host, port: config.port, threads: config.threads,
                                accessLog: config.isAccessLogEnabled ? Logger(label: "fs-serve.access") : nil)
        let port = try server.start()
        logger.info("listening on \(config.host):\(port), serving \(sources.map(\.name).joined(separator: ", "))")
        JobRunner.printLine("{\"host\":\"\(config.host)\",\"port\":\(port)}")
        signals.onFirst { sig in
            logger.info("signal \(sig): draining requests in flight")
            server.beginShutdown()
        }
        server.waitUntilDrained()
        logger.info("stopped")
        return ServeSummary(port: port, seconds: (ContinuousClock.now - started).inSeconds)
    }
}

/// The `--summary` line of fs-serve: stopped by a signal (the only way it ends) after serving
/// on `port` for `seconds`.
public struct ServeSummary: JobSummaryDetails {
    public var port: Int
    public var seconds: Double
    public var status: JobStatus { .stopped }
    public var details: [(String, JSONValue)] { [("port", .int(Int64(port)))] }
}

/// A non-empty environment variable (the store passwords, as fs-publish reads them).
func environment(_ name: String) -> String? {
    guard let p = getenv(name) else { return nil }
    let s = String(cString: p)
    return s.isEmpty ? nil : s
}

/// SIGTERM/SIGINT for the server: the first starts the drain, a second exits at once (143/130).
final class ShutdownSignals: @unchecked Sendable {
    private var sources: [DispatchSourceSignal] = []
    private var handler: (@Sendable (Int32) -> Void)?
    private var received = false
    private let queue = DispatchQueue(label: "fs.serve.signals")

    init() {
        for sig in [SIGTERM, SIGINT] {
            signal(sig, SIG_IGN)
            let source = DispatchSource.makeSignalSource(signal: sig, queue: queue)
            source.setEventHandler { [unowned self] in self.fire(sig) }
            source.resume()
            sources.append(source)
        }
        // A parent may have started us with these blocked; the dispatch source needs them delivered.
        var set = sigset_t()
        sigemptyset(&set)
        sigaddset(&set, SIGTERM)
        sigaddset(&set, SIGINT)
        pthread_sigmask(SIG_UNBLOCK, &set, nil)
    }

    func onFirst(_ body: @escaping @Sendable (Int32) -> Void) {
        queue.sync { handler = body }
    }

    private func fire(_ sig: Int32) {
        if received { _exit(128 + sig) }
        received = true
        handler?(sig)
    }
}
