import FSCore
import FSStreams

/// The rows of a quarantine table collected during one micro-batch: fs-ingest's
/// `<data-dir>/quarantine/<stream-type>` and fs-agg-online's `--quarantine-table` (Kafka input)
/// have this one schema, so one query reads both.
///
/// One row per rejected message, with everything needed to replay or diagnose it: the raw key
/// and value (text when valid UTF-8, else base64 with the `_is_base64` flag set), the Kafka
/// coordinates, the reason code and detail, the broker timestamp, and the batch's ingestion
/// time, whose UTC date gives the partitions (a bad message has no trustworthy event time).
struct QuarantineBuffer {
    static let schema = Schema([
        Field("key", .string), Field("key_is_base64", .boolean),
        Field("value", .string), Field("value_is_base64", .boolean),
        Field("fs_topic", .string), Field("fs_partition", .int32), Field("fs_offset", .int64),
        Field("reason", .string), Field("reason_detail", .string),
        Field("kafka_timestamp", .timestamp), Field("fs_ingestion_timestamp", .timestamp),
        Field("fs_year", .int32), Field("fs_month", .int32), Field("fs_day", .int32),
    ])

    static let partitionColumns = ["fs_year", "fs_month", "fs_day"]

    private var key = ColumnBuilder(type: .string), keyIsBase64 = ColumnBuilder(type: .boolean)
    private var value = ColumnBuilder(type: .string), valueIsBase64 = ColumnBuilder(type: .boolean)
    private var topic = ColumnBuilder(type: .string), partition = ColumnBuilder(type: .int32), offset = ColumnBuilder(type: .int64)
    private var reason = ColumnBuilder(type: .string), detail = ColumnBuilder(type: .string)
    private var kafkaTime = ColumnBuilder(type: .timestamp)
    private(set) var rowCount = 0

    mutating func append(key k: UnsafeRawBufferPointer?, value v: UnsafeRawBufferPointer, topic t: String, partition p: Int32, offset o: Int64,
                         timestampMillis: Int64?, reason r: QuarantineReason) {
        if let k {
            let b64 = QuarantineBuffer.appendText(k, to: &key)
            keyIsBase64.append(b64)
        } else {
            key.appendNull()
            keyIsBase64.append(false)
        }
        valueIsBase64.append(QuarantineBuffer.appendText(v, to: &value))
        topic.append(t)
        partition.append(p)
        offset.append(o)
        reason.append(r.code)
        detail.append(r.detail)
        if let ms = timestampMillis { kafkaTime.append(ms * 1000) } else { kafkaTime.appendNull() }
        rowCount += 1
    }

    /// Appends the bytes as text when they are valid UTF-8, else base64; returns true for base64.
    private static func appendText(_ bytes: UnsafeRawBufferPointer, to b: inout ColumnBuilder) -> Bool {
        let isText = String(validating: bytes.bindMemory(to: UInt8.self), as: UTF8.self) != nil
        if isText { b.append(utf8: bytes); return false }
        b.append(base64(bytes))
        return true
    }

    /// The batch to write; the buffer is empty afterwards.
    mutating func finish(ingestionMicros: Int64) -> RecordBatch {
        let f = UTCFields(micros: ingestionMicros)
        let n = rowCount
        let cols: [Column] = [
            key.finish(), keyIsBase64.finish(), value.finish(), valueIsBase64.finish(), topic.finish(), partition.finish(), offset.finish(),
            reason.finish(), detail.finish(), kafkaTime.finish(),
            Column(type: .timestamp, values: .int64([Int64](repeating: ingestionMicros, count: n))),
            Column(type: .int32, values: .int32([Int32](repeating: Int32(truncatingIfNeeded: f.date.year), count: n))),
            Column(type: .int32, values: .int32([Int32](repeating: Int32(f.date.month), count: n))),
            Column(type: .int32, values: .int32([Int32](repeating: Int32(f.date.day), count: n))),
        ]
        self = QuarantineBuffer()
        return RecordBatch(schema: QuarantineBuffer.schema, columns: cols)
    }
}

/// Standard base64 (RFC 4648, with padding) without Foundation.
func base64(_ bytes: UnsafeRawBufferPointer) -> String {
    let alphabet = Array("ABCDEFGHIJKLMNOPQRSTUVWXYZabcdefghijklmnopqrstuvwxyz0123456789+/".utf8)
    var out: [UInt8] = []
    out.reserveCapacity((bytes.count + 2) / 3 * 4)
    var i = 0
    while i + 3 <= bytes.count {
        let n = UInt32(bytes[i]) << 16 | UInt32(bytes[i + 1]) << 8 | UInt32(bytes[i + 2])
        for s in [18, 12, 6, 0] { out.append(alphabet[Int((n >> UInt32(s)) & 63)]) }
        i += 3
    }
    let rest = bytes.count - i
    if rest > 0 {
        var n = UInt32(bytes[i]) << 16
        if rest == 2 { n |= UInt32(bytes[i + 1]) << 8 }
        out.append(alphabet[Int((n >> 18) & 63)])
        out.append(alphabet[Int((n >> 12) & 63)])
        out.append(rest == 2 ? alphabet[Int((n >> 6) & 63)] : UInt8(ascii: "="))
        out.append(UInt8(ascii: "="))
    }
    return String(decoding: out, as: UTF8.self)
}
