import FSCore
import FSPublish

/// A key prefix fs-publish's `RedisTarget` wrote, served from Redis.
///
/// Layout: the state hash `<prefix>:__fs_publish_state` names the key and time columns and
/// lists every column with its type (`columns`); each entity is one hash
/// `<prefix>:<escaped key parts>` (`RedisKeyEncoding`) with one field per non-NULL column.
/// A read is `HMGET <key> <first key column> <time> <features…>`: the key column is never
/// NULL, so its absence means the entity is not there.
///
/// Consistency: the target's Lua script replaces each hash whole, so one HMGET never sees half
/// a vector; the HMGETs of a request with several keys run inside one MULTI/EXEC, so they all
/// see the store between two script runs — the same guarantee as one SQL read transaction.
///
/// Connections come from a `StorePool`; any failure drops the connection and the next request
/// reconnects (503 meanwhile). The password is FS_REDIS_PASSWORD's, as fs-publish takes it,
/// never part of the URL or of a message.
public final class RedisStore: FeatureSource, @unchecked Sendable {
    public let name: String
    private let storeLabel: String
    private let state: PublishedState
    private let pool: StorePool<Session>

    /// One connection and the layout it read when it connected.
    typealias Session = PooledSession<RedisConnection, ReadPlan>

    /// The fields one HMGET asks for and their types.
    struct ReadPlan {
        var layout: ServedLayout
        var keyTypes: [DataType]
        /// First key column, time column, then the features.
        var fields: [String]
        var timeType: DataType
        var featureTypes: [DataType]
    }

    /// `url` is `redis://[user@]host[:port][/db]` without a password; `prefix` is the
    /// `--output-table` fs-publish wrote.
    public init(url: String, password: String?, prefix name: String, timeout: Duration = .seconds(2)) throws(ServeError) {
        let configuration: RedisTarget.Configuration
        do { configuration = try RedisTarget.Configuration(url: url, password: password, timeout: timeout) } catch {
            throw ServeError(error, store: "redis")
        }
        let label = "redis:\(configuration.host):\(configuration.port)/\(configuration.database)"
        let state = PublishedState()
        self.name = name
        self.storeLabel = label
        self.state = state
        pool = StorePool { () throws(ServeError) -> Session in
            try Self.open(configuration, prefix: name, label: label, state: state)
        }
    }

    private var stateKey: String { name + ":__fs_publish_state" }

    public func layout() throws(ServeError) -> ServedLayout {
        try pool.layout(from: state, store: storeLabel)
    }

    public func read(keys: [ServedKey]) throws(ServeError) -> [ServedRow?] {
        let s = try pool.checkout()
        let plan = s.plan
        for key in keys where key.count != plan.keyTypes.count {
            pool.checkin(s)
            throw .badRequest("table \(name) has \(plan.keyTypes.count) key columns, the request gave \(key.count)")
        }
        let replies: [RedisReply]
        do {
            let c = s.connection
            let isTransaction = keys.count > 1
            if isTransaction { try c.append(RedisCommand(["MULTI"])) }
            for key in keys {
                var cmd = RedisCommand()
                cmd.append("HMGET")
                cmd.append(RedisKeyEncoding.key(prefix: name, parts: key.map(canonicalText)))
                for f in plan.fields { cmd.append(f) }
                try c.append(cmd)
            }
            if isTransaction {
                try c.append(RedisCommand(["EXEC"]))
                for _ in 0...keys.count { try Self.expectNoError(try c.reply()) }  // +OK, +QUEUED…
                let exec = try c.reply()
                guard case .array(let all) = exec, all.count == keys.count else {
                    throw StoreError.statementFailed(store: "redis", reason: "EXEC answered \(exec)")
                }
                replies = all
            } else {
                replies = try keys.map { _ in try c.reply() }
            }
        } catch {
            pool.discardIdle()
            throw ServeError(error, store: storeLabel)
        }
        pool.checkin(s)
        var rows: [ServedRow?] = []
        rows.reserveCapacity(keys.count)
        for reply in replies {
            guard case .array(let values) = reply, values.count == plan.fields.count else {
                if case .error(let e) = reply { throw .storeUnavailable(store: storeLabel, reason: e) }
                throw .storeUnavailable(store: storeLabel, reason: "HMGET answered \(reply)")
            }
            guard values[0].text != nil else { rows.append(nil); continue }
            let time = StoredText.micros(values[1].text, plan.timeType, epochIntegers: false)
            var features: [Value] = []
            features.reserveCapacity(plan.featureTypes.count)
            for (j, type) in plan.featureTypes.enumerated() {
                features.append(values[2 + j].text.map { StoredText.value($0, type, epochIntegers: false) } ?? .null)
            }
            rows.append(ServedRow(time: time, features: features))
        }
        return rows
    }

    public func checkHealth() -> StoreHealth {
        pool.health { s throws(ServeError) in _ = try Self.readState(s.connection, prefix: name, label: storeLabel, state: state) }
    }

    public func publishedPosition() -> (version: Int64, updatedAtMicros: Int64?)? {
        state.currentPosition
    }

    private static func expectNoError(_ r: RedisReply) throws {
        if case .error(let e) = r { throw StoreError.statementFailed(store: "redis", reason: e) }
    }

    /// The state hash: key and time columns and every column's type; caches the version.
    private static func readState(_ c: RedisConnection, prefix: String, label: String,
                                  state: PublishedState) throws(ServeError) -> (keys: [String], time: String, columns: [(String, DataType)]) {
        let reply: RedisReply
        do {
            reply = try c.command(RedisCommand(["HMGET", prefix + ":__fs_publish_state", "key_columns", "time_column", "columns", "version", "updated_at"]))
        } catch { throw ServeError(error, store: label) }
        guard case .array(let f) = reply, f.count == 5 else {
            throw .storeUnavailable(store: label, reason: "HMGET of the state hash answered \(reply)")
        }
        guard let keyJSON = f[0].text, let time = f[1].text else {
            throw .storeUnavailable(store: label, reason: "no state hash \(prefix):__fs_publish_state (not published yet)")
        }
        guard let keys = (try? JSONValue.parse(keyJSON))?.arrayValue?.compactMap(\.stringValue), !keys.isEmpty else {
            throw .badStore(store: label, reason: "state hash of \(prefix) has no key_columns")
        }
        guard let columnsJSON = f[2].text, let list = (try? JSONValue.parse(columnsJSON))?.arrayValue else {
            throw .badStore(store: label, reason: "state hash of \(prefix) has no columns (published by an older fs-publish: publish again)")
        }
        var columns: [(String, DataType)] = []
        for c in list {
            guard let n = c["name"]?.stringValue, let t = c["type"]?.stringValue.flatMap(DataType.init(deltaName:)) else {
                throw .badStore(store: label, reason: "state hash of \(prefix): unreadable column \(c)")
            }
            columns.append((n, t))
        }
        let version = f[3].text.flatMap { Int64($0) } ?? -1
        state.record(version: version, updatedAtMicros: f[4].text.flatMap(parseTimestamp))
        return (keys, time, columns)
    }

    private static func open(_ configuration: RedisTarget.Configuration, prefix: String, label: String,
                             state: PublishedState) throws(ServeError) -> Session {
        let c: RedisConnection
        do {
            c = try RedisConnection(host: configuration.host, port: configuration.port, database: configuration.database,
                                    user: configuration.user, password: configuration.password, timeout: configuration.timeout)
        } catch { throw ServeError(error, store: label) }
        let (keys, timeColumn, columns) = try readState(c, prefix: prefix, label: label, state: state)
        func columnType(_ column: String) throws(ServeError) -> DataType {
            guard let t = columns.first(where: { $0.0 == column })?.1 else {
                throw .badStore(store: label, reason: "state hash of \(prefix) lists no column \(column)")
            }
            return t
        }
        let keyTypes = try keys.map(columnType)
        let timeType = try columnType(timeColumn)
        let features = columns.filter { !keys.contains($0.0) && $0.0 != timeColumn }
        let layout = ServedLayout(keyColumns: keys, timeColumn: timeColumn, featureColumns: features.map(\.0))
        state.record(layout: layout)
        return Session(connection: c, plan: ReadPlan(layout: layout, keyTypes: keyTypes, fields: [keys[0], timeColumn] + features.map(\.0),
                                                     timeType: timeType, featureTypes: features.map(\.1)))
    }
}
