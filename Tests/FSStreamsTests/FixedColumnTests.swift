import FSCore
import Testing
@testable import FSStreams

@Suite struct FixedColumnTests {
    /// The same values through `ColumnBuilder`, the reference the ingest path used before.
    private func reference(_ type: DataType, _ rows: [Int64?]) -> Column {
        var b = ColumnBuilder(type: type)
        for r in rows {
            guard let x = r else { b.appendNull(); continue }
            switch type {
            case .boolean: b.append(x != 0)
            case .double: b.append(Double(x) / 4)
            case .int32: b.append(Int32(x))
            default: b.append(x)
            }
        }
        return b.finish()
    }

    private func fill(_ c: inout FixedColumn, _ rows: [Int64?]) {
        for r in rows {
            guard let x = r else { c.appendNull(); continue }
            switch c.type {
            case .boolean: c.append(x != 0)
            case .double: c.append(Double(x) / 4)
            default: c.append(x)
            }
        }
    }

    @Test(arguments: [DataType.boolean, .int32, .int64, .timestamp, .double], [0, 1, 15, 16, 17, 63, 64, 65, 200])
    func rowsWithANullAtAnyPositionEqualColumnBuilders(type: DataType, nullAt: Int) {
        let rows: [Int64?] = (0..<(nullAt + 70)).map { i in i == nullAt || (i > nullAt && i % 7 == 0) ? nil : Int64(i * 3 - 50) }
        var c = FixedColumn(type: type, capacity: 4)
        fill(&c, rows)
        #expect(c.finish() == reference(type, rows))
        c.release()
    }

    @Test func aColumnWithoutNullsHasNoValidityAndNoRowsIsEmpty() {
        var c = FixedColumn(type: .int64, capacity: 0)
        #expect(c.finish() == Column(type: .int64, values: .int64([])))
        fill(&c, [1, 2, 3])
        #expect(c.finish() == Column(type: .int64, values: .int64([1, 2, 3])))
        c.release()
    }

    @Test func finishEmptiesTheColumnForTheNextBatchWithoutItsNulls() {
        var c = FixedColumn(type: .double, capacity: 2)
        fill(&c, [1, nil, 3, 4, 5])
        _ = c.finish()
        #expect(c.count == 0)
        fill(&c, [7, 8])
        #expect(c.finish() == reference(.double, [7, 8]))
        c.release()
    }

    @Test func aCopyKeepsItsRowsWhenTheOriginalChanges() {
        var a = FixedColumn(type: .int64, capacity: 2)
        fill(&a, [1, nil, 3])
        var b = a.copy()
        fill(&a, Array(repeating: 9, count: 100))
        fill(&b, [4])
        #expect(b.finish() == reference(.int64, [1, nil, 3, 4]))
        #expect(a.finish() == reference(.int64, [1, nil, 3] + Array(repeating: 9, count: 100)))
        a.release()
        b.release()
    }
}
