import CSQLite
import FSCore

/// A failed SQLite call: names the database file, the operation and SQLite's message.
///
/// Category: a database busy past the busy timeout is "unavailable" (69, retried by the job);
/// a file that is not a database or is corrupt is bad data (65); anything else (cannot open,
/// disk full, read-only) is I/O (74).
public struct SQLiteError: CategorizedError, Equatable {
    public var path: String
    public var operation: String
    public var code: Int32
    public var message: String

    public var exitStatus: ExitStatus {
        switch code & 0xff {
        case SQLITE_BUSY, SQLITE_LOCKED: return .unavailable
        case SQLITE_NOTADB, SQLITE_CORRUPT: return .dataError
        default: return .ioError
        }
    }

    public var description: String { "--sqlite-path \(path): \(operation) failed: \(message) (SQLite code \(code))" }
}

/// One connection to a SQLite database file. The only file that imports CSQLite.
///
/// Not thread-safe (one thread uses it at a time: the publisher's, or the fs-serve request that
/// checked it out of its pool). Opened in the "multi-thread" mode; statements it prepares must
/// be released before `close`.
package final class SQLiteConnection {
    package let path: String
    private var db: OpaquePointer?

    /// Opens (creating) `path` and sets the busy timeout: a reader or another writer holding the
    /// lock makes our writes wait up to `busyTimeout` instead of failing at once.
    /// sqlite3_open_v2 + sqlite3_busy_timeout; `close` calls sqlite3_close_v2.
    /// `isReadOnly` (fs-serve) opens without `SQLITE_OPEN_CREATE`: a missing file is an error,
    /// never a new empty database, and the reader can never write.
    package init(path: String, busyTimeout: Duration, isReadOnly: Bool = false) throws {
        self.path = path
        let flags = (isReadOnly ? SQLITE_OPEN_READONLY : SQLITE_OPEN_READWRITE | SQLITE_OPEN_CREATE) | SQLITE_OPEN_NOMUTEX
        let rc = sqlite3_open_v2(path, &db, flags, nil)
        guard rc == SQLITE_OK else {
            let message = db.map { String(cString: sqlite3_errmsg($0)) } ?? "out of memory"
            sqlite3_close_v2(db)
            db = nil
            throw SQLiteError(path: path, operation: "open", code: rc, message: message)
        }
        let ms = busyTimeout.components.seconds * 1000 + busyTimeout.components.attoseconds / 1_000_000_000_000_000
        sqlite3_busy_timeout(db, Int32(clamping: ms))
        sqlite3_extended_result_codes(db, 1)
    }

    deinit { close() }

    package func close() {
        if let db { sqlite3_close_v2(db) }
        db = nil
    }

    /// Runs one or more statements without parameters or results (DDL, PRAGMA, BEGIN/COMMIT).
    /// sqlite3_exec.
    package func execute(_ sql: String) throws {
        var err: UnsafeMutablePointer<CChar>? = nil
        let rc = sqlite3_exec(db, sql, nil, nil, &err)
        if rc != SQLITE_OK {
            let message = err.map { String(cString: $0) } ?? errorMessage
            sqlite3_free(err)
            throw SQLiteError(path: path, operation: Self.firstWords(sql), code: rc, message: message)
        }
    }

    /// Compiles `sql` (with `?` parameters). sqlite3_prepare_v2; the statement finalizes itself.
    package func prepare(_ sql: String) throws -> SQLiteStatement {
        var stmt: OpaquePointer? = nil
        let rc = sqlite3_prepare_v2(db, sql, -1, &stmt, nil)
        guard rc == SQLITE_OK, let stmt else {
            throw SQLiteError(path: path, operation: "prepare " + Self.firstWords(sql), code: rc, message: errorMessage)
        }
        return SQLiteStatement(stmt: stmt, connection: self, sql: sql)
    }

    /// Rows changed by the last INSERT/UPDATE (0 when an upsert's WHERE kept the stored row).
    /// sqlite3_changes.
    var changes: Int { Int(sqlite3_changes(db)) }

    package var isOpen: Bool { db != nil }

    var errorMessage: String { db.map { String(cString: sqlite3_errmsg($0)) } ?? "connection closed" }

    /// The statement kind, for error messages (never the values: they are parameters).
    static func firstWords(_ sql: String) -> String {
        sql.split(separator: " ", maxSplits: 3).prefix(3).joined(separator: " ")
    }
}

/// A prepared statement: bind parameters (1-based), step, reset, read result columns (0-based).
package final class SQLiteStatement {
    private let stmt: OpaquePointer
    private let connection: SQLiteConnection
    private let sql: String
    /// SQLITE_TRANSIENT: SQLite copies bound text before the call returns.
    private static let transient = unsafeBitCast(-1, to: sqlite3_destructor_type.self)

    fileprivate init(stmt: OpaquePointer, connection: SQLiteConnection, sql: String) {
        self.stmt = stmt
        self.connection = connection
        self.sql = sql
    }

    deinit { sqlite3_finalize(stmt) }

    package func bindNull(_ i: Int32) { sqlite3_bind_null(stmt, i) }
    package func bind(_ i: Int32, _ v: Int64) { sqlite3_bind_int64(stmt, i, v) }
    package func bind(_ i: Int32, _ v: Double) { sqlite3_bind_double(stmt, i, v) }
    package func bind(_ i: Int32, _ v: String) {
        var s = v
        s.withUTF8 { bind(i, utf8: $0) }
    }
    func bind(_ i: Int32, utf8 p: UnsafeBufferPointer<UInt8>) {
        if let base = p.baseAddress, p.count > 0 {
            base.withMemoryRebound(to: CChar.self, capacity: p.count) { _ = sqlite3_bind_text(stmt, i, $0, Int32(p.count), Self.transient) }
        } else {
            _ = sqlite3_bind_text(stmt, i, "", 0, Self.transient)
        }
    }

    /// Runs the statement one step: true when a result row is available. sqlite3_step.
    @discardableResult
    package func step() throws -> Bool {
        let rc = sqlite3_step(stmt)
        if rc == SQLITE_ROW { return true }
        if rc == SQLITE_DONE { return false }
        let message = connection.errorMessage
        sqlite3_reset(stmt)
        throw SQLiteError(path: connection.path, operation: SQLiteConnection.firstWords(sql), code: rc, message: message)
    }

    /// Makes the statement runnable again and clears its parameters. sqlite3_reset + clear_bindings.
    package func reset() {
        sqlite3_reset(stmt)
        sqlite3_clear_bindings(stmt)
    }

    package func isNull(_ c: Int32) -> Bool { sqlite3_column_type(stmt, c) == SQLITE_NULL }
    package func int64(_ c: Int32) -> Int64 { sqlite3_column_int64(stmt, c) }
    package func double(_ c: Int32) -> Double { sqlite3_column_double(stmt, c) }
    package func text(_ c: Int32) -> String {
        guard let p = sqlite3_column_text(stmt, c) else { return "" }
        let n = Int(sqlite3_column_bytes(stmt, c))
        return String(decoding: UnsafeBufferPointer(start: p, count: n), as: UTF8.self)
    }

    /// Result columns of the statement (`sqlite3_column_count`).
    package var columnCount: Int32 { sqlite3_column_count(stmt) }

    /// Name of result column `c` as the table declares it (`sqlite3_column_name`).
    package func columnName(_ c: Int32) -> String { sqlite3_column_name(stmt, c).map { String(cString: $0) } ?? "" }

    /// Declared type of result column `c` (`INTEGER`, `BOOLEAN`, `TEXT`…), upper-cased; empty for
    /// an expression (`sqlite3_column_decltype`). How a reader tells a 0/1 BOOLEAN from an integer.
    package func declaredType(_ c: Int32) -> String {
        sqlite3_column_decltype(stmt, c).map { String(cString: $0).uppercased() } ?? ""
    }

    /// Column `c` of the current row by its storage class; `isBoolean` turns 0/1 into booleans.
    package func value(_ c: Int32, isBoolean: Bool = false) -> Value {
        switch sqlite3_column_type(stmt, c) {
        case SQLITE_INTEGER:
            let v = sqlite3_column_int64(stmt, c)
            return isBoolean ? .boolean(v != 0) : .int64(v)
        case SQLITE_FLOAT: return .double(sqlite3_column_double(stmt, c))
        case SQLITE_TEXT, SQLITE_BLOB: return .string(text(c))
        default: return .null
        }
    }
}
