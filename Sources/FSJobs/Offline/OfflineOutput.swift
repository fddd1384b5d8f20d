import FSCore
import FSTable

#if canImport(Glibc)
import Glibc
#endif

/// The output side of an offline run: rows in key order (so the same input gives byte-identical
/// files whatever the thread count) and the atomic replacement of the end-date partition.
enum OfflineOutput {
    /// Output partition columns (the original's names; `month` now holds the real month).
    static let partitionColumns = ["year", "month", "day"]

    /// `batch` with rows ordered by its first column (`Column.ascendingOrder`: nulls first,
    /// strings by UTF-8 bytes, ties in row order).
    static func sortedByKey(_ batch: RecordBatch) -> RecordBatch {
        guard batch.rowCount > 1, let key = batch.columns.first else { return batch }
        let order = key.ascendingOrder()
        return RecordBatch(schema: batch.schema, columns: parallelMap(count: batch.columns.count) { batch.columns[$0].gather(order) })
    }

    /// The rows of every table (disjoint key partitions of one result) as one batch in key
    /// order, as `sortedByKey` of their concatenation (ties in table order). Each table's keys
    /// are sorted on its own core and the sorted runs merged in one linear pass: sorting the
    /// 500k keys of the 10M-order run as one column was ~70 ms on one core while the other
    /// waited. Columns are then concatenated and gathered one per task.
    static func sortedByKey(_ tables: [RecordBatch], schema: Schema) -> RecordBatch {
        if tables.count == 1 { return sortedByKey(tables[0]) }
        let keys = tables.map { $0.columns[0] }
        let runs = parallelMap(count: keys.count) { keys[$0].ascendingOrder() }
        let order = mergedOrder(keys, runs)
        let columns = parallelMap(count: schema.fields.count) { ci in
            Column.concatenate(tables.map { $0.columns[ci] }, type: schema.fields[ci].type).gather(order)
        }
        return RecordBatch(schema: schema, columns: columns)
    }

    /// Rows of the concatenation of `keys` in key order, given each column's own ascending
    /// order: a merge of the runs that takes the earliest run on ties (so the result equals a
    /// stable sort of the concatenation).
    static func mergedOrder(_ keys: [Column], _ runs: [[Int]]) -> [Int] {
        var bases: [Int] = []
        var total = 0
        for k in keys {
            bases.append(total)
            total += k.count
        }
        var next = [Int](repeating: 0, count: runs.count)
        var out: [Int] = []
        out.reserveCapacity(total)
        while out.count < total {
            var best = -1
            for r in runs.indices where next[r] < runs[r].count {
                if best < 0 || keyPrecedes(keys[r], runs[r][next[r]], keys[best], runs[best][next[best]]) { best = r }
            }
            out.append(bases[best] + runs[best][next[best]])
            next[best] += 1
        }
        return out
    }

    /// Whether row i of `a` sorts strictly before row j of `b` in `Column.ascendingOrder`'s
    /// order: NULL first, strings by UTF-8 bytes, numbers by value.
    static func keyPrecedes(_ a: Column, _ i: Int, _ b: Column, _ j: Int) -> Bool {
        let nullA = a.isNull(i), nullB = b.isNull(j)
        if nullA || nullB { return nullA && !nullB }
        switch (a.values, b.values) {
        case (.string(let x), .string(let y)):
            return x.withUTF8(i) { p in
                y.withUTF8(j) { q in
                    let common = Swift.min(p.count, q.count)
                    if common > 0, let pa = p.baseAddress, let qa = q.baseAddress {
                        let c = memcmp(pa, qa, common)
                        if c != 0 { return c < 0 }
                    }
                    return p.count < q.count
                }
            }
        case (.int64(let x), .int64(let y)): return x[i] < y[j]
        case (.int32(let x), .int32(let y)): return x[i] < y[j]
        case (.boolean(let x), .boolean(let y)): return !x[i] && y[j]
        case (.double(let x), .double(let y)): return x[i] < y[j]
        default: preconditionFailure("key columns of different types: \(a.type), \(b.type)")
        }
    }

    /// Writes `features` as the whole content of partition `day` of the table at `path`
    /// (created when missing): one commit removes what the partition held and adds the new
    /// file, so a re-run never duplicates and other days are untouched. Returns the committed
    /// version (nil when nothing changed: an empty result into an already empty partition).
    static func write(_ features: RecordBatch, day: CivilDate, to path: String, clock: any WallClock) throws -> Int64? {
        let schema = Schema(features.schema.fields + partitionColumns.map { Field($0, .int32) })
        let existed = try DeltaTable.exists(at: path)
        let table: DeltaTable
        do {
            table = try DeltaTable.create(at: path, schema: schema, partitionColumns: partitionColumns,
                                        configuration: FeatureTableProperties.offline(key: schema.fields[0].name), clock: clock)
        } catch let e as DeltaLogError {
            if existed, case .incompatibleTable(_, let reason) = e { throw OfflineError.outputMismatch(path: path, reason: reason) }
            throw e
        }
        let writer = try TableWriter(table: table)
        let n = features.rowCount
        if n > 0 {
            let parts = [day.year, day.month, day.day].map { Column(type: .int32, values: .int32(Array(repeating: Int32($0), count: n))) }
            try writer.write(RecordBatch(schema: schema, columns: features.columns + parts))
        }
        let partition: StringMap = ["year": "\(day.year)", "month": "\(day.month)", "day": "\(day.day)"]
        do {
            return try writer.commitReplacingPartitions([partition], operation: "WRITE").version
        } catch {
            writer.abort()
            throw error
        }
    }
}
