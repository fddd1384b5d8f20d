import FSCore
import FSKafka

/// Writes the key and the JSON value of each published row straight from the batch's columns
/// into one reused byte buffer — the same bytes as `KafkaTarget.encodeKey`/`encodeValue`, with
/// no `[Value]`, `JSONValue` tree or `String` per row.
///
/// A chunk is encoded through `ColumnView`s: each column's storage is pinned once per chunk
/// (`withViews`), and the row loop reads raw pointers. The first columnar version went through
/// `batch.columns[c].values` per value: a retain and release of the column's arrays, an enum
/// switch and an `Array.append` uniqueness check per value were a third of the encoder's time
/// (50k rows, `perf record`). Timestamps keep their day's `YYYY-MM-DD` per column (window tables
/// hold a few days), so the civil-date arithmetic runs once per day change, not per value.
///
/// Formats (see `KafkaTarget`): a single string key is its bytes; any other key is JSON (one
/// value, or an array for several key columns). Values are `{"col":value,…}` in schema order;
/// timestamps `"2019-01-17T13:05:00.000000Z"`, dates `"2019-01-17"`, NaN and ±Inf `null`,
/// integral doubles below 1e15 as `3.0` — `JSONValue.write`'s spellings, which the tests pin.
struct KafkaMessageEncoder {
    let schema: Schema
    let keyCount: Int
    /// `{"name":` for the first column, `,"name":` for the others, escaped once.
    private let fieldPrefixes: [[UInt8]]

    init(schema: Schema, keyCount: Int) {
        self.schema = schema
        self.keyCount = keyCount
        fieldPrefixes = schema.fields.enumerated().map { i, f in
            var out: [UInt8] = [i == 0 ? UInt8(ascii: "{") : UInt8(ascii: ",")]
            Self.appendJSONString(f.name.utf8, to: &out)
            out.append(UInt8(ascii: ":"))
            return out
        }
    }

    /// Encodes the rows of `batch` in `order` (nil: 0, 1, …): `admit(row, key)` sees the row's
    /// key first (false: the row is skipped, its value never encoded), then `body(key, value)`
    /// gets both. The buffers are valid only during the call and reused for the next row.
    func forEachMessage(in batch: RecordBatch, order: [Int]? = nil, admit: (Int, UnsafeRawBufferPointer) -> Bool,
                        _ body: (UnsafeRawBufferPointer, UnsafeRawBufferPointer) throws -> Void) rethrows {
        guard batch.rowCount > 0 else { return }
        if let order {
            try encode(batch, rows: order, admit: admit, body)
        } else {
            try encode(batch, rows: 0..<batch.rowCount, admit: admit, body)
        }
    }

    private func encode<Rows: Sequence<Int>>(_ batch: RecordBatch, rows: Rows, admit: (Int, UnsafeRawBufferPointer) -> Bool,
                                             _ body: (UnsafeRawBufferPointer, UnsafeRawBufferPointer) throws -> Void) rethrows {
        var key = MessageBytes(capacity: 256), value = MessageBytes(capacity: 4096)
        defer { key.release(); value.release() }
        try Self.withViews(batch.columns) { views in
            var days = [DayText](repeating: DayText(), count: views.count)
            for i in rows {
                key.count = 0
                writeKey(views, row: i, days: &days, to: &key)
                if !key.withBytes({ admit(i, $0) }) { continue }
                value.count = 0
                writeValue(views, row: i, days: &days, to: &value)
                try key.withBytes { k in try value.withBytes { v in try body(k, v) } }
            }
        }
    }

    /// The rows of `batch` grouped by the partition `partitioner` gives their message keys
    /// (partition 0's rows first; empty keys, left to librdkafka, with partition 0's), each group
    /// in row order — the order for `forEachMessage` that lets librdkafka's broker thread read
    /// each partition's messages from contiguous memory (see `KafkaPartitioner`) — and each
    /// row's partition (-1: an empty key). Kafka orders messages only within a partition, and a
    /// key always maps to the same partition, so no key's messages change order.
    func partitionOrder(of batch: RecordBatch, partitioner: KafkaPartitioner, partitionCount: Int32) -> PartitionOrder {
        let n = batch.rowCount
        guard n > 0 else { return PartitionOrder(rows: [], partitions: []) }
        var partitions = [Int32](repeating: 0, count: n)
        var starts = [Int](repeating: 0, count: Int(partitionCount) + 1)
        var key = MessageBytes(capacity: 256)
        defer { key.release() }
        Self.withViews(batch.columns) { views in
            var days = [DayText](repeating: DayText(), count: views.count)
            for i in 0..<n {
                key.count = 0
                writeKey(views, row: i, days: &days, to: &key)
                let p = key.withBytes { partitioner.partition(ofKey: $0, partitionCount: partitionCount) }
                partitions[i] = p ?? -1
                starts[Int(p ?? 0) + 1] += 1
            }
        }
        for p in 0..<Int(partitionCount) { starts[p + 1] += starts[p] }
        var order = [Int](repeating: 0, count: n)
        for i in 0..<n {
            let p = Int(max(0, partitions[i]))
            order[starts[p]] = i
            starts[p] += 1
        }
        return PartitionOrder(rows: order, partitions: partitions)
    }

    /// Appends the message key of row `i` (the batch's first `keyCount` columns are the keys).
    func appendKey(_ batch: RecordBatch, row i: Int, to out: inout [UInt8]) {
        appendOne(batch, row: i, capacity: 64, to: &out, writeKey)
    }

    /// Appends the JSON object of row `i`.
    func appendValue(_ batch: RecordBatch, row i: Int, to out: inout [UInt8]) {
        appendOne(batch, row: i, capacity: 256, to: &out, writeValue)
    }

    /// One row through `write` into a fresh buffer, appended to `out`: the per-row form of
    /// `forEachMessage`, for tests and callers outside the produce loop.
    private func appendOne(
        _ batch: RecordBatch, row i: Int, capacity: Int, to out: inout [UInt8],
        _ write: ([ColumnView], Int, inout [DayText], inout MessageBytes) -> Void
    ) {
        var bytes = MessageBytes(capacity: capacity)
        defer { bytes.release() }
        Self.withViews(batch.columns) { views in
            var days = [DayText](repeating: DayText(), count: views.count)
            write(views, i, &days, &bytes)
        }
        bytes.withBytes { out.append(contentsOf: $0) }
    }

    private func writeKey(_ views: [ColumnView], row i: Int, days: inout [DayText], to out: inout MessageBytes) {
        if keyCount == 1 {
            let v = views[0]
            if v.kind == .string, !v.isNull(i) {
                let lo = v.offsets![i], hi = v.offsets![i + 1]
                out.write(v.bytes! + lo, hi - lo)
            } else {
                Self.writeJSON(v, row: i, day: &days[0], to: &out)
            }
            return
        }
        out.write(UInt8(ascii: "["))
        for k in 0..<keyCount {
            if k > 0 { out.write(UInt8(ascii: ",")) }
            Self.writeJSON(views[k], row: i, day: &days[k], to: &out)
        }
        out.write(UInt8(ascii: "]"))
    }

    private func writeValue(_ views: [ColumnView], row i: Int, days: inout [DayText], to out: inout MessageBytes) {
        if views.isEmpty { out.write(UInt8(ascii: "{")); out.write(UInt8(ascii: "}")); return }
        fieldPrefixes.withUnsafeBufferPointer { prefixes in
            for c in 0..<views.count {
                prefixes[c].withUnsafeBufferPointer { out.write($0.baseAddress!, $0.count) }
                Self.writeJSON(views[c], row: i, day: &days[c], to: &out)
            }
        }
        out.write(UInt8(ascii: "}"))
    }

    /// One value as JSON, spelled as `KafkaTarget.json` then `JSONValue.write` spell it.
    private static func writeJSON(_ v: ColumnView, row i: Int, day: inout DayText, to out: inout MessageBytes) {
        if v.isNull(i) { out.write(literal: "null"); return }
        switch v.kind {
        case .boolean: v.values.load(fromByteOffset: i, as: Bool.self) ? out.write(literal: "true") : out.write(literal: "false")
        case .int32: out.writeDecimal(Int64(v.values.load(fromByteOffset: i * 4, as: Int32.self)))
        case .date:
            out.write(UInt8(ascii: "\""))
            out.writeDate(days: v.values.load(fromByteOffset: i * 4, as: Int32.self))
            out.write(UInt8(ascii: "\""))
        case .int64: out.writeDecimal(v.values.load(fromByteOffset: i * 8, as: Int64.self))
        case .timestamp:
            out.write(UInt8(ascii: "\""))
            out.writeISO8601(micros: v.values.load(fromByteOffset: i * 8, as: Int64.self), day: &day)
            out.write(UInt8(ascii: "\""))
        case .double:
            let d = v.values.load(fromByteOffset: i * 8, as: Double.self)
            if !d.isFinite {
                out.write(literal: "null")
            } else if d == d.rounded(), abs(d) < 1e15 {
                out.writeDecimal(Int64(d))
                out.write(UInt8(ascii: ".")); out.write(UInt8(ascii: "0"))
            } else {
                out.writeShortest(d)
            }
        case .string:
            let lo = v.offsets![i], hi = v.offsets![i + 1]
            out.writeJSONString(v.bytes! + lo, hi - lo)
        }
    }

    /// A JSON string of UTF-8 bytes: quote, backslash and control characters escaped as
    /// `JSONValue.writeString` escapes them; every other byte (UTF-8 sequences included) as is.
    static func appendJSONString<S: Sequence>(_ bytes: S, to out: inout [UInt8]) where S.Element == UInt8 {
        out.append(UInt8(ascii: "\""))
        for b in bytes {
            switch b {
            case UInt8(ascii: "\""): out.append(UInt8(ascii: "\\")); out.append(b)
            case UInt8(ascii: "\\"): out.append(UInt8(ascii: "\\")); out.append(b)
            case 10: out.append(UInt8(ascii: "\\")); out.append(UInt8(ascii: "n"))
            case 13: out.append(UInt8(ascii: "\\")); out.append(UInt8(ascii: "r"))
            case 9: out.append(UInt8(ascii: "\\")); out.append(UInt8(ascii: "t"))
            case 0..<0x20:
                out.append(contentsOf: "\\u00".utf8)
                let hex = Array("0123456789abcdef".utf8)
                out.append(hex[Int(b >> 4)])
                out.append(hex[Int(b & 15)])
            default: out.append(b)
            }
        }
        out.append(UInt8(ascii: "\""))
    }

    /// Calls `body` with a view of every column, each column's storage pinned for the call
    /// (one `withUnsafeBufferPointer` per array, nested by recursion over the columns).
    static func withViews<R>(_ columns: [Column], _ body: ([ColumnView]) throws -> R) rethrows -> R {
        var views: [ColumnView] = []
        views.reserveCapacity(columns.count)
        return try pin(columns, 0, &views, body)
    }

    private static func pin<R>(_ columns: [Column], _ c: Int, _ views: inout [ColumnView], _ body: ([ColumnView]) throws -> R) rethrows -> R {
        guard c < columns.count else { return try body(views) }
        let column = columns[c]
        return try withValidity(column) { validity in
            switch column.values {
            case .boolean(let a):
                return try a.withUnsafeBytes { p in
                    views.append(ColumnView(kind: .boolean, values: p.baseAddress ?? UnsafeRawPointer(bitPattern: 1)!, validity: validity))
                    return try pin(columns, c + 1, &views, body)
                }
            case .int32(let a):
                return try a.withUnsafeBytes { p in
                    views.append(ColumnView(kind: column.type == .date ? .date : .int32, values: p.baseAddress ?? UnsafeRawPointer(bitPattern: 4)!, validity: validity))
                    return try pin(columns, c + 1, &views, body)
                }
            case .int64(let a):
                return try a.withUnsafeBytes { p in
                    views.append(ColumnView(kind: column.type == .timestamp ? .timestamp : .int64, values: p.baseAddress ?? UnsafeRawPointer(bitPattern: 8)!, validity: validity))
                    return try pin(columns, c + 1, &views, body)
                }
            case .double(let a):
                return try a.withUnsafeBytes { p in
                    views.append(ColumnView(kind: .double, values: p.baseAddress ?? UnsafeRawPointer(bitPattern: 8)!, validity: validity))
                    return try pin(columns, c + 1, &views, body)
                }
            case .string(let s):
                return try s.offsets.withUnsafeBufferPointer { offsets in
                    try s.bytes.withUnsafeBufferPointer { bytes in
                        var view = ColumnView(kind: .string, values: UnsafeRawPointer(offsets.baseAddress!), validity: validity)
                        view.offsets = offsets.baseAddress
                        view.bytes = bytes.baseAddress ?? UnsafePointer(bitPattern: 1)!
                        views.append(view)
                        return try pin(columns, c + 1, &views, body)
                    }
                }
            }
        }
    }

    private static func withValidity<R>(_ column: Column, _ body: (UnsafePointer<UInt64>?) throws -> R) rethrows -> R {
        guard column.hasNulls, let validity = column.validity else { return try body(nil) }
        return try validity.words.withUnsafeBufferPointer { try body($0.baseAddress) }
    }
}

/// A chunk's rows in produce order (`rows`, grouped by partition) and each row's partition by
/// row number (`partitions[row]`; -1 where librdkafka's partitioner must choose).
struct PartitionOrder: Equatable {
    var rows: [Int]
    var partitions: [Int32]
}

/// One column of a chunk as the encoder's row loop reads it: raw pointers into the column's
/// arrays, valid only inside `KafkaMessageEncoder.withViews`.
struct ColumnView {
    enum Kind { case boolean, int32, date, int64, timestamp, double, string }
    var kind: Kind
    /// The values (strings: their offsets).
    var values: UnsafeRawPointer
    /// The validity bitmap's words; nil when the column has no NULL.
    var validity: UnsafePointer<UInt64>?
    /// Strings: `count + 1` offsets into `bytes`.
    var offsets: UnsafePointer<Int>? = nil
    var bytes: UnsafePointer<UInt8>? = nil

    init(kind: Kind, values: UnsafeRawPointer, validity: UnsafePointer<UInt64>?) {
        self.kind = kind
        self.values = values
        self.validity = validity
    }

    @inline(__always)
    func isNull(_ i: Int) -> Bool {
        guard let validity else { return false }
        return (validity[i >> 6] >> UInt64(i & 63)) & 1 == 0
    }
}

/// The `YYYY-MM-DD` of the last day a timestamp column wrote (`day` = days since the epoch).
struct DayText {
    var day = Int64.min
    var text: (UInt64, UInt16) = (0, 0)
}
