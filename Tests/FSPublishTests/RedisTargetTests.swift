import FSCore
import FSTestSupport
import Testing
@testable import FSPublish

/// RedisTarget against a real redis-server (shared, password-protected), read back with
/// redis-cli running a dump script (hex, so tabs and newlines in values compare exactly).
@Suite struct RedisTargetTests {
    let server: RedisServer

    init() throws { server = try StoreServers.redis() }

    func target(prefix: String, ttl: Duration? = nil) throws -> RedisTarget {
        try RedisTarget(.init(url: server.url, password: server.password, ttl: ttl))
    }

    static let dumpScript = """
        local function hex(s) return (string.gsub(s, '.', function(c) return string.format('%02x', string.byte(c)) end)) end
        local out = {}
        for _, k in ipairs(redis.call('KEYS', ARGV[1])) do
          if k ~= ARGV[2] then
            local h = redis.call('HGETALL', k)
            local parts = {}
            for i = 1, #h, 2 do parts[#parts + 1] = hex(h[i]) .. '=' .. hex(h[i + 1]) end
            table.sort(parts)
            out[#out + 1] = hex(k) .. ' ' .. table.concat(parts, ',')
          end
        end
        table.sort(out)
        return table.concat(out, '|')
        """

    func stored(_ prefix: String) throws -> [String] {
        let out = try server.cli(["EVAL", Self.dumpScript, "0", prefix + ":*", prefix + ":__fs_publish_state"])
        return out.isEmpty ? [] : out.split(separator: "|").map(String.init)
    }

    static func expected(_ prefix: String, _ rows: [[Value]]) -> [String] {
        let names = (StoreFixture.keyColumns + [StoreFixture.timeColumn] + StoreFixture.featureColumns).map(\.name)
        return StoreFixture.latestPerKey(rows).map { r -> String in
            func text(_ v: Value) -> String? {
                switch v {
                case .null: return nil
                case .string(let s): return s
                case .timestamp(let t): return formatISO8601(micros: t)
                case .double(let d): return sqlDoubleText(d)
                case .int64(let i): return String(i)
                case .int32(let i): return String(i)
                case .boolean(let b): return b ? "true" : "false"
                case .date(let d): return formatDate(days: d)
                default: return "\(v)"
                }
            }
            let key = RedisKeyEncoding.key(prefix: prefix, parts: [text(r[0])!])
            let fields = zip(names, r).compactMap { n, v in text(v).map { hexUTF8(n) + "=" + hexUTF8($0) } }.sorted()
            return hexUTF8(key) + " " + fields.joined(separator: ",")
        }.sorted()
    }

    @Test func storeHoldsTheNewestRowOfEveryKeyAcrossCommitsAndRecordsTheVersion() throws {
        let prefix = "rd-latest-\(makeUUID().prefix(8))"
        var fixture = StoreFixture(seed: 21)
        let t = try target(prefix: prefix)
        defer { t.close() }
        try t.prepare(StoreFixture.layout(target: prefix))
        #expect(try t.publishedVersion() == nil)
        var all: [[Value]] = []
        for version in 0..<6 {
            let commit = fixture.rows(40)
            all += commit
            let batch = StoreFixture.batch(StoreFixture.latestPerKey(commit))
            let counts = try t.publish(batch, recordingVersion: Int64(version))
            #expect(counts.upserted + counts.skippedAsOlder == batch.rowCount)
            #expect(try t.publishedVersion() == Int64(version))
        }
        #expect(try stored(prefix) == Self.expected(prefix, all))
        let state = try server.cli(["HMGET", prefix + ":__fs_publish_state", "source_table_id", "version", "key_columns", "time_column"])
        #expect(state == "source-1\n5\n[\"customer id\"]\nwindow_end")
    }

    @Test func aBatchLargerThanOneScriptCallIsWhollyApplied() throws {
        let prefix = "rd-big-\(makeUUID().prefix(8))"
        let t = try target(prefix: prefix)
        defer { t.close() }
        try t.prepare(StoreFixture.layout(target: prefix))
        let n = RedisTarget.rowsPerScriptCall * 2 + 17
        let rows: [[Value]] = (0..<n).map { i in
            [.string("k\(i)"), .timestamp(1_600_000_000_000_000 + Int64(i)), .double(Double(i)), .int64(Int64(i)), .boolean(true), .null, .string("x"), .int32(1)]
        }
        let counts = try t.publish(StoreFixture.batch(rows), recordingVersion: 3)
        #expect(counts == PublishCounts(upserted: n, skippedAsOlder: 0))
        #expect(try stored(prefix).count == n)
        #expect(try t.publishedVersion() == 3)
    }

    @Test func republishingABatchOrOlderRowsChangesNothing() throws {
        let prefix = "rd-rerun-\(makeUUID().prefix(8))"
        var fixture = StoreFixture(seed: 22)
        let t = try target(prefix: prefix)
        defer { t.close() }
        try t.prepare(StoreFixture.layout(target: prefix))
        let batch = StoreFixture.batch(StoreFixture.latestPerKey(fixture.rows(60, base: 1_600_000_000_000_000)))
        #expect(try t.publish(batch, recordingVersion: 1).upserted == batch.rowCount)
        let before = try stored(prefix)
        #expect(try t.publish(batch, recordingVersion: 2) == PublishCounts(upserted: 0, skippedAsOlder: batch.rowCount))
        let older = StoreFixture.batch(StoreFixture.latestPerKey(fixture.rows(60, base: 1_500_000_000_000_000)))
        #expect(try t.publish(older, recordingVersion: 3) == PublishCounts(upserted: 0, skippedAsOlder: older.rowCount))
        #expect(try stored(prefix) == before)
        #expect(try t.publishedVersion() == 3)
    }

    @Test func aFirstLoadCutBeforeItsVersionIsRedoneWholeAndLaterPublishesAreGuarded() throws {
        let prefix = "rd-first-\(makeUUID().prefix(8))"
        var fixture = StoreFixture(seed: 24)
        let early = fixture.rows(50, base: 1_600_000_000_000_000)
        // A first load killed after its first chunk: rows written, no version recorded.
        let cut = try target(prefix: prefix)
        try cut.prepare(StoreFixture.layout(target: prefix))
        #expect(try cut.publish(StoreFixture.batch(StoreFixture.latestPerKey(early)), recordingVersion: nil).upserted > 0)
        cut.close()
        // The re-run reads the table from its start at a later version: every key's row is the
        // same or newer, and a newer row with NULL features drops the fields the cut run wrote.
        let later = fixture.rows(50, base: 1_600_000_100_000_000)
        let nulled: [[Value]] = [[.string("c0"), .timestamp(1_700_000_000_000_000), .null, .null, .null, .null, .null, .null]]
        let all = early + later + nulled
        let t = try target(prefix: prefix)
        defer { t.close() }
        try t.prepare(StoreFixture.layout(target: prefix))
        #expect(try t.publishedVersion() == nil)
        let whole = StoreFixture.batch(StoreFixture.latestPerKey(all))
        #expect(try t.publish(whole, recordingVersion: 4) == PublishCounts(upserted: whole.rowCount, skippedAsOlder: 0))
        #expect(try stored(prefix) == Self.expected(prefix, all))
        #expect(try t.publishedVersion() == 4)
        // With a version recorded the guarded script runs: older and equal rows change nothing.
        #expect(try t.publish(whole, recordingVersion: 5) == PublishCounts(upserted: 0, skippedAsOlder: whole.rowCount))
        let older = StoreFixture.batch(StoreFixture.latestPerKey(fixture.rows(30, base: 1_500_000_000_000_000)))
        #expect(try t.publish(older, recordingVersion: 6) == PublishCounts(upserted: 0, skippedAsOlder: older.rowCount))
        #expect(try stored(prefix) == Self.expected(prefix, all))
        #expect(try t.publishedVersion() == 6)
    }

    @Test func aFirstLoadLargerThanOnePipelinedChunkIsWhollyWrittenWithItsTTL() throws {
        let prefix = "rd-first-big-\(makeUUID().prefix(8))"
        let t = try target(prefix: prefix, ttl: .seconds(3600))
        defer { t.close() }
        try t.prepare(StoreFixture.layout(target: prefix))
        let n = RedisTarget.rowsPerFirstLoadChunk * 2 + 3
        let rows: [[Value]] = (0..<n).map { (i: Int) -> [Value] in
            let time: Value = .timestamp(1_600_000_000_000_000 + Int64(i))
            let x: Value = .double(Double(i) / 3)
            return [.string("k\(i)"), time, x, .int64(Int64(i)), .boolean(i % 2 == 0), .null, .string("é\t"), .int32(1)]
        }
        #expect(try t.publish(StoreFixture.batch(rows), recordingVersion: 0) == PublishCounts(upserted: n, skippedAsOlder: 0))
        #expect(try stored(prefix) == Self.expected(prefix, rows))
        for i in [0, n - 1] {
            let ttl = Int(try server.cli(["TTL", RedisKeyEncoding.key(prefix: prefix, parts: ["k\(i)"])])) ?? -99
            #expect(ttl > 3000 && ttl <= 3600, "k\(i)")
        }
        #expect(try t.publishedVersion() == 0)
    }

    @Test func ttlExpiresEveryWrittenHash() throws {
        let prefix = "rd-ttl-\(makeUUID().prefix(8))"
        let t = try target(prefix: prefix, ttl: .seconds(3600))
        defer { t.close() }
        try t.prepare(StoreFixture.layout(target: prefix))
        var fixture = StoreFixture(seed: 23)
        _ = try t.publish(StoreFixture.batch(StoreFixture.latestPerKey(fixture.rows(5))), recordingVersion: 0)
        let key = RedisKeyEncoding.key(prefix: prefix, parts: ["c0"])
        _ = try t.publish(StoreFixture.batch([[.string("c0"), .timestamp(1_900_000_000_000_000), .null, .int64(1), .boolean(false), .null, .null, .int32(0)]]), recordingVersion: 1)
        let ttl = Int(try server.cli(["TTL", key])) ?? -99
        #expect(ttl > 3000 && ttl <= 3600)
    }

    @Test func keyEncodingIsUnambiguousForCompositeKeysAndTheStateHash() {
        #expect(RedisKeyEncoding.key(prefix: "p", parts: ["a:b", "c"]) != RedisKeyEncoding.key(prefix: "p", parts: ["a", "b:c"]))
        #expect(RedisKeyEncoding.key(prefix: "p", parts: ["a\\", "b"]) != RedisKeyEncoding.key(prefix: "p", parts: ["a", "\\b"]))
        #expect(RedisKeyEncoding.key(prefix: "p", parts: ["__fs_publish_state"]) != "p:__fs_publish_state")
        #expect(RedisKeyEncoding.key(prefix: "p", parts: ["a:b", "c"]) == "p:a\\:b:c")
    }

    @Test func aPrefixFedByAnotherSourceTableIsRefused() throws {
        let prefix = "rd-foreign-\(makeUUID().prefix(8))"
        let a = try target(prefix: prefix)
        try a.prepare(StoreFixture.layout(target: prefix, sourceId: "A"))
        _ = try a.publish(StoreFixture.batch([]), recordingVersion: 0)
        a.close()
        let b = try target(prefix: prefix)
        defer { b.close() }
        let error = #expect(throws: StoreError.self) { try b.prepare(StoreFixture.layout(target: prefix, sourceId: "B")) }
        #expect(error?.exitStatus == .dataError)
    }

    @Test func aWrongOrMissingPasswordIsUnavailableWithoutTheSecret() throws {
        let secret = "wrong-\(makeUUID())"
        let wrong = try RedisTarget(.init(url: server.url, password: secret, maxRetryDuration: .seconds(1)))
        let e1 = #expect(throws: StoreError.self) { try wrong.prepare(StoreFixture.layout(target: "rd-auth")) }
        #expect(e1?.exitStatus == .unavailable)
        #expect(e1?.description.contains(secret) == false)
        let missing = try RedisTarget(.init(url: server.url, password: nil, maxRetryDuration: .seconds(1)))
        let e2 = #expect(throws: StoreError.self) { try missing.prepare(StoreFixture.layout(target: "rd-auth")) }
        #expect(e2?.exitStatus == .unavailable)
        #expect(e2?.description.contains("FS_REDIS_PASSWORD") == true)
    }

    @Test func anUnreachableServerIsUnavailableAfterTheRetryDuration() throws {
        let port = try freeLoopbackPort()
        let t = try RedisTarget(.init(url: "redis://127.0.0.1:\(port)/0", password: nil, timeout: .seconds(1), maxRetryDuration: .milliseconds(600)))
        let error = #expect(throws: StoreError.self) { try t.prepare(StoreFixture.layout(target: "rd-down")) }
        guard case .gaveUp? = error else { Issue.record("expected gaveUp, got \(String(describing: error))"); return }
    }

    @Test func aPasswordInTheURLIsRefused() {
        #expect(throws: StoreError.self) { try RedisTarget.Configuration(url: "redis://:secret@127.0.0.1:6379/0", password: nil) }
        #expect(throws: StoreError.self) { try RedisTarget.Configuration(url: "redis://u:secret@127.0.0.1:6379/0", password: nil) }
        #expect(throws: Never.self) { try RedisTarget.Configuration(url: "redis://u@127.0.0.1:6379/2", password: nil) }
    }
}
