import FSCore
import FSTestSupport
import Testing
@testable import FSPublish

/// PostgresTarget against a real PostgreSQL 15 (the shared test cluster), read back with psql.
@Suite struct PostgresTargetTests {
    let server: PostgresServer

    init() throws { server = try StoreServers.postgres() }

    func target(maxRetry: Duration? = nil) throws -> PostgresTarget {
        try PostgresTarget(.init(url: server.url, password: server.password, maxRetryDuration: maxRetry))
    }

    /// The table's rows in the fixture's canonical text, ordered by key.
    func storedRows(_ table: String) throws -> [String] {
        let q = SQLDialect.postgres
        let sql = """
            SELECT encode(convert_to(\(q.quoted("customer id")), 'UTF8'), 'hex'),
                   (extract(epoch FROM window_end) * 1000000)::bigint,
                   COALESCE(\(q.quoted("total-amount"))::text, 'NULL'), \(q.quoted("it's \"n\""))::text,
                   CASE WHEN is_vip THEN 't' ELSE 'f' END, COALESCE(first_day::text, 'NULL'),
                   COALESCE(encode(convert_to(note, 'UTF8'), 'hex'), 'NULL'), n32::text
            FROM \(q.quoted(table)) ORDER BY 1
            """
        let out = try server.psql(sql)
        return out.isEmpty ? [] : out.split(separator: "\n", omittingEmptySubsequences: false).map { line in
            var f = line.split(separator: "\t", omittingEmptySubsequences: false).map(String.init)
            if f.count > 2, f[2] != "NULL" { f[2] = canonicalDouble(f[2]) }
            return f.joined(separator: "\t")
        }
    }

    static func expected(_ rows: [[Value]]) -> [String] {
        StoreFixture.latestPerKey(rows).map { r -> String in
            func text(_ v: Value) -> String {
                switch v {
                case .null: return "NULL"
                case .string(let s): return hexUTF8(s)
                case .timestamp(let t): return String(t)
                case .double(let d): return canonicalDouble("\(d)")
                case .int64(let i): return String(i)
                case .int32(let i): return String(i)
                case .boolean(let b): return b ? "t" : "f"
                case .date(let d): return formatDate(days: d)
                default: return "\(v)"
                }
            }
            return r.map(text).joined(separator: "\t")
        }.sorted()
    }

    @Test func storeHoldsTheNewestRowOfEveryKeyAcrossCommitsAndRecordsTheVersion() throws {
        let table = "pg-latest-\(makeUUID().prefix(8))"
        var fixture = StoreFixture(seed: 11)
        let t = try target()
        defer { t.close() }
        try t.prepare(StoreFixture.layout(target: table))
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
        #expect(try storedRows(table) == Self.expected(all))
        let state = try server.psql("SELECT source_table_id, version, key_columns, time_column FROM fs_publish_state WHERE target_table = '\(table)'")
        #expect(state == "source-1\t5\t[\"customer id\"]\twindow_end")
    }

    @Test func republishingABatchOrOlderRowsChangesNothing() throws {
        let table = "pg-rerun-\(makeUUID().prefix(8))"
        var fixture = StoreFixture(seed: 12)
        let t = try target()
        defer { t.close() }
        try t.prepare(StoreFixture.layout(target: table))
        let newer = fixture.rows(60, base: 1_600_000_000_000_000)
        let batch = StoreFixture.batch(StoreFixture.latestPerKey(newer))
        #expect(try t.publish(batch, recordingVersion: 1).upserted == batch.rowCount)
        let before = try storedRows(table)
        #expect(try t.publish(batch, recordingVersion: 2) == PublishCounts(upserted: 0, skippedAsOlder: batch.rowCount))
        let older = StoreFixture.batch(StoreFixture.latestPerKey(fixture.rows(60, base: 1_500_000_000_000_000)))
        #expect(try t.publish(older, recordingVersion: 3) == PublishCounts(upserted: 0, skippedAsOlder: older.rowCount))
        #expect(try storedRows(table) == before)
        #expect(try t.publishedVersion() == 3)
    }

    @Test func aRestartedTargetReadsTheVersionBackAndAnEmptyBatchStillRecordsIt() throws {
        let table = "pg-restart-\(makeUUID().prefix(8))"
        let layout = StoreFixture.layout(target: table)
        let first = try target()
        try first.prepare(layout)
        _ = try first.publish(StoreFixture.batch([]), recordingVersion: 7)
        first.close()
        let second = try target()
        defer { second.close() }
        try second.prepare(layout)
        #expect(try second.publishedVersion() == 7)
    }

    @Test func anExistingColumnOfAnotherTypeIsRefusedNamingTheColumn() throws {
        let table = "pg-typed-\(makeUUID().prefix(8))"
        try server.psql("SET ROLE fs; CREATE TABLE \"\(table)\" (\"customer id\" TEXT PRIMARY KEY, window_end TIMESTAMPTZ, \"total-amount\" TEXT)")
        let t = try target()
        defer { t.close() }
        let error = #expect(throws: StoreError.self) { try t.prepare(StoreFixture.layout(target: table)) }
        #expect(error?.exitStatus == .dataError, "\(String(describing: error))")
        #expect(error?.description.contains("total-amount") == true, "\(String(describing: error))")
    }

    @Test func aTableFedByAnotherSourceTableIsRefused() throws {
        let table = "pg-foreign-\(makeUUID().prefix(8))"
        let a = try target()
        try a.prepare(StoreFixture.layout(target: table, sourceId: "A"))
        _ = try a.publish(StoreFixture.batch([]), recordingVersion: 0)
        a.close()
        let b = try target()
        defer { b.close() }
        let error = #expect(throws: StoreError.self) { try b.prepare(StoreFixture.layout(target: table, sourceId: "B")) }
        #expect(error?.exitStatus == .dataError)
    }

    @Test func aWrongPasswordIsUnavailableWithTheServersReasonAndNoSecret() throws {
        let secret = "wrong-\(makeUUID())"
        let t = try PostgresTarget(.init(url: server.url, password: secret, maxRetryDuration: .seconds(1)))
        let error = #expect(throws: StoreError.self) { try t.prepare(StoreFixture.layout(target: "pg-auth")) }
        #expect(error?.exitStatus == .unavailable)
        #expect(error?.description.contains("password authentication failed") == true)
        #expect(error?.description.contains(secret) == false)
    }

    @Test func anUnreachableServerIsUnavailableAfterTheRetryDuration() throws {
        let port = try freeLoopbackPort()
        let t = try PostgresTarget(.init(url: "postgresql://fs@127.0.0.1:\(port)/fs", password: "x", connectTimeout: .seconds(1), maxRetryDuration: .milliseconds(600)))
        let error = #expect(throws: StoreError.self) { try t.prepare(StoreFixture.layout(target: "pg-down")) }
        guard case .gaveUp? = error else { Issue.record("expected gaveUp, got \(String(describing: error))"); return }
        #expect(error?.exitStatus == .unavailable)
    }

    @Test func aPasswordInTheURLIsRefused() throws {
        #expect(throws: StoreError.self) { try PostgresTarget(.init(url: "postgresql://fs:secret@127.0.0.1/fs")) }
        #expect(throws: StoreError.self) { try PostgresTarget(.init(url: "host=127.0.0.1 password=secret")) }
    }
}
