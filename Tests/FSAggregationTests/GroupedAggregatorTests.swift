import FSCore
import Testing
@testable import FSAggregation

@Suite("Grouping and the grouped driver")
struct GroupedAggregatorTests {
    @Test("keys get dense ids in first-seen order; NULL, empty and non-ASCII strings are keys too")
    func stringKeysGetDenseIDs() {
        var table = GroupKeyTable(keyType: .string, expectedGroups: 1)
        var ids: [UInt32] = []
        table.groupIDs(for: Column(.string, [.string("b"), .string(""), .null, .string("日本"), .string("b"), .null, .string("")]), into: &ids)
        #expect(ids == [0, 1, 2, 3, 0, 2, 1])
        #expect(table.keyColumn() == Column(.string, [.string("b"), .string(""), .null, .string("日本")]))
    }

    @Test("string keys that share prefixes or differ only in length stay apart, across rehashes and past the slot's length field")
    func stringKeysOfEveryLengthStayApart() {
        var table = GroupKeyTable(keyType: .string, expectedGroups: 1)
        var ids: [UInt32] = []
        // Every length 0...40 of one repeated byte (each a prefix of the next), UUID-like keys
        // differing only in their last byte, and two keys longer than the 24-bit length field.
        let long = String(repeating: "x", count: GroupKeyTable.longKey + 3)
        var keys = (0...40).map { String(repeating: "a", count: $0) }
        keys += (0..<3_000).map { "3f2b9c1e-0000-4000-8000-\(String($0 / 10, radix: 16))-\($0 % 10)" }
        keys += [long, long + "y", String(repeating: "x", count: GroupKeyTable.longKey - 1)]
        let column = Column(.string, (keys + keys.reversed()).map { .string($0) })
        table.groupIDs(for: column, into: &ids)
        #expect(table.groupCount == keys.count)
        #expect(Array(ids[0..<keys.count]) == (0..<keys.count).map { UInt32($0) })
        #expect(Array(ids[keys.count...]) == (0..<keys.count).reversed().map { UInt32($0) })
        #expect(table.keyColumn() == Column(.string, keys.map { .string($0) }))
    }

    @Test("integer keys survive many rehashes")
    func integerKeysSurviveRehash() {
        var table = GroupKeyTable(keyType: .int64, expectedGroups: 1)
        var ids: [UInt32] = []
        let keys = (0..<50_000).map { Int64($0 % 20_000) * -7_919 }
        table.groupIDs(for: Column(type: .int64, values: .int64(keys)), into: &ids)
        #expect(table.groupCount == 20_000)
        #expect(ids[20_000..<40_000].elementsEqual(ids[0..<20_000]))
        #expect(table.keyColumn().int64s == Array(keys[0..<20_000]))
    }

    @Test("merging per-thread tables with different key sets equals one table")
    func mergeOfThreadTablesEqualsOneTable() throws {
        let specs = [AggregateSpec(.sum, [.int64]), AggregateSpec(.count, [.string], isDistinct: true), AggregateSpec(.first, [.int64])]
        var rng = SeededGenerator(seed: 9)
        let n = 2_000
        let keys = Column(type: .int32, values: .int32((0..<n).map { _ in Int32.random(in: 0..<300, using: &rng) }))
        let v = randomColumn(.int64, count: n, rng: &rng)
        let s = randomColumn(.string, count: n, rng: &rng)
        var one = try GroupedAggregator(keyType: .int32, specs: specs)
        one.update(keys: keys, arguments: [[v], [s], [v]])
        var a = try GroupedAggregator(keyType: .int32, specs: specs)
        var b = try GroupedAggregator(keyType: .int32, specs: specs)
        let even = (0..<n).filter { ($0 / 100) % 2 == 0 }, odd = (0..<n).filter { ($0 / 100) % 2 == 1 }
        // Stamps: each part's rows keep their global positions through the selection.
        a.update(keys: keys, arguments: [[v], [s], [v]], selections: specs.map { _ in Validity((0..<n).map { even.contains($0) }) })
        b.update(keys: keys, arguments: [[v], [s], [v]], selections: specs.map { _ in Validity((0..<n).map { odd.contains($0) }) })
        b.merge(a)
        let (k1, r1) = one.finish(), (k2, r2) = b.finish()
        var expected: [Value: [Value]] = [:]
        for g in 0..<k1.count { expected[k1[g]] = r1.map { $0[g] } }
        #expect(k2.count == k1.count)
        for g in 0..<k2.count { #expect(expected[k2[g]] == r2.map { $0[g] }, "key \(k2[g])") }
    }

    @Test("the benchmark's three variants agree on groups and sums")
    func benchmarkVariantsAgree() throws {
        let (keys, amounts) = GroupedAggregationBenchmark.generate(rows: 20_000, distinctKeys: 700)
        let ms = try GroupedAggregationBenchmark.run(keys: keys, amounts: amounts, batchRows: 4_096)
        #expect(ms.count == 3)
        for m in ms {
            #expect(m.groups == 700, "\(m.name)")
            #expect(abs(m.checksum - ms[0].checksum) <= 1e-9 * abs(ms[0].checksum), "\(m.name)")
        }
    }
}

@Suite("Spark semantics of single aggregates")
struct AggregateSemanticsTests {
    func value(_ spec: AggregateSpec, _ column: Column) throws -> Value {
        var a = try makeAccumulator(spec)
        a.update([column])
        return a.finalizeValue()
    }

    @Test("empty input: counts are 0, everything else NULL")
    func emptyInputResults() throws {
        for k in AggregateKind.allCases {
            let types: [DataType] = Array(repeating: k == .countIf || k == .boolAnd || k == .boolOr ? .boolean : .double, count: k.arity)
            let params: [Value] = k == .percentileApprox ? [.double(0.5)] : []
            var a = try makeAccumulator(AggregateSpec(k, types, parameters: params))
            a.resize(groupCount: 1)
            let v = a.finalizeValue()
            if k.isZeroOnEmpty { #expect(v.asInt64 == 0, "\(k)") } else { #expect(v.isNull, "\(k)") }
        }
    }

    @Test("sum of bigint wraps on overflow, as Spark without ANSI")
    func sumWraps() throws {
        #expect(try value(AggregateSpec(.sum, [.int64]), Column(.int64, [.int64(.max), .int64(1)])) == .int64(.min))
    }

    @Test("NaN is the largest double for max and ignored by min; ±0 compare equal")
    func nanOrdering() throws {
        let c = Column(.double, [.double(1), .double(.nan), .double(-3)])
        #expect(try value(AggregateSpec(.max, [.double]), c).asDouble?.isNaN == true)
        #expect(try value(AggregateSpec(.min, [.double]), c) == .double(-3))
        #expect(try value(AggregateSpec(.count, [.double], isDistinct: true), Column(.double, [.double(0.0), .double(-0.0), .double(.nan), .double(.nan)])) == .int64(2))
    }

    @Test("samp statistics of one row are NULL; pop statistics are 0")
    func oneRowStatistics() throws {
        let one = Column(.double, [.double(4)])
        #expect(try value(AggregateSpec(.stddevSamp, [.double]), one) == .null)
        #expect(try value(AggregateSpec(.varPop, [.double]), one) == .double(0))
        #expect(try value(AggregateSpec(.skewness, [.double]), one) == .null)
    }

    @Test("strings order by UTF-8 bytes, not by Unicode collation")
    func stringsOrderByBytes() throws {
        let c = Column(.string, [.string("z"), .string("é"), .string("Z"), .string("")])
        #expect(try value(AggregateSpec(.max, [.string]), c) == .string("é"))
        #expect(try value(AggregateSpec(.min, [.string]), c) == .string(""))
    }

    @Test("XXH64 matches the reference vectors")
    func xxh64Vectors() {
        #expect(XXH64.hash([], seed: 0) == 0xEF46_DB37_51D8_E999)
        #expect(XXH64.hash(Array("a".utf8), seed: 0) == 0xD24E_C4F1_A98C_6E5B)
        #expect(XXH64.hash(Array("abc".utf8), seed: 0) == 0x44BC_2CF5_AD77_0999)
    }
}

@Suite("Grouped state checkpoints")
struct GroupedSerializationTests {
    @Test("a grouped table round-trips and keeps accumulating like the original", arguments: [DataType.string, .int64, .int32])
    func groupedTableRoundTrips(_ keyType: DataType) throws {
        let specs = lawCases.map(\.spec).filter { $0.kind != .countStar }.prefix(40).map { $0 }
        var rng = SeededGenerator(seed: 77)
        func batch(_ n: Int) -> (Column, [[Column]]) {
            let keys = randomColumn(keyType, count: n, rng: &rng, nullRate: 0.1)
            let args = specs.map { s in s.argumentTypes.map { randomColumn($0, count: n, rng: &rng) } }
            return (keys, args)
        }
        var a = try GroupedAggregator(keyType: keyType, specs: specs)
        let (k1, a1) = batch(300)
        a.update(keys: k1, arguments: a1)
        let bytes = a.serialize()
        var b = try GroupedAggregator(deserializing: bytes, keyType: keyType, specs: specs)
        #expect(b.serialize() == bytes)
        #expect(b.rowsSeen == a.rowsSeen)
        let (k2, a2) = batch(200)
        a.update(keys: k2, arguments: a2)
        b.update(keys: k2, arguments: a2)
        let (ka, ra) = a.finish(), (kb, rb) = b.finish()
        #expect(ka == kb)
        for (x, y) in zip(ra, rb) { #expect(columnsMatch(x, y, relative: 0)) }
    }

    @Test("a truncated grouped checkpoint is a decoding error")
    func truncatedGroupedCheckpointThrows() throws {
        let specs = [AggregateSpec(.sum, [.int64]), AggregateSpec(.max, [.string])]
        var a = try GroupedAggregator(keyType: .string, specs: specs)
        a.update(keys: Column(.string, [.string("x"), .string("y")]),
                 arguments: [[Column(.int64, [.int64(1), .int64(2)])], [Column(.string, [.string("p"), .null])]])
        let bytes = a.serialize()
        for cut in [0, 5, bytes.count / 2, bytes.count - 1] {
            #expect(throws: StateDecodingError.self) {
                try GroupedAggregator(deserializing: Array(bytes.prefix(cut)), keyType: .string, specs: specs)
            }
        }
    }
}
