import FSCore
import FSPublish
@testable import FSServe
import Testing

#if canImport(Glibc)
import Glibc
#endif

/// SQLiteStore keeps a read transaction (one snapshot) across requests for a few milliseconds:
/// a publish must still show up within that age, and idle connections must give their snapshot
/// up, or a running publisher's WAL could never be checkpointed.
@Suite struct SQLiteSnapshotTests {
    static let body = #"{"entities":{"customer_id":[1]},"features":["order_agg:order-count-1h"]}"#

    static func count(_ service: FeatureService) throws -> [JSONValue] {
        try ParsedFeastResponse(service.post("/get-online-features", body).body).values[1]
    }

    @Test func aPublishIsServedOnceTheSnapshotAgeHasPassed() throws {
        let dir = TempDir()
        defer { dir.remove() }
        let fixture = try SQLiteFixture(path: dir.path + "/features.db")
        try fixture.publish([FixtureRow(customerId: 1, windowEnd: 0, amount: 1, count: 7, platform: "x")], version: 1)
        let service = FeatureService(sources: [SQLiteStore(path: fixture.path, table: SQLiteFixture.table)])
        #expect(try Self.count(service) == [.int(7)])
        for v in Int64(2)...5 {
            try fixture.publish([FixtureRow(customerId: 1, windowEnd: v * 60_000_000, amount: 1, count: v * 10, platform: "x")], version: v)
            usleep(UInt32(SQLiteStore.maxSnapshotAge * 1_000_000) + 2_000)
            #expect(try Self.count(service) == [.int(v * 10)], "publish \(v)")
        }
    }

    @Test func idleConnectionsGiveUpTheirSnapshotSoTheWALCanBeCheckpointed() throws {
        let dir = TempDir()
        defer { dir.remove() }
        let fixture = try SQLiteFixture(path: dir.path + "/features.db")
        try fixture.publish([FixtureRow(customerId: 1, windowEnd: 0, amount: 1, count: 7, platform: "x")], version: 1)
        let store = SQLiteStore(path: fixture.path, table: SQLiteFixture.table)
        let service = FeatureService(sources: [store])
        #expect(try Self.count(service) == [.int(7)])
        // A newer row (the publisher keeps the latest per key), in frames written after the reader's snapshot: a checkpoint has to wait for that reader.
        try fixture.publish([FixtureRow(customerId: 1, windowEnd: 60_000_000, amount: 1, count: 8, platform: "x")], version: 2)
        usleep(UInt32((SQLiteStore.maxSnapshotAge + 3 * SQLiteStore.sweepInterval) * 1_000_000))
        let checkpoint = try fixture.db.prepare("PRAGMA wal_checkpoint(TRUNCATE)")
        #expect(try checkpoint.step())
        // With a reader still on its old snapshot, this waits out the busy timeout and reports busy (1).
        #expect(checkpoint.int64(0) == 0, "the checkpoint was not blocked by a reader")
        var st = stat()
        #expect(stat(fixture.path + "-wal", &st) == 0 && st.st_size == 0, "the WAL was truncated")
        #expect(try Self.count(service) == [.int(8)])
    }
}
