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
///   COPY fs_stage FROM STDIN             -- the batch, text format, one round trip
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
    private var connection: PostgresConnection?
    private var layout: PublishLayout?
    private var endpoint: String
    private var hasStage = false

    public init(_ configuration: Configuration, logger: Logger = Logger(label: "fs-publish")) throws {
        try Self.validate(url: configuration.url)
        self.configuration = configuration
        self.logger = logger
        self.endpoint = Self.redacted(configuration.url)
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
            try c.execute("BEGIN")
            var committed = false
            defer { if !committed { c.rollbackQuietly() } }
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
            try c.execute("COMMIT")
            committed = true
        }
    }

    public func publishedVersion() throws -> Int64? {
        let layout = try preparedLayout()
        return try withConnection { c in
            let r = try c.execute(
                "SELECT version FROM fs_publish_state WHERE target_table = $1 AND source_table_id = $2",
                [layout.target, layout.sourceTableId])
            return (r.values.first?.first ?? nil).flatMap { Int64($0) }
        }
    }

    public func publish(_ rows: RecordBatch, recordingVersion version: Int64?) throws -> PublishCounts {
        let layout = try preparedLayout()
        precondition(rows.schema == layout.schema, "publish batch schema \(rows.schema) != layout \(layout.schema)")
        let copyData = PostgresCopyText.encode(rows)
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
            try ensureStage(c, layout)
            do {
                try c.execute("BEGIN")
                var upserted = 0
                if rows.rowCount > 0 {
                    try c.copyIn("COPY fs_stage (\(names.joined(separator: ", "))) FROM STDIN", data: copyData)
                    upserted = try c.execute(upsert).affected
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
                try c.execute("COMMIT")
                return PublishCounts(upserted: upserted, skippedAsOlder: rows.rowCount - upserted)
            } catch {
                c.rollbackQuietly()
                throw error
            }
        }
    }

    public func close() {
        connection?.close()
        connection = nil
    }

    private func preparedLayout() throws -> PublishLayout {
        guard let layout else { throw StoreError.statementFailed(store: "postgres", reason: "publish before prepare") }
        return layout
    }

    /// Runs `body` on a live connection, reconnecting with backoff while the server is
    /// unreachable. A dropped connection mid-transaction loses only that transaction (the
    /// server rolls it back), so `body` is simply run again on the new connection.
    private func withConnection<T>(_ body: (PostgresConnection) throws -> T) throws -> T {
        try configuration.retry.run(store: "postgres", endpoint: endpoint, logger: logger) {
            do {
                let c = try connected()
                return try body(c)
            } catch let e as StoreError where e.isRetriable {
                connection?.close()
                connection = nil
                throw e
            }
        }
    }

    private func connected() throws -> PostgresConnection {
        if let connection { return connection }
        let c = try PostgresConnection(url: configuration.url, password: configuration.password, connectTimeout: configuration.connectTimeout)
        endpoint = c.endpoint
        connection = c
        hasStage = false
        return c
    }

    /// Creates this session's staging table (after `prepare` created the target it copies).
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

/// A batch as PostgreSQL COPY text: one line per row, tab-separated, `\N` for NULL, and
/// backslash, tab, newline and carriage return escaped — the text format's whole escape set.
enum PostgresCopyText {
    static func encode(_ batch: RecordBatch) -> [UInt8] {
        var out: [UInt8] = []
        out.reserveCapacity(batch.rowCount * batch.columns.count * 12)
        for i in 0..<batch.rowCount {
            for (j, column) in batch.columns.enumerated() {
                if j > 0 { out.append(9) }
                if column.isNull(i) { out.append(92); out.append(78); continue }
                switch column.values {
                case .boolean(let v): out.append(v[i] ? 116 : 102)
                case .int32(let v):
                    if column.type == .date { out.append(contentsOf: formatDate(days: v[i]).utf8) } else { appendDecimal(Int64(v[i]), to: &out) }
                case .int64(let v):
                    if column.type == .timestamp { out.append(contentsOf: formatISO8601(micros: v[i]).utf8) } else { appendDecimal(v[i], to: &out) }
                case .double(let v): out.append(contentsOf: sqlDoubleText(v[i]).utf8)
                case .string(let s):
                    s.withUTF8(i) { bytes in
                        for b in bytes {
                            switch b {
                            case 92: out.append(92); out.append(92)
                            case 9: out.append(92); out.append(116)
                            case 10: out.append(92); out.append(110)
                            case 13: out.append(92); out.append(114)
                            default: out.append(b)
                            }
                        }
                    }
                }
            }
            out.append(10)
        }
        return out
    }
}

/// A double as SQL text both PostgreSQL and MySQL parse back to the same bits: the shortest
/// round-trip form, with PostgreSQL's spellings of NaN and the infinities.
func sqlDoubleText(_ d: Double) -> String {
    if d.isNaN { return "NaN" }
    if d.isInfinite { return d < 0 ? "-Infinity" : "Infinity" }
    return "\(d)"
}

/// Appends the decimal digits of `value` (no allocation).
func appendDecimal(_ value: Int64, to out: inout [UInt8]) {
    if value == 0 { out.append(48); return }
    var magnitude = value.magnitude
    if value < 0 { out.append(45) }
    var digits: (UInt8, UInt8, UInt8, UInt8, UInt8, UInt8, UInt8, UInt8, UInt8, UInt8,
                 UInt8, UInt8, UInt8, UInt8, UInt8, UInt8, UInt8, UInt8, UInt8, UInt8) =
        (0, 0, 0, 0, 0, 0, 0, 0, 0, 0, 0, 0, 0, 0, 0, 0, 0, 0, 0, 0)
    var n = 0
    withUnsafeMutableBytes(of: &digits) { buf in
        while magnitude > 0 {
            buf[n] = UInt8(48 + magnitude % 10)
            magnitude /= 10
            n += 1
        }
        for k in stride(from: n - 1, through: 0, by: -1) { out.append(buf[k]) }
    }
}
