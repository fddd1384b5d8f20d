import FSCore
import FSTable

/// The deterministic sample table of `fs-table write-sample`: every type, nulls, NaN, ±0.0,
/// ±Infinity, empty, long and non-ASCII strings, spread over days that cross a month boundary,
/// partitioned by fs_year/fs_month/fs_day (from `ts` in UTC), written over several commits.
enum SampleTable {
    static let schema = Schema([
        Field("id", .int64, isNullable: false),
        Field("flag", .boolean),
        Field("small", .int32),
        Field("amount", .double),
        Field("name", .string),
        Field("day", .date),
        Field("ts", .timestamp, isNullable: false),
        Field("fs_year", .int32),
        Field("fs_month", .int32),
        Field("fs_day", .int32),
    ])
    static let partitionColumns = ["fs_year", "fs_month", "fs_day"]

    /// 2019-01-30T00:00:00Z: rows run into February.
    static let startMicros: Int64 = 1_548_806_400_000_000
    static let names = ["", "alpha", "São Paulo", "日本語テキスト", "emoji 🚀", "tab\tquote\"back\\slash", String(repeating: "long", count: 10), "z"]
    static let specialDoubles: [Double] = [.nan, 0.0, -0.0, .infinity, -.infinity, 1e-300, -123.456, 1e20]

    /// Rows `range` of the sample (row i is the same whatever the batch boundaries).
    static func batch(_ range: Range<Int>) -> RecordBatch {
        var b = schema.fields.map { ColumnBuilder(type: $0.type, capacity: range.count) }
        for i in range {
            var h = UInt64(truncatingIfNeeded: i) &* 0x9E37_79B9_7F4A_7C15
            h ^= h >> 29
            let ts = startMicros + Int64(i) * 4_021_000_123 + Int64(h % 1_000)
            let f = UTCFields(micros: ts)
            b[0].append(Int64(i))
            if i % 7 == 3 { b[1].appendNull() } else { b[1].append(h & 1 == 0) }
            if i % 11 == 5 { b[2].appendNull() } else { b[2].append(Int32(truncatingIfNeeded: Int64(h % 200_001) - 100_000)) }
            if i % 13 == 6 { b[3].appendNull() } else if i % 9 == 0 { b[3].append(specialDoubles[(i / 9) % specialDoubles.count]) } else { b[3].append(Double(Int64(h % 2_000_001) - 1_000_000) / 100) }
            if i % 5 == 4 { b[4].appendNull() } else { b[4].append(names[i % names.count]) }
            if i % 17 == 8 { b[5].appendNull() } else { b[5].append(Value.date(Int32(daysOf(micros: ts)) - Int32(i % 3))) }
            b[6].append(Value.timestamp(ts))
            b[7].append(Int32(f.date.year))
            b[8].append(Int32(f.date.month))
            b[9].append(Int32(f.date.day))
        }
        return RecordBatch(schema: schema, columns: b.map { $0.finish() })
    }

    /// Creates the table at `path` and writes `rows` rows over `commits` commits, with
    /// `delta.checkpointInterval` = `checkpointInterval` (0: not set).
    static func write(at path: String, rows: Int, commits: Int, checkpointInterval: Int) throws -> Snapshot {
        // 0: no delta.checkpointInterval, so fs's size-based CheckpointPolicy decides.
        let configuration: StringMap = checkpointInterval > 0 ? [TableProperty.checkpointInterval: String(checkpointInterval)] : [:]
        let table = try DeltaTable.create(at: path, schema: schema, partitionColumns: partitionColumns, configuration: configuration)
        let writer = try TableWriter(table: table)
        let n = max(commits, 1)
        for c in 0..<n {
            let lo = rows * c / n, hi = rows * (c + 1) / n
            if hi > lo { try writer.write(batch(lo..<hi)) }
            try writer.commit(txns: [TxnAction(appId: "fs-table/write-sample", version: Int64(c), lastUpdated: table.clock.nowMicros() / 1000)])
        }
        return writer.snapshot
    }
}
