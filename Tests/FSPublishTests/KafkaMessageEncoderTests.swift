import FSCore
import Testing
@testable import FSPublish

/// The columnar Kafka encoder against the value-at-a-time reference encoding (`KafkaTarget.encodeKey`
/// / `encodeValue`), on rows covering every type and the edge values.
@Suite struct KafkaMessageEncoderTests {
    static let schema = Schema([Field("k", .string), Field("n", .int32), Field("t", .timestamp), Field("x", .double),
                                Field("d", .date), Field("b", .boolean), Field("l", .int64), Field("s\"q", .string)])
    static let rows: [[Value]] = [
        [.string("c1"), .int32(3), .timestamp(1_547_683_200_000_000), .double(1.5), .date(17_913), .boolean(true), .int64(-7), .string("")],
        [.string("é\"\\\n\t\r\u{1}\u{1f}"), .int32(-2), .timestamp(-1), .double(.nan), .date(-1), .boolean(false), .int64(.max), .string("日本")],
        [.string(""), .null, .null, .double(.infinity), .null, .null, .null, .null],
        [.string("x:y"), .int32(0), .timestamp(0), .double(-0.0), .date(0), .boolean(true), .int64(.min), .string("a b")],
        [.string("big"), .int32(1), .timestamp(1), .double(1e15), .date(1), .boolean(false), .int64(0), .string("\u{7f}")],
        [.string("frac"), .int32(1), .timestamp(1), .double(3.0), .date(1), .boolean(false), .int64(0), .string("-")],
        [.string("tiny"), .int32(1), .timestamp(1), .double(-2.5e-300), .date(1), .boolean(false), .int64(0), .string("-")],
    ]

    static var batch: RecordBatch {
        RecordBatch(schema: schema, columns: schema.fields.enumerated().map { c, f in Column(f.type, rows.map { $0[c] }) })
    }

    @Test(arguments: [1, 2, 3])
    func columnarBytesEqualTheValueEncodingForEveryRow(keyCount: Int) {
        let encoder = KafkaMessageEncoder(schema: Self.schema, keyCount: keyCount)
        let batch = Self.batch
        for (i, row) in Self.rows.enumerated() {
            var key: [UInt8] = [], value: [UInt8] = []
            encoder.appendKey(batch, row: i, to: &key)
            encoder.appendValue(batch, row: i, to: &value)
            #expect(String(decoding: key, as: UTF8.self) == KafkaTarget.encodeKey(Array(row[0..<keyCount])), "row \(i)")
            #expect(String(decoding: value, as: UTF8.self) == KafkaTarget.encodeValue(row, schema: Self.schema), "row \(i)")
        }
    }

    @Test func theTimeGuardReadsTheSameTimeFromAColumnAsFromTheMessageItWrote() {
        let batch = Self.batch
        let encoder = KafkaMessageEncoder(schema: Self.schema, keyCount: 1)
        for (c, field) in Self.schema.fields.enumerated() where field.type != .boolean {
            for i in Self.rows.indices {
                var value: [UInt8] = []
                encoder.appendValue(batch, row: i, to: &value)
                let fromMessage = (try? JSONValue.parse(String(decoding: value, as: UTF8.self)))?[field.name]
                    .flatMap { KafkaTimeGuard.Time(json: $0, type: field.type) }
                let fromColumn = KafkaTimeGuard.Time(batch.columns[c], row: i)
                // ±Inf are written as null: the column has a time, the message none (never published as a time).
                if case .double(let v) = batch.columns[c].values, v[i].isInfinite {
                    #expect(fromMessage == nil, "column \(c) row \(i)")
                } else {
                    #expect(fromColumn == fromMessage, "column \(c) row \(i)")
                }
            }
        }
    }

    @Test func aNullSingleStringKeyIsTheJSONNull() {
        let schema = Schema([Field("k", .string)])
        let batch = RecordBatch(schema: schema, columns: [Column(.string, [.null])])
        var key: [UInt8] = []
        KafkaMessageEncoder(schema: schema, keyCount: 1).appendKey(batch, row: 0, to: &key)
        #expect(String(decoding: key, as: UTF8.self) == KafkaTarget.encodeKey([.null]))
    }
}
