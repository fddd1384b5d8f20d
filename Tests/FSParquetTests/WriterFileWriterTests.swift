import FSCore
import Testing

@testable import FSParquet

@Suite struct WriterFileWriterTests {
    private func tempDir() throws -> String { try FileSystem.makeTemporaryDirectory(prefix: "fs-parquet-writer") }

    @Test func streamedBatchesMakeOneFileWithASummary() throws {
        let dir = try tempDir()
        defer { try? FileSystem.removeTree(dir) }
        let path = dir + "/a.parquet"
        let batch = everyTypeBatch(rows: 1000)
        let w = try ParquetFileWriter(path: path, schema: batch.schema)
        try w.write(batch)
        try w.write(RecordBatch.empty(batch.schema))
        try w.write(batch.gather([5, 6]))
        let summary = try w.finish()
        let bytes = try FileSystem.readFile(path)
        #expect(summary.sizeBytes == Int64(bytes.count))
        #expect(summary.rowCount == 1002)
        #expect(summary.path == path)
        let d = try WriterTestDecoder(bytes)
        #expect(d.metadata == summary.metadata)
        #expect(try d.values(column: 2, type: .int64).count == 1002)
        // Whole-file statistics agree with the data.
        #expect(summary.statistics[2].min == .int64(0))
        #expect(summary.statistics[2].max == .int64(999 * 1_000_000_007))
        #expect(summary.statistics[7] == ColumnStatistics(nullCount: 1002))
        #expect(summary.statistics[3].nanCount == 100)
    }

    @Test func fileStatisticsMergeRowGroupStatistics() throws {
        let dir = try tempDir()
        defer { try? FileSystem.removeTree(dir) }
        let batch = everyTypeBatch(rows: 6000)
        var options = ParquetWriterOptions()
        options.rowGroupBytes = 30_000
        options.maxPageRows = 500
        let w = try ParquetFileWriter(path: dir + "/g.parquet", schema: batch.schema, options: options)
        try w.write(batch)
        let summary = try w.finish()
        #expect(summary.metadata.rowGroups.count > 1)
        for (c, field) in batch.schema.fields.enumerated() {
            let values = (0..<batch.rowCount).map { batch.columns[c][$0] }
            let nulls = values.filter(\.isNull).count
            #expect(summary.statistics[c].nullCount == Int64(nulls), "\(field.name)")
            let perGroup = summary.metadata.rowGroups.compactMap { ColumnStatistics($0.columns[c].metaData!.statistics!, type: field.type) }
            #expect(perGroup.reduce(0) { $0 + $1.nullCount } == Int64(nulls))
        }
        #expect(summary.statistics[4].min == .string(""))
        #expect(summary.statistics[4].max == .string("東京9"))
    }

    @Test func existingFilesAreNeverOverwritten() throws {
        let dir = try tempDir()
        defer { try? FileSystem.removeTree(dir) }
        let path = dir + "/x.parquet"
        try FileSystem.writeNewFile(path, [1, 2, 3])
        #expect(throws: ParquetError.self) { try ParquetFileWriter(path: path, schema: Schema([Field("a", .int32)])) }
        #expect(try FileSystem.readFile(path) == [1, 2, 3])
    }

    @Test func abortAndDroppingUnfinishedWritersRemoveTheFile() throws {
        let dir = try tempDir()
        defer { try? FileSystem.removeTree(dir) }
        let batch = everyTypeBatch(rows: 10)
        let w = try ParquetFileWriter(path: dir + "/aborted.parquet", schema: batch.schema)
        try w.write(batch)
        w.abort()
        w.abort()
        #expect(!FileSystem.exists(dir + "/aborted.parquet"))
        #expect(throws: ParquetError.self) { try w.write(batch) }
        #expect(throws: ParquetError.self) { try w.finish() }
        do {
            let dropped = try ParquetFileWriter(path: dir + "/dropped.parquet", schema: batch.schema)
            try dropped.write(batch)
        }
        #expect(!FileSystem.exists(dir + "/dropped.parquet"))
    }

    @Test func rejectedBatchesLeaveTheWriterUsable() throws {
        let dir = try tempDir()
        defer { try? FileSystem.removeTree(dir) }
        let schema = Schema([Field("id", .int64, isNullable: false)])
        let w = try ParquetFileWriter(path: dir + "/r.parquet", schema: schema)
        let withNull = RecordBatch(schema: schema, columns: [Column(.int64, [.int64(1), .null])])
        #expect(throws: ParquetError.self) { try w.write(withNull) }
        let other = RecordBatch(schema: Schema([Field("id", .int32)]), columns: [Column(.int32, [.int32(1)])])
        #expect(throws: ParquetError.self) { try w.write(other) }
        try w.write(RecordBatch(schema: schema, columns: [Column(.int64, [.int64(7)])]))
        let summary = try w.finish()
        #expect(summary.rowCount == 1)
    }

    @Test func duplicateColumnNamesAreRejected() throws {
        let dir = try tempDir()
        defer { try? FileSystem.removeTree(dir) }
        #expect(throws: ParquetError.self) {
            try ParquetFileWriter(path: dir + "/d.parquet", schema: Schema([Field("a", .int32), Field("a", .int64)]))
        }
        #expect(!FileSystem.exists(dir + "/d.parquet"))
    }
}
