import FSCore
import FSKafka
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
    /// Timestamps over many days, before the epoch, at day edges and beyond year 9999 (the
    /// encoder keeps each column's last date text: a day change must never reuse it).
    static let times: [Int64] = [
        0, -1, 86_399_999_999, 86_400_000_000, 1_547_683_200_000_000, 1_547_683_200_000_001, 1_547_769_599_999_999,
        1_547_683_200_000_000, -62_167_219_200_000_000, -62_167_219_200_000_001, 253_402_300_799_999_999,
        253_402_300_800_000_000, 1_000_000_000_000_000_000, -1_000_000_000_000_000_000,
    ]

    @Test func everyMessageOfAChunkEqualsTheValueEncodingAndSkippedRowsAreNeverEncoded() {
        let schema = Schema([Field("id", .string), Field("t", .timestamp), Field("u", .timestamp), Field("amount", .double),
                             Field("n", .int64), Field("note", .string)])
        var rows: [[Value]] = []
        for i in 0..<300 {
            let t = Self.times[i % Self.times.count] &+ Int64(i / Self.times.count) * 3_600_000_000
            rows.append([.string("c\(i % 7)"), i % 11 == 0 ? .null : .timestamp(t), .timestamp(t / 2),
                         i % 13 == 0 ? .null : .double(Double(i) * 0.37 - 20), i % 5 == 0 ? .null : .int64(Int64(i) * -123_457),
                         .string(i % 3 == 0 ? "a\"b\\c\n" : "é\(i)")])
        }
        let batch = RecordBatch(schema: schema, columns: schema.fields.enumerated().map { c, f in Column(f.type, rows.map { $0[c] }) })
        let encoder = KafkaMessageEncoder(schema: schema, keyCount: 1)
        var seen: [Int] = [], messages: [(String, String)] = []
        encoder.forEachMessage(in: batch, admit: { i, key in
            #expect(String(decoding: key, as: UTF8.self) == KafkaTarget.encodeKey([rows[i][0]]), "row \(i)")
            seen.append(i)
            return i % 4 != 1
        }) { key, value in
            messages.append((String(decoding: key, as: UTF8.self), String(decoding: value, as: UTF8.self)))
        }
        let admitted = rows.indices.filter { $0 % 4 != 1 }
        #expect(seen == Array(rows.indices))
        #expect(messages.map(\.0) == admitted.map { KafkaTarget.encodeKey([rows[$0][0]]) })
        #expect(messages.map(\.1) == admitted.map { KafkaTarget.encodeValue(rows[$0], schema: schema) })
    }

    @Test func anEmptyChunkEncodesNothing() {
        var calls = 0
        KafkaMessageEncoder(schema: Self.schema, keyCount: 1).forEachMessage(in: RecordBatch.empty(Self.schema), admit: { _, _ in
            calls += 1
            return true
        }) { _, _ in calls += 1 }
        #expect(calls == 0)
    }

    @Test(arguments: [1, 2, 3])
    func thePartitionOrderGroupsRowsByTheirKeysPartitionInRowOrderAndLosesNone(keyCount: Int) throws {
        let partitioner = try #require(KafkaPartitioner(property: nil))
        let schema = Schema([Field("id", .string), Field("n", .int64), Field("t", .timestamp)])
        let rows: [[Value]] = (0..<500).map { i in
            [i % 37 == 0 ? .null : .string("c-\(i * 7919)-é"), .int64(Int64(i % 9)), .timestamp(Int64(i) * 60_000_000)]
        }
        let batch = RecordBatch(schema: schema, columns: schema.fields.enumerated().map { c, f in Column(f.type, rows.map { $0[c] }) })
        let encoder = KafkaMessageEncoder(schema: schema, keyCount: keyCount)
        let computed = encoder.partitionOrder(of: batch, partitioner: partitioner, partitionCount: 4)
        let order = computed.rows
        #expect(order.sorted() == Array(rows.indices))
        let partitions = order.map { i in
            Array(KafkaTarget.encodeKey(Array(rows[i][0..<keyCount])).utf8).withUnsafeBytes { partitioner.partition(ofKey: $0, partitionCount: 4) } ?? -1
        }
        #expect(order.map { computed.partitions[$0] } == partitions, "each row's partition, by row number")
        #expect(partitions.map { max(0, $0) } == partitions.map { max(0, $0) }.sorted(), "partition 0's rows first, then 1's, …")
        #expect(Set(partitions).count == 4)
        for p in Set(partitions) {
            let group = zip(order, partitions).filter { $0.1 == p }.map(\.0)
            #expect(group == group.sorted(), "partition \(p) keeps row order")
        }
        var messages: [String] = []
        encoder.forEachMessage(in: batch, order: order, admit: { _, _ in true }) { key, _ in messages.append(String(decoding: key, as: UTF8.self)) }
        #expect(messages == order.map { KafkaTarget.encodeKey(Array(rows[$0][0..<keyCount])) })
    }

    @Test func oneOrNoPartitionKeepsTheRowOrder() throws {
        let partitioner = try #require(KafkaPartitioner(property: nil))
        let encoder = KafkaMessageEncoder(schema: Self.schema, keyCount: 1)
        let one = encoder.partitionOrder(of: Self.batch, partitioner: partitioner, partitionCount: 1)
        #expect(one.rows == Array(Self.rows.indices))
        #expect(one.partitions.allSatisfy { $0 <= 0 }, "partition 0, or -1 for the empty key of row 2")
        #expect(one.partitions[2] == -1)
        #expect(encoder.partitionOrder(of: RecordBatch.empty(Self.schema), partitioner: partitioner, partitionCount: 4).rows.isEmpty)
    }
}
