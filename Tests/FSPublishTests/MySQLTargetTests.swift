import FSCore
import FSTestSupport
import Testing
@testable import FSPublish

/// MySQLTarget against a real MariaDB (the shared test server), read back with the mariadb CLI.
@Suite struct MySQLTargetTests {
    let server: MariaDBServer

    init() throws { server = try StoreServers.mariadb() }

    func target(password: String? = nil, maxRetry: Duration? = nil, enablesLocalInfile: Bool = true, usesBulkExecution: Bool = true) -> MySQLTarget {
        MySQLTarget(.init(host: "127.0.0.1", port: server.port, database: server.database, user: server.user,
                          password: password ?? server.password, maxRetryDuration: maxRetry, enablesLocalInfile: enablesLocalInfile,
                          usesBulkExecution: usesBulkExecution))
    }

    func storedRows(_ table: String) throws -> [String] {
        let q = SQLDialect.mysql
        let out = try server.sql("""
            SELECT LOWER(HEX(\(q.quoted("customer id")))), TIMESTAMPDIFF(MICROSECOND, '1970-01-01 00:00:00', window_end),
                   COALESCE(\(q.quoted("total-amount")), 'NULL'), \(q.quoted("it's \"n\"")), IF(is_vip, 't', 'f'),
                   COALESCE(first_day, 'NULL'), COALESCE(LOWER(HEX(note)), 'NULL'), n32
            FROM \(q.quoted(table)) ORDER BY 1
            """)
        return out.isEmpty ? [] : out.split(separator: "\n", omittingEmptySubsequences: false).map { line in
            var f = line.split(separator: "\t", omittingEmptySubsequences: false).map(String.init)
            if f.count > 2, f[2] != "NULL" { f[2] = canonicalDouble(f[2]) }
            return f.joined(separator: "\t")
        }.sorted()
    }

    @Test func storeHoldsTheNewestRowOfEveryKeyAcrossCommitsAndRecordsTheVersion() throws {
        let table = "my-latest-\(makeUUID().prefix(8))"
        var fixture = StoreFixture(seed: 31)
        let t = target()
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
        #expect(try storedRows(table) == PostgresTargetTests.expected(all))
        let state = try server.sql("SELECT source_table_id, version, key_columns, time_column FROM fs_publish_state WHERE target_table = '\(table)'")
        #expect(state == "source-1\t5\t[\"customer id\"]\twindow_end")
    }

    /// Rows whose text form is delicate: NUL, tab, newline and backslash in strings, NaN and
    /// ±Infinity (stored as NULL), -0.0, doubles needing 17 digits, integer extremes.
    static let edgeRows: [[Value]] = [
        [.string("nul\u{0}key"), .timestamp(1_600_000_000_000_001), .double(0.1 + 0.2), .int64(.max), .boolean(true), .date(0), .string("a\u{0}b\t\\N\n"), .int32(.min)],
        [.string("\\N"), .timestamp(-1), .double(-0.0), .int64(.min), .boolean(false), .date(-1), .string("\\"), .int32(.max)],
        [.string("nan"), .timestamp(0), .double(.nan), .int64(0), .boolean(false), .null, .string(""), .int32(0)],
        [.string("inf"), .timestamp(1), .double(-.infinity), .int64(-1), .boolean(true), .date(2_932_896), .string("ça 😀"), .int32(-1)],
        [.string("tiny"), .timestamp(2), .double(5e-324), .int64(1), .boolean(true), .date(17_913), .null, .int32(1)],
        [.string("big"), .timestamp(3), .double(1.7976931348623157e308), .int64(2), .boolean(true), .date(17_913), .string("\r"), .int32(2)],
    ]

    @Test func arrayBindingLoadDataAndTheInsertFallbackStoreIdenticalValues() throws {
        let tables = ["bulk", "load", "insert"].map { "my-\($0)-\(makeUUID().prefix(8))" }
        var fixture = StoreFixture(seed: 35)
        let rows = StoreFixture.latestPerKey(fixture.rows(80)) + Self.edgeRows
        let targets = [
            target(),  // MariaDB's array binding
            target(usesBulkExecution: false),  // LOAD DATA LOCAL INFILE from memory
            target(enablesLocalInfile: false, usesBulkExecution: false),  // the client refuses local files: multi-row INSERTs
        ]
        defer { for t in targets { t.close() } }
        for (t, table) in zip(targets, tables) { try t.prepare(StoreFixture.layout(target: table)) }
        // First loads (empty targets), then a guarded batch through the stage table.
        for (version, batch) in [rows, StoreFixture.latestPerKey(fixture.rows(40, base: 1_600_000_000_000_000))].enumerated() {
            let counts = try targets.map { try $0.publish(StoreFixture.batch(batch), recordingVersion: Int64(version)) }
            #expect(counts[0] == counts[1] && counts[1] == counts[2])
            #expect(counts[0].upserted > 0)
        }
        let q = SQLDialect.mysql
        let columns = (StoreFixture.keyColumns + [StoreFixture.timeColumn] + StoreFixture.featureColumns).map { q.quoted($0.name) }
        let same = columns.map { "a.\($0) <=> b.\($0)" }.joined(separator: " AND ")
        let count = try server.sql("SELECT COUNT(*) FROM \(q.quoted(tables[0]))")
        #expect(Int(count) == rows.count)
        for other in tables.dropFirst() {
            #expect(try server.sql("SELECT COUNT(*) FROM \(q.quoted(tables[0])) AS a JOIN \(q.quoted(other)) AS b ON \(same)") == count, "\(other)")
        }
        #expect(try storedRows(tables[0]) == storedRows(tables[1]))
        #expect(try server.sql("SELECT COUNT(*) FROM \(q.quoted(tables[0])) WHERE `total-amount` IS NULL AND `customer id` IN ('nan', 'inf')") == "2")
        for t in targets { #expect(try t.publishedVersion() == 1) }
    }

    @Test func arrayBindingSplitAcrossPacketsStoresEveryRow() throws {
        let table = "my-split-\(makeUUID().prefix(8))"
        var fixture = StoreFixture(seed: 36)
        let rows = StoreFixture.latestPerKey(fixture.rows(80)) + Self.edgeRows
        let t = target()
        try t.prepare(StoreFixture.layout(target: table))
        t.close()  // waits for the table's background CREATE
        let c = try MariaDBConnection(host: "127.0.0.1", port: server.port, user: server.user, password: server.password,
                                      database: server.database, timeout: .seconds(10))
        defer { c.close() }
        #expect(c.supportsBulkExecution)
        let q = SQLDialect.mysql
        let names = (StoreFixture.keyColumns + [StoreFixture.timeColumn] + StoreFixture.featureColumns).map { q.quoted($0.name) }
        let insert = "INSERT INTO \(q.quoted(table)) (\(names.joined(separator: ", "))) VALUES (\(names.map { _ in "?" }.joined(separator: ",")))"
        // 200 bytes: a few rows per packet, so the batch goes out in many executions.
        #expect(try c.executeBulk(insert, StoreFixture.batch(rows), 0..<rows.count, maxPacketBytes: 200) == rows.count)
        let reference = "my-split-ref-\(makeUUID().prefix(8))"
        let r = target(usesBulkExecution: false)
        defer { r.close() }
        try r.prepare(StoreFixture.layout(target: reference))
        _ = try r.publish(StoreFixture.batch(rows), recordingVersion: 0)
        #expect(try storedRows(table) == storedRows(reference))
    }

    @Test func aTimestampBeyondYear9999IsRefusedNamingTheColumn() throws {
        let table = "my-year-\(makeUUID().prefix(8))"
        let t = target()
        defer { t.close() }
        try t.prepare(StoreFixture.layout(target: table))
        let year10000: Int64 = 253_402_300_800_000_000  // 10000-01-01T00:00:00Z
        let rows: [[Value]] = [[.string("k"), .timestamp(year10000), .double(1), .int64(1), .boolean(true), .null, .null, .int32(0)]]
        let error = #expect(throws: StoreError.self) { try t.publish(StoreFixture.batch(rows), recordingVersion: 0) }
        #expect(error?.description.contains("window_end") == true, "\(String(describing: error))")
        #expect(try t.publishedVersion() == nil)
        #expect(try server.sql("SELECT COUNT(*) FROM `\(table)`") == "0")
    }

    @Test func aMissingTableCreatedInTheBackgroundHoldsTheFirstLoadAndAClosedTargetLeavesItComplete() throws {
        let table = "my-new-\(makeUUID().prefix(8))", unused = "my-unused-\(makeUUID().prefix(8))"
        var fixture = StoreFixture(seed: 37)
        let batch = StoreFixture.batch(StoreFixture.latestPerKey(fixture.rows(50)))
        let t = target()
        try t.prepare(StoreFixture.layout(target: table))  // returns before the CREATE TABLE ends
        #expect(try t.publishedVersion() == nil)
        #expect(try t.publish(batch, recordingVersion: 0).upserted == batch.rowCount)
        t.close()
        #expect(try server.sql("SELECT COUNT(*) FROM `\(table)`") == String(batch.rowCount))
        let u = target()
        try u.prepare(StoreFixture.layout(target: unused))
        u.close()  // waits for the background CREATE: the table is there, empty, with every column
        #expect(try server.sql("SELECT COUNT(*) FROM information_schema.columns WHERE table_schema = 'fs' AND table_name = '\(unused)'") == "8")
        // A second target on the now existing table verifies it in prepare and appends.
        let again = target()
        defer { again.close() }
        try again.prepare(StoreFixture.layout(target: table))
        #expect(try again.publishedVersion() == 0)
    }

    @Test func keysDifferingOnlyInCaseOrTrailingSpaceStayDistinct() throws {
        let table = "my-collation-\(makeUUID().prefix(8))"
        let t = target()
        defer { t.close() }
        try t.prepare(StoreFixture.layout(target: table))
        let rows: [[Value]] = ["a", "A", "a "].enumerated().map { i, k in
            [.string(k), .timestamp(1_600_000_000_000_000 + Int64(i)), .double(1), .int64(1), .boolean(true), .null, .null, .int32(0)]
        }
        #expect(try t.publish(StoreFixture.batch(rows), recordingVersion: 0).upserted == 3)
        #expect(try server.sql("SELECT COUNT(*) FROM `\(table)`") == "3")
    }

    @Test func republishingABatchOrOlderRowsChangesNothing() throws {
        let table = "my-rerun-\(makeUUID().prefix(8))"
        var fixture = StoreFixture(seed: 32)
        let t = target()
        defer { t.close() }
        try t.prepare(StoreFixture.layout(target: table))
        let batch = StoreFixture.batch(StoreFixture.latestPerKey(fixture.rows(60, base: 1_600_000_000_000_000)))
        #expect(try t.publish(batch, recordingVersion: 1).upserted == batch.rowCount)
        let before = try storedRows(table)
        #expect(try t.publish(batch, recordingVersion: 2) == PublishCounts(upserted: 0, skippedAsOlder: batch.rowCount))
        let older = StoreFixture.batch(StoreFixture.latestPerKey(fixture.rows(60, base: 1_500_000_000_000_000)))
        #expect(try t.publish(older, recordingVersion: 3) == PublishCounts(upserted: 0, skippedAsOlder: older.rowCount))
        #expect(try storedRows(table) == before)
        #expect(try t.publishedVersion() == 3)
    }

    @Test func anExistingColumnOfAnotherTypeIsRefusedNamingTheColumn() throws {
        let table = "my-typed-\(makeUUID().prefix(8))"
        try server.sql("CREATE TABLE `\(table)` (`customer id` VARCHAR(255) PRIMARY KEY, window_end DATETIME(6), `total-amount` TEXT)")
        let t = target()
        defer { t.close() }
        let error = #expect(throws: StoreError.self) { try t.prepare(StoreFixture.layout(target: table)) }
        #expect(error?.exitStatus == .dataError, "\(String(describing: error))")
        #expect(error?.description.contains("total-amount") == true, "\(String(describing: error))")
    }

    @Test func aTableFedByAnotherSourceTableIsRefused() throws {
        let table = "my-foreign-\(makeUUID().prefix(8))"
        let a = target()
        try a.prepare(StoreFixture.layout(target: table, sourceId: "A"))
        _ = try a.publish(StoreFixture.batch([]), recordingVersion: 0)
        a.close()
        let b = target()
        defer { b.close() }
        let error = #expect(throws: StoreError.self) { try b.prepare(StoreFixture.layout(target: table, sourceId: "B")) }
        #expect(error?.exitStatus == .dataError)
    }

    @Test func aWrongPasswordIsUnavailableWithTheServersReasonAndNoSecret() throws {
        let secret = "wrong-\(makeUUID())"
        let t = target(password: secret, maxRetry: .seconds(1))
        let error = #expect(throws: StoreError.self) { try t.prepare(StoreFixture.layout(target: "my-auth")) }
        #expect(error?.exitStatus == .unavailable)
        #expect(error?.description.contains("Access denied") == true, "\(String(describing: error))")
        #expect(error?.description.contains(secret) == false)
    }

    @Test func anUnreachableServerIsUnavailableAfterTheRetryDuration() throws {
        let port = try freeLoopbackPort()
        let t = MySQLTarget(.init(host: "127.0.0.1", port: port, database: "fs", user: "fs", password: "x", timeout: .seconds(1), maxRetryDuration: .milliseconds(600)))
        let error = #expect(throws: StoreError.self) { try t.prepare(StoreFixture.layout(target: "my-down")) }
        guard case .gaveUp? = error else { Issue.record("expected gaveUp, got \(String(describing: error))"); return }
    }
}
