import NIOConcurrencyHelpers

/// Idle connections of one server store (PostgreSQL, Redis), handed to one request at a time.
///
/// Requests run on several event-loop threads and a client connection is not thread-safe, so
/// each request checks one out and returns it when done; a connection that failed is dropped
/// instead (`discard`), and the next checkout connects again — that is the whole reconnect
/// logic. While the server is down, every request would otherwise pay a connect attempt (up to
/// the connect timeout); after a failed connect, checkouts fail at once with the same error
/// for `retryPause`, so a dead store costs requests nothing and is still retried several times
/// a second.
final class StorePool<Connection: AnyObject>: @unchecked Sendable {
    private let lock = NIOLock()
    private var idle: [Connection] = []
    private var lastFailure: (at: ContinuousClock.Instant, error: ServeError)?
    private let connect: () throws(ServeError) -> Connection
    private let retryPause: Duration
    /// Idle connections kept; more are closed when returned (bursts over event-loop count).
    private let maxIdle: Int

    init(maxIdle: Int = 64, retryPause: Duration = .milliseconds(200), connect: @escaping () throws(ServeError) -> Connection) {
        self.maxIdle = maxIdle
        self.retryPause = retryPause
        self.connect = connect
    }

    /// An idle connection, else a new one; throws the last connect error during `retryPause`.
    func checkout() throws(ServeError) -> Connection {
        let now = ContinuousClock.now
        let recent: ServeError? = lock.withLock {
            if let f = lastFailure, now - f.at < retryPause { return f.error }
            return nil
        }
        if let recent { throw recent }
        if let c = lock.withLock({ idle.popLast() }) { return c }
        do {
            let c = try connect()
            lock.withLock { lastFailure = nil }
            return c
        } catch {
            lock.withLock { lastFailure = (ContinuousClock.now, error) }
            throw error
        }
    }

    /// Returns a connection that answered normally.
    func checkin(_ c: Connection) {
        lock.withLock { if idle.count < maxIdle { idle.append(c) } }
    }

    /// Drops every idle connection (their server went away: they would all fail once).
    func discardIdle() {
        lock.withLock { idle.removeAll() }
    }

    /// The layout the store's connections read when they open (`state`), opening one first if
    /// none has yet: what `FeatureSource.layout()` answers for every pooled store.
    func layout(from state: PublishedState, store: String) throws(ServeError) -> ServedLayout {
        if let l = state.currentLayout { return l }
        checkin(try checkout())
        guard let l = state.currentLayout else { throw .storeUnavailable(store: store, reason: "no layout") }
        return l
    }

    /// `/health` of a pooled store: `probe` re-reads the publisher's state on a checked-out
    /// connection; a failure drops the idle connections (the server went away) and reports down.
    func health(_ probe: (Connection) throws(ServeError) -> Void) -> StoreHealth {
        let c: Connection
        do { c = try checkout() } catch { return .down(reason: error.description) }
        do { try probe(c) } catch {
            discardIdle()
            return .down(reason: error.description)
        }
        checkin(c)
        return .up
    }
}

/// One pooled connection of a server store and the read plan it prepared for the layout it
/// found when it connected (the layout may change between connections: each keeps its own).
final class PooledSession<Connection, Plan> {
    let connection: Connection
    let plan: Plan

    init(connection: Connection, plan: Plan) {
        self.connection = connection
        self.plan = plan
    }
}

/// What a server store last learned from its publisher's state: the layout (read once per
/// connection) and the published version (every health probe), shared by all connections.
final class PublishedState: @unchecked Sendable {
    private let lock = NIOLock()
    private var layout: ServedLayout?
    private var position: (version: Int64, updatedAtMicros: Int64?)?

    /// The layout the newest connection read; nil until one connected.
    var currentLayout: ServedLayout? { lock.withLock { layout } }
    /// The published version and its time (µs UTC) the last state read found, for `/metrics`.
    var currentPosition: (version: Int64, updatedAtMicros: Int64?)? { lock.withLock { position } }
    /// Called by each new connection after reading the layout.
    func record(layout l: ServedLayout) { lock.withLock { layout = l } }
    /// Called on connect and by every health probe.
    func record(version: Int64, updatedAtMicros: Int64?) { lock.withLock { position = (version, updatedAtMicros) } }
}
