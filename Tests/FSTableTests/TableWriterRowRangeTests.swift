import FSCore
import Testing
@testable import FSTable

/// `TableWriter.write(_:rows:partition:)`, the path for writers that know each run's
/// partition, and the splitter's single-partition shortcut.
@Suite struct TableWriterRowRangeTests {
    /// `ordersBatch` without its partition columns (the table's data columns).
    static func dataBatch(ids: Range<Int>) -> RecordBatch {
        let b = ordersBatch(ids: ids)
        return RecordBatch(schema: Schema(Array(ordersSchema.fields.prefix(3))), columns: Array(b.columns.prefix(3)))
    }

    @Test func rowRangesWrittenIntoKnownPartitionsReadBackAsThoseRowsWithThosePartitionValues() throws {
        let dir = try ScratchDirectory()
        let t = try DeltaTable.create(at: dir.path, schema: ordersSchema, partitionColumns: ymd)
        let w = try TableWriter(table: t)
        let batch = Self.dataBatch(ids: 0..<100)
        try w.write(batch, rows: 10..<40, partition: [.int32(2019), .int32(3), .int32(7)])
        try w.write(batch, rows: 40..<41, partition: [.int32(2019), .int32(3), .int32(8)])
        try w.write(batch, rows: 41..<41, partition: [.int32(2020), .int32(1), .int32(1)])  // empty: no partition
        try w.write(batch, rows: 90..<100, partition: [.int32(2019), .int32(3), .int32(7)])
        #expect(try w.commit().version == 1)
        let s = try t.snapshot()
        #expect(s.sortedFiles.map(\.path).map { $0.split(separator: "/").dropLast().joined(separator: "/") }
            == ["fs_year=2019/fs_month=3/fs_day=7", "fs_year=2019/fs_month=3/fs_day=8"])
        let all = try scanAll(t)
        #expect(sortedIDs(all) == (10..<41).map(Int64.init) + (90..<100).map(Int64.init))
        let full = ordersBatch(ids: 0..<100)
        for r in 0..<all.rowCount {
            let row = all.row(r)
            guard let id = all.column(named: "id")?.int64s?[r] else { Issue.record("no id"); continue }
            let expected = full.row(Int(id))
            #expect(Array(row.prefix(3)) == Array(expected.prefix(3)))
            #expect(Array(row.suffix(3)) == [.int32(2019), .int32(3), .int32(id == 40 ? 8 : 7)])
        }
    }

    @Test func aRowRangeWriteRejectsWrongColumnsValuesAndRanges() throws {
        let dir = try ScratchDirectory()
        let t = try DeltaTable.create(at: dir.path, schema: ordersSchema, partitionColumns: ymd)
        let w = try TableWriter(table: t)
        let day: [Value] = [.int32(2019), .int32(3), .int32(7)]
        #expect(throws: TableError.self) { try w.write(ordersBatch(ids: 0..<3), rows: 0..<3, partition: day) }
        #expect(throws: TableError.self) { try w.write(Self.dataBatch(ids: 0..<3), rows: 0..<4, partition: day) }
        #expect(throws: TableError.self) { try w.write(Self.dataBatch(ids: 0..<3), rows: 0..<3, partition: [.int32(2019), .int32(3)]) }
        #expect(throws: TableError.self) { try w.write(Self.dataBatch(ids: 0..<3), rows: 0..<3, partition: [.int32(2019), .string("3"), .int32(7)]) }
        #expect(w.pendingRows == 0)
        // A null partition value is allowed (Hive's default partition).
        try w.write(Self.dataBatch(ids: 0..<3), rows: 0..<3, partition: [.int32(2019), .null, .int32(7)])
        try w.commit()
        #expect(try t.snapshot().sortedFiles.first?.partitionValues["fs_month"] == .some(nil))
    }

    @Test(arguments: [
        (Column(type: .int32, values: .int32([])), true),
        (Column(type: .int32, values: .int32([7])), true),
        (Column(type: .int32, values: .int32([7, 7, 7])), true),
        (Column(type: .int32, values: .int32([7, 7, 8])), false),
        (Column(type: .double, values: .double([0.0, -0.0])), false),
        (Column(type: .double, values: .double([.nan, .nan])), true),
        (Column(type: .string, values: .string(StringArray(["név", "név"]))), true),
        (Column(type: .string, values: .string(StringArray(["", ""]))), false),
        (Column(type: .string, values: .string(StringArray(["a", "ab"]))), false),
        (Column(type: .int64, values: .int64([1, 1]), validity: Validity([true, false])), false),
    ])
    func aColumnIsConstantOnlyWhenEveryRowHoldsTheSameNonNullValue(column: Column, expected: Bool) {
        #expect(PartitionSplitter.isConstant(column) == expected)
    }

    @Test func aSinglePartitionBatchSplitsIntoOneSliceOfAllItsRows() throws {
        let splitter = try PartitionSplitter(tableSchema: ordersSchema, partitionColumns: ymd)
        let batch = ordersBatch(ids: 0..<50, days: [(2019, 12, 31)])
        let slices = try splitter.split(batch)
        #expect(slices.count == 1)
        #expect(slices.first?.directory == "fs_year=2019/fs_month=12/fs_day=31")
        #expect(slices.first?.batch.rowCount == 50)
        #expect(slices.first?.values == [.int32(2019), .int32(12), .int32(31)])
    }
}
