import FSCore
import FSTable

/// Writing emitted windows: the output table is partitioned by the window end's UTC
/// year/month/day, and the engine hands out rows sorted by window, so each day is one run of
/// rows — copied out as a range (no per-row gather) and written with constant partition columns.
enum OnlineOutput {
    /// Partition columns of the output table.
    static let partitionColumns = ["year", "month", "day"]

    /// Emission hands out days in order, so a day's file is complete long before the commit:
    /// a small buffer budget finishes it early instead of holding a trigger's output in memory.
    static var writerOptions: TableWriterOptions {
        var o = TableWriterOptions()
        o.maxBufferedBytes = 64 << 20
        return o
    }

    /// Writes `batch` (the engine's output schema, windows ascending) through `writer`, one
    /// call per window-end day; returns the rows written.
    static func write(_ batch: RecordBatch, schema: Schema, to writer: TableWriter) throws -> Int {
        guard let endIndex = batch.schema.index(of: "window_end"), let ends = batch.columns[endIndex].int64s else { return 0 }
        let n = batch.rowCount
        var start = 0
        while start < n {
            let day = daysOf(micros: ends[start])
            var end = start + 1
            while end < n && daysOf(micros: ends[end]) == day { end += 1 }
            let rows = start == 0 && end == n ? batch : slice(batch, start..<end)
            let date = CivilDate(daysSinceEpoch: day)
            let count = end - start
            try writer.write(RecordBatch(schema: schema, columns: rows.columns + [
                Column(type: .int32, values: .int32([Int32](repeating: Int32(date.year), count: count))),
                Column(type: .int32, values: .int32([Int32](repeating: Int32(date.month), count: count))),
                Column(type: .int32, values: .int32([Int32](repeating: Int32(date.day), count: count))),
            ]))
            start = end
        }
        return n
    }

    /// Rows `range` of a batch, copied column by column as ranges.
    static func slice(_ batch: RecordBatch, _ range: Range<Int>) -> RecordBatch {
        RecordBatch(schema: batch.schema, columns: batch.columns.map { slice($0, range) })
    }

    static func slice(_ c: Column, _ r: Range<Int>) -> Column {
        let values: ColumnValues
        switch c.values {
        case .boolean(let v): values = .boolean(Array(v[r]))
        case .int32(let v): values = .int32(Array(v[r]))
        case .int64(let v): values = .int64(Array(v[r]))
        case .double(let v): values = .double(Array(v[r]))
        case .string(let s):
            let base = s.offsets[r.lowerBound]
            values = .string(StringArray(offsets: s.offsets[r.lowerBound...r.upperBound].map { $0 - base },
                                         bytes: Array(s.bytes[base..<s.offsets[r.upperBound]])))
        }
        var validity: Validity? = nil
        if let v = c.validity {
            var out = Validity()
            out.reserveCapacity(r.count)
            for i in r { out.append(v.isValid(i)) }
            validity = out.nullCount > 0 ? out : nil
        }
        return Column(type: c.type, values: values, validity: validity)
    }
}
