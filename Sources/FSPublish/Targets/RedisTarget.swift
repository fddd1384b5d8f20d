import FSCore
import Logging

/// Publishes the newest row per key into Redis hashes.
///
/// Layout in the store (`--output-table` is the key prefix `P`):
/// - one hash per entity key, `P:<part1>[:<part2>…]`, with one field per published column
///   (key, time and features, named as in the Delta table); a NULL value is an absent field;
/// - the state hash `P:__fs_publish_state` with `source_table_id`, `source_path`, `version`,
///   `key_columns` (JSON array), `time_column`, `updated_at`, and `columns` (JSON array of
///   `{"name","type"}` in batch order, the type as Delta names it): hashes hold only text, so
///   this is how a reader (fs-serve) learns each field's type and the full feature list (a NULL
///   is an absent field). Written by `prepare`, before any row.
///
/// Key parts are the key values as text (see `RedisValueText`), escaped so that any tuple of
/// parts maps to exactly one key and back: `\` → `\\`, `:` → `\:`, and a part starting with `_`
/// gets a leading `\` (so no entity can be named like the state hash). Split on the colons not
/// preceded by a backslash, then drop each backslash escape, to decode.
///
/// First load (no version recorded yet): pipelined HSET (+ HDEL of NULL columns) per row, the state last — see
/// `RedisTarget+FirstLoad.swift` for why that needs no time guard. Afterwards:
///
/// Atomicity: the rows of a batch are applied by one Lua script (`RedisTarget.script`, loaded
/// once, called with EVALSHA) per chunk of `rowsPerScriptCall` rows; the script compares each
/// key's stored time field with the new one (numeric compare for numeric time columns, byte
/// compare for ISO-8601 timestamps and dates, which sort as text), writes only newer rows,
/// sets the optional TTL, and — in the last chunk of a batch — records the version in the state
/// hash. Chunks of one batch are pipelined. A kill -9 between chunks leaves earlier chunks
/// written without the version: the re-run rewrites them and the time guard makes that a no-op,
/// so the store ends as an uninterrupted run leaves it; each key's hash is always replaced
/// whole, never half.
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

    /// Rows per EVALSHA: one script call blocks the server while it runs, so a batch is cut
    /// into calls of this many rows (a few ms each) and pipelined.
    static let rowsPerScriptCall = 2000

    let configuration: Configuration
    private let logger: Logger
    private let session: StoreSession<RedisConnection>
    private var layout: PublishLayout?
    private var scriptSHA: String?

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
            if case .array(let fields) = state, fields.count == 3 { try check(fields, layout) }
            let set = try c.command(RedisCommand(["HSET", stateKey(layout), "columns", layout.columnsJSON]))
            if case .error(let e) = set { throw StoreError.statementFailed(store: "redis", reason: "HSET columns: \(e)") }
        }
    }

    /// Refuses a prefix that was published from another table or with other key/time columns.
    private func check(_ fields: [RedisReply], _ layout: PublishLayout) throws {
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

    public func publishedVersion() throws -> Int64? {
        let layout = try self.layout.prepared(store: "redis")
        return try withConnection { c in
            let r = try c.command(RedisCommand(["HMGET", stateKey(layout), "source_table_id", "version"]))
            guard case .array(let f) = r, f.count == 2, f[0].text == layout.sourceTableId else { return nil }
            return f[1].text.flatMap { Int64($0) }
        }
    }

    public func publish(_ rows: RecordBatch, recordingVersion version: Int64?) throws -> PublishCounts {
        let layout = try self.layout.prepared(store: "redis")
        precondition(rows.schema == layout.schema, "publish batch schema \(rows.schema) != layout \(layout.schema)")
        let n = rows.rowCount
        let chunks = stride(from: 0, to: max(n, 1), by: Self.rowsPerScriptCall).map { $0..<min($0 + Self.rowsPerScriptCall, n) }
        let updatedAt = formatISO8601(micros: SystemWallClock().nowMicros())
        return try withConnection { c in
            if try isFirstLoad(c, layout) {
                return try publishFirstLoad(c, layout: layout, rows: rows, version: version, updatedAt: updatedAt)
            }
            let sha = try loadedScript(c)
            var commands: [RedisCommand] = []
            for (i, range) in chunks.enumerated() {
                let isLast = i == chunks.count - 1
                commands.append(scriptCall(sha: sha, layout: layout, rows: rows, range: range,
                                           version: isLast ? version : nil, updatedAt: updatedAt))
            }
            var replies = try pipeline(c, commands)
            if replies.contains(where: { if case .error(let e) = $0 { return e.hasPrefix("NOSCRIPT") }; return false }) {
                // The server lost its script cache (restart, SCRIPT FLUSH): nothing ran; load and resend.
                scriptSHA = nil
                let sha = try loadedScript(c)
                replies = try pipeline(c, commands.map { $0.replacingSHA(with: sha) })
            }
            var counts = PublishCounts()
            for reply in replies {
                switch reply {
                case .array(let v) where v.count == 2:
                    if case .integer(let u) = v[0], case .integer(let s) = v[1] {
                        counts.upserted += Int(u)
                        counts.skippedAsOlder += Int(s)
                    }
                case .error(let e) where e.hasPrefix("FSFOREIGN"):
                    throw StoreError.foreignSource(store: "redis", table: layout.target, recorded: String(e.dropFirst("FSFOREIGN ".count)), incoming: layout.sourceTableId)
                case .error(let e) where e.hasPrefix("NOAUTH") || e.hasPrefix("WRONGPASS"):
                    throw StoreError.authenticationFailed(store: "redis", endpoint: endpoint, reason: e)
                case .error(let e):
                    throw StoreError.statementFailed(store: "redis", reason: "publish script: \(e)")
                default:
                    throw StoreError.statementFailed(store: "redis", reason: "publish script: unexpected reply \(reply)")
                }
            }
            return counts
        }
    }

    public func close() {
        session.close()
    }

    func stateKey(_ layout: PublishLayout) -> String { layout.target + ":__fs_publish_state" }

    private func pipeline(_ c: RedisConnection, _ commands: [RedisCommand]) throws -> [RedisReply] {
        for cmd in commands { try c.append(cmd) }
        return try commands.map { _ in try c.reply() }
    }

    private func loadedScript(_ c: RedisConnection) throws -> String {
        if let scriptSHA { return scriptSHA }
        let r = try c.command(RedisCommand(["SCRIPT", "LOAD", Self.script]))
        guard let sha = r.text, case .bulk = r else {
            throw StoreError.statementFailed(store: "redis", reason: "SCRIPT LOAD failed: \(r)")
        }
        scriptSHA = sha
        return sha
    }

    /// `EVALSHA sha numkeys state key… ncols timeIndex mode ttl version sourceId sourcePath
    /// keyColumns timeColumn updatedAt name… (mask value…)…`: per row a mask of one byte per
    /// column (`v` value, `n` NULL), then the values (empty for NULL). The mask spares the script
    /// a `string.sub` per value (measured: the script is most of a publish's time).
    private func scriptCall(sha: String, layout: PublishLayout, rows: RecordBatch, range: Range<Int>,
                            version: Int64?, updatedAt: String) -> RedisCommand {
        let ncols = rows.columns.count
        var cmd = RedisCommand()
        cmd.reserve(bytes: range.count * ncols * 16, arguments: 16 + ncols + range.count * (ncols + 2))
        cmd.append("EVALSHA")
        cmd.append(sha)
        cmd.append(String(range.count + 1))
        cmd.append(stateKey(layout))
        let keyCount = layout.keyColumns.count
        for i in range {
            cmd.appendBuilt { out in
                out.append(contentsOf: layout.target.utf8)
                for k in 0..<keyCount {
                    out.append(58)
                    RedisKeyEncoding.appendEscaped(rows.columns[k], row: i, to: &out)
                }
            }
        }
        let timeType = layout.timeColumn.type
        cmd.append(String(ncols))
        cmd.append(String(keyCount + 1))
        cmd.append(timeType.isNumeric ? "n" : "s")
        cmd.append(configuration.ttl.map { String(max(1, $0.components.seconds)) } ?? "0")
        cmd.append(version.map { String($0) } ?? "")
        cmd.append(layout.sourceTableId)
        cmd.append(layout.sourcePath)
        cmd.append(layout.keyColumnsJSON)
        cmd.append(layout.timeColumn.name)
        cmd.append(updatedAt)
        for f in layout.schema.fields { cmd.append(f.name) }
        for i in range {
            cmd.appendBuilt { out in for column in rows.columns { out.append(column.isNull(i) ? 110 : 118) } }
            for column in rows.columns {
                cmd.appendBuilt { out in
                    if !column.isNull(i) { RedisValueText.append(column, row: i, to: &out) }
                }
            }
        }
        return cmd
    }

    /// Runs `body` on the live connection (`StoreSession`: reconnects with backoff while Redis
    /// is unreachable; a new connection has not loaded the script). A publish cut by a dropped
    /// connection is sent again whole: chunks that did run are no-ops the second time (time
    /// guard), and the version goes with the last chunk.
    private func withConnection<T>(_ body: (RedisConnection) throws -> T) throws -> T {
        try session.run(endpoint: endpoint, open: {
            scriptSHA = nil
            return try RedisConnection(host: configuration.host, port: configuration.port, database: configuration.database,
                                       user: configuration.user, password: configuration.password, timeout: configuration.timeout)
        }, body)
    }

    /// The per-chunk script. Runtime errors are avoided by construction (Redis does not roll
    /// back a script's earlier writes when it fails midway): unparsable numbers count as older.
    static let script = """
        local nkeys = #KEYS
        local ncols = tonumber(ARGV[1])
        local tcol = tonumber(ARGV[2])
        local numeric = ARGV[3] == 'n'
        local ttl = tonumber(ARGV[4])
        local version = ARGV[5]
        local state = KEYS[1]
        local recorded = redis.call('HGET', state, 'source_table_id')
        if recorded and recorded ~= ARGV[6] then return redis.error_reply('FSFOREIGN ' .. recorded) end
        local names = {}
        for c = 1, ncols do names[c] = ARGV[10 + c] end
        local tname = names[tcol]
        local pos = 11 + ncols
        local upserted, skipped = 0, 0
        local byte = string.byte
        for k = 2, nkeys do
          local key = KEYS[k]
          local mask = ARGV[pos]
          local write = true
          local old = redis.call('HGET', key, tname)
          if old then
            if byte(mask, tcol) == 110 then
              write = false
            else
              local nt = ARGV[pos + tcol]
              if numeric then
                local a, b = tonumber(nt), tonumber(old)
                write = a ~= nil and (b == nil or a > b)
              else
                write = nt > old
              end
            end
          end
          if write then
            local set, del, ns, nd = {}, {}, 0, 0
            for c = 1, ncols do
              if byte(mask, c) == 118 then
                set[ns + 1] = names[c]
                set[ns + 2] = ARGV[pos + c]
                ns = ns + 2
              else
                nd = nd + 1
                del[nd] = names[c]
              end
            end
            if nd > 0 then redis.call('HDEL', key, unpack(del)) end
            redis.call('HSET', key, unpack(set))
            if ttl > 0 then redis.call('EXPIRE', key, ttl) end
            upserted = upserted + 1
          else
            skipped = skipped + 1
          end
          pos = pos + ncols + 1
        end
        if version ~= '' then
          redis.call('HSET', state, 'source_table_id', ARGV[6], 'source_path', ARGV[7], 'version', version,
                     'key_columns', ARGV[8], 'time_column', ARGV[9], 'updated_at', ARGV[10])
        end
        return {upserted, skipped}
        """
}

private extension RedisCommand {
    /// The same EVALSHA with another script digest (argument 1).
    func replacingSHA(with sha: String) -> RedisCommand {
        var out = RedisCommand()
        var start = 0
        for (i, end) in ends.enumerated() {
            if i == 1 { out.append(sha) } else { out.append(bytes: bytes[start..<end]) }
            start = end
        }
        return out
    }
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
        // Written in place; rewritten only when a byte needs escaping (no array per key part).
        let start = out.count
        RedisValueText.append(column, row: i, to: &out)
        var needsEscape = out.count > start && out[start] == 95
        if !needsEscape { for k in start..<out.count where out[k] == 92 || out[k] == 58 { needsEscape = true; break } }
        guard needsEscape else { return }
        let text = Array(out[start...])
        out.removeSubrange(start...)
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
