import FSCore
import FSTable
@testable import FSServe
import Foundation
import Testing

/// `--delta-table`: the newest row per key of a Delta feature table, held in memory.
@Suite struct DeltaServeTests {
    /// The layout fs-agg-online writes: key, window_start, window_end, features.
    static let schema = Schema([
        Field("customer_id", .int64), Field("window_start", .timestamp), Field("window_end", .timestamp),
        Field("total-amount-sum-1h", .double), Field("order-count-1h", .int64), Field("last_platform", .string),
    ])

    /// Rows (key, window_end µs, v) whose features all carry `v`.
    static func batch(_ rows: [(Int64, Int64, Int64)]) -> RecordBatch {
        RecordBatch(schema: schema, columns: [
            Column(.int64, rows.map { .int64($0.0) }),
            Column(.timestamp, rows.map { .timestamp($0.1 - 3_600_000_000) }),
            Column(.timestamp, rows.map { .timestamp($0.1) }),
            Column(.double, rows.map { .double(Double($0.2)) }),
            Column(.int64, rows.map { .int64($0.2) }),
            Column(.string, rows.map { .string(String($0.2)) }),
        ])
    }

    /// Newest (window_end, v) per key of everything written, by brute force: the reference.
    static func reference(_ written: [(Int64, Int64, Int64)]) -> [Int64: (Int64, Int64)] {
        var out: [Int64: (Int64, Int64)] = [:]
        for (k, t, v) in written where out[k].map({ t > $0.0 }) ?? true { out[k] = (t, v) }
        return out
    }

    static func answer(_ service: FeatureService, ids: [Int64]) throws -> ParsedFeastResponse {
        let body = #"{"entities":{"customer_id":[\#(ids.map(String.init).joined(separator: ","))]},"features":["order_agg:order-count-1h","order_agg:last_platform"]}"#
        let r = service.post("/get-online-features", body)
        #expect(r.status == 200, "\(r.body)")
        return try ParsedFeastResponse(r.body)
    }

    @Test func servesTheNewestRowPerKeyAndFollowsNewCommits() throws {
        let dir = TempDir()
        defer { dir.remove() }
        let table = try DeltaTable.create(at: dir.path + "/order_agg", schema: Self.schema)
        let writer = try TableWriter(table: table)
        var rng = SplitMix64(seed: 5)
        var written: [(Int64, Int64, Int64)] = []
        var value: Int64 = 0
        func commitRandom(_ n: Int) throws {
            var rows: [(Int64, Int64, Int64)] = []
            for _ in 0..<n {
                value += 1
                // Distinct times per key (ties are resolved by arrival, which the reference does not model).
                rows.append((Int64(rng.next() % 60), Int64(rng.next() % 1_000_000) * 60_000_000 + value, value))
            }
            written += rows
            try writer.write(Self.batch(rows))
            _ = try writer.commit()
        }
        try commitRandom(200)
        let store = DeltaMemoryStore(name: "order_agg", root: table.root)
        try store.refresh()
        let service = FeatureService(sources: [store])
        let ids = Array(Int64(0)..<70)  // 60..69 are never written
        for round in 0..<4 {
            let expected = Self.reference(written)
            let p = try Self.answer(service, ids: ids)
            for (r, id) in ids.enumerated() {
                if let (t, v) = expected[id] {
                    #expect(p.values[1][r] == .int(v), "round \(round) key \(id)")
                    #expect(p.values[2][r] == .string(String(v)))
                    #expect(parseTimestamp(p.timestamps[1][r]) == t)
                } else {
                    #expect(p.statuses[1][r] == "NOT_FOUND", "round \(round) key \(id)")
                }
            }
            try commitRandom(50)
            try commitRandom(30)
            try store.refresh()
        }
        #expect(store.keyCount == Self.reference(written).count)
    }

    @Test func aReplacedPartitionIsRebuiltFromTheLiveFiles() throws {
        let dir = TempDir()
        defer { dir.remove() }
        // The layout fs-agg-offline writes: key, features, year/month/day partitions (the time).
        let schema = Schema([Field("customer_id", .int64), Field("order-count", .int64),
                             Field("year", .int32), Field("month", .int32), Field("day", .int32)])
        func rows(_ ids: [Int64], count: Int64, day: Int32) -> RecordBatch {
            RecordBatch(schema: schema, columns: [
                Column(.int64, ids.map { .int64($0) }), Column(.int64, ids.map { _ in .int64(count) }),
                Column(.int32, ids.map { _ in .int32(2019) }), Column(.int32, ids.map { _ in .int32(1) }),
                Column(.int32, ids.map { _ in .int32(day) }),
            ])
        }
        let table = try DeltaTable.create(at: dir.path + "/offline", schema: schema, partitionColumns: ["year", "month", "day"])
        let writer = try TableWriter(table: table)
        try writer.write(rows([1, 2, 3], count: 10, day: 16))
        _ = try writer.commit()
        try writer.write(rows([1, 2], count: 20, day: 17))
        _ = try writer.commit()
        let store = DeltaMemoryStore(name: "offline", root: table.root)
        try store.refresh()
        #expect(try store.layout() == ServedLayout(keyColumns: ["customer_id"], timeColumn: "feature_date", featureColumns: ["order-count"]))
        let keys: [ServedKey] = [[.int64(1)], [.int64(2)], [.int64(3)]]
        #expect(try store.read(keys: keys).map { $0?.features } == [[.int64(20)], [.int64(20)], [.int64(10)]])
        #expect(try store.read(keys: keys)[0]?.time == CivilDate(year: 2019, month: 1, day: 17).daysSinceEpoch * microsPerDay)

        // An offline re-run replaces day 17 without key 2: key 2 falls back to its day-16 row.
        try writer.write(rows([1], count: 30, day: 17))
        try writer.commitReplacingPartitions()
        try store.refresh()
        #expect(try store.read(keys: keys).map { $0?.features } == [[.int64(30)], [.int64(10)], [.int64(10)]])
    }

    @Test func aMissingTableIsUnavailableAndServedOnceItExists() throws {
        let dir = TempDir()
        defer { dir.remove() }
        let store = DeltaMemoryStore(name: "order_agg", root: dir.path + "/order_agg")
        #expect(throws: ServeError.self) { try store.refresh() }
        let service = FeatureService(sources: [store])
        #expect(service.get("/health").status == 503)
        #expect(service.get("/features/order_agg/1").status == 503)
        let table = try DeltaTable.create(at: dir.path + "/order_agg", schema: Self.schema)
        let writer = try TableWriter(table: table)
        try writer.write(Self.batch([(1, 60_000_000, 4)]))
        _ = try writer.commit()
        try store.refresh()
        #expect(service.get("/health").status == 200)
        let one = service.get("/features/order_agg/1")
        #expect(one.status == 200)
        #expect(try JSONValue.parse(one.body)["order-count-1h"] == .int(4))
        #expect(try JSONValue.parse(one.body)["window_end"] == .string("1970-01-01T00:01:00Z"))
    }
}
