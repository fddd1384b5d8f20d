import FSCore
import Testing

@testable import FSParquet

/// `ParquetFileWriter.releaseBuffers`: an open file that must wait for more rows gives back its
/// page buffers and keeps its rows compressed, without changing what the file holds.
@Suite struct WriterReleaseBuffersTests {
    private func tempDir() throws -> String { try FileSystem.makeTemporaryDirectory(prefix: "fs-parquet-release") }

    /// Every column's values, row by row, as written to `path` (as text: NaN equals NaN).
    private func rows(_ path: String) throws -> [[String]] {
        let b = try ParquetFileReader(path: path).readAll()
        return (0..<b.rowCount).map { b.row($0).map(\.description) }
    }

    @Test(arguments: [0, 2])
    func releasingBetweenWritesKeepsEveryRowAndCutsMorePages(compressionWorkers: Int) throws {
        let dir = try tempDir()
        defer { try? FileSystem.removeTree(dir) }
        let batch = everyTypeBatch(rows: 3000)
        var options = ParquetWriterOptions()
        options.compressionWorkers = compressionWorkers
        let whole = try ParquetFileWriter(path: dir + "/whole.parquet", schema: batch.schema, options: options)
        try whole.write(batch)
        let wholeSummary = try whole.finish()
        let released = try ParquetFileWriter(path: dir + "/released.parquet", schema: batch.schema, options: options)
        for start in stride(from: 0, to: 3000, by: 500) {
            try released.write(batch, rows: start..<(start + 500))
            try released.releaseBuffers()
        }
        try released.releaseBuffers()  // nothing open: no empty page
        let releasedSummary = try released.finish()
        #expect(try rows(dir + "/released.parquet") == rows(dir + "/whole.parquet"))
        #expect(releasedSummary.statistics == wholeSummary.statistics)
        #expect(releasedSummary.metadata.rowGroups.count == 1)
        let d = try WriterTestDecoder(try FileSystem.readFile(dir + "/released.parquet"))
        let w = try WriterTestDecoder(try FileSystem.readFile(dir + "/whole.parquet"))
        // The "code" column (REQUIRED strings) fits one page written whole, six when released every 500 rows.
        let dataPages = { (d: WriterTestDecoder) in try d.pages(rowGroup: 0, column: 8).filter { $0.header.type == .dataPage }.count }
        #expect(try dataPages(w) == 1)
        #expect(try dataPages(d) == 6)
    }

    @Test func releasedBuffersHoldLessThanAnOpenPage() throws {
        let dir = try tempDir()
        defer { try? FileSystem.removeTree(dir) }
        // Long repetitive strings: the open page holds them uncompressed, the released file compressed.
        let n = 4000
        let schema = Schema([Field("s", .string, isNullable: false), Field("x", .int64)])
        let batch = RecordBatch(schema: schema, columns: [
            Column(.string, (0..<n).map { .string("event-\($0 % 50)-" + String(repeating: "payload ", count: 40)) }),
            Column(.int64, (0..<n).map { .int64(Int64($0)) }),
        ])
        var options = ParquetWriterOptions()
        options.dictionaryVerdicts = DictionaryVerdicts()
        options.maxDictionaryBytes = 1024  // the strings go PLAIN, as fs-ingest's distinct ones do
        let w = try ParquetFileWriter(path: dir + "/a.parquet", schema: schema, options: options)
        try w.write(batch)
        let open = w.heldBytes
        #expect(open > n * 300, "the open page holds the strings uncompressed (\(open) bytes)")
        try w.releaseBuffers()
        let released = w.heldBytes
        #expect(released < open / 4, "released \(released) of \(open) bytes")
        try w.write(batch, rows: 0..<10)
        #expect(w.heldBytes > released)
        _ = try w.finish()
        #expect(try rows(dir + "/a.parquet").count == n + 10)
    }

    @Test func releasingAFinishedWriterIsAnError() throws {
        let dir = try tempDir()
        defer { try? FileSystem.removeTree(dir) }
        let w = try ParquetFileWriter(path: dir + "/f.parquet", schema: Schema([Field("a", .int32)]))
        _ = try w.finish()
        #expect(throws: ParquetError.self) { try w.releaseBuffers() }
    }
}
