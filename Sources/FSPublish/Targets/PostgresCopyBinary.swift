import FSCore

/// A batch in PostgreSQL's binary COPY format (`COPY … FROM STDIN (FORMAT binary)`).
///
/// Why binary: the text format made fs print every timestamp and double as text and the server
/// parse it back — most of both sides' CPU time on a wide numeric table. Binary values are the
/// server's own representation: no formatting here, no parsing there, and doubles (NaN and the
/// infinities included) and microsecond timestamps arrive bit-exact.
///
///     header  "PGCOPY\n\xff\r\n\0", flags Int32 0, extension length Int32 0
///     tuple   Int16 field count, then per field Int32 byte length (-1 = NULL) and the bytes
///     trailer Int16 -1                                   (all integers big-endian)
///
/// Field bytes per column type (the types `SQLColumnType` creates and `PostgresTarget` checks,
/// so the target's columns always match): BIGINT 8 bytes, INTEGER 4, DOUBLE PRECISION the IEEE
/// bits in 8, BOOLEAN 1, TEXT/VARCHAR the UTF-8 bytes, TIMESTAMPTZ microseconds since
/// 2000-01-01 UTC in 8, DATE days since 2000-01-01 in 4.
enum PostgresCopyBinary {
    /// Microseconds and days from the Unix epoch to PostgreSQL's (2000-01-01).
    static let epochMicros: Int64 = 946_684_800_000_000
    static let epochDays: Int32 = 10_957

    static func encode(_ batch: RecordBatch) -> [UInt8] {
        var out: [UInt8] = []
        out.reserveCapacity(19 + batch.rowCount * (2 + batch.columns.count * 14) + 2)
        out.append(contentsOf: [0x50, 0x47, 0x43, 0x4F, 0x50, 0x59, 0x0A, 0xFF, 0x0D, 0x0A, 0x00])  // PGCOPY\n\377\r\n\0
        append32(0, to: &out)
        append32(0, to: &out)
        let fieldCount = UInt16(batch.columns.count)
        for i in 0..<batch.rowCount {
            out.append(UInt8(fieldCount >> 8))
            out.append(UInt8(fieldCount & 0xFF))
            for column in batch.columns {
                if column.isNull(i) { append32(UInt32(bitPattern: -1), to: &out); continue }
                switch column.values {
                case .boolean(let v):
                    append32(1, to: &out)
                    out.append(v[i] ? 1 : 0)
                case .int32(let v):
                    append32(4, to: &out)
                    let x = column.type == .date ? v[i] &- epochDays : v[i]
                    append32(UInt32(bitPattern: x), to: &out)
                case .int64(let v):
                    append32(8, to: &out)
                    let x = column.type == .timestamp ? v[i] &- epochMicros : v[i]
                    append64(UInt64(bitPattern: x), to: &out)
                case .double(let v):
                    append32(8, to: &out)
                    append64(v[i].bitPattern, to: &out)
                case .string(let s):
                    s.withUTF8(i) { bytes in
                        append32(UInt32(bytes.count), to: &out)
                        out.append(contentsOf: bytes)
                    }
                }
            }
        }
        out.append(0xFF)
        out.append(0xFF)
        return out
    }

    @inline(__always)
    private static func append32(_ x: UInt32, to out: inout [UInt8]) {
        out.append(UInt8(x >> 24)); out.append(UInt8((x >> 16) & 0xFF)); out.append(UInt8((x >> 8) & 0xFF)); out.append(UInt8(x & 0xFF))
    }

    @inline(__always)
    private static func append64(_ x: UInt64, to out: inout [UInt8]) {
        append32(UInt32(x >> 32), to: &out)
        append32(UInt32(x & 0xFFFF_FFFF), to: &out)
    }
}
