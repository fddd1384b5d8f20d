import FSCore
import Testing

@testable import FSParquet

/// `IndexPageMemo`: a column whose index page equals the previous column's copies its bytes,
/// and only then.
@Suite struct IndexPageMemoTests {
    @Test func aMemoAnswersOnlyForTheSameIndicesWidthAndKind() {
        let memo = IndexPageMemo()
        let encoded = ByteSink()
        encoded.append(UInt8(9))
        let values: [UInt32] = [1, 2, 3, 4, 5, 6, 7, 8, 9], counts: [UInt32] = [3, 1, 12, 1, 1, 1, 1, 9, 2]
        values.withUnsafeBufferPointer { RleBitPackedEncoder.encode($0, bitWidth: 4, into: encoded) }
        memo.store(width: 4, values: values, counts: nil, from: encoded, start: 1)
        let out = ByteSink()
        #expect(memo.append(width: 4, values: values, counts: nil, into: out))
        #expect(out.toArray() == Array(encoded.toArray().dropFirst()))
        #expect(!memo.append(width: 5, values: values, counts: nil, into: out), "another width")
        #expect(!memo.append(width: 4, values: values, counts: counts, into: out), "runs, not rows")
        #expect(!memo.append(width: 4, values: values.dropLast() + [10], counts: nil, into: out), "other indices")
        #expect(!memo.append(width: 4, values: Array(values.dropLast()), counts: nil, into: out), "fewer indices")
        #expect(out.count == encoded.count - 1, "a miss appends nothing")
    }

    /// Columns whose run indices agree get the same index bytes; one with a NULL run (other indices)
    /// must miss the memo, and every column reads back.
    @Test func repeatedColumnsWithEqualIndexRunsShareTheirIndexBytesAndReadBack() throws {
        let schema = Schema([Field("a", .double), Field("b", .int64), Field("c", .double)])
        var lengths: [Int32] = [], a: [Value] = [], b: [Value] = [], c: [Value] = []
        for r in 0..<500 {
            lengths.append(Int32(1 + r % 11))
            a.append(.double(Double(r) / 3))
            b.append(.int64(Int64(r * 7)))
            c.append(r == 17 ? .null : .double(Double(r)))
        }
        let batch = RunBatch(schema: schema, runLengths: lengths,
                             columns: [.repeated(Column(.double, a)), .repeated(Column(.int64, b)), .repeated(Column(.double, c))])
        var o = ParquetWriterOptions()
        o.compression = .uncompressed
        o.maxPageRows = 700
        let w = try ParquetFileWriter(output: ParquetOutput(memoryNamed: "<memory>"), schema: schema, options: o)
        try w.writeRuns(batch, runs: 0..<batch.runCount)
        _ = try w.finish()
        let back = try ParquetFileReader(bytes: w.memoryBytes).readAll()
        let rows = batch.expanded()
        for col in 0..<3 { #expect((0..<rows.rowCount).map { back.columns[col][$0] } == (0..<rows.rowCount).map { rows.columns[col][$0] }) }
        let d = try WriterTestDecoder(w.memoryBytes)
        func dataPageBodies(_ column: Int) throws -> [[UInt8]] {
            try d.pages(rowGroup: 0, column: column).filter { $0.header.dataPageHeader != nil }.map { p in
                let (_, headerLength) = try PageHeader.decode(w.memoryBytes, offset: p.offset)
                let start = p.offset + headerLength
                return Array(w.memoryBytes[start..<start + Int(p.header.compressedPageSize)])
            }
        }
        #expect(try dataPageBodies(0) == dataPageBodies(1))
        #expect(try dataPageBodies(0) != dataPageBodies(2))
    }
}
