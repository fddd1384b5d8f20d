import FSCore

/// `--publisher-type sqlite`: the newest row of every key in a wide, typed table of an embedded
/// SQLite database, with the published source version in `fs_publish_state`.
///
/// ```
///  BEGIN IMMEDIATE                      -- one writer; WAL readers keep reading the last commit
///    INSERT INTO "t" (k…, time, f…) VALUES (?…)            × every row of the batch
///      ON CONFLICT (k…) DO UPDATE SET time = excluded.time, f… = excluded.f…
///      WHERE excluded.time > "t".time  -- an older or equal row never overwrites
///    INSERT INTO fs_publish_state … ON CONFLICT DO UPDATE SET version = max(version, ?)
///  COMMIT                               -- rows and version land together, or neither does
/// ```
/// Types: integers and booleans INTEGER (0/1), doubles REAL, strings TEXT, timestamps TEXT
/// `2019-01-17T13:05:00.000000Z` (UTC, fixed width, so text order is time order), dates TEXT
/// `2019-01-17`. WAL mode with `synchronous=NORMAL`: a process crash loses nothing committed; a
/// power loss may lose the last transactions, rows and version together, so a re-run redoes them.
final class SQLiteTarget: PublishTarget {
    static let stateTable = "fs_publish_state"
    let path: String
    let table: String
    let clock: any WallClock
    private let connection: SQLiteConnection
    private var layout: PublishLayout?
    private var upsert: SQLiteStatement?
    private var recordState: SQLiteStatement?

    init(path: String, table: String, clock: any WallClock = SystemWallClock(), busyTimeout: Duration = .seconds(10)) throws {
        self.path = path
        self.table = table
        self.clock = clock
        connection = try SQLiteConnection(path: path, busyTimeout: busyTimeout)
        try connection.execute("PRAGMA journal_mode=WAL")
        try connection.execute("PRAGMA synchronous=NORMAL")
    }

    /// The declared SQLite type of a column of `type`.
    static func sqlType(_ type: DataType) -> String {
        switch type {
        case .boolean, .int32, .int64: return "INTEGER"
        case .double: return "REAL"
        case .string, .date, .timestamp: return "TEXT"
        }
    }

    func prepare(_ layout: PublishLayout) throws {
        let q = SQLDialect.sqlite.quoted
        // One transaction: two publishers preparing the same new table cannot both create it,
        // and the state row (version NULL) exists from the moment the table does, so a table
        // with rows but no state row is really someone else's.
        try connection.execute("BEGIN IMMEDIATE")
        do {
            try connection.execute("""
                CREATE TABLE IF NOT EXISTS \(Self.stateTable) (target_table TEXT PRIMARY KEY, source_table_id TEXT NOT NULL, \
                source_path TEXT NOT NULL, version INTEGER, key_columns TEXT NOT NULL, time_column TEXT NOT NULL, updated_at TEXT NOT NULL)
                """)
            let state = try stateSource()
            if let (id, source) = state, id != layout.sourceTableId {
                throw PublishError.otherSource(table: table, sourceTableId: id, sourcePath: source)
            }
            let existing = try columns()
            if existing.isEmpty {
                let defs = layout.schema.fields.enumerated().map { i, f in
                    q(f.name) + " " + Self.sqlType(f.type) + (i < layout.keyColumns.count ? " NOT NULL" : "")
                }
                let pk = layout.keyColumns.map { q($0.name) }.joined(separator: ", ")
                try connection.execute("CREATE TABLE \(q(table)) (\(defs.joined(separator: ", ")), PRIMARY KEY (\(pk)))")
            } else {
                try verify(existing, layout)
                if state == nil, try hasRows() { throw PublishError.foreignOutput(output: table) }
            }
            if state == nil {
                let s = try connection.prepare("""
                    INSERT INTO \(Self.stateTable) (target_table, source_table_id, source_path, version, key_columns, time_column, updated_at) \
                    VALUES (?, ?, ?, NULL, ?, ?, ?)
                    """)
                s.bind(1, table)
                s.bind(2, layout.sourceTableId)
                s.bind(3, layout.sourcePath)
                s.bind(4, Self.keyColumnsJSON(layout))
                s.bind(5, layout.timeColumn.name)
                s.bind(6, formatISO8601(micros: clock.nowMicros()))
                try s.step()
            }
            try connection.execute("COMMIT")
        } catch {
            try? connection.execute("ROLLBACK")
            throw error
        }
        let names = layout.schema.fields.map { q($0.name) }
        let time = q(layout.timeColumn.name)
        let updates = layout.schema.fields.dropFirst(layout.keyColumns.count).map { "\(q($0.name)) = excluded.\(q($0.name))" }
        upsert = try connection.prepare("""
            INSERT INTO \(q(table)) (\(names.joined(separator: ", "))) VALUES (\(Array(repeating: "?", count: names.count).joined(separator: ", "))) \
            ON CONFLICT (\(layout.keyColumns.map { q($0.name) }.joined(separator: ", "))) DO UPDATE SET \(updates.joined(separator: ", ")) \
            WHERE excluded.\(time) > \(q(table)).\(time)
            """)
        recordState = try connection.prepare("""
            INSERT INTO \(Self.stateTable) (target_table, source_table_id, source_path, version, key_columns, time_column, updated_at) \
            VALUES (?, ?, ?, ?, ?, ?, ?) ON CONFLICT (target_table) DO UPDATE SET source_path = excluded.source_path, \
            version = max(coalesce(version, excluded.version), excluded.version), key_columns = excluded.key_columns, \
            time_column = excluded.time_column, updated_at = excluded.updated_at
            """)
        self.layout = layout
    }

    func publishedVersion() throws -> Int64? {
        let s = try connection.prepare("SELECT version FROM \(Self.stateTable) WHERE target_table = ?")
        s.bind(1, table)
        guard try s.step(), !s.isNull(0) else { return nil }
        return s.int64(0)
    }

    func publish(_ rows: RecordBatch, recordingVersion version: Int64?) throws -> PublishCounts {
        guard let layout, let upsert, let recordState else { preconditionFailure("SQLiteTarget.publish before prepare") }
        precondition(rows.schema == layout.schema, "batch schema \(rows.schema) is not the layout's \(layout.schema)")
        var counts = PublishCounts()
        var text: [UInt8] = []
        try connection.execute("BEGIN IMMEDIATE")
        do {
            for r in 0..<rows.rowCount {
                for (c, column) in rows.columns.enumerated() { Self.bind(upsert, Int32(c + 1), column, r, text: &text) }
                try upsert.step()
                upsert.reset()
                if connection.changes > 0 { counts.upserted += 1 } else { counts.skippedAsOlder += 1 }
            }
            if let version {
                recordState.bind(1, table)
                recordState.bind(2, layout.sourceTableId)
                recordState.bind(3, layout.sourcePath)
                recordState.bind(4, version)
                recordState.bind(5, Self.keyColumnsJSON(layout))
                recordState.bind(6, layout.timeColumn.name)
                recordState.bind(7, formatISO8601(micros: clock.nowMicros()))
                try recordState.step()
                recordState.reset()
            }
            try connection.execute("COMMIT")
        } catch {
            try? connection.execute("ROLLBACK")
            throw error
        }
        return counts
    }

    func close() {
        upsert = nil
        recordState = nil
        connection.close()
    }

    /// `key_columns` of the state: a JSON array of the key column names.
    static func keyColumnsJSON(_ layout: PublishLayout) -> String {
        JSONValue.array(layout.keyColumns.map { .string($0.name) }).description
    }

    /// Binds row `r` of `column` to parameter `i` in the store's representation. Dates and
    /// timestamps are written into `text` (reused) and bound as bytes SQLite copies: a `String`
    /// per timestamp was the largest allocation of a publish.
    static func bind(_ s: SQLiteStatement, _ i: Int32, _ column: Column, _ r: Int, text: inout [UInt8]) {
        if column.isNull(r) { s.bindNull(i); return }
        switch (column.type, column.values) {
        case (.boolean, .boolean(let v)): s.bind(i, Int64(v[r] ? 1 : 0))
        case (.date, .int32(let v)):
            text.removeAll(keepingCapacity: true)
            appendDate(days: v[r], to: &text)
            text.withUnsafeBufferPointer { s.bind(i, utf8: $0) }
        case (_, .int32(let v)): s.bind(i, Int64(v[r]))
        case (.timestamp, .int64(let v)):
            text.removeAll(keepingCapacity: true)
            appendISO8601(micros: v[r], to: &text)
            text.withUnsafeBufferPointer { s.bind(i, utf8: $0) }
        case (_, .int64(let v)): s.bind(i, v[r])
        case (_, .double(let v)): s.bind(i, v[r])
        case (_, .string(let v)): v.withUTF8(r) { s.bind(i, utf8: $0) }
        case (_, .boolean(let v)): s.bind(i, Int64(v[r] ? 1 : 0))
        }
    }

    /// (source_table_id, source_path) of this target's state row, nil when there is none.
    private func stateSource() throws -> (String, String)? {
        let s = try connection.prepare("SELECT source_table_id, source_path FROM \(Self.stateTable) WHERE target_table = ?")
        s.bind(1, table)
        guard try s.step() else { return nil }
        return (s.text(0), s.text(1))
    }

    private struct ExistingColumn { var name: String; var type: String; var primaryKeyIndex: Int }

    /// The table's columns (PRAGMA table_info); empty when the table does not exist.
    private func columns() throws -> [ExistingColumn] {
        let s = try connection.prepare("SELECT name, type, pk FROM pragma_table_info(?)")
        s.bind(1, table)
        var out: [ExistingColumn] = []
        while try s.step() { out.append(ExistingColumn(name: s.text(0), type: s.text(1).uppercased(), primaryKeyIndex: Int(s.int64(2)))) }
        return out
    }

    private func hasRows() throws -> Bool {
        try connection.prepare("SELECT 1 FROM \(SQLDialect.sqlite.quoted(table)) LIMIT 1").step()
    }

    /// Every published column must exist with the type we write, and the primary key must be
    /// exactly the key columns; other columns of the table are left alone.
    private func verify(_ existing: [ExistingColumn], _ layout: PublishLayout) throws {
        for (i, f) in layout.schema.fields.enumerated() {
            guard let c = existing.first(where: { $0.name.lowercased() == f.name.lowercased() }) else {
                throw PublishError.incompatibleColumn(table: table, column: f.name, reason: "is missing from the existing table (it has \(existing.map(\.name).joined(separator: ", ")))")
            }
            let want = Self.sqlType(f.type)
            if c.type != want {
                throw PublishError.incompatibleColumn(table: table, column: f.name, reason: "is \(c.type.isEmpty ? "untyped" : c.type) in the existing table; publishing \(f.type) needs \(want)")
            }
            let isKey = i < layout.keyColumns.count
            if isKey != (c.primaryKeyIndex > 0) || (isKey && c.primaryKeyIndex != i + 1) {
                throw PublishError.incompatibleColumn(table: table, column: f.name, reason: isKey ? "is not at position \(i + 1) of the existing table's primary key" : "is part of the existing table's primary key but not a key column (--key-field)")
            }
        }
        let keyCount = existing.filter { $0.primaryKeyIndex > 0 }.count
        if keyCount != layout.keyColumns.count, let extra = existing.first(where: { $0.primaryKeyIndex > layout.keyColumns.count }) {
            throw PublishError.incompatibleColumn(table: table, column: extra.name, reason: "is part of the existing table's primary key but not a key column (--key-field)")
        }
    }
}
