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

    /// `batch` with rows ordered by its first column: nulls first, strings by UTF-8 bytes.
    static func sortedByKey(_ batch: RecordBatch) -> RecordBatch {
        guard batch.rowCount > 1, let key = batch.columns.first else { return batch }
        let n = key.count
        var order = Array(0..<n)
        let nulls = key.validity
        func nullOrder(_ a: Int, _ b: Int) -> Bool? {
            guard let v = nulls else { return nil }
            let na = !v.isValid(a), nb = !v.isValid(b)
            if na || nb { return na && !nb ? true : (na == nb ? a < b : false) }
            return nil
        }
        switch key.values {
        case .string(let s):
            order = sortedStringOrder(s, nulls: nulls)
        case .int64(let v): order.sort { a, b in nullOrder(a, b) ?? (v[a] != v[b] ? v[a] < v[b] : a < b) }
        case .int32(let v): order.sort { a, b in nullOrder(a, b) ?? (v[a] != v[b] ? v[a] < v[b] : a < b) }
        case .boolean(let v): order.sort { a, b in nullOrder(a, b) ?? (v[a] != v[b] ? !v[a] : a < b) }
        case .double(let v): order.sort { a, b in nullOrder(a, b) ?? (v[a] != v[b] ? v[a] < v[b] : a < b) }
        }
        return batch.gather(order)
    }

    /// Row order of `s` by UTF-8 bytes, NULL rows first (in row order). Sorts (8-byte big-endian
    /// prefix, row) pairs so most comparisons are one integer compare; ties on the prefix fall
    /// back to memcmp of the rest, then the length (a proper prefix sorts first).
    static func sortedStringOrder(_ s: StringArray, nulls: Validity?) -> [Int] {
        let n = s.count
        var head: [Int] = []
        var entries: [(prefix: UInt64, row: Int)] = []
        entries.reserveCapacity(n)
        s.offsets.withUnsafeBufferPointer { off in
            s.bytes.withUnsafeBufferPointer { bytes in
                for i in 0..<n {
                    if let v = nulls, !v.isValid(i) { head.append(i); continue }
                    var p: UInt64 = 0
                    let start = off[i], len = off[i + 1] - start
                    for k in 0..<8 { p = p << 8 | (k < len ? UInt64(bytes[start + k]) : 0) }
                    entries.append((p, i))
                }
                entries.sort { a, b in
                    if a.prefix != b.prefix { return a.prefix < b.prefix }
                    let la = off[a.row + 1] - off[a.row], lb = off[b.row + 1] - off[b.row]
                    let common = min(la, lb)
                    if common > 8, let base = bytes.baseAddress {
                        let c = memcmp(base + off[a.row] + 8, base + off[b.row] + 8, common - 8)
                        if c != 0 { return c < 0 }
                    }
                    return la != lb ? la < lb : a.row < b.row
                }
            }
        }
        return head + entries.map(\.row)
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
            table = try DeltaTable.create(at: path, schema: schema, partitionColumns: partitionColumns, clock: clock)
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
