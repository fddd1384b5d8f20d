import FSCore

/// Figures of a scanned order table that both fs-bench and the pyarrow peer compute
/// (bench/peers/pyarrow_table.py `checksum`), so the harness can tell the two readers returned
/// the same data without shipping the rows: row count, distinct order ids, sum of amounts, total
/// bytes of the items JSON, nulls of the scheduled date, and the created-at range.
struct OrderChecksum {
    var rows: Int
    var distinctOrderIds: Int
    var amountSum: Double
    var itemsBytes: Int
    var scheduledDateNulls: Int
    var createdAtMin: Int64?
    var createdAtMax: Int64?

    /// Missing or mistyped order columns are bad data (exit 65), naming the file and column.
    init(_ batch: RecordBatch, file: String) throws {
        rows = batch.rowCount
        let orderIds = try Self.column(batch, "order_id", .string, file)
        let amounts = try Self.column(batch, "order_total_amount", .double, file)
        let items = try Self.column(batch, "items", .string, file)
        let scheduled = try Self.column(batch, "order_scheduled_date", .timestamp, file)
        let created = try Self.column(batch, "order_created_at", .timestamp, file)

        var ids = Set<String>(minimumCapacity: rows)
        if let s = orderIds.strings {
            for i in 0..<s.count where !orderIds.isNull(i) { ids.insert(s[i]) }
        }
        distinctOrderIds = ids.count

        var sum = 0.0
        if let v = amounts.doubles {
            for i in 0..<v.count where !amounts.isNull(i) { sum += v[i] }
        }
        amountSum = sum

        var bytes = 0
        if let s = items.strings {
            for i in 0..<s.count where !items.isNull(i) { bytes += s.length(i) }
        }
        itemsBytes = bytes
        scheduledDateNulls = scheduled.nullCount

        var lo: Int64?
        var hi: Int64?
        if let v = created.int64s {
            for i in 0..<v.count where !created.isNull(i) {
                lo = min(lo ?? v[i], v[i])
                hi = max(hi ?? v[i], v[i])
            }
        }
        createdAtMin = lo
        createdAtMax = hi
    }

    /// The JSON fields, named as the peer names them.
    var fields: [(String, JSONValue)] {
        [("rows", .int(Int64(rows))),
         ("distinct_order_ids", .int(Int64(distinctOrderIds))),
         ("amount_sum", .double(amountSum)),
         ("items_bytes", .int(Int64(itemsBytes))),
         ("scheduled_date_nulls", .int(Int64(scheduledDateNulls))),
         ("created_at_min_us", createdAtMin.map { .int($0) } ?? .null),
         ("created_at_max_us", createdAtMax.map { .int($0) } ?? .null)]
    }

    private static func column(_ batch: RecordBatch, _ name: String, _ type: DataType, _ file: String) throws -> Column {
        guard let c = batch.column(named: name) else {
            throw BenchDataError(description: "\(file): no column '\(name)' (not an order table)")
        }
        guard c.type == type else {
            throw BenchDataError(description: "\(file): column '\(name)' is \(c.type), expected \(type)")
        }
        return c
    }
}

/// Input that is not what the workload needs (exit 65).
struct BenchDataError: CategorizedError {
    var description: String
    var exitStatus: ExitStatus { .dataError }
}
