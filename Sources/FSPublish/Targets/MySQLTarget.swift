import FSCore
import Logging

/// Publishes the newest row per key into a wide, typed MySQL/MariaDB table.
///
/// Layout in the store: table `--output-table` in `--jdbc-database`, one column per published
/// column named as in the Delta table (backtick-quoted), `PRIMARY KEY (keys)`, utf8mb4; types
/// BIGINT, INT, DOUBLE, TEXT, BOOLEAN (TINYINT(1)), DATETIME(6) (UTC), DATE. A string key column
/// is `VARCHAR(255)` with the binary no-pad collation, so keys compare byte for byte (the
/// default collations would merge `a`, `A` and `a `). NaN and ±Infinity have no MySQL value and
/// are stored as NULL. Table `fs_publish_state` holds the source table id and last version.
///
/// `prepare` checks an existing target's columns; a missing one is created by a background
/// `CREATE TABLE` on a second connection (`MySQLBackgroundStatement`) while the job reduces its
/// input, and the first `publish` waits for it. One `publish` call is one InnoDB transaction:
/// ```
/// START TRANSACTION
///   SELECT 1 FROM target LIMIT 1 FOR UPDATE                          -- empty? (locks it so)
///   empty:  the rows straight into the target, as below                -- a first load: no guard needed
///   else:
///   DELETE FROM fs_stage; INSERT INTO fs_stage … VALUES (?, …) × rows   -- array binding
///   (MariaDB: one prepared INSERT executed over column arrays in binary, `executeBulk`; a
///    server without it (MySQL): LOAD DATA LOCAL INFILE streamed from memory, `MySQLLoadData`;
///    where that is refused too, prepared multi-row INSERT INTO … VALUES (?…),(?…)…)
///   UPDATE target JOIN fs_stage … SET … WHERE s.time > t.time       -- the time guard: updated
///   INSERT INTO target SELECT … FROM fs_stage LEFT JOIN target … IS NULL   -- new keys: inserted
///   INSERT INTO fs_publish_state … ON DUPLICATE KEY UPDATE version …       -- the position
/// COMMIT
/// ```
/// The UPDATE-then-INSERT form (rather than `ON DUPLICATE KEY UPDATE col = IF(VALUES(t) > t, …)`,
/// whose assignments see the already-updated time column unless it is assigned last) also
/// gives exact counts: affected rows of each statement are the updated and inserted keys.
public final class MySQLTarget: PublishTarget {
    /// How to reach the server (the original's `--jdbc-hostname/port/database` and
    /// `--jdbc-user`); `password` comes from FS_MYSQL_PASSWORD or `--jdbc-password-file`.
    public struct Configuration: Sendable {
        public var host: String
        public var port: Int
        public var database: String
        public var user: String
        public var password: String?
        public var timeout: Duration
        public var retry: StoreRetry
        /// Whether the client allows `LOAD DATA LOCAL INFILE` (MYSQL_OPT_LOCAL_INFILE). Batches
        /// always try it first; refused — here, or by a server with `local_infile` off — they
        /// fall back to prepared multi-row INSERTs. Off only to exercise that fallback.
        public var enablesLocalInfile: Bool
        /// Whether batches use MariaDB's array binding (`MariaDBConnection.executeBulk`) when the
        /// server offers it: the server converts no text, so it spends ~35 % less CPU than on
        /// LOAD DATA of the same rows. Off only to exercise the LOAD DATA path against MariaDB.
        public var usesBulkExecution: Bool

        public init(host: String, port: Int = 3306, database: String, user: String, password: String?,
                    timeout: Duration = .seconds(10), maxRetryDuration: Duration? = nil, enablesLocalInfile: Bool = true,
                    usesBulkExecution: Bool = true) {
            self.host = host
            self.port = port
            self.database = database
            self.user = user
            self.password = password
            self.timeout = timeout
            retry = StoreRetry(maxDuration: maxRetryDuration)
            self.enablesLocalInfile = enablesLocalInfile
            self.usesBulkExecution = usesBulkExecution
        }
    }

    private let configuration: Configuration
    private let logger: Logger
    private let session: StoreSession<MariaDBConnection>
    private var layout: PublishLayout?
    private var hasStage = false
    /// The CREATE TABLE of a target that did not exist at `prepare`, running on its own
    /// connection while the job reads its input; the first publish waits for it.
    private var pendingCreation: MySQLBackgroundStatement?
    /// Whether the target's columns were checked against the layout on the live server.
    private var isTableVerified = false
    /// Set when LOAD DATA LOCAL was refused: later batches go straight to prepared INSERTs.
    private var isLocalInfileRefused = false

    public init(_ configuration: Configuration, logger: Logger = Logger(label: "fs-publish")) {
        self.configuration = configuration
        self.logger = logger
        session = StoreSession(store: "mysql", retry: configuration.retry, logger: logger)
    }

    private var endpoint: String { "\(configuration.host):\(configuration.port)/\(configuration.database)" }

    public func prepare(_ layout: PublishLayout) throws {
        if let why = SQLDialect.mysql.validate(layout.target) { throw StoreError.badConfiguration(flag: "--output-table", reason: why) }
        for f in layout.allColumns {
            if let why = SQLDialect.mysql.validate(f.name) {
                throw StoreError.incompatibleTable(store: "mysql", table: layout.target, column: f.name, reason: why)
            }
        }
        self.layout = layout
        pendingCreation?.wait()
        pendingCreation = nil
        try withConnection { c in
            try c.execute("""
                CREATE TABLE IF NOT EXISTS fs_publish_state (
                  target_table VARCHAR(255) COLLATE utf8mb4_bin NOT NULL PRIMARY KEY,
                  source_table_id VARCHAR(255) NOT NULL, source_path TEXT NOT NULL, version BIGINT,
                  key_columns TEXT NOT NULL, time_column VARCHAR(255) NOT NULL, updated_at DATETIME(6) NOT NULL
                ) ENGINE=InnoDB DEFAULT CHARSET=utf8mb4
                """)
            // A missing target is created in the background: the job reads and reduces its
            // input meanwhile, and the first publish waits for it (`ensureTable`).
            if let shown = try shownColumns(c, layout.target) {
                try verifyTable(shown, layout)
                isTableVerified = true
            } else if pendingCreation == nil {  // (a retried body finds the first one running)
                isTableVerified = false
                let configuration = configuration
                pendingCreation = MySQLBackgroundStatement(createStatement(layout)) { try Self.connect(configuration) }
            }
            if let recorded = try stateRow(c, layout)?.sourceId, recorded != layout.sourceTableId {
                throw StoreError.foreignSource(store: "mysql", table: layout.target, recorded: recorded, incoming: layout.sourceTableId)
            }
        }
    }

    public func publishedVersion() throws -> Int64? {
        let layout = try layout.prepared(store: "mysql")
        return try withConnection { c in
            guard let row = try stateRow(c, layout), row.sourceId == layout.sourceTableId else { return nil }
            return row.version
        }
    }

    public func publish(_ rows: RecordBatch, recordingVersion version: Int64?) throws -> PublishCounts {
        let layout = try layout.prepared(store: "mysql")
        precondition(rows.schema == layout.schema, "publish batch schema \(rows.schema) != layout \(layout.schema)")
        let q = SQLDialect.mysql
        let table = q.quoted(layout.target)
        let names = layout.allColumns.map { q.quoted($0.name) }
        let keys = layout.keyColumns.map { q.quoted($0.name) }
        let time = q.quoted(layout.timeColumn.name)
        let join = keys.map { "t.\($0) = s.\($0)" }.joined(separator: " AND ")
        let sets = names.filter { !keys.contains($0) }.map { "t.\($0) = s.\($0)" }.joined(separator: ", ")
        let update = "UPDATE \(table) AS t JOIN fs_stage AS s ON \(join) SET \(sets) WHERE s.\(time) > t.\(time) OR (t.\(time) IS NULL AND s.\(time) IS NOT NULL)"
        let insert = "INSERT INTO \(table) (\(names.joined(separator: ", "))) SELECT \(names.map { "s.\($0)" }.joined(separator: ", ")) FROM fs_stage AS s LEFT JOIN \(table) AS t ON \(join) WHERE t.\(keys[0]) IS NULL"
        let ncols = names.count
        let perStatement = max(1, min(1000, 65_535 / ncols))
        let rowPlaceholder = "(" + Array(repeating: "?", count: ncols).joined(separator: ",") + ")"
        func rowsInsert(into target: String, _ n: Int) -> String {
            "INSERT INTO \(target) (\(names.joined(separator: ", "))) VALUES " + Array(repeating: rowPlaceholder, count: n).joined(separator: ",")
        }
        return try withConnection { c in
            try ensureTable(c, layout)
            try ensureStage(c, layout)
            return try c.transaction(begin: "START TRANSACTION") {
                // A first load (empty target) needs no guard: the batch's keys are distinct, so
                // inserting straight into the target is the upsert's exact result.
                let isFirstLoad = try rows.rowCount > 0 && isEmptyLocked(c, table)
                let into = isFirstLoad ? table : "fs_stage"
                if !isFirstLoad { try c.execute("DELETE FROM fs_stage") }
                var start = 0
                if configuration.usesBulkExecution && c.supportsBulkExecution {
                    start = try insertBulk(c, into: into, statement: rowsInsert(into: into, 1), rows: rows)
                } else if try loadLocal(c, into: into, names: names, rows: rows) {
                    start = rows.rowCount
                }
                while start < rows.rowCount {
                    let end = min(start + perStatement, rows.rowCount)
                    var p = MySQLParameters()
                    p.reserve((end - start) * ncols)
                    for i in start..<end { for column in rows.columns { Self.append(column, row: i, to: &p) } }
                    try c.execute(rowsInsert(into: into, end - start), p, keep: end - start == perStatement)
                    start = end
                }
                var upserted = 0
                if isFirstLoad {
                    upserted = rows.rowCount
                } else if rows.rowCount > 0 {
                    upserted += try c.execute(update).affected
                    upserted += try c.execute(insert).affected
                }
                if let version {
                    var p = MySQLParameters()
                    p.append(text: layout.target)
                    p.append(text: layout.sourceTableId)
                    p.append(text: layout.sourcePath)
                    p.append(version)
                    p.append(text: layout.keyColumnsJSON)
                    p.append(text: layout.timeColumn.name)
                    try c.execute("""
                        INSERT INTO fs_publish_state (target_table, source_table_id, source_path, version, key_columns, time_column, updated_at)
                        VALUES (?, ?, ?, ?, ?, ?, UTC_TIMESTAMP(6))
                        ON DUPLICATE KEY UPDATE
                          version = IF(source_table_id = VALUES(source_table_id), VALUES(version), version),
                          updated_at = IF(source_table_id = VALUES(source_table_id), VALUES(updated_at), updated_at)
                        """, p)
                }
                return PublishCounts(upserted: upserted, skippedAsOlder: rows.rowCount - upserted)
            }
        }
    }

    public func close() {
        pendingCreation?.wait()
        pendingCreation = nil
        session.close()
    }

    /// Inserts `rows` into `into` through array binding; every row must land (a plain INSERT
    /// fails on a duplicate key or, in strict mode, on a bad value, so a short count is a bug).
    /// Returns the row count, the next row for the fallback loop.
    private func insertBulk(_ c: MariaDBConnection, into: String, statement: String, rows: RecordBatch) throws -> Int {
        guard rows.rowCount > 0 else { return 0 }
        let inserted = try c.executeBulk(statement, rows, 0..<rows.rowCount)
        if inserted != rows.rowCount {
            throw StoreError.statementFailed(store: "mysql", reason: "bulk INSERT into \(into) wrote \(inserted) of \(rows.rowCount) rows")
        }
        return rows.rowCount
    }

    /// Loads `rows` into `into` with `LOAD DATA LOCAL INFILE` from memory (`MySQLLoadData`);
    /// false when the server or client has LOAD DATA LOCAL switched off — then logged once and
    /// not tried again by this target, and the caller inserts the rows with prepared statements.
    /// The load must account for every row without a warning (LOCAL turns bad values into
    /// warnings), else the transaction fails naming the first warning.
    private func loadLocal(_ c: MariaDBConnection, into: String, names: [String], rows: RecordBatch) throws -> Bool {
        guard !isLocalInfileRefused, rows.rowCount > 0 else { return false }
        var start = 0
        let result: (affected: Int, warnings: Int)
        do {
            // Pieces of 1000 rows: the server parses one while the next is written.
            result = try c.loadLocal(MySQLLoadData.statement(table: into, quotedColumns: names)) { piece in
                guard start < rows.rowCount else { return false }
                let end = min(start + 1000, rows.rowCount)
                MySQLLoadData.append(rows, start..<end, to: &piece)
                start = end
                return true
            }
        } catch let e as StoreError where MariaDBConnection.isLocalInfileRefusal(e) {
            isLocalInfileRefused = true
            logger.notice("LOAD DATA LOCAL INFILE refused; publishing with multi-row INSERTs instead (enable local_infile on the server for the faster path)",
                          metadata: ["reason": "\(e)"])
            return false
        }
        if result.warnings > 0 || result.affected != rows.rowCount {
            let warning = (try? c.execute("SHOW WARNINGS LIMIT 1").rows.first?.compactMap { $0 }.joined(separator: " ")) ?? nil
            throw StoreError.statementFailed(store: "mysql", reason: "LOAD DATA into \(into) wrote \(result.affected) of \(rows.rowCount) rows with \(result.warnings) warning(s): \(warning ?? "?")")
        }
        return true
    }

    /// One value as a statement parameter: dates and timestamps as text MySQL parses into DATE
    /// and DATETIME(6) (UTC, as the session time zone is), NaN/±Infinity as NULL.
    static func append(_ column: Column, row i: Int, to p: inout MySQLParameters) {
        if column.isNull(i) { p.appendNull(); return }
        switch column.values {
        case .boolean(let v): p.append(v[i])
        case .int32(let v):
            if column.type == .date { p.appendText { appendDate(days: v[i], to: &$0) } } else { p.append(v[i]) }
        case .int64(let v):
            if column.type == .timestamp { p.appendText { appendSQLTimestamp(micros: v[i], to: &$0) } } else { p.append(v[i]) }
        case .double(let v):
            if v[i].isFinite { p.append(v[i]) } else { p.appendNull() }
        case .string(let s): p.appendText { out in s.withUTF8(i) { out.append(contentsOf: $0) } }
        }
    }

    /// The state row of this target. The table is read whole (one row per published target)
    /// so no value has to enter SQL text.
    private func stateRow(_ c: MariaDBConnection, _ layout: PublishLayout) throws -> (sourceId: String, version: Int64?)? {
        let rows = try c.execute("SELECT target_table, source_table_id, version FROM fs_publish_state").rows
        guard let row = rows.first(where: { $0[0] == layout.target }), let id = row[1] else { return nil }
        return (id, row[2].flatMap { Int64($0) })
    }

    /// Whether the target holds no row. The locking read takes InnoDB's next-key lock on the
    /// empty index (REPEATABLE READ, the default), so no other writer can insert before this
    /// transaction ends and the answer stays true while it writes.
    private func isEmptyLocked(_ c: MariaDBConnection, _ table: String) throws -> Bool {
        try c.execute("SELECT 1 FROM \(table) LIMIT 1 FOR UPDATE").rows.isEmpty
    }

    private func ensureStage(_ c: MariaDBConnection, _ layout: PublishLayout) throws {
        guard !hasStage else { return }
        try c.execute("CREATE TEMPORARY TABLE IF NOT EXISTS fs_stage LIKE \(SQLDialect.mysql.quoted(layout.target))")
        hasStage = true
    }

    /// Runs `body` on the live connection (`StoreSession`: reconnects with backoff while the
    /// server is unreachable; a new connection has no staging table yet).
    private func withConnection<T>(_ body: (MariaDBConnection) throws -> T) throws -> T {
        try session.run(endpoint: endpoint, open: {
            hasStage = false
            return try Self.connect(configuration)
        }, body)
    }

    private static func connect(_ configuration: Configuration) throws -> MariaDBConnection {
        try MariaDBConnection(host: configuration.host, port: configuration.port, user: configuration.user,
                              password: configuration.password, database: configuration.database, timeout: configuration.timeout,
                              allowsLocalInfile: configuration.enablesLocalInfile)
    }

    /// Makes sure the target exists with the layout's columns before rows go in: waits for the
    /// background CREATE TABLE if one runs, then creates (a no-op if it succeeded — if it
    /// failed, this reports the failure as a synchronous CREATE would) and verifies the table.
    private func ensureTable(_ c: MariaDBConnection, _ layout: PublishLayout) throws {
        guard !isTableVerified else { return }
        if let pending = pendingCreation {
            pendingCreation = nil
            if let e = pending.wait() { logger.debug("background CREATE TABLE failed; creating on the main connection", metadata: ["reason": "\(e)"]) }
        }
        try c.execute(createStatement(layout))
        guard let shown = try shownColumns(c, layout.target) else {
            throw StoreError.statementFailed(store: "mysql", reason: "table \(layout.target) is missing right after CREATE TABLE")
        }
        try verifyTable(shown, layout)
        isTableVerified = true
    }

    static func ddl(_ f: Field, isKey: Bool) -> String {
        if isKey && f.type == .string { return "VARCHAR(255) CHARACTER SET utf8mb4 COLLATE utf8mb4_nopad_bin NOT NULL" }
        return SQLColumnType.ddl(f.type, .mysql) + (isKey ? " NOT NULL" : "")
    }

    /// `CREATE TABLE IF NOT EXISTS` of the target with the layout's columns and key.
    private func createStatement(_ layout: PublishLayout) -> String {
        let q = SQLDialect.mysql
        let keyNames = Set(layout.keyColumns.map { $0.name })
        let columns = layout.allColumns.map { "\(q.quoted($0.name)) \(Self.ddl($0, isKey: keyNames.contains($0.name)))" }
        let pk = layout.keyColumns.map { q.quoted($0.name) }.joined(separator: ", ")
        return "CREATE TABLE IF NOT EXISTS \(q.quoted(layout.target)) (\(columns.joined(separator: ", ")), PRIMARY KEY (\(pk))) ENGINE=InnoDB DEFAULT CHARSET=utf8mb4"
    }

    /// `SHOW COLUMNS` of `table` (Field, Type such as `bigint(20)`, Null, Key `PRI`, Default,
    /// Extra); nil when the table does not exist (server error 1146).
    private func shownColumns(_ c: MariaDBConnection, _ table: String) throws -> [[String?]]? {
        do {
            return try c.execute("SHOW COLUMNS FROM \(SQLDialect.mysql.quoted(table))").rows
        } catch let e as StoreError {
            if case .statementFailed(_, let reason) = e, reason.hasSuffix("(error 1146)") { return nil }
            throw e
        }
    }

    /// Refuses a table whose columns do not match the layout, naming the first that differs.
    private func verifyTable(_ shown: [[String?]], _ layout: PublishLayout) throws {
        let keyNames = Set(layout.keyColumns.map { $0.name })
        var types: [String: (type: String, isKey: Bool)] = [:]
        for row in shown {
            guard let name = row[0], let type = row[1] else { continue }
            let base = String(type.lowercased().prefix(while: { $0 != "(" && $0 != " " }))
            types[name] = (base, row.count > 3 && row[3] == "PRI")
        }
        for f in layout.allColumns {
            guard let t = types[f.name] else {
                throw StoreError.incompatibleTable(store: "mysql", table: layout.target, column: f.name, reason: "is missing (the table has \(types.keys.sorted().joined(separator: ", ")))")
            }
            if !SQLColumnType.catalogNames(f.type, .mysql).contains(t.type) {
                throw StoreError.incompatibleTable(store: "mysql", table: layout.target, column: f.name, reason: "is \(t.type), the input column is \(f.type) (\(SQLColumnType.ddl(f.type, .mysql)))")
            }
            if t.isKey != keyNames.contains(f.name) {
                throw StoreError.incompatibleTable(store: "mysql", table: layout.target, column: f.name, reason: t.isKey ? "is in the primary key but is not a key column" : "is a key column but not in the primary key")
            }
        }
    }
}
