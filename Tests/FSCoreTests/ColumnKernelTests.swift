import Testing
@testable import FSCore

/// The column kernels moved to FSCore: row order by a column, event time in µs, and the
/// fast gather every `Column.gather` now takes.
@Suite struct ColumnKernelTests {
    @Test func stringsOrderByUTF8BytesWithNullsFirstAndTiesInRowOrder() {
        let values = ["b", "", "prefix-long-common-z", "é", "a", "prefix-long-common-a", "b", "prefix-long-common", "Z"]
        var builder = ColumnBuilder(type: .string)
        for (i, v) in values.enumerated() { if i == 3 { builder.appendNull() } else { builder.append(v) } }
        builder.appendNull()
        let order = builder.finish().ascendingOrder()
        #expect(order == [3, 9, 1, 8, 4, 0, 6, 7, 5, 2])
    }

    @Test func numbersOrderAscendingWithNullsFirstAndStableTies() {
        #expect(Column(type: .int64, values: .int64([5, -1, 5, 0, Int64.min])).ascendingOrder() == [4, 1, 3, 0, 2])
        #expect(Column(type: .int32, values: .int32([2, 1, 2])).ascendingOrder() == [1, 0, 2])
        #expect(Column(type: .boolean, values: .boolean([true, false, true])).ascendingOrder() == [1, 0, 2])
        var d = ColumnBuilder(type: .double)
        d.append(1.5); d.appendNull(); d.append(-0.5); d.append(1.5)
        #expect(d.finish().ascendingOrder() == [1, 2, 0, 3])
        #expect(Column(type: .int64, values: .int64([])).ascendingOrder() == [])
    }

    @Test func eventTimeIsMicrosForTimestampsAndDatesAndNeverInRangeForNullOrOtherTypes() {
        var ts = ColumnBuilder(type: .timestamp)
        ts.append(Int64(1_500)); ts.appendNull(); ts.append(Int64(-7))
        #expect(ts.finish().eventTimeMicros() == [1_500, .min, -7])
        #expect(Column(type: .date, values: .int32([0, 1, -1])).eventTimeMicros() == [0, microsPerDay, -microsPerDay])
        #expect(Column(type: .int64, values: .int64([3])).eventTimeMicros() == [.min])
        #expect(Column(type: .string, values: .string(StringArray(["2019-01-01"]))).eventTimeMicros() == [.min])
    }

    @Test func gatheringAStringColumnKeepsValuesAndNulls() {
        var b = ColumnBuilder(type: .string)
        b.append("x"); b.appendNull(); b.append("ñü"); b.append("")
        let g = b.finish().gather([2, 1, 2, 3, 0])
        #expect((0..<g.count).map { g[$0] } == [.string("ñü"), .null, .string("ñü"), .string(""), .string("x")])
    }
}
