import FSCore
import Logging

/// Publishes the newest row per key into a wide, typed PostgreSQL table.
///
/// Layout in the store: table `--output-table` with one column per published column, named as
/// in the Delta table (quoted), `PRIMARY KEY (keys)`; types BIGINT, INTEGER, DOUBLE PRECISION,
/// TEXT, BOOLEAN, TIMESTAMPTZ, DATE. Table `fs_publish_state` holds, per target table, the
/// source table id and the last published source version.
///
/// One `publish` call is one transaction:
/// ```
/// BEGIN
///   LOCK TABLE target IN SHARE ROW EXCLUSIVE MODE; is it empty?
///   empty:  COPY target FROM STDIN       -- a first load: the batch's keys are distinct, no guard needed
///   else:
///   COPY fs_stage FROM STDIN             -- the batch, binary format (`PostgresCopyBinary`)
///   INSERT INTO target SELECT … FROM fs_stage
///     ON CONFLICT (keys) DO UPDATE SET … WHERE EXCLUDED.time > target.time   -- the time guard
///   INSERT INTO fs_publish_state … ON CONFLICT DO UPDATE … WHERE same source  -- the position
/// COMMIT
/// ```
/// so a kill -9 leaves either the rows and their version or neither. `fs_stage` is a temporary
/// table (`ON COMMIT DELETE ROWS`), private to the connection.
public final class PostgresTarget: PublishTarget {
    /// How to reach the server. `password` is what the command line read from PGPASSWORD (nil:
    /// libpq looks in the environment and ~/.pgpass itself); it is never part of `url`.
    public struct Configuration: Sendable {
        public var url: String
        public var password: String?
        public var connectTimeout: Duration
        public var retry: StoreRetry

        public init(url: String, password: String? = nil, connectTimeout: Duration = .seconds(10), maxRetryDuration: Duration? = nil) {
            self.url = url
            self.password = password
            self.connectTimeout = connectTimeout
            self.retry = StoreRetry(maxDuration: maxRetryDuration)
        }
    }

    private let configuration: Configuration
    private let logger: Logger
    private let session: StoreSession<PostgresConnection>
    private var layout: PublishLayout?
    private var endpoint: String
    private var hasStage = false

    public init(_ configuration: Configuration, logger: Logger = Logger(label: "fs-publish")) throws {
        try Self.validate(url: configuration.url)
        self.configuration = configuration
        self.logger = logger
        self.endpoint = Self.redacted(configuration.url)
        session = StoreSession(store: "postgres", retry: configuration.retry, logger: logger)
    }

    /// Refuses a password inside `--postgres-url`: it would sit in shell history and `ps`
    /// output. libpq takes it from PGPASSWORD or ~/.pgpass instead.
    package static func validate(url: String) throws {
        let lower = url.lowercased()
        if lower.hasPrefix("postgres://") || lower.hasPrefix("postgresql://") {
            let rest = url.drop(while: { $0 != "/" }).dropFirst(2)
            let authority = rest.prefix(while: { $0 != "/" && $0 != "?" })
            if let at = authority.lastIndex(of: "@"), authority[..<at].contains(":") {
                throw StoreError.badConfiguration(flag: "--postgres-url", reason: "contains a password; set PGPASSWORD or use ~/.pgpass instead")
            }
            if lower.contains("password=") {
                throw StoreError.badConfiguration(flag: "--postgres-url", reason: "contains a password parameter; set PGPASSWORD or use ~/.pgpass instead")
            }
        } else if lower.contains("password") {
            throw StoreError.badConfiguration(flag: "--postgres-url", reason: "contains a password; set PGPASSWORD or use ~/.pgpass instead")
        }
    }

    /// The URL without query parameters, for messages before libpq has parsed it.
    private static func redacted(_ url: String) -> String {
        String(url.prefix(while: { $0 != "?" }))
    }

    public func prepare(_ layout: PublishLayout) throws {
        for field in layout.allColumns {
            if let why = SQLDialect.postgres.validate(field.name) {
                throw StoreError.incompatibleTable(store: "postgres", table: layout.target, column: field.name, reason: why)
            }
        }
        if let why = SQLDialect.postgres.validate(layout.target) {
            throw StoreError.badConfiguration(flag: "--output-table", reason: why)
        }
        self.layout = layout
        try withConnection { c in
            // Two publishers creating tables at once can both pass IF NOT EXISTS and collide in
            // the catalog (a unique violation on pg_type); one advisory lock serializes the DDL.
            try c.transaction(begin: "BEGIN") {
                try c.execute("SELECT pg_advisory_xact_lock(4242000011)")
                try c.execute("""
                    CREATE TABLE IF NOT EXISTS fs_publish_state (
                      target_table TEXT PRIMARY KEY, source_table_id TEXT NOT NULL, source_path TEXT NOT NULL,
                      version BIGINT, key_columns TEXT NOT NULL, time_column TEXT NOT NULL,
                      updated_at TIMESTAMPTZ NOT NULL DEFAULT now())
                    """)
                try createOrVerifyTable(c, layout)
                let recorded = try c.execute("SELECT source_table_id FROM fs_publish_state WHERE target_table = $1", [layout.target])
                if let id = recorded.values.first?.first ?? nil, id != layout.sourceTableId {
                    throw StoreError.foreignSource(store: "postgres", table: layout.target, recorded: id, incoming: layout.sourceTableId)
                }
            }
        }
    }

    public func publishedVersion() throws -> Int64? {
        let layout = try self.layout.prepared(store: "postgres")
        return try withConnection { c in
            let r = try c.execute(
                "SELECT version FROM fs_publish_state WHERE target_table = $1 AND source_table_id = $2",
                [layout.target, layout.sourceTableId])
            return (r.values.first?.first ?? nil).flatMap { Int64($0) }
        }
    }

    public func publish(_ rows: RecordBatch, recordingVersion version: Int64?) throws -> PublishCounts {
        let layout = try self.layout.prepared(store: "postgres")
        precondition(rows.schema == layout.schema, "publish batch schema \(rows.schema) != layout \(layout.schema)")
        let copyData = PostgresCopyBinary.encode(rows)
        let q = SQLDialect.postgres
        let table = q.quoted(layout.target)
        let names = layout.allColumns.map { q.quoted($0.name) }
        let keys = layout.keyColumns.map { q.quoted($0.name) }
        let time = q.quoted(layout.timeColumn.name)
        // The time column is assigned like the others: PostgreSQL evaluates every SET
        // expression against the old row, so order does not matter here.
        let assignments = names.filter { !keys.contains($0) }.map { "\($0) = EXCLUDED.\($0)" }.joined(separator: ", ")
        let upsert = """
            INSERT INTO \(table) AS t (\(names.joined(separator: ", ")))
            SELECT \(names.joined(separator: ", ")) FROM fs_stage
            ON CONFLICT (\(keys.joined(separator: ", "))) DO UPDATE SET \(assignments)
            WHERE EXCLUDED.\(time) > t.\(time) OR t.\(time) IS NULL
            """
        return try withConnection { c in
            do {
                return try c.transaction(begin: "BEGIN") {
                    var upserted = 0
                    if rows.rowCount > 0 {
                        if try isEmptyLocked(c, table) {
                            // Nothing to guard against: the batch's keys are distinct, so COPY
                            // straight into the target is the upsert's exact result, at half the work.
                            try c.copyIn("COPY \(table) (\(names.joined(separator: ", "))) FROM STDIN (FORMAT binary)", data: copyData)
                            upserted = rows.rowCount
                        } else {
                            try ensureStage(c, layout)
                            try c.copyIn("COPY fs_stage (\(names.joined(separator: ", "))) FROM STDIN (FORMAT binary)", data: copyData)
                            upserted = try c.execute(upsert).affected
                        }
                    }
                    if let version {
                        let r = try c.execute("""
                            INSERT INTO fs_publish_state AS s
                              (target_table, source_table_id, source_path, version, key_columns, time_column, updated_at)
                            VALUES ($1, $2, $3, $4, $5, $6, now())
                            ON CONFLICT (target_table) DO UPDATE SET version = EXCLUDED.version,
                              source_path = EXCLUDED.source_path, key_columns = EXCLUDED.key_columns,
                              time_column = EXCLUDED.time_column, updated_at = now()
                            WHERE s.source_table_id = EXCLUDED.source_table_id
                            """,
                            [layout.target, layout.sourceTableId, layout.sourcePath, String(version),
                             layout.keyColumnsJSON, layout.timeColumn.name])
                        if r.affected != 1 {
                            throw StoreError.foreignSource(store: "postgres", table: layout.target, recorded: "another source", incoming: layout.sourceTableId)
                        }
                    }
                    return PublishCounts(upserted: upserted, skippedAsOlder: rows.rowCount - upserted)
                }
            } catch {
                hasStage = false  // a stage created in this transaction was rolled back with it
                throw error
            }
        }
    }

    public func close() {
        session.close()
    }

    /// Runs `body` on the live connection (`StoreSession`: reconnects with backoff while the
    /// server is unreachable; a new connection has no staging table yet).
    private func withConnection<T>(_ body: (PostgresConnection) throws -> T) throws -> T {
        try session.run(endpoint: endpoint, open: {
            let c = try PostgresConnection(url: configuration.url, password: configuration.password, connectTimeout: configuration.connectTimeout)
            endpoint = c.endpoint
            hasStage = false
            return c
        }, body)
    }

    /// Whether the target holds no row, with the table locked against other writers until the
    /// transaction ends (readers are not blocked: SHARE ROW EXCLUSIVE conflicts only with
    /// writes and DDL), so the answer stays true while this transaction writes.
    private func isEmptyLocked(_ c: PostgresConnection, _ table: String) throws -> Bool {
        try c.execute("LOCK TABLE \(table) IN SHARE ROW EXCLUSIVE MODE")
        let answer = try c.execute("SELECT NOT EXISTS (SELECT 1 FROM \(table))").values.first?.first ?? nil
        return answer == "t"
    }

    /// Creates this session's staging table (after `prepare` created the target it copies),
    /// inside the publish transaction: a rollback drops it again, hence `hasStage = false` there.
    private func ensureStage(_ c: PostgresConnection, _ layout: PublishLayout) throws {
        guard !hasStage else { return }
        try c.execute("CREATE TEMP TABLE IF NOT EXISTS fs_stage (LIKE \(SQLDialect.postgres.quoted(layout.target))) ON COMMIT DELETE ROWS")
        hasStage = true
    }

    private func createOrVerifyTable(_ c: PostgresConnection, _ layout: PublishLayout) throws {
        let q = SQLDialect.postgres
        let columns = layout.allColumns.map { f -> String in
            let notNull = layout.keyColumns.contains(f) ? " NOT NULL" : ""
            return "\(q.quoted(f.name)) \(SQLColumnType.ddl(f.type, .postgres))\(notNull)"
        }
        let pk = layout.keyColumns.map { q.quoted($0.name) }.joined(separator: ", ")
        try c.execute("CREATE TABLE IF NOT EXISTS \(q.quoted(layout.target)) (\(columns.joined(separator: ", ")), PRIMARY KEY (\(pk)))")
        // pg_catalog, not information_schema: the latter hides columns of tables the role
        // does not own, which would turn "wrong type" into a misleading "missing".
        let existing = try c.execute("""
            SELECT a.attname, format_type(a.atttypid, NULL) FROM pg_attribute a
            WHERE a.attrelid = to_regclass($1) AND a.attnum > 0 AND NOT a.attisdropped
            """, [q.quoted(layout.target)])
        var types: [String: String] = [:]
        for row in existing.values { if let n = row[0], let t = row[1] { types[n] = t } }
        for f in layout.allColumns {
            guard let t = types[f.name] else {
                throw StoreError.incompatibleTable(store: "postgres", table: layout.target, column: f.name, reason: "is missing (the table has \(types.keys.sorted().joined(separator: ", ")))")
            }
            if !SQLColumnType.catalogNames(f.type, .postgres).contains(t) {
                throw StoreError.incompatibleTable(store: "postgres", table: layout.target, column: f.name, reason: "is \(t), the input column is \(f.type) (\(SQLColumnType.ddl(f.type, .postgres)))")
            }
        }
        let pkRows = try c.execute("""
            SELECT a.attname FROM pg_index i
            JOIN pg_attribute a ON a.attrelid = i.indrelid AND a.attnum = ANY(i.indkey)
            WHERE i.indrelid = to_regclass($1) AND i.indisprimary
            """, [q.quoted(layout.target)])
        let pkNames = Set(pkRows.values.compactMap { $0[0] })
        if pkNames != Set(layout.keyColumns.map { $0.name }) {
            let first = layout.keyColumns.first(where: { !pkNames.contains($0.name) })?.name ?? pkNames.sorted().first ?? "?"
            throw StoreError.incompatibleTable(store: "postgres", table: layout.target, column: first, reason: "is not part of the primary key the keys need (primary key: \(pkNames.sorted().joined(separator: ", ")); keys: \(layout.keyColumns.map { $0.name }.joined(separator: ", ")))")
        }
    }
}
