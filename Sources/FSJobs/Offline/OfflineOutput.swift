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
    /// order; columns are concatenated and gathered one per task.
    static func sortedByKey(_ tables: [RecordBatch], schema: Schema) -> RecordBatch {
        if tables.count == 1 { return sortedByKey(tables[0]) }
        let columns = parallelMap(count: schema.fields.count) { ci in
            Column.concatenate(tables.map { $0.columns[ci] }, type: schema.fields[ci].type)
        }
        return sortedByKey(RecordBatch(schema: schema, columns: columns))
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
