import FSCore
import Testing

@testable import FSParquet

/// `ParquetWriterOptions.isSteppingDictionaryEnabled`: stepping INT64 runs become dictionary
/// indices of their grid points, read back as their rows with the row path's statistics, and
/// runs off the grid (or too spread out) fall back to PLAIN/DELTA pages in the same chunk.
@Suite struct WriterSteppingTests {
    static let schema = Schema([Field("window_start", .timestamp, isNullable: false), Field("window_end", .timestamp), Field("n", .int64)])
    static let step: Int64 = 300_000_000

    /// Runs of 1…13 rows whose first values jump back and forth on a grid of `step` (as a day
    /// file ordered by key does); `offGrid` runs start one microsecond off it.
    static func batch(runs: Int, offGrid: Set<Int> = [], stride: Int64 = 1) -> RunBatch {
        var lengths: [Int32] = [], starts: [Int64] = [], ends: [Int64] = [], n: [Value] = []
        for r in 0..<runs {
            lengths.append(Int32(1 + (r * 5) % 13))
            let s = 1_700_000_000_000_000 + Int64((r * 37) % 500) * stride * step + (offGrid.contains(r) ? 1 : 0)
            starts.append(s)
            ends.append(s + 12 * step)
            n.append(.int64(Int64(r % 5)))
        }
        return RunBatch(schema: schema, runLengths: lengths, columns: [
            .stepping(first: starts, step: step, type: .timestamp), .stepping(first: ends, step: step, type: .timestamp), .repeated(Column(.int64, n)),
        ])
    }

    static func options(stepping: Bool, maxPageRows: Int = 50) -> ParquetWriterOptions {
        var o = ParquetWriterOptions()
        o.maxPageRows = maxPageRows
        o.integerEncoding = .deltaBinaryPacked
        o.runEntryCompression = .uncompressed
        o.isSteppingDictionaryEnabled = stepping
        return o
    }

    /// Written from runs in three calls (or as rows); the file's bytes and summary.
    static func write(_ batch: RunBatch, _ options: ParquetWriterOptions, asRows: Bool = false) throws -> (bytes: [UInt8], summary: ParquetFileSummary) {
        let w = try ParquetFileWriter(output: ParquetOutput(memoryNamed: "<memory>"), schema: batch.schema, options: options)
        if asRows {
            try w.write(batch.expanded())
        } else {
            let a = batch.runCount / 3, b = 2 * batch.runCount / 3
            for range in [0..<a, a..<b, b..<batch.runCount] { try w.writeRuns(batch, runs: range) }
        }
        let summary = try w.finish()
        return (w.memoryBytes, summary)
    }

    static func expectReadsBack(_ batch: RunBatch, _ bytes: [UInt8]) throws {
        let rows = batch.expanded()
        let back = try ParquetFileReader(bytes: bytes).readAll()
        #expect(back.rowCount == rows.rowCount)
        for c in 0..<rows.schema.count {
            #expect((0..<rows.rowCount).map { back.columns[c][$0] } == (0..<rows.rowCount).map { rows.columns[c][$0] }, "column \(rows.schema.fields[c].name)")
        }
    }

    @Test(arguments: [50, 20_000])
    func steppingRunsOnOneGridAreIndicesOfADictionaryOfTheirGridPoints(maxPageRows: Int) throws {
        let batch = Self.batch(runs: 900)
        let (bytes, summary) = try Self.write(batch, Self.options(stepping: true, maxPageRows: maxPageRows))
        try Self.expectReadsBack(batch, bytes)
        #expect(summary.statistics == (try Self.write(batch, Self.options(stepping: false), asRows: true)).summary.statistics)
        let d = try WriterTestDecoder(bytes)
        let rows = batch.expanded()
        for column in 0..<2 {
            let meta = try #require(d.metadata.rowGroups[0].columns[column].metaData)
            #expect(meta.encodings.contains(.rleDictionary))
            #expect(!meta.encodings.contains(.deltaBinaryPacked))
            #expect(meta.codec == .uncompressed)
            let distinct = Set((0..<rows.rowCount).map { rows.columns[column][$0] }).count
            #expect(try d.pages(rowGroup: 0, column: column).first?.header.dictionaryPageHeader?.numValues == Int32(distinct))
        }
    }

    @Test func runsOffTheGridFallBackToDeltaPagesInTheSameChunk() throws {
        let batch = Self.batch(runs: 300, offGrid: [150, 151])
        let (bytes, summary) = try Self.write(batch, Self.options(stepping: true))
        try Self.expectReadsBack(batch, bytes)
        #expect(summary.statistics == (try Self.write(batch, Self.options(stepping: false), asRows: true)).summary.statistics)
        let meta = try #require(try WriterTestDecoder(bytes).metadata.rowGroups[0].columns[0].metaData)
        #expect(meta.encodings.contains(.rleDictionary) && meta.encodings.contains(.deltaBinaryPacked))
    }

    @Test func aGridTooWideForItsSlotsIsWrittenWithoutADictionary() throws {
        let batch = Self.batch(runs: 60, stride: 70_000)  // any two points of a page further apart than the slots
        let (bytes, _) = try Self.write(batch, Self.options(stepping: true))
        try Self.expectReadsBack(batch, bytes)
        let meta = try #require(try WriterTestDecoder(bytes).metadata.rowGroups[0].columns[0].metaData)
        #expect(!meta.encodings.contains(.rleDictionary))
    }

    @Test func aGridCoversPointsBelowAndAboveItsFirstOnes() {
        var g = SteppingGrid()
        var ok = g.cover(10, 12)
        #expect(ok)
        #expect(g.slots.count == 3 && g.origin == 10)
        g.slots[0] = 7
        ok = g.cover(5, 20)
        #expect(ok)
        #expect(g.origin == 5 && g.slots.count == 16 && g.slots[5] == 7)
        ok = g.cover(5, Int64(SteppingGrid.maxSlots) + 5)
        #expect(!ok)
        #expect(g.origin == 5 && g.slots.count == 16, "a refused cover changes nothing")
    }
}
