import FSCore
import Testing

@testable import FSParquet

/// `ParquetFileWriter.writeRuns`: a file written from runs reads back as the expanded rows and
/// carries the statistics the row path gives for those rows, across pages cut inside runs, row
/// groups, NULL runs, NaNs and a string dictionary that overflows to PLAIN.
@Suite struct WriterRunsTests {
    static let schema = Schema([
        Field("key", .string, isNullable: false), Field("window_start", .timestamp, isNullable: false),
        Field("n", .int64), Field("small", .int32), Field("avg", .double), Field("flag", .boolean), Field("label", .string),
    ])

    /// `runs` runs of 1…13 rows; every 7th run NULL in the nullable columns, one NaN run.
    static func batch(runs: Int) -> RunBatch {
        var lengths: [Int32] = [], firsts: [Int64] = [], codes: [UInt32] = []
        var keys: [Value] = [], n: [Value] = [], small: [Value] = [], avg: [Value] = [], flag: [Value] = [], label: [Value] = []
        for r in 0..<runs {
            lengths.append(Int32(1 + (r * 5) % 13))
            let k = (r / 3) % 97
            codes.append(UInt32(k))
            keys.append(.string("customer-\(k)-ção"))
            firsts.append(1_700_000_000_000_000 + Int64((r * 37) % 500) * 300_000_000)
            let null = r % 7 == 3
            n.append(null ? .null : .int64(Int64(r % 11) - 5))
            small.append(null ? .null : .int32(Int32(r % 4)))
            avg.append(null ? .null : r == 12 ? .double(.nan) : .double(Double(r) * 0.1 - 3))
            flag.append(null ? .null : .boolean(r % 3 == 0))
            label.append(null ? .null : .string("label-\(r)"))
        }
        var key = Column(.string, keys)
        key.dictionaryHint = DictionaryHint(codes: codes, codeCount: 97)
        return RunBatch(schema: schema, runLengths: lengths, columns: [
            .repeated(key), .stepping(first: firsts, step: 300_000_000, type: .timestamp),
            .repeated(Column(.int64, n)), .repeated(Column(.int32, small)), .repeated(Column(.double, avg)),
            .repeated(Column(.boolean, flag)), .repeated(Column(.string, label)),
        ])
    }

    func options(delta: Bool) -> ParquetWriterOptions {
        var o = ParquetWriterOptions()
        o.maxPageRows = 50
        o.rowGroupBytes = 6000
        o.maxDictionaryBytes = 4000
        if delta { o.integerEncoding = .deltaBinaryPacked }
        return o
    }

    func write(_ batch: RunBatch, options: ParquetWriterOptions, asRows: Bool) throws -> (bytes: [UInt8], summary: ParquetFileSummary) {
        let w = try ParquetFileWriter(output: ParquetOutput(memoryNamed: "<memory>"), schema: batch.schema, options: options)
        if asRows {
            try w.write(batch.expanded())
        } else {
            // In two calls, the second starting mid-batch.
            try w.writeRuns(batch, runs: 0..<(batch.runCount / 3))
            try w.writeRuns(batch, runs: (batch.runCount / 3)..<batch.runCount)
        }
        let summary = try w.finish()
        return (w.memoryBytes, summary)
    }

    @Test(arguments: [false, true])
    func aFileWrittenFromRunsReadsBackAsTheExpandedRows(delta: Bool) throws {
        let batch = Self.batch(runs: 900)
        let rows = batch.expanded()
        let (bytes, _) = try write(batch, options: options(delta: delta), asRows: false)
        let reader = try ParquetFileReader(bytes: bytes)
        #expect(reader.rowGroups.count > 1)
        let back = try reader.readAll()
        #expect(back.rowCount == rows.rowCount)
        for c in 0..<rows.schema.count {
            #expect((0..<rows.rowCount).map { bitExact(back.columns[c][$0]) } == (0..<rows.rowCount).map { bitExact(rows.columns[c][$0]) },
                    "column \(rows.schema.fields[c].name)")
        }
    }

    @Test func runsGiveTheStatisticsOfTheirRows() throws {
        let batch = Self.batch(runs: 900)
        let runs = try write(batch, options: options(delta: true), asRows: false).summary
        let rows = try write(batch, options: options(delta: true), asRows: true).summary
        #expect(runs.rowCount == rows.rowCount)
        #expect(runs.statistics == rows.statistics)
        #expect(runs.metadata.rowGroups.map(\.numRows).reduce(0, +) == rows.rowCount)
    }

    @Test func numbersRepeatedOverRunsAreDictionaryPagesWithOneEntryPerRun() throws {
        let batch = Self.batch(runs: 40)
        var o = ParquetWriterOptions()
        o.maxPageRows = 1000
        let (bytes, _) = try write(batch, options: o, asRows: false)
        let d = try WriterTestDecoder(bytes)
        let avg = d.metadata.rowGroups[0].columns[4].metaData!
        #expect(avg.dictionaryPageOffset != nil)
        let pages = try d.pages(rowGroup: 0, column: 4)
        #expect(pages.first?.header.dictionaryPageHeader?.numValues == Int32((0..<40).filter { $0 % 7 != 3 }.count))
    }

    @Test func rowsAfterRunsInOneChunkStartAPlainPage() throws {
        let batch = Self.batch(runs: 30)
        let w = try ParquetFileWriter(output: ParquetOutput(memoryNamed: "<memory>"), schema: batch.schema, options: ParquetWriterOptions())
        try w.writeRuns(batch, runs: 0..<20)
        try w.write(batch.expanded())
        try w.writeRuns(batch, runs: 20..<30)
        _ = try w.finish()
        let back = try ParquetFileReader(bytes: w.memoryBytes).readAll()
        let all = batch.expanded(), head = RunBatch(schema: batch.schema, runLengths: Array(batch.runLengths[0..<20]),
                                                    columns: batch.columns.map { $0.prefix(20) }).expanded()
        let expected = RecordBatch.concatenate([head, all, RecordBatch(schema: all.schema, columns: all.columns.map {
            $0.gather(Array((head.rowCount)..<all.rowCount))
        })], schema: all.schema)
        for c in 0..<all.schema.count {
            #expect((0..<expected.rowCount).map { bitExact(back.columns[c][$0]) } == (0..<expected.rowCount).map { bitExact(expected.columns[c][$0]) })
        }
    }

    @Test(arguments: [1, 3, 12])
    func indexRunsEncodeToTheBytesOfTheirExpandedIndices(width: Int) {
        var rng = SplitMix64(seed: UInt64(width))
        var values: [UInt32] = [], counts: [UInt32] = [], expanded: [UInt32] = []
        for _ in 0..<2000 {
            let v = UInt32.random(in: 0..<(1 << UInt32(width)), using: &rng), n = UInt32.random(in: 1...20, using: &rng)
            values.append(v)
            counts.append(n)
            expanded += repeatElement(v, count: Int(n))
        }
        let runs = ByteSink(), rows = ByteSink()
        var scratch: [UInt32] = []
        values.withUnsafeBufferPointer { v in
            counts.withUnsafeBufferPointer { c in RleBitPackedEncoder.encodeRuns(values: v, counts: c, bitWidth: width, scratch: &scratch, into: runs) }
        }
        expanded.withUnsafeBufferPointer { RleBitPackedEncoder.encode($0, bitWidth: width, into: rows) }
        #expect(runs.toArray() == rows.toArray())
    }

    @Test func aSteppingColumnOfAnotherTypeIsRefused() throws {
        let schema = Schema([Field("x", .double)])
        let w = try ParquetFileWriter(output: ParquetOutput(memoryNamed: "<memory>"), schema: schema, options: ParquetWriterOptions())
        let batch = RunBatch(schema: Schema([Field("x", .int64)]), runLengths: [2], columns: [.stepping(first: [1], step: 1, type: .int64)])
        #expect(throws: ParquetError.self) { try w.writeRuns(batch, runs: 0..<1) }
    }
}

extension RunColumn {
    /// The first `n` runs.
    fileprivate func prefix(_ n: Int) -> RunColumn {
        switch self {
        case .repeated(let c): return .repeated(c.gather(Array(0..<n)))
        case .stepping(let first, let step, let type): return .stepping(first: Array(first.prefix(n)), step: step, type: type)
        }
    }
}
