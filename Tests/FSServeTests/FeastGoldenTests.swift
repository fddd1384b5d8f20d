import FSCore
import FSPublish
@testable import FSServe
import Foundation
import Testing

/// fs-serve answers like `feast serve` does: the recorded Feast 0.67 response
/// (`scripts/golden/feast_serve_golden.py`) and fs-serve's over the same vectors agree in shape
/// and content. Feast orders `feature_names` its own way, so results are compared by name.
@Suite struct FeastGoldenTests {
    /// The vectors the golden was recorded over (the first two of bench/workloads_serve.py's
    /// generator; customer 99 was never published).
    static let vectors: [(id: Int64, windowEnd: Int64, total: Double, count: Int64, avg: Double)] = [
        (1, 1_547_766_348, 69.52, 4, 17.38),
        (2, 1_547_743_734, 923.91, 8, 115.48875),
    ]
    static let features = ["order_total_sum_1h", "order_count_1h", "order_avg_amount_1h"]

    static func golden() throws -> JSONValue {
        let url = try #require(Bundle.module.url(forResource: "Goldens/feast-0.67-get-online-features", withExtension: "json"))
        return try JSONValue.parse(String(decoding: try Data(contentsOf: url), as: UTF8.self))
    }

    /// Results keyed by feature name: (values, statuses, event_timestamps).
    static func byName(_ json: JSONValue) -> [String: [String: JSONValue]] {
        let names = json["metadata"]?["feature_names"]?.arrayValue?.compactMap(\.stringValue) ?? []
        let results = json["results"]?.arrayValue ?? []
        var out: [String: [String: JSONValue]] = [:]
        for (n, r) in zip(names, results) {
            out[n] = Dictionary(uniqueKeysWithValues: (r.objectValue ?? []).map { ($0.0, $0.1) })
        }
        return out
    }

    /// The shape of a JSON document: object keys (sorted), array element shapes, value kinds.
    static func shape(_ v: JSONValue) -> String {
        switch v {
        case .object(let o): return "{" + o.map { "\($0.0):\(shape($0.1))" }.sorted().joined(separator: ",") + "}"
        case .array(let a): return "[" + Set(a.map(shape)).sorted().joined(separator: "|") + "]"
        case .string: return "s"
        case .int, .double: return "n"
        case .bool: return "b"
        case .null: return "null"
        }
    }

    @Test func answerMatchesTheRecordedFeastResponse() throws {
        let dir = TempDir()
        defer { dir.remove() }
        let db = try SQLiteConnection(path: dir.path + "/features.db", busyTimeout: .seconds(5))
        try db.execute("""
            CREATE TABLE fs_publish_state (target_table TEXT PRIMARY KEY, source_table_id TEXT, source_path TEXT, version BIGINT,
              key_columns TEXT, time_column TEXT, updated_at TEXT);
            INSERT INTO fs_publish_state VALUES ('order_agg', 'id', '/src', 1, '["customer_id"]', 'window_end', '2026-01-01T00:00:00.000000Z');
            CREATE TABLE "order_agg" ("customer_id" INTEGER PRIMARY KEY, "window_end" TEXT NOT NULL,
              "order_total_sum_1h" REAL, "order_count_1h" INTEGER, "order_avg_amount_1h" REAL);
            """)
        let insert = try db.prepare(#"INSERT INTO "order_agg" VALUES (?1, ?2, ?3, ?4, ?5)"#)
        for v in Self.vectors {
            insert.reset()
            insert.bind(1, v.id)
            insert.bind(2, formatISO8601(micros: v.windowEnd * 1_000_000))
            insert.bind(3, v.total)
            insert.bind(4, v.count)
            insert.bind(5, v.avg)
            _ = try insert.step()
        }
        let service = FeatureService(sources: [SQLiteStore(path: db.path, table: "order_agg")])
        let body = #"{"entities":{"customer_id":[1,2,99]},"features":["order_agg:order_total_sum_1h","order_agg:order_count_1h","order_agg:order_avg_amount_1h"]}"#
        let response = service.post("/get-online-features", body)
        #expect(response.status == 200)
        let ours = try JSONValue.parse(response.body)
        let feast = try Self.golden()

        #expect(Self.shape(ours) == Self.shape(feast))
        let oursByName = Self.byName(ours), feastByName = Self.byName(feast)
        #expect(Set(oursByName.keys) == Set(feastByName.keys))
        #expect(ours["metadata"]?["feature_names"]?.arrayValue?.first == .string("customer_id"))
        for name in feastByName.keys.sorted() {
            #expect(oursByName[name]?["statuses"] == feastByName[name]?["statuses"], "\(name)")
            #expect(oursByName[name]?["event_timestamps"] == feastByName[name]?["event_timestamps"], "\(name)")
            #expect(oursByName[name]?["values"] == feastByName[name]?["values"], "\(name)")
        }
    }
}
