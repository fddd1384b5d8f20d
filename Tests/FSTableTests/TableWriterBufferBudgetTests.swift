import FSCore
import FSParquet
import Testing
@testable import FSTable

/// `TableWriterOptions.maxBufferedBytes`: a write spanning many partitions keeps its memory
/// bounded by finishing open files early, and the result is still one atomic commit.
@Suite struct TableWriterBufferBudgetTests {
    /// Twelve days, so one batch touches twelve partitions.
    static let days: [(Int32, Int32, Int32)] = (1...12).map { (2019, 3, Int32($0)) }
    static let perFile = 3 * TableWriter.perColumnBufferBytes  // the data columns: id, amount, name

    @Test(arguments: [1, 5 * perFile])
    func manyPartitionsUnderASmallBudgetGiveSeveralFilesPerPartitionInOneCommit(budget: Int) throws {
        let dir = try ScratchDirectory()
        let t = try DeltaTable.create(at: dir.path, schema: ordersSchema, partitionColumns: ymd)
        var o = TableWriterOptions()
        o.maxBufferedBytes = budget
        let w = try TableWriter(table: t, options: o)
        for k in 0..<4 {
            try w.write(ordersBatch(ids: (k * 120)..<(k * 120 + 120), days: Self.days))
            #expect(w.bufferedBytes <= budget)
        }
        #expect(w.pendingRows == 480)
        let r = try w.commit()
        #expect(r.version == 1)
        let s = try t.snapshot()
        #expect(s.version == 1)
        let byPartition = Dictionary(grouping: s.sortedFiles) { $0.partitionValues["fs_day"] ?? "?" }
        #expect(byPartition.count == 12)
        for (day, files) in byPartition {
            #expect(files.count > 1, "partition fs_day=\(day) has \(files.count) file(s)")
            let rows = try files.reduce(Int64(0)) { $0 + (try ParquetFileReader(path: s.absolutePath($1.path)).metadata.numRows) }
            #expect(rows == 40, "partition fs_day=\(day)")
        }
        #expect(try FileSystem.listDirectory(t.log.stagingDirectory).isEmpty)
        let all = try scanAll(t)
        #expect(sortedIDs(all) == (0..<480).map(Int64.init))
        let input = ordersBatch(ids: 0..<480, days: Self.days)
        let byID = Dictionary(uniqueKeysWithValues: (0..<all.rowCount).map { (all.column(named: "id")?.int64s?[$0] ?? -1, all.row($0)) })
        for i in 0..<input.rowCount { #expect(byID[Int64(i)] == input.row(i)) }
    }

    @Test func withoutABudgetEachPartitionGetsOneFile() throws {
        let dir = try ScratchDirectory()
        let t = try DeltaTable.create(at: dir.path, schema: ordersSchema, partitionColumns: ymd)
        var o = TableWriterOptions()
        o.maxBufferedBytes = nil
        let w = try TableWriter(table: t, options: o)
        for k in 0..<4 { try w.write(ordersBatch(ids: (k * 120)..<(k * 120 + 120), days: Self.days)) }
        #expect(w.bufferedBytes >= 12 * Self.perFile)
        try w.commit()
        #expect(w.bufferedBytes == 0)
        #expect(try t.snapshot().files.count == 12)
        #expect(try scanAll(t).rowCount == 480)
    }

    @Test func abortingUnderABudgetRemovesTheFilesAlreadyFinished() throws {
        let dir = try ScratchDirectory()
        let t = try DeltaTable.create(at: dir.path, schema: ordersSchema, partitionColumns: ymd)
        var o = TableWriterOptions()
        o.maxBufferedBytes = 1
        let w = try TableWriter(table: t, options: o)
        try w.write(ordersBatch(ids: 0..<120, days: Self.days))
        #expect(try !FileSystem.listDirectory(t.log.stagingDirectory).isEmpty)
        w.abort()
        #expect(w.bufferedBytes == 0)
        #expect(try FileSystem.listDirectory(t.log.stagingDirectory).isEmpty)
        #expect(try t.snapshot().files.isEmpty)
    }

    @Test func slicesBuiltOneAtATimeEqualTheSplitOnesInOrder() throws {
        let splitter = try PartitionSplitter(tableSchema: ordersSchema, partitionColumns: ymd)
        for batch in [ordersBatch(ids: 0..<97, days: Self.days.reversed()), ordersBatch(ids: 0..<1, days: Self.days), RecordBatch.empty(ordersSchema)] {
            let eager = try splitter.split(batch)
            var lazy: [PartitionSlice] = []
            try splitter.forEachSlice(batch) { lazy.append($0) }
            #expect(lazy.map(\.directory) == eager.map(\.directory))
            #expect(lazy.map(\.values) == eager.map(\.values))
            #expect(lazy.map { (0..<$0.batch.rowCount).map($0.batch.row) } == eager.map { (0..<$0.batch.rowCount).map($0.batch.row) })
        }
    }

    @Test func aBatchsEstimateCountsValuesStringsAndBitmaps() {
        let b = RecordBatch(schema: Schema([Field("a", .int64), Field("s", .string), Field("d", .double)]), columns: [
            Column(.int64, [.int64(1), .null]),
            Column(.string, [.string("é"), .string("")]),
            Column(.double, [.double(.nan), .double(-0.0)]),
        ])
        // int64: 16 + bitmap 1; string: 2 UTF-8 bytes + 3 offsets; double: 16.
        #expect(b.estimatedMemoryBytes == 16 + 1 + 2 + 3 * MemoryLayout<Int>.size + 16)
        #expect(RecordBatch(schema: Schema([Field("a", .int64)]), columns: [Column(.int64, [])]).estimatedMemoryBytes == 0)
    }
}
