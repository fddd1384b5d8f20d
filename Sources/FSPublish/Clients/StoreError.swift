#if canImport(Glibc)
import Glibc
#endif
import FSCore
import Logging

/// Why a store (PostgreSQL, MySQL/MariaDB, Redis) refused or failed a publish. Messages name the
/// store and endpoint (`host:port/db`, never a password) and, for tables, the column.
public enum StoreError: CategorizedError, Equatable {
    /// The server could not be reached or dropped the connection: retried with backoff.
    case unreachable(store: String, endpoint: String, reason: String)
    /// The server refused the credentials: not retried (a retry cannot fix a password).
    case authenticationFailed(store: String, endpoint: String, reason: String)
    /// Retried for --max-retry-duration without success.
    case gaveUp(store: String, endpoint: String, seconds: Int, lastReason: String)
    /// A statement or command failed on a live connection.
    case statementFailed(store: String, reason: String)
    /// The existing table (or hash layout) cannot hold this layout.
    case incompatibleTable(store: String, table: String, column: String, reason: String)
    /// The target already holds rows published from another source table.
    case foreignSource(store: String, table: String, recorded: String, incoming: String)
    /// A flag value the store cannot use (a password in a URL, a bad URL).
    case badConfiguration(flag: String, reason: String)
    /// The store's client library, loaded when the store is first used (`LibPQ`), is not
    /// installed or lacks a function: not retried (exit 69, naming the library and its package).
    case clientLibraryMissing(store: String, library: String, reason: String)

    public var exitStatus: ExitStatus {
        switch self {
        case .unreachable, .authenticationFailed, .gaveUp, .clientLibraryMissing: return .unavailable
        case .statementFailed: return .software
        case .incompatibleTable, .foreignSource: return .dataError
        case .badConfiguration: return .usage
        }
    }

    /// True for failures a new connection may cure (server down, restarting, network).
    public var isRetriable: Bool {
        if case .unreachable = self { return true }
        return false
    }

    public var description: String {
        switch self {
        case .unreachable(let s, let e, let r): return "\(s) at \(e) unreachable: \(r)"
        case .authenticationFailed(let s, let e, let r): return "\(s) at \(e) refused authentication: \(r)"
        case .gaveUp(let s, let e, let secs, let r):
            return "\(s) at \(e) stayed unreachable for \(secs) s (--max-retry-duration); last error: \(r)"
        case .statementFailed(let s, let r): return "\(s): \(r)"
        case .incompatibleTable(let s, let t, let c, let r):
            return "--output-table \(t): \(s) table column \(c) \(r); publish to a new table or drop this one"
        case .foreignSource(let s, let t, let rec, let inc):
            return "--output-table \(t): this \(s) table is fed by source table \(rec), not \(inc) (fs_publish_state); publish to a new table"
        case .badConfiguration(let f, let r): return "\(f): \(r)"
        case .clientLibraryMissing(let s, let l, let r): return "\(s) client library \(l) cannot be loaded: \(r)"
        }
    }
}

/// Retries an operation against a store while it fails with a retriable error.
///
/// Backoff doubles from 100 ms to 5 s; each failure is one warning line (the store's reason,
/// which never contains a password); after `maxDuration` (nil: forever) the last error becomes
/// `StoreError.gaveUp`, exit 69. Authentication and statement errors pass straight through.
public struct StoreRetry: Sendable {
    public var maxDuration: Duration?
    public var initialDelay: Duration = .milliseconds(100)
    public var maxDelay: Duration = .seconds(5)

    public init(maxDuration: Duration?) { self.maxDuration = maxDuration }

    public func run<T>(store: String, endpoint: String, logger: Logger, _ operation: () throws -> T) throws -> T {
        let start = ContinuousClock.now
        var delay = initialDelay
        var attempt = 1
        while true {
            do {
                return try operation()
            } catch let error as StoreError where error.isRetriable {
                let elapsed = ContinuousClock.now - start
                var wait = delay
                if let max = maxDuration {
                    // A zero budget: the caller (the job loop) owns retrying; pass the error on.
                    if max == .zero { throw error }
                    if elapsed >= max {
                        throw StoreError.gaveUp(store: store, endpoint: endpoint, seconds: Int(max.components.seconds), lastReason: error.description)
                    }
                    wait = min(wait, max - elapsed)
                }
                logger.warning("\(error.description) (attempt \(attempt); retrying in \(wait))")
                let (s, atto) = wait.components
                var ts = timespec(tv_sec: Int(s), tv_nsec: Int(atto / 1_000_000_000))
                var remaining = timespec()
                while nanosleep(&ts, &remaining) != 0 && errno == EINTR { ts = remaining }
                delay = min(delay * 2, maxDelay)
                attempt += 1
            }
        }
    }
}
