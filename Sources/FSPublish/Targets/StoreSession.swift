import Logging

/// A store client a target keeps open between publishes.
protocol StoreConnection: AnyObject {
    /// Releases the connection; idempotent.
    func close()
}

/// The one connection of a server-store target, and the retry loop around every use of it.
///
/// Each server target (PostgreSQL, MySQL, Redis) had its own copy of this: open on first use,
/// run the body, and on a retriable failure (refused, dropped, timed out) close the connection
/// so that the next attempt — after `StoreRetry`'s backoff — opens a new one. A transaction cut
/// by a dropped connection was rolled back by the server, so the body is simply run again whole.
final class StoreSession<Connection: StoreConnection> {
    let store: String
    let retry: StoreRetry
    let logger: Logger
    private(set) var connection: Connection?

    init(store: String, retry: StoreRetry, logger: Logger) {
        self.store = store
        self.retry = retry
        self.logger = logger
    }

    /// Runs `body` on the live connection, opening one with `open` when there is none (the
    /// target resets its per-connection state there: staging tables, loaded scripts).
    func run<T>(endpoint: @autoclosure () -> String, open: () throws -> Connection, _ body: (Connection) throws -> T) throws -> T {
        try retry.run(store: store, endpoint: endpoint(), logger: logger) {
            do {
                let c: Connection
                if let connection { c = connection } else { c = try open(); connection = c }
                return try body(c)
            } catch let e as StoreError where e.isRetriable {
                close()
                throw e
            }
        }
    }

    func close() {
        connection?.close()
        connection = nil
    }
}

/// A SQL connection that can run a statement given as text, for `transaction`.
protocol SQLTransactionConnection: StoreConnection {
    /// Runs one statement without parameters, discarding its rows.
    func run(_ statement: String) throws
    /// Rolls back the open transaction, ignoring errors (the connection may be gone).
    func rollbackQuietly()
}

extension SQLTransactionConnection {
    /// Runs `body` between `begin` and COMMIT as one transaction: any error rolls it back and
    /// is rethrown, so a publish writes its rows and its version together or not at all.
    func transaction<T>(begin: String, _ body: () throws -> T) throws -> T {
        try run(begin)
        do {
            let result = try body()
            try run("COMMIT")
            return result
        } catch {
            rollbackQuietly()
            throw error
        }
    }
}

extension PostgresConnection: SQLTransactionConnection {
    func run(_ statement: String) throws { _ = try execute(statement) }
}

extension MariaDBConnection: SQLTransactionConnection {
    func run(_ statement: String) throws { _ = try execute(statement) }
}

extension RedisConnection: StoreConnection {}
