import FSCore
import FSPublish
import NIOConcurrencyHelpers

#if canImport(Glibc)
import Glibc
#endif

/// Device and inode of a file: a store replaced or deleted under an open connection is
/// detected by comparing them with a fresh `stat` (SQLite keeps reading the unlinked file).
struct FileIdentity: Equatable {
    var device: UInt64
    var inode: UInt64

    /// The identity `path` names now; nil when it names nothing.
    init?(path: String) {
        var st = stat()
        guard stat(path, &st) == 0 else { return nil }
        device = UInt64(st.st_dev)
        inode = UInt64(st.st_ino)
    }
}

/// A feature table in a SQLite store written by `fs-publish --publisher-type sqlite`.
///
/// Layout from `fs_publish_state` (key and time columns) and the table's columns. Every key is
/// read with one prepared `SELECT … WHERE key = ?` (values as parameters; the only SQL text is
/// the quoted table and column names the store itself reported). A request for several keys
/// runs inside one `BEGIN … COMMIT`, so all its keys come from one snapshot of the database:
/// a publish transaction in progress is either wholly visible or not at all.
///
/// Connections: a small pool, one connection per concurrent reader; a connection whose file
/// was deleted or replaced (compared by inode, on checkout at most every
/// `identityCheckInterval`, and on every health probe) is closed and reopened, so the store
/// "going away" is seen within milliseconds and its return is picked up without a restart.
public final class SQLiteStore: FeatureSource, @unchecked Sendable {
    public let name: String
    public let path: String
    private let lock = NIOLock()
    private var idle: [PooledConnection] = []
    private var cachedLayout: ServedLayout?
    private var cachedPosition: (version: Int64, updatedAtMicros: Int64?)?

    /// One connection (FSPublish's `SQLiteConnection`, opened read-only) with its compiled row
    /// query and the identity of the file it opened.
    final class PooledConnection {
        let db: SQLiteConnection
        let file: FileIdentity
        let select: SQLiteStatement
        let keyCount: Int
        let booleanColumns: Set<Int32>
        /// When the file identity was last compared (monotonic seconds); see `identityCheckInterval`.
        var verifiedAt: Double

        init(db: SQLiteConnection, file: FileIdentity, select: SQLiteStatement, keyCount: Int, booleanColumns: Set<Int32>, verifiedAt: Double) {
            self.db = db
            self.file = file
            self.select = select
            self.keyCount = keyCount
            self.booleanColumns = booleanColumns
            self.verifiedAt = verifiedAt
        }

        /// True while the store's path still names the file this connection opened.
        var isSameFileOnDisk: Bool { FileIdentity(path: db.path) == file }
    }

    /// How long a connection's file identity is trusted before a read `stat`s the path again.
    ///
    /// A `stat` per request was 4% of a one-customer request's CPU under 16 connections (perf,
    /// bench/ANALYSIS.md); once per interval per connection it is noise. The price: reads up to
    /// this long after the store file was replaced or deleted may still answer from the file
    /// the connection opened (a whole, consistent file — never a mix). Health probes always
    /// compare.
    static let identityCheckInterval = 0.005

    /// `name` is the table fs-publish wrote (its `--output-table`).
    public init(path: String, table name: String) {
        self.path = path
        self.name = name
    }

    private var storeLabel: String { "sqlite:\(path)" }

    public func layout() throws(ServeError) -> ServedLayout {
        if let l = lock.withLock({ cachedLayout }) { return l }
        let c = try checkout(isIdentityCheckForced: false)
        checkin(c)
        guard let l = lock.withLock({ cachedLayout }) else { throw .storeUnavailable(store: storeLabel, reason: "no layout") }
        return l
    }

    public func read(keys: [ServedKey]) throws(ServeError) -> [ServedRow?] {
        let c = try checkout(isIdentityCheckForced: false)
        var rows: [ServedRow?] = []
        rows.reserveCapacity(keys.count)
        do throws(ServeError) {
            let inTransaction = keys.count > 1
            if inTransaction { try execute(c.db, "BEGIN") }
            for key in keys {
                rows.append(try readOne(c, key))
            }
            if inTransaction { try execute(c.db, "COMMIT") }
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
        for (i, v) in key.enumerated() { Self.bind(s, Int32(i + 1), v) }
        let hasRow: Bool
        do { hasRow = try s.step() } catch { throw ServeError(error, store: storeLabel) }
        guard hasRow else { return nil }
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
        do { c = try checkout(isIdentityCheckForced: true) } catch { return .down(reason: error.description) }
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

    /// An idle connection still pointing at the file on disk (compared at most every
    /// `identityCheckInterval` unless forced), or a new one.
    private func checkout(isIdentityCheckForced: Bool) throws(ServeError) -> PooledConnection {
        while let c = lock.withLock({ idle.popLast() }) {
            guard c.db.isOpen else { continue }
            let now = monotonicSeconds()
            if !isIdentityCheckForced, now - c.verifiedAt < Self.identityCheckInterval { return c }
            if c.isSameFileOnDisk {
                c.verifiedAt = now
                return c
            }
            c.db.close()
        }
        return try open()
    }

    private func checkin(_ c: PooledConnection) {
        guard c.db.isOpen else { return }
        lock.withLock { idle.append(c) }
    }

    /// Reads the publisher's state row of this table: key and time columns, and (cached for
    /// `/metrics`) the published version and its time. Values as parameters.
    private func readState(_ db: SQLiteConnection) throws(ServeError) -> (keys: [String], time: String) {
        let state = try prepare(db, "SELECT key_columns, time_column, version, updated_at FROM fs_publish_state WHERE target_table = ?1")
        state.bind(1, name)
        let hasRow: Bool
        do { hasRow = try state.step() } catch { throw ServeError(error, store: storeLabel) }
        guard hasRow else {
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
        // Identity first: if the file is replaced between stat and open, the next checkout
        // sees a mismatch and reopens, never the other way round.
        guard let file = FileIdentity(path: path) else {
            throw .storeUnavailable(store: storeLabel, reason: "no file \(path)")
        }
        let db: SQLiteConnection
        // A publish commits in a few milliseconds; wait for it rather than fail the read.
        do { db = try SQLiteConnection(path: path, busyTimeout: .seconds(2), isReadOnly: true) } catch {
            throw ServeError(error, store: storeLabel)
        }
        let dialect = SQLDialect.sqlite
        // Layout: the publisher's state row names key and time columns.
        let (keys, timeColumn) = try readState(db)

        // Columns in table order; everything but keys and time is a feature.
        let info = try prepare(db, "SELECT * FROM \(dialect.quoted(name)) LIMIT 0")
        var columns: [String] = []
        for i in 0..<info.columnCount { columns.append(info.columnName(i)) }
        for k in keys + [timeColumn] where !columns.contains(k) {
            throw .badStore(store: storeLabel, reason: "table \(name) has no column \(k) named by fs_publish_state")
        }
        let features = columns.filter { !keys.contains($0) && $0 != timeColumn }
        let layout = ServedLayout(keyColumns: keys, timeColumn: timeColumn, featureColumns: features)

        let selected = ([timeColumn] + features).map(dialect.quoted).joined(separator: ", ")
        let predicate = keys.enumerated().map { "\(dialect.quoted($0.element)) = ?\($0.offset + 1)" }.joined(separator: " AND ")
        let select = try prepare(db, "SELECT \(selected) FROM \(dialect.quoted(name)) WHERE \(predicate)")
        var booleans = Set<Int32>()
        for i in 1..<select.columnCount where select.declaredType(i).contains("BOOL") { booleans.insert(i) }
        lock.withLock { cachedLayout = layout }
        return PooledConnection(db: db, file: file, select: select, keyCount: keys.count, booleanColumns: booleans, verifiedAt: monotonicSeconds())
    }

    private func prepare(_ db: SQLiteConnection, _ sql: String) throws(ServeError) -> SQLiteStatement {
        do { return try db.prepare(sql) } catch { throw ServeError(error, store: storeLabel) }
    }

    private func execute(_ db: SQLiteConnection, _ sql: String) throws(ServeError) {
        do { try db.execute(sql) } catch { throw ServeError(error, store: storeLabel) }
    }

    /// Binds one key value as fs-publish stores it: integers as INTEGER, text as TEXT, dates and
    /// timestamps as their ISO-8601 text.
    static func bind(_ s: SQLiteStatement, _ i: Int32, _ v: Value) {
        switch v {
        case .null: s.bindNull(i)
        case .boolean(let b): s.bind(i, Int64(b ? 1 : 0))
        case .int32(let x): s.bind(i, Int64(x))
        case .int64(let x): s.bind(i, x)
        case .double(let x): s.bind(i, x)
        case .string(let x): s.bind(i, x)
        case .date(let d): s.bind(i, formatDate(days: d))
        case .timestamp(let t): s.bind(i, formatISO8601(micros: t))
        }
    }
}
