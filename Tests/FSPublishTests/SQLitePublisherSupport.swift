import FSCore
import FSTable
import Foundation
@testable import FSJobs
@testable import FSPublish

/// An online-style feature table (key, window_end, features with awkward names, day
/// partitions) written through the real table layer, and a reader of what the SQLite store holds.
struct OnlineTableFixture {
    static let schema = Schema([
        Field("customer_id", .string), Field("window_end", .timestamp), Field("total-amount", .double),
        Field("it's \"n\"", .int64), Field("is_vip", .boolean), Field("year", .int32), Field("month", .int32), Field("day", .int32),
    ])
    static let base: Int64 = 1_547_683_200_000_000  // 2019-01-17T00:00:00Z

    let root: String
    init() throws { root = try FileSystem.makeTemporaryDirectory(prefix: "fs-publish-sqlite") }

    var input: String { root + "/input" }
    var database: String { root + "/store.db" }

    func create(properties: StringMap = FeatureTableProperties.online(key: "customer_id")) throws {
        _ = try DeltaTable.create(at: input, schema: Self.schema, partitionColumns: ["year", "month", "day"], configuration: properties)
    }

    /// One row: `key` nil = a NULL key; `minute` after `base`.
    struct Row { var key: String?; var minute: Int64; var amount: Double?; var n: Int64; var vip: Bool }

    static func batch(_ rows: [Row]) -> RecordBatch {
        RecordBatch(schema: schema, columns: [
            Column(.string, rows.map { $0.key.map(Value.string) ?? .null }),
            Column(.timestamp, rows.map { .timestamp(base + $0.minute * 60_000_000) }),
            Column(.double, rows.map { $0.amount.map(Value.double) ?? .null }),
            Column(.int64, rows.map { .int64($0.n) }),
            Column(.boolean, rows.map { .boolean($0.vip) }),
            Column(.int32, rows.map { _ in .int32(2019) }),
            Column(.int32, rows.map { _ in .int32(1) }),
            Column(.int32, rows.map { .int32(Int32(17 + $0.minute / 1440)) }),
        ])
    }

    /// Appends one commit holding `rows`.
    func append(_ rows: [Row]) throws {
        let w = try TableWriter(table: try DeltaTable.open(at: input))
        try w.write(Self.batch(rows))
        try w.commit()
    }

    /// Random rows for `keys` keys, distinct minutes per key within one call.
    static func randomRows(_ count: Int, keys: Int, minuteRange: Range<Int64>, seed: UInt64, nullKeys: Int = 0) -> [Row] {
        var rng = SplitMix64(seed: seed)
        var rows: [Row] = []
        for i in 0..<count {
            let k = Int(rng.next() % UInt64(keys))
            let minute = minuteRange.lowerBound + Int64(rng.next() % UInt64(minuteRange.count))
            let amount: Double? = rng.next() % 5 == 0 ? nil : Double(rng.next() % 10_000) / 100
            rows.append(Row(key: i < nullKeys ? nil : (k == 3 ? "clé-ü \(k)" : "c\(k)"), minute: minute, amount: amount, n: Int64(i), vip: rng.next() % 2 == 0))
        }
        return rows
    }

    /// The newest row per key of `rows` fed in order (ties: the first stays), as store lines.
    static func expectedLines(_ rows: [Row]) -> [String] {
        var best: [String: Row] = [:]
        for r in rows {
            guard let k = r.key else { continue }
            if let b = best[k], b.minute >= r.minute { continue }
            best[k] = r
        }
        return best.values.map { r in
            [r.key!, formatISO8601(micros: base + r.minute * 60_000_000), r.amount.map { "\($0)" } ?? "NULL", "\(r.n)", r.vip ? "1" : "0"].joined(separator: "|")
        }.sorted()
    }

    func config(_ extra: (inout PublishConfig) -> Void = { _ in }) -> PublishConfig {
        var c = PublishConfig(common: CommonConfig(appName: "t", masterMode: try! MasterMode(parsing: "local[1]"), logLevel: .error, logFormat: .text, printSummary: false),
                              publisherType: .sqlite, inputTable: input, outputTable: "features")
        c.connection.sqlitePath = database
        c.batchRows = 7
        extra(&c)
        return c
    }

    func publish(_ extra: (inout PublishConfig) -> Void = { _ in }) throws -> OnlinePublishSummary {
        try OnlinePublisher(config: config(extra)).run()
    }

    /// Every row of a store table as `a|b|…` lines, sorted (REAL read as Double, NULL as NULL).
    static func storeLines(_ path: String, table: String = "features") throws -> [String] {
        let db = try SQLiteConnection(path: path, busyTimeout: .seconds(5))
        defer { db.close() }
        let s = try db.prepare("SELECT * FROM \(SQLDialect.sqlite.quoted(table))")
        var out: [String] = []
        let count = try db.prepare("SELECT count(*) FROM pragma_table_info(?)")
        count.bind(1, table)
        _ = try count.step()
        let n = Int32(count.int64(0))
        let types = try db.prepare("SELECT type FROM pragma_table_info(?) ORDER BY cid")
        types.bind(1, table)
        var kinds: [String] = []
        while try types.step() { kinds.append(types.text(0)) }
        while try s.step() {
            out.append((0..<n).map { c in
                if s.isNull(c) { return "NULL" }
                return kinds[Int(c)] == "REAL" ? "\(s.double(c))" : s.text(c)
            }.joined(separator: "|"))
        }
        return out.sorted()
    }

    static func publishedVersion(_ path: String, table: String = "features") throws -> Int64? {
        let db = try SQLiteConnection(path: path, busyTimeout: .seconds(5))
        defer { db.close() }
        let s = try db.prepare("SELECT version FROM fs_publish_state WHERE target_table = ?")
        s.bind(1, table)
        guard try s.step(), !s.isNull(0) else { return nil }
        return s.int64(0)
    }
}
