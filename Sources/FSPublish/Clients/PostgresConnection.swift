#if canImport(Glibc)
import Glibc
#endif
import CPostgres
import FSCore

/// One libpq connection: with `LibPQ` (which loads libpq), the only file that imports CPostgres.
///
/// Values travel only as parameters (`PQexecParams`, text format) or COPY data; SQL text is
/// built from quoted identifiers alone. The password is handed to libpq as a connection
/// parameter, never formatted into a message: libpq's errors do not echo it.
package final class PostgresConnection {
    /// libpq's functions (`LibPQ`: loaded on the first connection, not linked).
    private let pq: fs_libpq
    private var conn: OpaquePointer?
    /// `host:port/db` for messages (libpq's view after parsing the URL; no password).
    package let endpoint: String

    /// Connects to `url` (a libpq URI or conninfo string). Unreachable → `StoreError.unreachable`
    /// (retriable); refused credentials → `.authenticationFailed` with the server's reason.
    /// Maps to `PQconnectdbParams` with `expand_dbname` (so `connect_timeout` is added to any URL);
    /// the connection is freed by `close()`/deinit (`PQfinish`).
    /// `password`, when given, comes from the environment (read by the command line); nil lets
    /// libpq find one itself (PGPASSWORD, ~/.pgpass).
    /// `applicationName` is what `pg_stat_activity` shows (fs-publish, fs-serve).
    package init(url: String, password: String?, connectTimeout: Duration, applicationName: String = "fs-publish") throws {
        let pq = try LibPQ.functions()
        self.pq = pq
        let seconds = String(max(1, connectTimeout.components.seconds))
        // Keywords are applied in order, the last occurrence winning: our defaults come before
        // the URL so that its own connect_timeout or application_name prevail.
        var keys = ["connect_timeout", "application_name", "dbname"]
        var values = [seconds, applicationName, url]
        if let password {
            keys.append("password")
            values.append(password)
        }
        let c = withCStrings(keys) { k in withCStrings(values) { v in pq.PQconnectdbParams(k, v, 1) } }
        let host = c.flatMap { pq.PQhost($0) }.map { String(cString: $0) } ?? "?"
        let port = c.flatMap { pq.PQport($0) }.map { String(cString: $0) } ?? "?"
        let db = c.flatMap { pq.PQdb($0) }.map { String(cString: $0) } ?? "?"
        endpoint = "\(host):\(port)/\(db)"
        guard let c, pq.PQstatus(c) == CONNECTION_OK else {
            let message = c.map { Self.trimmed(pq.PQerrorMessage($0)) } ?? "out of memory"
            if let c { pq.PQfinish(c) }
            throw Self.classifyConnectFailure(message, endpoint: endpoint)
        }
        conn = c
        // libpq prints server notices ("relation … already exists, skipping") to stderr by
        // default; stderr carries only our own log lines.
        _ = pq.PQsetNoticeProcessor(c, { _, _ in }, nil)
        // Timestamps are exchanged as UTC text whatever the server's or role's TimeZone.
        _ = try execute("SET TIME ZONE 'UTC'")
    }

    deinit { close() }

    /// Frees the connection (`PQfinish`). Idempotent.
    package func close() {
        if let c = conn { pq.PQfinish(c) }
        conn = nil
    }

    /// Runs one statement with text parameters (nil = NULL); returns its rows as text.
    /// Maps to `PQexecParams` (one statement per call; the result is cleared before returning).
    @discardableResult
    package func execute(_ sql: String, _ parameters: [String?] = []) throws -> PostgresRows {
        let c = try live()
        let result: OpaquePointer? = withOptionalCStrings(parameters) { params in
            pq.PQexecParams(c, sql, Int32(parameters.count), nil, params, nil, nil, 0)
        }
        defer { pq.PQclear(result) }
        return try rows(of: result)
    }

    /// Compiles `sql` (parameters `$1…$parameterCount`, types inferred by the server) once per
    /// connection under `name`, so each later run skips parsing and planning. Maps to `PQprepare`.
    package func prepare(_ name: String, _ sql: String, parameterCount: Int) throws {
        let c = try live()
        let result = pq.PQprepare(c, name, sql, Int32(parameterCount), nil)
        defer { pq.PQclear(result) }
        _ = try rows(of: result)
    }

    /// Runs the statement `prepare` compiled under `name` with text parameters (nil = NULL);
    /// returns its rows as text. Maps to `PQexecPrepared` (the result is cleared before returning).
    package func executePrepared(_ name: String, _ parameters: [String?]) throws -> PostgresRows {
        let c = try live()
        let result: OpaquePointer? = withOptionalCStrings(parameters) { params in
            pq.PQexecPrepared(c, name, Int32(parameters.count), params, nil, nil, 0)
        }
        defer { pq.PQclear(result) }
        return try rows(of: result)
    }

    /// Streams `data` (COPY text format, one line per row) into `copyStatement`
    /// (`COPY … FROM STDIN`). Maps to `PQexec` → `PQputCopyData` (1 MiB pieces) → `PQputCopyEnd`
    /// → `PQgetResult`.
    func copyIn(_ copyStatement: String, data: [UInt8]) throws {
        let c = try live()
        let start = pq.PQexec(c, copyStatement)
        let status = pq.PQresultStatus(start)
        if status != PGRES_COPY_IN {
            defer { pq.PQclear(start) }
            _ = try rows(of: start)
            throw StoreError.statementFailed(store: "postgres", reason: "COPY did not start")
        }
        pq.PQclear(start)
        let piece = 1 << 20
        try data.withUnsafeBufferPointer { buf in
            var offset = 0
            while offset < buf.count {
                let n = min(piece, buf.count - offset)
                let sent = buf.baseAddress!.advanced(by: offset).withMemoryRebound(to: CChar.self, capacity: n) {
                    pq.PQputCopyData(c, $0, Int32(n))
                }
                if sent != 1 { throw failure(Self.trimmed(pq.PQerrorMessage(c))) }
                offset += n
            }
        }
        if pq.PQputCopyEnd(c, nil) != 1 { throw failure(Self.trimmed(pq.PQerrorMessage(c))) }
        var firstError: StoreError?
        while let r = pq.PQgetResult(c) {
            do { _ = try rows(of: r) } catch let e as StoreError { firstError = firstError ?? e }
            pq.PQclear(r)
        }
        if let firstError { throw firstError }
    }

    /// Rolls back whatever transaction is open, ignoring errors (the path after a failure).
    func rollbackQuietly() {
        guard let c = conn, pq.PQstatus(c) == CONNECTION_OK else { return }
        pq.PQclear(pq.PQexec(c, "ROLLBACK"))
    }

    private func live() throws -> OpaquePointer {
        guard let c = conn else { throw StoreError.statementFailed(store: "postgres", reason: "connection already closed") }
        return c
    }

    private func rows(of result: OpaquePointer?) throws -> PostgresRows {
        guard let result else { throw failure(conn.map { Self.trimmed(pq.PQerrorMessage($0)) } ?? "no result") }
        switch pq.PQresultStatus(result) {
        case PGRES_COMMAND_OK, PGRES_EMPTY_QUERY, PGRES_COPY_IN:
            return PostgresRows(values: [], affected: affected(result))
        case PGRES_TUPLES_OK:
            let n = Int(pq.PQntuples(result)), m = Int(pq.PQnfields(result))
            var values: [[String?]] = []
            values.reserveCapacity(n)
            for i in 0..<n {
                values.append((0..<m).map { j in
                    pq.PQgetisnull(result, Int32(i), Int32(j)) == 1 ? nil : pq.PQgetvalue(result, Int32(i), Int32(j)).map { String(cString: $0) } ?? ""
                })
            }
            return PostgresRows(values: values, affected: n)
        default:
            let state = pq.PQresultErrorField(result, Int32(UInt8(ascii: "C"))).map { String(cString: $0) } ?? ""
            let message = Self.trimmed(pq.PQresultErrorMessage(result))
            throw failure(state.isEmpty ? message : "\(message) (SQLSTATE \(state))", sqlState: state)
        }
    }

    /// A failure on an open connection: the connection gone (or SQLSTATE class 08, 57P) is
    /// retriable; anything else is a statement error.
    private func failure(_ message: String, sqlState: String = "") -> StoreError {
        let isBroken = conn.map { pq.PQstatus($0) != CONNECTION_OK } ?? true
        if isBroken || sqlState.hasPrefix("08") || sqlState.hasPrefix("57P") {
            return .unreachable(store: "postgres", endpoint: endpoint, reason: message)
        }
        return .statementFailed(store: "postgres", reason: message)
    }

    private func affected(_ result: OpaquePointer) -> Int {
        guard let p = pq.PQcmdTuples(result) else { return 0 }
        return Int(String(cString: p)) ?? 0
    }

    /// libpq reports a refused password the same way whatever the method (SCRAM, md5,
    /// password); its messages never contain the password itself.
    static func classifyConnectFailure(_ message: String, endpoint: String) -> StoreError {
        let lower = message.lowercased()
        let isAuth = lower.contains("authentication failed") || lower.contains("no password supplied")
            || lower.contains("password is required") || lower.contains("pg_hba.conf")
            || (lower.contains("role") && lower.contains("does not exist"))
        return isAuth
            ? .authenticationFailed(store: "postgres", endpoint: endpoint, reason: message)
            : .unreachable(store: "postgres", endpoint: endpoint, reason: message)
    }

    private static func trimmed(_ p: UnsafePointer<CChar>?) -> String {
        guard let p else { return "" }
        var s = String(cString: p)
        while let last = s.last, last.isWhitespace { s.removeLast() }
        return s.split(separator: "\n").map { $0.trimmingPrefixSpaces() }.joined(separator: "; ")
    }
}

/// The rows of one PostgreSQL result as text (NULL = nil), and the affected-row count.
package struct PostgresRows {
    package var values: [[String?]]
    package var affected: Int
}

private extension Substring {
    func trimmingPrefixSpaces() -> String { String(drop(while: { $0 == " " })) }
}

/// Calls `body` with a NULL-terminated array of C strings (libpq keyword/value lists).
func withCStrings<R>(_ strings: [String], _ body: ([UnsafePointer<CChar>?]) -> R) -> R {
    withOptionalCStrings(strings + [nil]) { body($0) }
}

/// Calls `body` with C strings (nil stays a NULL pointer) valid for the duration of the call.
func withOptionalCStrings<R>(_ strings: [String?], _ body: ([UnsafePointer<CChar>?]) -> R) -> R {
    let copies: [UnsafeMutablePointer<CChar>?] = strings.map { $0.map { strdup($0) } ?? nil }
    defer { for p in copies { free(p) } }
    return body(copies.map { $0.map { UnsafePointer($0) } })
}
