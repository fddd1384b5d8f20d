import FSCore
import Logging

/// Publishes the newest row per key into Redis hashes.
///
/// Layout in the store (`--output-table` is the key prefix `P`):
/// - one hash per entity key, `P:<part1>[:<part2>…]`, with one field per published column
///   (key, time and features, named as in the Delta table); a NULL value is an absent field;
/// - the state hash `P:__fs_publish_state` with `source_table_id`, `source_path`, `version`,
///   `key_columns` (JSON array), `time_column`, `updated_at`.
///
/// Key parts are the key values as text (see `RedisValueText`), escaped so that any tuple of
/// parts maps to exactly one key and back: `\` → `\\`, `:` → `\:`, and a part starting with `_`
/// gets a leading `\` (so no entity can be named like the state hash). Split on the colons not
/// preceded by a backslash, then drop each backslash escape, to decode.
///
/// Atomicity: a batch is applied in rounds of `rowsPerTransaction` keys, each an optimistic
/// transaction of plain commands: WATCH the round's keys and the state hash, read their stored
/// time fields, decide here which rows are newer (numeric compare for numeric time columns, byte
/// compare for ISO-8601 timestamps and dates, which sort as text), then MULTI, HDEL of the NULL
/// fields + HSET + optional EXPIRE per newer key, and — in the last round of a batch — the state
/// hash, EXEC. If another client wrote a watched key in between, EXEC applies nothing and the
/// round is read again, so the guard holds against concurrent writers too. (A Lua script did
/// this before; Redis turned each row's values into Lua strings and back, which made it three
/// times slower than the same HSETs sent as commands.) A kill -9 between rounds leaves earlier
/// rounds written without the version: the re-run rewrites them and the time guard makes that
/// a no-op, so the store ends as an uninterrupted run leaves it; each key's hash is always
/// replaced whole, never half.
public final class RedisTarget: PublishTarget {
    /// How to reach Redis: from `--redis-url redis://[user@]host[:port][/db]`; the password comes
    /// from FS_REDIS_PASSWORD (read by the command line), never from the URL.
    public struct Configuration: Sendable {
        public var host: String
        public var port: Int
        public var database: Int
        public var user: String?
        public var password: String?
        /// `--ttl`: every written hash expires this long after its last write (nil: never).
        public var ttl: Duration?
        public var timeout: Duration
        public var retry: StoreRetry

        public init(url: String, password: String?, ttl: Duration? = nil, timeout: Duration = .seconds(10), maxRetryDuration: Duration? = nil) throws {
            let parsed = try RedisTarget.parse(url: url)
            host = parsed.host
            port = parsed.port
            database = parsed.database
            user = parsed.user
            self.password = password
            self.ttl = ttl
            self.timeout = timeout
            retry = StoreRetry(maxDuration: maxRetryDuration)
        }
    }

    /// Keys per WATCH … MULTI … EXEC round: one EXEC blocks the server while it runs, so a
    /// batch is cut into rounds of this many keys (a few ms each).
    static let rowsPerTransaction = 2000

    private let configuration: Configuration
    private let logger: Logger
    private let session: StoreSession<RedisConnection>
    private var layout: PublishLayout?

    public init(_ configuration: Configuration, logger: Logger = Logger(label: "fs-publish")) {
        self.configuration = configuration
        self.logger = logger
        session = StoreSession(store: "redis", retry: configuration.retry, logger: logger)
    }

    private var endpoint: String { "\(configuration.host):\(configuration.port)/\(configuration.database)" }

    /// Parses `redis://[user@]host[:port][/db]`; a password in it is refused.
    static func parse(url: String) throws -> (host: String, port: Int, database: Int, user: String?) {
        func bad(_ why: String) -> StoreError { .badConfiguration(flag: "--redis-url", reason: why) }
        guard url.hasPrefix("redis://") else { throw bad("'\(url)' is not redis://host[:port][/db]") }
        var rest = Substring(url.dropFirst("redis://".count))
        var user: String?
        if let at = rest.lastIndex(of: "@") {
            let info = rest[..<at]
            if info.contains(":") { throw bad("contains a password; set FS_REDIS_PASSWORD instead") }
            user = info.isEmpty ? nil : String(info)
            rest = rest[rest.index(after: at)...]
        }
        let hostPort = rest.prefix(while: { $0 != "/" })
        let path = rest.dropFirst(hostPort.count).dropFirst()
        var host = String(hostPort), port = 6379
        if let colon = hostPort.lastIndex(of: ":") {
            host = String(hostPort[..<colon])
            guard let p = Int(hostPort[hostPort.index(after: colon)...]), p > 0, p < 65536 else { throw bad("bad port in '\(url)'") }
            port = p
        }
        if host.isEmpty { host = "127.0.0.1" }
        var database = 0
        if !path.isEmpty {
            guard let d = Int(path), d >= 0 else { throw bad("database '\(path)' is not a number") }
            database = d
        }
        return (host, port, database, user)
    }

    public func prepare(_ layout: PublishLayout) throws {
        self.layout = layout
        try withConnection { c in
            let state = try c.command(RedisCommand(["HMGET", stateKey(layout), "source_table_id", "key_columns", "time_column"]))
            guard case .array(let fields) = state, fields.count == 3 else { return }
            if let id = fields[0].text, id != layout.sourceTableId {
                throw StoreError.foreignSource(store: "redis", table: layout.target, recorded: id, incoming: layout.sourceTableId)
            }
            if let keys = fields[1].text, keys != layout.keyColumnsJSON {
                throw StoreError.incompatibleTable(store: "redis", table: layout.target, column: layout.keyColumns.map(\.name).joined(separator: ","),
                                                   reason: "does not match the key columns \(keys) the prefix was published with")
            }
            if let time = fields[2].text, time != layout.timeColumn.name {
                throw StoreError.incompatibleTable(store: "redis", table: layout.target, column: layout.timeColumn.name,
                                                   reason: "is not the time column '\(time)' the prefix was published with")
            }
        }
    }

    public func publishedVersion() throws -> Int64? {
        let layout = try preparedLayout()
        return try withConnection { c in
            let r = try c.command(RedisCommand(["HMGET", stateKey(layout), "source_table_id", "version"]))
            guard case .array(let f) = r, f.count == 2, f[0].text == layout.sourceTableId else { return nil }
            return f[1].text.flatMap { Int64($0) }
        }
    }

    public func publish(_ rows: RecordBatch, recordingVersion version: Int64?) throws -> PublishCounts {
        let layout = try preparedLayout()
        precondition(rows.schema == layout.schema, "publish batch schema \(rows.schema) != layout \(layout.schema)")
        let n = rows.rowCount
        let chunks = stride(from: 0, to: max(n, 1), by: Self.rowsPerTransaction).map { $0..<min($0 + Self.rowsPerTransaction, n) }
        let updatedAt = formatISO8601(micros: SystemWallClock().nowMicros())
        let keys = EntityKeys(layout: layout, rows: rows)
        return try withConnection { c in
            var counts = PublishCounts()
            for (i, range) in chunks.enumerated() {
                let isLast = i == chunks.count - 1
                // nil: another client wrote a watched key between the read and EXEC; read again.
                while true {
                    if let applied = try applyRound(c, layout, rows, keys, range, version: isLast ? version : nil, updatedAt: updatedAt) {
                        counts.upserted += applied.upserted
                        counts.skippedAsOlder += applied.skippedAsOlder
                        break
                    }
                }
            }
            return counts
        }
    }

    /// One round for the rows in `range`:
    ///
    ///     WATCH state k₁…kₙ; HGET state source_table_id; HGET kᵢ <time> …   (one pipeline)
    ///     decide here which rows are newer than the stored time
    ///     MULTI; [HDEL kᵢ nulls…]; HSET kᵢ field value …; [EXPIRE kᵢ ttl]; [HSET state …]; EXEC
    ///
    /// Returns nil when EXEC was aborted (a watched key changed after the read: nothing was written).
    private func applyRound(_ c: RedisConnection, _ layout: PublishLayout, _ rows: RecordBatch, _ keys: EntityKeys,
                            _ range: Range<Int>, version: Int64?, updatedAt: String) throws -> PublishCounts? {
        let state = stateKey(layout)
        var watch = RedisCommand()
        watch.reserve(bytes: range.count * 48, arguments: range.count + 2)
        watch.append("WATCH")
        watch.append(state)
        for i in range { watch.append(bytes: keys[i]) }
        try c.append(watch)
        try c.append(RedisCommand(["HGET", state, "source_table_id"]))
        let timeName = Array(layout.timeColumn.name.utf8)
        for i in range {
            var get = RedisCommand()
            get.append("HGET")
            get.append(bytes: keys[i])
            get.append(bytes: timeName)
            try c.append(get)
        }
        var replies: [RedisReply] = []
        replies.reserveCapacity(range.count + 2)
        for _ in 0..<(range.count + 2) { replies.append(try c.reply()) }
        for reply in replies { if case .error(let e) = reply { try abandon(c, reply: e, layout) } }
        if let recorded = replies[1].text, recorded != layout.sourceTableId {
            _ = try? c.command(RedisCommand(["UNWATCH"]))
            throw StoreError.foreignSource(store: "redis", table: layout.target, recorded: recorded, incoming: layout.sourceTableId)
        }
        let keyCount = layout.keyColumns.count
        let timeColumn = rows.columns[keyCount]
        let isNumeric = layout.timeColumn.type.isNumeric
        var writes: [Int] = []
        var newTime: [UInt8] = []
        for (j, i) in range.enumerated() {
            guard case .bulk(let old) = replies[j + 2] else { writes.append(i); continue }  // no stored time
            if timeColumn.isNull(i) { continue }
            newTime.removeAll(keepingCapacity: true)
            RedisValueText.append(timeColumn, row: i, to: &newTime)
            if Self.isNewer(newTime, than: old, numeric: isNumeric) { writes.append(i) }
        }
        let names = layout.schema.fields.map { Array($0.name.utf8) }
        let ttl = configuration.ttl.map { String(max(1, $0.components.seconds)) }
        var queued = 0
        try c.append(RedisCommand(["MULTI"]))
        for i in writes {
            let nulls = rows.columns.indices.filter { rows.columns[$0].isNull(i) }
            if !nulls.isEmpty {
                var del = RedisCommand()
                del.append("HDEL")
                del.append(bytes: keys[i])
                for col in nulls { del.append(bytes: names[col]) }
                try c.append(del)
                queued += 1
            }
            var set = RedisCommand()
            set.reserve(bytes: 64 + rows.columns.count * 40, arguments: 2 + 2 * rows.columns.count)
            set.append("HSET")
            set.append(bytes: keys[i])
            for (col, column) in rows.columns.enumerated() where !column.isNull(i) {
                set.append(bytes: names[col])
                set.appendBuilt { RedisValueText.append(column, row: i, to: &$0) }
            }
            try c.append(set)
            queued += 1
            if let ttl {
                var expire = RedisCommand()
                expire.append("EXPIRE")
                expire.append(bytes: keys[i])
                expire.append(ttl)
                try c.append(expire)
                queued += 1
            }
        }
        if let version {
            try c.append(RedisCommand(["HSET", state, "source_table_id", layout.sourceTableId, "source_path", layout.sourcePath,
                                       "version", String(version), "key_columns", layout.keyColumnsJSON,
                                       "time_column", layout.timeColumn.name, "updated_at", updatedAt]))
            queued += 1
        }
        try c.append(RedisCommand(["EXEC"]))
        var firstError: String?
        for _ in 0...queued {  // MULTI's OK, then one QUEUED per command
            if case .error(let e) = try c.reply(), firstError == nil { firstError = e }
        }
        let exec = try c.reply()
        if let firstError { try abandon(c, reply: firstError, layout) }
        switch exec {
        case .null:
            return nil
        case .array(let results):
            for r in results { if case .error(let e) = r { throw StoreError.statementFailed(store: "redis", reason: "publish transaction: \(e)") } }
            return PublishCounts(upserted: writes.count, skippedAsOlder: range.count - writes.count)
        case .error(let e):
            try abandon(c, reply: e, layout)
            return nil
        default:
            throw StoreError.statementFailed(store: "redis", reason: "publish transaction: unexpected EXEC reply \(exec)")
        }
    }

    /// Throws the error a Redis error reply means (the watch is dropped first, best effort).
    private func abandon(_ c: RedisConnection, reply e: String, _ layout: PublishLayout) throws -> Never {
        _ = try? c.command(RedisCommand(["UNWATCH"]))
        if e.hasPrefix("NOAUTH") || e.hasPrefix("WRONGPASS") {
            throw StoreError.authenticationFailed(store: "redis", endpoint: endpoint, reason: e)
        }
        throw StoreError.statementFailed(store: "redis", reason: "publishing to \(layout.target): \(e)")
    }

    /// The time guard: whether the new time text is after the stored one. Numeric time columns
    /// compare as numbers (a stored value that is not a number is older than any); ISO-8601
    /// timestamps and dates compare as bytes, which is time order at their fixed width.
    static func isNewer(_ new: [UInt8], than old: [UInt8], numeric: Bool) -> Bool {
        guard numeric else { return old.lexicographicallyPrecedes(new) }
        guard let a = Double(String(decoding: new, as: UTF8.self)) else { return false }
        guard let b = Double(String(decoding: old, as: UTF8.self)) else { return true }
        return a > b
    }

    public func close() {
        session.close()
    }

    private func preparedLayout() throws -> PublishLayout {
        guard let layout else { throw StoreError.statementFailed(store: "redis", reason: "publish before prepare") }
        return layout
    }

    private func stateKey(_ layout: PublishLayout) -> String { layout.target + ":__fs_publish_state" }

    /// Runs `body` on the live connection (`StoreSession`: reconnects with backoff while Redis
    /// is unreachable). A publish cut by a dropped connection is sent again whole: rounds that
    /// did run are no-ops the second time (time guard), and the version goes with the last one.
    private func withConnection<T>(_ body: (RedisConnection) throws -> T) throws -> T {
        try session.run(endpoint: endpoint, open: {
            try RedisConnection(host: configuration.host, port: configuration.port, database: configuration.database,
                                       user: configuration.user, password: configuration.password, timeout: configuration.timeout)
        }, body)
    }
}

/// The Redis keys of a batch's rows (`prefix:part…`, see `RedisTarget`), built once into one
/// byte buffer: a round sends each key twice (WATCH/HGET, then HSET).
struct EntityKeys {
    private var bytes: [UInt8] = []
    private var ends: [Int] = []

    init(layout: PublishLayout, rows: RecordBatch) {
        let prefix = Array(layout.target.utf8)
        let keyCount = layout.keyColumns.count
        bytes.reserveCapacity(rows.rowCount * (prefix.count + 40))
        ends.reserveCapacity(rows.rowCount)
        for i in 0..<rows.rowCount {
            bytes.append(contentsOf: prefix)
            for k in 0..<keyCount {
                bytes.append(58)
                RedisKeyEncoding.appendEscaped(rows.columns[k], row: i, to: &bytes)
            }
            ends.append(bytes.count)
        }
    }

    subscript(i: Int) -> ArraySlice<UInt8> { bytes[(i == 0 ? 0 : ends[i - 1])..<ends[i]] }
}

/// How a value is written as Redis text (hash fields and key parts): integers in decimal,
/// doubles in shortest round-trip form (`NaN`, `Infinity`), booleans `true`/`false`,
/// timestamps ISO-8601 UTC with microseconds (`2019-01-17T13:05:00.000000Z`), dates
/// `2019-01-17`, strings as their UTF-8 bytes.
enum RedisValueText {
    static func append(_ column: Column, row i: Int, to out: inout [UInt8]) {
        switch column.values {
        case .boolean(let v): out.append(contentsOf: (v[i] ? "true" : "false").utf8)
        case .int32(let v):
            if column.type == .date { appendDate(days: v[i], to: &out) } else { appendDecimal(Int64(v[i]), to: &out) }
        case .int64(let v):
            if column.type == .timestamp { appendISO8601(micros: v[i], to: &out) } else { appendDecimal(v[i], to: &out) }
        case .double(let v): appendSQLDouble(v[i], to: &out)
        case .string(let s): s.withUTF8(i) { out.append(contentsOf: $0) }
        }
    }
}

/// The key-part escape of `RedisTarget`'s key layout (see there).
public enum RedisKeyEncoding {
    static func appendEscaped(_ column: Column, row i: Int, to out: inout [UInt8]) {
        var text: [UInt8] = []
        RedisValueText.append(column, row: i, to: &text)
        if text.first == 95 { out.append(92) }
        for b in text {
            if b == 92 || b == 58 { out.append(92) }
            out.append(b)
        }
    }

    /// The key of one entity, from its key parts as text.
    public static func key(prefix: String, parts: [String]) -> String {
        var out = Array(prefix.utf8)
        for p in parts {
            out.append(58)
            let bytes = Array(p.utf8)
            if bytes.first == 95 { out.append(92) }
            for b in bytes {
                if b == 92 || b == 58 { out.append(92) }
                out.append(b)
            }
        }
        return String(decoding: out, as: UTF8.self)
    }
}
