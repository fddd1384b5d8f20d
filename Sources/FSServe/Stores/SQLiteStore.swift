import CSQLite
import FSCore
import FSPublish
import NIOConcurrencyHelpers

#if canImport(Glibc)
import Glibc
#endif

// The one file of FSServe that imports CSQLite. When FSPublish's `SQLiteConnection` lands, the
// `SQLiteDatabase`/`SQLiteStatement` wrappers below give way to it; `SQLiteStore` stays.

/// One SQLite connection, used by one thread at a time (the store's pool hands it out).
///
/// Opened without `SQLITE_OPEN_CREATE`: a store file that does not exist is an unavailable
/// store, never a new empty database. Wraps `sqlite3_open_v2`/`sqlite3_close_v2`; the handle is
/// owned here and closed by `close()` or deinit.
final class SQLiteDatabase {
    private(set) var handle: OpaquePointer?
    let path: String
    /// Device and inode of the file when it was opened: a store replaced or deleted under us is
    /// detected by comparing them with a fresh `stat`.
    let fileIdentity: (dev: UInt64, ino: UInt64)

    /// `create` (tests and tools only) makes the file when missing; the server never does.
    init(path: String, readOnly: Bool, create: Bool = false) throws(ServeError) {
        self.path = path
        if create, !readOnly, access(path, F_OK) != 0 {
            let fd = open(path, O_CREAT | O_WRONLY, 0o644)
            if fd >= 0 { Glibc.close(fd) }
        }
        var st = stat()
        guard stat(path, &st) == 0 else {
            throw .storeUnavailable(store: "sqlite:\(path)", reason: String(cString: strerror(errno)))
        }
        fileIdentity = (UInt64(st.st_dev), UInt64(st.st_ino))
        var db: OpaquePointer?
        let flags = (readOnly ? SQLITE_OPEN_READONLY : SQLITE_OPEN_READWRITE) | SQLITE_OPEN_NOMUTEX
        let rc = sqlite3_open_v2(path, &db, flags, nil)
        guard rc == SQLITE_OK, let db else {
            let reason = db.map { String(cString: sqlite3_errmsg($0)) } ?? "sqlite3_open_v2 returned \(rc)"
            if let db { sqlite3_close_v2(db) }
            throw .storeUnavailable(store: "sqlite:\(path)", reason: reason)
        }
        handle = db
        // A publish commits in a few milliseconds; wait for it rather than fail the read.
        sqlite3_busy_timeout(db, 2000)
    }

    deinit { close() }

    func close() {
        if let h = handle { sqlite3_close_v2(h) }
        handle = nil
    }

    /// True while the path still names the file this connection opened.
    var isSameFileOnDisk: Bool {
        var st = stat()
        guard stat(path, &st) == 0 else { return false }
        return UInt64(st.st_dev) == fileIdentity.dev && UInt64(st.st_ino) == fileIdentity.ino
    }

    var lastError: String { handle.map { String(cString: sqlite3_errmsg($0)) } ?? "connection closed" }

    /// Runs statements without results (`BEGIN`, DDL in tests). Wraps `sqlite3_exec`.
    func execute(_ sql: String) throws(ServeError) {
        guard let handle else { throw .storeUnavailable(store: "sqlite:\(path)", reason: "connection closed") }
        var message: UnsafeMutablePointer<CChar>?
        let rc = sqlite3_exec(handle, sql, nil, nil, &message)
        if rc != SQLITE_OK {
            let reason = message.map { String(cString: $0) } ?? "sqlite3_exec returned \(rc)"
            sqlite3_free(message)
            throw .storeUnavailable(store: "sqlite:\(path)", reason: reason)
        }
    }

    /// Compiles one statement. Wraps `sqlite3_prepare_v2`; the statement finalizes itself.
    func prepare(_ sql: String) throws(ServeError) -> SQLiteStatement {
        guard let handle else { throw .storeUnavailable(store: "sqlite:\(path)", reason: "connection closed") }
        var stmt: OpaquePointer?
        let rc = sqlite3_prepare_v2(handle, sql, -1, &stmt, nil)
        guard rc == SQLITE_OK, let stmt else {
            throw .storeUnavailable(store: "sqlite:\(path)", reason: lastError)
        }
        return SQLiteStatement(stmt, database: self)
    }
}

/// One prepared statement: bind, step, read columns, reset. Values only ever enter SQL here, as
/// parameters (`sqlite3_bind_*`), never as text.
final class SQLiteStatement {
    private let stmt: OpaquePointer
    private unowned let database: SQLiteDatabase

    init(_ stmt: OpaquePointer, database: SQLiteDatabase) {
        self.stmt = stmt
        self.database = database
    }

    deinit { sqlite3_finalize(stmt) }

    /// Binds parameter `index` (1-based). Strings are copied by SQLite (`SQLITE_TRANSIENT`).
    func bind(_ index: Int32, _ value: Value) {
        switch value {
        case .null: sqlite3_bind_null(stmt, index)
        case .boolean(let b): sqlite3_bind_int64(stmt, index, b ? 1 : 0)
        case .int32(let v): sqlite3_bind_int64(stmt, index, Int64(v))
        case .int64(let v): sqlite3_bind_int64(stmt, index, v)
        case .double(let v): sqlite3_bind_double(stmt, index, v)
        case .string(let s): sqlite3_bind_text(stmt, index, s, -1, sqliteTransient)
        case .date(let d): sqlite3_bind_text(stmt, index, formatDate(days: d), -1, sqliteTransient)
        case .timestamp(let t): sqlite3_bind_text(stmt, index, formatISO8601(micros: t), -1, sqliteTransient)
        }
    }

    /// Advances; true when a row is available. Wraps `sqlite3_step`.
    func step() throws(ServeError) -> Bool {
        switch sqlite3_step(stmt) {
        case SQLITE_ROW: return true
        case SQLITE_DONE: return false
        default: throw .storeUnavailable(store: "sqlite:\(database.path)", reason: database.lastError)
        }
    }

    func reset() {
        sqlite3_reset(stmt)
        sqlite3_clear_bindings(stmt)
    }

    var columnCount: Int32 { sqlite3_column_count(stmt) }

    func columnName(_ i: Int32) -> String { sqlite3_column_name(stmt, i).map { String(cString: $0) } ?? "" }

    /// The declared type of a result column (`INTEGER`, `BOOLEAN`, `TEXT`…), upper-cased.
    func declaredType(_ i: Int32) -> String { sqlite3_column_decltype(stmt, i).map { String(cString: $0).uppercased() } ?? "" }

    /// Column `i` of the current row by its stored type; `isBoolean` turns 0/1 into booleans.
    func value(_ i: Int32, isBoolean: Bool = false) -> Value {
        switch sqlite3_column_type(stmt, i) {
        case SQLITE_INTEGER:
            let v = sqlite3_column_int64(stmt, i)
            return isBoolean ? .boolean(v != 0) : .int64(v)
        case SQLITE_FLOAT: return .double(sqlite3_column_double(stmt, i))
        case SQLITE_TEXT, SQLITE_BLOB:
            guard let p = sqlite3_column_text(stmt, i) else { return .null }
            let n = Int(sqlite3_column_bytes(stmt, i))
            return .string(String(decoding: UnsafeBufferPointer(start: p, count: n), as: UTF8.self))
        default: return .null
        }
    }
}

/// `SQLITE_TRANSIENT`: a C macro (a cast of -1) Swift cannot import.
private let sqliteTransient = unsafeBitCast(-1, to: sqlite3_destructor_type.self)

/// A feature table in a SQLite store written by `fs-publish --publisher-type sqlite`.
///
/// Layout from `fs_publish_state` (key and time columns) and the table's columns. Every key is
/// read with one prepared `SELECT … WHERE key = ?` (values as parameters; the only SQL text is
/// the quoted table and column names the store itself reported). A request for several keys
/// runs inside one `BEGIN … COMMIT`, so all its keys come from one snapshot of the database:
/// a publish transaction in progress is either wholly visible or not at all.
///
/// Connections: a small pool, one connection per concurrent reader; a connection whose file
/// was deleted or replaced (compared by inode on each checkout) is closed and reopened, so the
/// store "going away" is seen at once and its return is picked up without a restart.
public final class SQLiteStore: FeatureSource, @unchecked Sendable {
    public let name: String
    public let path: String
    private let lock = NIOLock()
    private var idle: [PooledConnection] = []
    private var cachedLayout: ServedLayout?
    private var cachedPosition: (version: Int64, updatedAtMicros: Int64?)?

    /// One connection with its compiled row query.
    final class PooledConnection {
        let db: SQLiteDatabase
        let select: SQLiteStatement
        let keyCount: Int
        let booleanColumns: Set<Int32>
        init(db: SQLiteDatabase, select: SQLiteStatement, keyCount: Int, booleanColumns: Set<Int32>) {
            self.db = db
            self.select = select
            self.keyCount = keyCount
            self.booleanColumns = booleanColumns
        }
    }

    /// `name` is the table fs-publish wrote (its `--output-table`).
    public init(path: String, table name: String) {
        self.path = path
        self.name = name
    }

    private var storeLabel: String { "sqlite:\(path)" }

    public func layout() throws(ServeError) -> ServedLayout {
        if let l = lock.withLock({ cachedLayout }) { return l }
        let c = try checkout()
        checkin(c)
        guard let l = lock.withLock({ cachedLayout }) else { throw .storeUnavailable(store: storeLabel, reason: "no layout") }
        return l
    }

    public func read(keys: [ServedKey]) throws(ServeError) -> [ServedRow?] {
        let c = try checkout()
        var rows: [ServedRow?] = []
        rows.reserveCapacity(keys.count)
        do {
            let inTransaction = keys.count > 1
            if inTransaction { try c.db.execute("BEGIN") }
            for key in keys {
                rows.append(try readOne(c, key))
            }
            if inTransaction { try c.db.execute("COMMIT") }
        } catch {
            // A failed read leaves the connection in an unknown state: drop it.
            c.db.close()
            throw error
        }
        checkin(c)
        return rows
    }

    private func readOne(_ c: PooledConnection, _ key: ServedKey) throws(ServeError) -> ServedRow? {
        guard key.count == c.keyCount else { throw .badRequest("table \(name) has \(c.keyCount) key columns, the request gave \(key.count)") }
        let s = c.select
        defer { s.reset() }
        for (i, v) in key.enumerated() { s.bind(Int32(i + 1), v) }
        guard try s.step() else { return nil }
        let n = s.columnCount
        let time = Self.micros(s.value(0))
        var features: [Value] = []
        features.reserveCapacity(Int(n) - 1)
        var i: Int32 = 1
        while i < n {
            features.append(s.value(i, isBoolean: c.booleanColumns.contains(i)))
            i += 1
        }
        return ServedRow(time: time, features: features)
    }

    /// A stored time value as µs UTC: ISO-8601 text as fs-publish writes it, or an integer of µs.
    static func micros(_ v: Value) -> Int64? {
        switch v {
        case .string(let s): return parseTimestamp(s)
        case .int64(let i): return i
        default: return nil
        }
    }

    public func checkHealth() -> StoreHealth {
        let c: PooledConnection
        do { c = try checkout() } catch { return .down(reason: error.description) }
        do {
            _ = try readState(c.db)
        } catch {
            c.db.close()
            return .down(reason: error.description)
        }
        checkin(c)
        return .up
    }

    public func publishedPosition() -> (version: Int64, updatedAtMicros: Int64?)? {
        lock.withLock { cachedPosition }
    }

    /// An idle connection still pointing at the file on disk, or a new one.
    private func checkout() throws(ServeError) -> PooledConnection {
        while let c = lock.withLock({ idle.popLast() }) {
            if c.db.handle != nil && c.db.isSameFileOnDisk { return c }
            c.db.close()
        }
        return try open()
    }

    private func checkin(_ c: PooledConnection) {
        guard c.db.handle != nil else { return }
        lock.withLock { idle.append(c) }
    }

    /// Reads the publisher's state row of this table: key and time columns, and (cached for
    /// `/metrics`) the published version and its time. Values as parameters.
    private func readState(_ db: SQLiteDatabase) throws(ServeError) -> (keys: [String], time: String) {
        let state = try db.prepare("SELECT key_columns, time_column, version, updated_at FROM fs_publish_state WHERE target_table = ?1")
        state.bind(1, .string(name))
        guard try state.step() else {
            throw .storeUnavailable(store: storeLabel, reason: "no fs_publish_state row for table \(name) (not published yet)")
        }
        guard case .string(let keyJSON) = state.value(0), case .string(let timeColumn) = state.value(1),
              let keys = (try? JSONValue.parse(keyJSON))?.arrayValue?.compactMap(\.stringValue), !keys.isEmpty
        else { throw .badStore(store: storeLabel, reason: "fs_publish_state row of \(name) has no key_columns/time_column") }
        let version = state.value(2).asInt64 ?? -1
        let updatedAt: Int64? = if case .string(let t) = state.value(3) { parseTimestamp(t) } else { nil }
        lock.withLock { cachedPosition = (version, updatedAt) }
        return (keys, timeColumn)
    }

    /// Opens a connection, (re)reads the layout from the store and compiles the row query.
    private func open() throws(ServeError) -> PooledConnection {
        let db = try SQLiteDatabase(path: path, readOnly: true)
        let dialect = SQLDialect.sqlite
        // Layout: the publisher's state row names key and time columns.
        let (keys, timeColumn) = try readState(db)

        // Columns in table order; everything but keys and time is a feature.
        let info = try db.prepare("SELECT * FROM \(dialect.quoted(name)) LIMIT 0")
        var columns: [String] = []
        for i in 0..<info.columnCount { columns.append(info.columnName(i)) }
        for k in keys + [timeColumn] where !columns.contains(k) {
            throw .badStore(store: storeLabel, reason: "table \(name) has no column \(k) named by fs_publish_state")
        }
        let features = columns.filter { !keys.contains($0) && $0 != timeColumn }
        let layout = ServedLayout(keyColumns: keys, timeColumn: timeColumn, featureColumns: features)

        let selected = ([timeColumn] + features).map(dialect.quoted).joined(separator: ", ")
        let predicate = keys.enumerated().map { "\(dialect.quoted($0.element)) = ?\($0.offset + 1)" }.joined(separator: " AND ")
        let select = try db.prepare("SELECT \(selected) FROM \(dialect.quoted(name)) WHERE \(predicate)")
        var booleans = Set<Int32>()
        for i in 1..<select.columnCount where select.declaredType(i).contains("BOOL") { booleans.insert(i) }
        lock.withLock { cachedLayout = layout }
        return PooledConnection(db: db, select: select, keyCount: keys.count, booleanColumns: booleans)
    }
}
