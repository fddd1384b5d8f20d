import FSCore
import FSPublish
@testable import FSServe
import Foundation

/// A temporary directory, removed by `remove()`.
struct TempDir {
    let path: String
    init() {
        path = NSTemporaryDirectory() + "fs-serve-tests-" + UUID().uuidString
        try? FileManager.default.createDirectory(atPath: path, withIntermediateDirectories: true)
    }
    func remove() { try? FileManager.default.removeItem(atPath: path) }
}

/// One published vector of the fixture table `order_agg`.
struct FixtureRow: Equatable {
    var customerId: Int64
    var windowEnd: Int64  // µs UTC
    var amount: Double?
    var count: Int64?
    var platform: String?
}

/// A SQLite store laid out exactly as the publish contract says fs-publish writes it: a wide
/// typed table keyed by the key columns, ISO-8601 UTC text for timestamps, and a
/// `fs_publish_state` row naming key and time columns. Written through the same SQLite client
/// (FSPublish's `SQLiteConnection`) the server reads with, but with its own SQL.
final class SQLiteFixture {
    static let table = "order_agg"
    static let features = ["total-amount-sum-1h", "order-count-1h", "last_platform"]
    let path: String
    let db: SQLiteConnection

    init(path: String) throws {
        self.path = path
        db = try SQLiteConnection(path: path, busyTimeout: .seconds(5))
        try db.execute("PRAGMA journal_mode=WAL")
        try db.execute("""
            CREATE TABLE IF NOT EXISTS fs_publish_state (target_table TEXT PRIMARY KEY, source_table_id TEXT NOT NULL,
              source_path TEXT NOT NULL, version BIGINT NOT NULL, key_columns TEXT NOT NULL, time_column TEXT NOT NULL, updated_at TEXT NOT NULL);
            CREATE TABLE IF NOT EXISTS "order_agg" ("customer_id" INTEGER PRIMARY KEY, "window_end" TEXT NOT NULL,
              "total-amount-sum-1h" REAL, "order-count-1h" INTEGER, "last_platform" TEXT);
            """)
    }

    /// Upserts rows and the state row in one transaction, as one publish does.
    func publish(_ rows: [FixtureRow], version: Int64) throws {
        try db.execute("BEGIN IMMEDIATE")
        let upsert = try db.prepare("""
            INSERT INTO "order_agg" VALUES (?1, ?2, ?3, ?4, ?5) ON CONFLICT("customer_id") DO UPDATE SET
              "window_end" = excluded."window_end", "total-amount-sum-1h" = excluded."total-amount-sum-1h",
              "order-count-1h" = excluded."order-count-1h", "last_platform" = excluded."last_platform"
            WHERE excluded."window_end" > "order_agg"."window_end"
            """)
        for r in rows {
            upsert.reset()
            SQLiteStore.bind(upsert, 1, .int64(r.customerId))
            SQLiteStore.bind(upsert, 2, .string(formatISO8601(micros: r.windowEnd)))
            SQLiteStore.bind(upsert, 3, r.amount.map(Value.double) ?? .null)
            SQLiteStore.bind(upsert, 4, r.count.map(Value.int64) ?? .null)
            SQLiteStore.bind(upsert, 5, r.platform.map(Value.string) ?? .null)
            _ = try upsert.step()
        }
        let state = try db.prepare("""
            INSERT INTO fs_publish_state VALUES (?1, 'source-id', '/tmp/source', ?2, '["customer_id"]', 'window_end', ?3)
            ON CONFLICT(target_table) DO UPDATE SET version = excluded.version, updated_at = excluded.updated_at
            """)
        state.bind(1, Self.table)
        state.bind(2, version)
        state.bind(3, formatISO8601(micros: SystemWallClock().nowMicros()))
        _ = try state.step()
        try db.execute("COMMIT")
    }

    func close() { db.close() }
}

/// Calls the service in-process with a JSON body.
extension FeatureService {
    func post(_ target: String, _ body: String, authorization: String? = nil) -> ServeResponse {
        var b = body
        return b.withUTF8 { handle(method: "POST", target: target, authorization: authorization, body: UnsafeRawBufferPointer($0)) }
    }

    func get(_ target: String, authorization: String? = nil) -> ServeResponse {
        handle(method: "GET", target: target, authorization: authorization, body: UnsafeRawBufferPointer(start: nil, count: 0))
    }
}

/// The Feast-shaped answer parsed back: per feature name, values/statuses/timestamps per row.
struct ParsedFeastResponse {
    var featureNames: [String]
    var values: [[JSONValue]]
    var statuses: [[String]]
    var timestamps: [[String]]

    init(_ text: String) throws {
        let json = try JSONValue.parse(text)
        featureNames = json["metadata"]?["feature_names"]?.arrayValue?.compactMap(\.stringValue) ?? []
        let results = json["results"]?.arrayValue ?? []
        values = results.map { $0["values"]?.arrayValue ?? [] }
        statuses = results.map { ($0["statuses"]?.arrayValue ?? []).compactMap(\.stringValue) }
        timestamps = results.map { ($0["event_timestamps"]?.arrayValue ?? []).compactMap(\.stringValue) }
    }

    func column(_ name: String) -> Int? { featureNames.firstIndex(of: name) }
}
