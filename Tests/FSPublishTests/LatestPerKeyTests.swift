import FSCore
import Testing
@testable import FSPublish

@Suite struct LatestPerKeyTests {
    static let schema = Schema([Field("k1", .string), Field("k2", .int32), Field("t", .double), Field("v", .int64)])

    /// The reference: a dictionary of Values, first-seen wins on ties, NULL/NaN skipped.
    static func reference(_ rows: [[Value]]) -> [String] {
        var best: [[Value]: [Value]] = [:]
        for r in rows {
            if r[0].isNull || r[1].isNull { continue }
            guard case .double(let t) = r[2], !t.isNaN else { continue }
            let key = [r[0], r[1]]
            if let b = best[key], case .double(let bt) = b[2], bt >= t { continue }
            best[key] = r
        }
        return best.values.map { $0.map(\.description).joined(separator: "|") }.sorted()
    }

    @Test(arguments: [1, 7, 500])
    func compositeKeysManyBatchesAndCompactionEqualTheReference(batchSize: Int) {
        var rng = SplitMix64(seed: 99)
        var rows: [[Value]] = []
        for i in 0..<3000 {
            let k1: Value = rng.next() % 50 == 0 ? .null : .string(["a", "", "ü-é", "a\u{0}b"][Int(rng.next() % 4)])
            let k2: Value = .int32(Int32(rng.next() % 40))
            let t: Value = rng.next() % 60 == 0 ? .null : (rng.next() % 70 == 0 ? .double(.nan) : .double(Double(rng.next() % 30)))
            rows.append([k1, k2, t, .int64(Int64(i))])
        }
        var reducer = LatestPerKey(schema: Self.schema, keyCount: 2)
        for start in stride(from: 0, to: rows.count, by: batchSize) {
            let chunk = Array(rows[start..<min(start + batchSize, rows.count)])
            reducer.add(RecordBatch(schema: Self.schema, columns: (0..<4).map { c in Column(Self.schema.fields[c].type, chunk.map { $0[c] }) }))
        }
        let out = reducer.finish()
        let lines = (0..<out.rowCount).map { out.row($0).map(\.description).joined(separator: "|") }.sorted()
        #expect(lines == Self.reference(rows))
        #expect(reducer.rowsRead == 3000)
        #expect(reducer.nullKeyRows == rows.filter { $0[0].isNull }.count)
        #expect(reducer.nullKeyRows + reducer.nullTimeRows == rows.filter { r in
            r[0].isNull || r[2].isNull || { if case .double(let d) = r[2] { return d.isNaN } else { return false } }()
        }.count)
    }

    @Test(arguments: [1, 7, 500])
    func aSingleStringKeyReadFromTheColumnBytesEqualsTheReference(batchSize: Int) {
        let schema = Schema([Field("k", .string), Field("t", .int64), Field("v", .int64)])
        var rng = SplitMix64(seed: 5)
        var rows: [[Value]] = []
        for i in 0..<3000 {
            let k: Value = rng.next() % 40 == 0 ? .null : .string(["a", "", "ü-é", "a\u{0}b", "b", "ab"][Int(rng.next() % 6)] + String(rng.next() % 50))
            let t: Value = rng.next() % 60 == 0 ? .null : .int64(Int64(rng.next() % 30))
            rows.append([k, t, .int64(Int64(i))])
        }
        var best: [Value: [Value]] = [:]
        for r in rows {
            guard !r[0].isNull, case .int64(let t) = r[1] else { continue }
            if let b = best[r[0]], case .int64(let bt) = b[1], bt >= t { continue }
            best[r[0]] = r
        }
        var reducer = LatestPerKey(schema: schema, keyCount: 1)
        for start in stride(from: 0, to: rows.count, by: batchSize) {
            let chunk = Array(rows[start..<min(start + batchSize, rows.count)])
            reducer.add(RecordBatch(schema: schema, columns: (0..<3).map { c in Column(schema.fields[c].type, chunk.map { $0[c] }) }))
        }
        let out = reducer.finish()
        let lines = (0..<out.rowCount).map { out.row($0).map(\.description).joined(separator: "|") }.sorted()
        #expect(lines == best.values.map { $0.map(\.description).joined(separator: "|") }.sorted())
        #expect(reducer.nullKeyRows == rows.filter { $0[0].isNull }.count)
    }

    @Test(arguments: ["true codes", "all rows one code", "codes shifted by one", "codes past codeCount"])
    func dictionaryCodesOnTheKeyColumnNeverChangeTheResult(_ kind: String) {
        let schema = Schema([Field("k", .string), Field("t", .int64), Field("v", .int64)])
        var rng = SplitMix64(seed: 17)
        var plain = LatestPerKey(schema: schema, keyCount: 1)
        var hinted = LatestPerKey(schema: schema, keyCount: 1)
        for b in 0..<6 {
            var keys: [Value] = [], codes: [UInt32] = [], times: [Value] = [], vs: [Value] = []
            for i in 0..<700 {
                let k = Int(rng.next() % 90)
                keys.append(k == 7 ? .null : .string(k == 8 ? "" : "cliente-\(k)-ção"))
                codes.append(UInt32(k))
                times.append(rng.next() % 50 == 0 ? .null : .int64(Int64(rng.next() % 40)))
                vs.append(.int64(Int64(b * 1000 + i)))
            }
            var keyColumn = Column(.string, keys)
            let hint: DictionaryHint
            switch kind {
            case "true codes": hint = DictionaryHint(codes: codes, codeCount: 90)
            case "all rows one code": hint = DictionaryHint(codes: Array(repeating: 0, count: codes.count), codeCount: 1)
            case "codes shifted by one": hint = DictionaryHint(codes: codes.map { ($0 + 1) % 90 }, codeCount: 90)
            default: hint = DictionaryHint(codes: codes.map { $0 + 500 }, codeCount: 90)
            }
            let columns = [keyColumn, Column(.int64, times), Column(.int64, vs)]
            plain.add(RecordBatch(schema: schema, columns: columns))
            keyColumn.dictionaryHint = hint
            hinted.add(RecordBatch(schema: schema, columns: [keyColumn] + columns.dropFirst()))
        }
        let a = plain.finish(), b = hinted.finish()
        #expect((0..<b.rowCount).map { b.row($0) } == (0..<a.rowCount).map { a.row($0) })
        #expect(hinted.nullKeyRows == plain.nullKeyRows)
        #expect(hinted.nullTimeRows == plain.nullTimeRows)
        #expect(a.rowCount == 89)
    }

    @Test func negativeZeroAndZeroAreOneKeyAndAnEmptyInputGivesNoRows() {
        let s = Schema([Field("k", .double), Field("t", .int64)])
        var r = LatestPerKey(schema: s, keyCount: 1)
        #expect(r.finish().rowCount == 0)
        r.add(RecordBatch(schema: s, columns: [Column(.double, [.double(-0.0), .double(0.0)]), Column(.int64, [.int64(1), .int64(2)])]))
        let out = r.finish()
        #expect(out.rowCount == 1)
        #expect(out.columns[1][0] == .int64(2))
    }

    /// The winners of a batch in row order (every row, or some) skip the sort, and a batch whose
    /// every row won is kept whole; out-of-order winners are sorted: all three give the rows a
    /// value-at-a-time reduction keeps, in first-seen key order.
    @Test(arguments: [
        ["a:1", "b:1", "c:1", "d:1"],          // every row wins, in order
        ["a:1", "a:2", "b:1", "c:5", "c:3"],   // some rows win, in order
        ["a:1", "b:1", "a:2", "c:1", "b:0"],   // winners out of row order
    ])
    func winnersInOrderOutOfOrderOrAllRowsGiveTheReferenceRows(spec: [String]) {
        let schema = Schema([Field("k", .string), Field("t", .int64), Field("v", .int64)])
        let rows: [[Value]] = spec.enumerated().map { i, kt in
            let parts = kt.split(separator: ":")
            return [.string(String(parts[0])), .int64(Int64(parts[1])!), .int64(Int64(i))]
        }
        let batch = RecordBatch(schema: schema, columns: (0..<3).map { c in Column(schema.fields[c].type, rows.map { $0[c] }) })
        var reducer = LatestPerKey(schema: schema, keyCount: 1)
        reducer.add(batch)
        reducer.add(RecordBatch(schema: schema, columns: [Column(.string, [.string("a"), .string("z")]), Column(.int64, [.int64(0), .int64(1)]),
                                                          Column(.int64, [.int64(90), .int64(91)])]))
        let kept = reducer.finish()
        var expected: [String: (t: Int64, v: Int64)] = [:], order: [String] = []
        for (k, t, v) in rows.map({ r -> (String, Int64, Int64) in
            guard case .string(let k) = r[0], case .int64(let t) = r[1], case .int64(let v) = r[2] else { return ("", 0, 0) }
            return (k, t, v)
        }) + [("a", 0, 90), ("z", 1, 91)] {
            if let e = expected[k] { if t > e.t { expected[k] = (t, v) } } else { expected[k] = (t, v); order.append(k) }
        }
        let got = (0..<kept.rowCount).map { kept.row($0).map(\.description).joined(separator: "|") }
        #expect(got == order.map { "\($0)|\(expected[$0]!.t)|\(expected[$0]!.v)" })
    }
}
