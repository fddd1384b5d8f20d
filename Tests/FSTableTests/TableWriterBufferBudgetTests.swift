import FSCore
import FSParquet
import Testing
@testable import FSTable

/// `TableWriterOptions.maxBufferedBytes`: a write spanning many partitions keeps its memory
/// bounded by compressing open pages first and finishing open files early only when that is
/// not enough, and the result is still one atomic commit.
@Suite struct TableWriterBufferBudgetTests {
    /// Twelve days, so one batch touches twelve partitions.
    static let days: [(Int32, Int32, Int32)] = (1...12).map { (2019, 3, Int32($0)) }

    /// A fresh table and a writer under `budget` (nil: none) that has written the four test
    /// batches (480 rows over the twelve days), checking the budget after each write. The
    /// scratch directory is returned so that it lives as long as the caller needs the table.
    private func fourBatchesWritten(budget: Int?) throws -> (ScratchDirectory, DeltaTable, TableWriter) {
        let dir = try ScratchDirectory()
        let t = try DeltaTable.create(at: dir.path, schema: ordersSchema, partitionColumns: ymd)
        var o = TableWriterOptions()
        o.maxBufferedBytes = budget
        let w = try TableWriter(table: t, options: o)
        for k in 0..<4 {
            try w.write(ordersBatch(ids: (k * 120)..<(k * 120 + 120), days: Self.days))
            if let budget { #expect(w.bufferedBytes <= budget) }
        }
        return (dir, t, w)
    }

    /// `bufferedBytes` after writing the four test batches with no budget (every file open and
    /// unreleased), and what one partition's file holds after `releaseBuffers`.
    private func heldWithoutABudget() throws -> (total: Int, releasedFile: Int) {
        let (dir, _, w) = try fourBatchesWritten(budget: nil)
        let file = try ParquetFileWriter(path: dir.path + "/one.parquet", schema: w.dataSchema)
        let oneDay = ordersBatch(ids: 0..<480, days: Self.days).gather((0..<40).map { $0 * 12 })
        let columns = w.dataSchema.fields.compactMap { oneDay.column(named: $0.name) }
        try #require(columns.count == w.dataSchema.count)
        try file.write(RecordBatch(schema: w.dataSchema, columns: columns))
        try file.releaseBuffers()
        defer { file.abort() }
        return (w.bufferedBytes, file.heldBytes)
    }

    @Test func aBudgetThatHoldsTheCompressedFilesKeepsOneFilePerPartition() throws {
        let (unreleased, releasedFile) = try heldWithoutABudget()
        let budget = 12 * releasedFile * 3 / 2
        try #require(budget < unreleased, "the budget must be too small for the open pages (\(budget) of \(unreleased) bytes)")
        let (dir, t, w) = try fourBatchesWritten(budget: budget)
        defer { withExtendedLifetime(dir) {} }
        try w.commit()
        let s = try t.snapshot()
        #expect(s.files.count == 12)
        let all = try scanAll(t)
        let input = ordersBatch(ids: 0..<480, days: Self.days)
        let byID = Dictionary(uniqueKeysWithValues: (0..<all.rowCount).map { (all.column(named: "id")?.int64s?[$0] ?? -1, all.row($0)) })
        #expect(byID.count == 480)
        for i in 0..<input.rowCount { #expect(byID[Int64(i)] == input.row(i)) }
    }

    @Test func manyPartitionsUnderATinyBudgetGiveSeveralFilesPerPartitionInOneCommit() throws {
        let budget = 1
        let (dir, t, w) = try fourBatchesWritten(budget: budget)
        defer { withExtendedLifetime(dir) {} }
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
        let (dir, t, w) = try fourBatchesWritten(budget: nil)
        defer { withExtendedLifetime(dir) {} }
        #expect(w.bufferedBytes > 0)
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
}
