import FSCore
import FSPublish

/// A table fs-publish's `PostgresTarget` wrote, served from PostgreSQL.
///
/// Layout: `fs_publish_state` names the key and time columns; the table's own columns (from
/// `pg_attribute`, in table order) are the rest, and their catalog types say how to read them.
/// Only types the target creates are accepted, and the cast a key array gets in SQL is chosen
/// from that closed list — identifiers are quoted names read from the catalog, keys travel as
/// one array parameter, nothing from a request reaches SQL text.
///
/// Consistency: every key of a request is answered by one prepared statement,
/// ```
/// SELECT "k"::text, <time>, <features> FROM "t" WHERE "k" = ANY($1::bigint[])
/// ```
/// which reads one snapshot; the target commits rows and state in one transaction, so a
/// request sees each publish whole or not at all, across all of its keys.
///
/// Connections come from a `StorePool`; any failure drops the connection and the next request
/// reconnects (503 meanwhile). The password is PGPASSWORD's (or libpq's ~/.pgpass), as
/// fs-publish takes it, and never appears in messages.
public final class PostgresStore: FeatureSource, @unchecked Sendable {
    public let name: String
    private let storeLabel: String
    private let state: PublishedState
    private let pool: StorePool<Session>

    /// One connection with the read statement prepared for the layout it found.
    typealias Session = PooledSession<PostgresConnection, ReadPlan>

    /// What the prepared read returns: key columns as text, the time, then the features.
    struct ReadPlan {
        var layout: ServedLayout
        var keyTypes: [DataType]
        var timeType: DataType
        var featureTypes: [DataType]
    }

    static let statementName = "fs_serve_read"

    /// `url` is a libpq URI or conninfo without a password (refused like fs-publish refuses it);
    /// `password` nil lets libpq read PGPASSWORD or ~/.pgpass.
    public init(url: String, password: String?, table name: String, connectTimeout: Duration = .seconds(2)) throws(ServeError) {
        do { try PostgresTarget.validate(url: url) } catch { throw ServeError(error, store: "postgres") }
        let label = "postgres:" + String(url.prefix(while: { $0 != "?" }))
        let state = PublishedState()
        self.name = name
        self.storeLabel = label
        self.state = state
        pool = StorePool { () throws(ServeError) -> Session in
            try Self.open(url: url, password: password, connectTimeout: connectTimeout, table: name, label: label, state: state)
        }
    }

    public func layout() throws(ServeError) -> ServedLayout {
        try pool.layout(from: state, store: storeLabel)
    }

    public func read(keys: [ServedKey]) throws(ServeError) -> [ServedRow?] {
        let s = try pool.checkout()
        let plan = s.plan
        var parameters: [String?] = []
        for column in 0..<plan.keyTypes.count {
            var array = "{"
            for (i, key) in keys.enumerated() {
                guard key.count == plan.keyTypes.count else {
                    pool.checkin(s)
                    throw .badRequest("table \(name) has \(plan.keyTypes.count) key columns, the request gave \(key.count)")
                }
                if i > 0 { array += "," }
                Self.appendArrayElement(Self.keyText(key[column], plan.keyTypes[column]), to: &array)
            }
            array += "}"
            parameters.append(array)
        }
        let result: PostgresRows
        do { result = try s.connection.executePrepared(Self.statementName, parameters) } catch {
            // The connection may be broken or the table altered under the prepared plan: a new
            // connection re-reads the layout.
            pool.discardIdle()
            throw ServeError(error, store: storeLabel)
        }
        pool.checkin(s)
        let k = plan.keyTypes.count
        var byKey: [String: ServedRow] = [:]
        byKey.reserveCapacity(result.values.count)
        for row in result.values {
            let keyText = k == 1 ? (row[0] ?? "") : row[0..<k].map { $0 ?? "" }.joined(separator: "\u{1F}")
            let time = StoredText.micros(row[k], plan.timeType, epochIntegers: true)
            var features: [Value] = []
            features.reserveCapacity(plan.featureTypes.count)
            for (j, type) in plan.featureTypes.enumerated() {
                features.append(row[k + 1 + j].map { StoredText.value($0, type, epochIntegers: true) } ?? .null)
            }
            byKey[keyText] = ServedRow(time: time, features: features)
        }
        return keys.map { key in
            byKey[key.count == 1 ? Self.keyText(key[0], plan.keyTypes[0]) ?? "" : key.enumerated().map { Self.keyText($1, plan.keyTypes[$0]) ?? "" }.joined(separator: "\u{1F}")]
        }
    }

    public func checkHealth() -> StoreHealth {
        pool.health { s throws(ServeError) in _ = try Self.readState(s.connection, table: name, label: storeLabel, state: state) }
    }

    public func publishedPosition() -> (version: Int64, updatedAtMicros: Int64?)? {
        state.currentPosition
    }

    /// A key value as the text PostgreSQL prints for its column type, or nil when it cannot be
    /// one (a miss: `"abc"` for a BIGINT key is not an error, it is simply not there).
    static func keyText(_ v: Value, _ type: DataType) -> String? {
        let text = canonicalText(v)
        switch type {
        case .int64: return Int64(text).map { String($0) }
        case .int32: return Int32(text).map { String($0) }
        case .date: return parseDate(text).map(formatDate(days:))
        default: return text
        }
    }

    /// An element of an array literal: double-quoted, `"` and `\` escaped; a key that cannot
    /// exist is NULL, which `= ANY` never matches.
    static func appendArrayElement(_ text: String?, to out: inout String) {
        guard let text else { out += "NULL"; return }
        out += "\""
        for ch in text.unicodeScalars {
            if ch == "\"" || ch == "\\" { out += "\\" }
            out.unicodeScalars.append(ch)
        }
        out += "\""
    }

    /// The published types a column can have, by `format_type` name (`SQLColumnType`'s DDL).
    static func dataType(catalogName: String) -> DataType? {
        switch catalogName {
        case "bigint": return .int64
        case "integer", "smallint": return .int32
        case "double precision", "real": return .double
        case "text", "character varying": return .string
        case "boolean": return .boolean
        case "timestamp with time zone", "timestamp without time zone": return .timestamp
        case "date": return .date
        default: return nil
        }
    }

    /// The array type a key column's parameter is cast to.
    static func arrayCast(_ type: DataType) -> String? {
        switch type {
        case .int64: return "bigint[]"
        case .int32: return "integer[]"
        case .string: return "text[]"
        case .date: return "date[]"
        default: return nil
        }
    }

    /// A column as the read selects it: timestamps as µs and dates as days since the epoch, so
    /// no time zone or date style setting changes what is parsed.
    static func selected(_ quoted: String, _ type: DataType) -> String {
        switch type {
        case .timestamp: return "(extract(epoch FROM \(quoted)) * 1000000)::bigint"
        case .date: return "(\(quoted) - DATE '1970-01-01')"
        default: return quoted
        }
    }

    /// The publisher's state row: key and time columns; caches the version for `/metrics`.
    private static func readState(_ c: PostgresConnection, table name: String, label storeLabel: String,
                                  state: PublishedState) throws(ServeError) -> (keys: [String], time: String) {
        let r: PostgresRows
        do {
            r = try c.execute("""
                SELECT key_columns, time_column, version, (extract(epoch FROM updated_at) * 1000000)::bigint
                FROM fs_publish_state WHERE target_table = $1
                """, [name])
        } catch { throw ServeError(error, store: storeLabel) }
        guard let row = r.values.first else {
            throw .storeUnavailable(store: storeLabel, reason: "no fs_publish_state row for table \(name) (not published yet)")
        }
        guard let keyJSON = row[0], let time = row[1],
              let keys = (try? JSONValue.parse(keyJSON))?.arrayValue?.compactMap(\.stringValue), !keys.isEmpty
        else { throw .badStore(store: storeLabel, reason: "fs_publish_state row of \(name) has no key_columns/time_column") }
        let version = row[2].flatMap { Int64($0) } ?? -1
        let updated = row[3].flatMap { Int64($0) }
        state.record(version: version, updatedAtMicros: updated)
        return (keys, time)
    }

    /// Connects, reads the layout and prepares the read.
    private static func open(url: String, password: String?, connectTimeout: Duration, table name: String, label storeLabel: String,
                             state: PublishedState) throws(ServeError) -> Session {
        let c: PostgresConnection
        do { c = try PostgresConnection(url: url, password: password, connectTimeout: connectTimeout, applicationName: "fs-serve") } catch {
            throw ServeError(error, store: storeLabel)
        }
        let (keys, timeColumn) = try readState(c, table: name, label: storeLabel, state: state)
        let q = SQLDialect.postgres
        let columns: PostgresRows
        do {
            columns = try c.execute("""
                SELECT a.attname, format_type(a.atttypid, NULL) FROM pg_attribute a
                WHERE a.attrelid = to_regclass($1) AND a.attnum > 0 AND NOT a.attisdropped ORDER BY a.attnum
                """, [q.quoted(name)])
        } catch { throw ServeError(error, store: storeLabel) }
        var types: [(name: String, type: DataType)] = []
        for row in columns.values {
            guard let n = row[0], let t = row[1] else { continue }
            guard let type = Self.dataType(catalogName: t) else {
                throw .badStore(store: storeLabel, reason: "table \(name) column \(n) has type \(t), which fs-publish does not write")
            }
            types.append((n, type))
        }
        guard !types.isEmpty else { throw .storeUnavailable(store: storeLabel, reason: "no table \(name)") }
        func columnType(_ column: String) throws(ServeError) -> DataType {
            guard let t = types.first(where: { $0.name == column })?.type else {
                throw .badStore(store: storeLabel, reason: "table \(name) has no column \(column) named by fs_publish_state")
            }
            return t
        }
        var keyTypes: [DataType] = []
        var casts: [String] = []
        for k in keys {
            let t = try columnType(k)
            guard let cast = Self.arrayCast(t) else {
                throw .badStore(store: storeLabel, reason: "table \(name) key column \(k) is \(t): keys must be integers, text or dates")
            }
            keyTypes.append(t)
            casts.append(cast)
        }
        let timeType = try columnType(timeColumn)
        let features = types.filter { !keys.contains($0.name) && $0.name != timeColumn }
        let layout = ServedLayout(keyColumns: keys, timeColumn: timeColumn, featureColumns: features.map(\.name))

        let table = q.quoted(name)
        let selectList = (keys.map { "t.\(q.quoted($0))::text" } + [Self.selected("t." + q.quoted(timeColumn), timeType)]
            + features.map { Self.selected("t." + q.quoted($0.name), $0.type) }).joined(separator: ", ")
        let sql: String
        if keys.count == 1 {
            sql = "SELECT \(selectList) FROM \(table) AS t WHERE t.\(q.quoted(keys[0])) = ANY($1::\(casts[0]))"
        } else {
            let unnest = casts.enumerated().map { "$\($0.offset + 1)::\($0.element)" }.joined(separator: ", ")
            let names = keys.indices.map { "k\($0)" }
            let on = keys.enumerated().map { "t.\(q.quoted($0.element)) = q.k\($0.offset)" }.joined(separator: " AND ")
            sql = "SELECT \(selectList) FROM \(table) AS t JOIN unnest(\(unnest)) AS q(\(names.joined(separator: ", "))) ON \(on)"
        }
        do { try c.prepare(Self.statementName, sql, parameterCount: keys.count) } catch { throw ServeError(error, store: storeLabel) }
        state.record(layout: layout)
        return Session(connection: c, plan: ReadPlan(layout: layout, keyTypes: keyTypes, timeType: timeType,
                                                     featureTypes: features.map(\.type)))
    }
}
