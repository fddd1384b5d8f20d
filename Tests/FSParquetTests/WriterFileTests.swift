import FSCore
import Testing

@testable import FSParquet

/// A batch with every type, NULLs, NaN, ±0.0, empty and non-ASCII strings, and an all-null column.
func everyTypeBatch(rows n: Int) -> RecordBatch {
    let schema = Schema([
        Field("flag", .boolean), Field("small", .int32), Field("id", .int64, isNullable: false),
        Field("amount", .double), Field("name", .string), Field("day", .date), Field("at", .timestamp),
        Field("nothing", .string), Field("code", .string, isNullable: false),
    ])
    var columns: [Column] = []
    columns.append(Column(.boolean, (0..<n).map { i -> Value in i % 7 == 3 ? .null : .boolean(i % 3 == 0) }))
    columns.append(Column(.int32, (0..<n).map { i -> Value in i % 11 == 4 ? .null : .int32(Int32(i) - 50) }))
    columns.append(Column(.int64, (0..<n).map { i -> Value in .int64(Int64(i) * 1_000_000_007) }))
    columns.append(Column(.double, (0..<n).map { i -> Value in
        switch i % 10 {
        case 1: return .double(.nan)
        case 2: return .null
        case 3: return .double(-0.0)
        case 4: return .double(0.0)
        default: return .double(Double(i) * 0.25 - 3)
        }
    }))
    columns.append(Column(.string, (0..<n).map { i -> Value in
        i % 5 == 1 ? .null : .string(["", "zürich", "東京", "a", "Z"][i % 5] + (i % 4 == 0 ? "" : "\(i % 13)"))
    }))
    columns.append(Column(.date, (0..<n).map { i -> Value in .date(Int32(i * 37 % 30000) - 5000) }))
    columns.append(Column(.timestamp, (0..<n).map { i -> Value in i % 9 == 8 ? .null : .timestamp(Int64(i) * 3_600_000_001 - 86_400_000_000) }))
    columns.append(Column.nulls(.string, count: n))
    columns.append(Column(.string, (0..<n).map { i -> Value in .string("code-\(i)-" + String(repeating: "x", count: i % 23)) }))
    return RecordBatch(schema: schema, columns: columns)
}

@Suite struct WriterFileTests {
    @Test func everyTypeRoundTripsThroughTheTestDecoder() throws {
        let batch = everyTypeBatch(rows: 3000)
        var options = ParquetWriterOptions()
        options.maxPageRows = 700
        let decoder = try WriterTestDecoder(encodeParquet(batch, options: options))
        for (c, field) in batch.schema.fields.enumerated() {
            let got = try decoder.values(column: c, type: field.type)
            let want = (0..<batch.rowCount).map { batch.columns[c][$0] }
            #expect(got.count == want.count)
            // Compare bit patterns for doubles so NaN and -0.0 count.
            #expect(got.map(bitExact) == want.map(bitExact), "column \(field.name)")
        }
    }

    @Test func footerOffsetsSizesAndCountsAreConsistent() throws {
        let batch = everyTypeBatch(rows: 5000)
        var options = ParquetWriterOptions()
        options.maxPageRows = 1000
        options.rowGroupBytes = 40_000
        let bytes = try encodeParquet(batch, options: options)
        let d = try WriterTestDecoder(bytes)
        let m = d.metadata
        #expect(m.version == 1)
        #expect(m.numRows == 5000)
        #expect(m.createdBy == "fs version 0.1.0 (build fs)")
        #expect(m.columnOrders == Array(repeating: .typeDefinedOrder, count: 9))
        #expect(m.rowGroups.count > 1)
        #expect(m.rowGroups.reduce(0) { $0 + $1.numRows } == 5000)
        var expectedOffset: Int64 = 4
        for (g, rg) in m.rowGroups.enumerated() {
            #expect(rg.ordinal == Int16(g))
            #expect(rg.fileOffset == expectedOffset)
            #expect(rg.totalByteSize == rg.columns.reduce(0) { $0 + $1.metaData!.totalUncompressedSize })
            #expect(rg.totalCompressedSize == rg.columns.reduce(0) { $0 + $1.metaData!.totalCompressedSize })
            for (c, chunk) in rg.columns.enumerated() {
                let meta = try #require(chunk.metaData)
                #expect(chunk.fileOffset == 0)
                #expect(meta.firstPageOffset == expectedOffset)
                #expect(meta.pathInSchema == [batch.schema.fields[c].name])
                #expect(meta.codec == .zstd)
                #expect(meta.numValues == rg.numRows)
                let pages = try d.pages(rowGroup: g, column: c)
                var uncompressed: Int64 = 0
                for (offset, h) in pages {
                    let headerLength = try PageHeader.decode(bytes, offset: offset).length
                    uncompressed += Int64(headerLength) + Int64(h.uncompressedPageSize)
                    if h.type == .dataPage { #expect(h.dataPageHeader!.numValues <= 1000) }
                }
                #expect(uncompressed == meta.totalUncompressedSize)
                if let dict = meta.dictionaryPageOffset {
                    #expect(pages.first?.header.type == .dictionaryPage)
                    #expect(Int64(pages[1].offset) == meta.dataPageOffset)
                    #expect(dict == meta.firstPageOffset)
                } else {
                    #expect(Int64(pages[0].offset) == meta.dataPageOffset)
                }
                let dataPages = pages.filter { $0.header.type == .dataPage }.count
                let statsCount = meta.encodingStats!.filter { $0.pageType == .dataPage }.reduce(0) { $0 + Int($1.count) }
                #expect(statsCount == dataPages)
                expectedOffset += meta.totalCompressedSize
            }
        }
        let footerLength = Int64(bytes.count) - expectedOffset - 8
        #expect(try FileMetaData.decode(bytes, offset: Int(expectedOffset)).length == Int(footerLength))
    }

    @Test func requiredColumnsHaveNoLevelsAndOptionalOnesDeclareRle() throws {
        let schema = Schema([Field("r", .int64, isNullable: false), Field("o", .int64)])
        let batch = RecordBatch(schema: schema, columns: [Column(.int64, [.int64(1), .int64(2)]), Column(.int64, [.int64(1), .int64(2)])])
        let bytes = try encodeParquet(batch, options: { var o = ParquetWriterOptions(); o.compression = .uncompressed; return o }())
        let d = try WriterTestDecoder(bytes)
        #expect(d.metadata.schema[1].repetitionType == .required)
        #expect(d.metadata.schema[2].repetitionType == .optional)
        let r = try d.pages(rowGroup: 0, column: 0)[0].header
        let o = try d.pages(rowGroup: 0, column: 1)[0].header
        #expect(r.uncompressedPageSize == 16)                 // two int64s, nothing else
        #expect(o.uncompressedPageSize == 4 + 2 + 16)         // length, RLE run "04 01", values
        #expect(d.metadata.rowGroups[0].columns[0].metaData!.encodings == [.plain])
        #expect(d.metadata.rowGroups[0].columns[1].metaData!.encodings == [.plain, .rle])
    }

    @Test func stringsFallBackToPlainWhenTheDictionaryOutgrowsItsBudget() throws {
        let n = 4000
        let schema = Schema([Field("s", .string)])
        let batch = RecordBatch(schema: schema, columns: [Column(.string, (0..<n).map { .string("unique-value-\($0)") })])
        var options = ParquetWriterOptions()
        options.maxDictionaryBytes = 2000
        options.maxPageRows = 1000
        let d = try WriterTestDecoder(encodeParquet(batch, options: options))
        let meta = d.metadata.rowGroups[0].columns[0].metaData!
        let stats = meta.encodingStats!
        #expect(stats.contains(PageEncodingStats(pageType: .dictionaryPage, encoding: .plain, count: 1)))
        #expect(stats.contains { $0.pageType == .dataPage && $0.encoding == .rleDictionary })
        #expect(stats.contains { $0.pageType == .dataPage && $0.encoding == .plain })
        #expect(meta.encodings == [.plain, .rle, .rleDictionary])
        #expect(try d.values(column: 0, type: .string) == (0..<n).map { .string("unique-value-\($0)") })
        let s = ColumnStatistics(meta.statistics!, type: .string)
        #expect(s?.min == .string("unique-value-0"))
        #expect(s?.max == .string("unique-value-999"))
    }

    @Test func lowCardinalityStringsStayDictionaryEncodedAcrossPages() throws {
        let schema = Schema([Field("s", .string, isNullable: false)])
        let batch = RecordBatch(schema: schema, columns: [Column(.string, (0..<50_000).map { .string(["x", "y", "z"][$0 % 3]) })])
        let d = try WriterTestDecoder(encodeParquet(batch))
        let meta = d.metadata.rowGroups[0].columns[0].metaData!
        #expect(meta.encodingStats == [PageEncodingStats(pageType: .dictionaryPage, encoding: .plain, count: 1),
                                       PageEncodingStats(pageType: .dataPage, encoding: .rleDictionary, count: 3)])
    }

    @Test func largeStringsCutPagesByBytes() throws {
        let big = String(repeating: "j", count: 100_000)
        let schema = Schema([Field("s", .string)])
        let batch = RecordBatch(schema: schema, columns: [Column(.string, (0..<40).map { .string(big + "\($0)") })])
        var options = ParquetWriterOptions()
        options.maxDictionaryBytes = 150_000
        let d = try WriterTestDecoder(encodeParquet(batch, options: options))
        let pages = try d.pages(rowGroup: 0, column: 0).filter { $0.header.type == .dataPage }
        #expect(pages.count >= 4)
        for p in pages { #expect(p.header.uncompressedPageSize <= Int32(options.maxPageBytes + 100_010)) }
        #expect(try d.values(column: 0, type: .string).count == 40)
    }

    @Test func statisticsFollowTheNanZeroAndByteOrderRules() throws {
        let schema = Schema([Field("d", .double), Field("z", .double), Field("n", .double), Field("s", .string), Field("e", .int32)])
        let batch = RecordBatch(schema: schema, columns: [
            Column(.double, [.double(.nan), .double(2), .null, .double(-1.5), .double(.nan)]),
            Column(.double, [.double(0.0), .double(-0.0), .double(0.0), .null, .double(.nan)]),
            Column(.double, [.double(.nan), .null, .double(.nan), .null, .null]),
            Column(.string, [.string("z"), .string("é"), .string(""), .string("\u{10000}"), .string("\u{FFFF}")]),
            Column(.int32, [.null, .null, .null, .null, .null]),
        ])
        let d = try WriterTestDecoder(encodeParquet(batch))
        let raw = d.metadata.rowGroups[0].columns.map { $0.metaData!.statistics! }
        let stats = zip(raw, schema.fields).map { ColumnStatistics($0, type: $1.type)! }
        #expect(stats[0] == ColumnStatistics(nullCount: 1, min: .double(-1.5), max: .double(2), nanCount: 2))
        #expect(bitExact(stats[1].min!) == bitExact(.double(-0.0)))
        #expect(bitExact(stats[1].max!) == bitExact(.double(0.0)))
        #expect(stats[1].nanCount == 1)
        #expect(stats[2] == ColumnStatistics(nullCount: 3, min: nil, max: nil, nanCount: 2))
        #expect(raw[2].minValue == nil && raw[2].maxValue == nil)
        // UTF-8 byte order: "" < "z" < "é" (c3 a9) < U+FFFF (ef bf bf) < U+10000 (f0 ...).
        #expect(stats[3].min == .string(""))
        #expect(stats[3].max == .string("\u{10000}"))
        #expect(raw[3].isMinValueExact == true && raw[3].nullCount == 0)
        #expect(stats[4] == ColumnStatistics(nullCount: 5))
        #expect(raw[4].nullCount == 5 && raw[4].minValue == nil)
    }

    @Test func zeroRowFileHasASchemaAndNoRowGroups() throws {
        let batch = RecordBatch.empty(everyTypeBatch(rows: 0).schema)
        let bytes = try encodeParquet(batch)
        let d = try WriterTestDecoder(bytes)
        #expect(d.metadata.numRows == 0)
        #expect(d.metadata.rowGroups.isEmpty)
        #expect(d.metadata.schema.count == 10)
        #expect(Array(bytes.prefix(4)) == Array("PAR1".utf8))
    }

    @Test func backgroundCompressionWritesTheSameBytesAsInline() throws {
        let batch = everyTypeBatch(rows: 20_000)
        var options = ParquetWriterOptions()
        options.maxPageRows = 900
        options.rowGroupBytes = 200_000
        options.compressionWorkers = 0
        let inline = try encodeParquet(batch, options: options)
        for workers in [1, 3] {
            options.compressionWorkers = workers
            #expect(try encodeParquet(batch, options: options) == inline, "\(workers) workers")
        }
    }

    /// A table writer's files share one pool, whose lanes keep one compressor and scratch for
    /// every file: files written in turn through it, at two levels interleaved and of different
    /// sizes (the scratch grows and is reused), equal the same files compressed inline.
    @Test func filesSharingOnePoolWriteTheSameBytesAsInline() throws {
        var options = ParquetWriterOptions()
        options.maxPageRows = 700
        options.rowGroupBytes = 150_000
        options.compressionWorkers = 0
        let shared = PageCompressionPool(workers: 2, maxInFlight: 3)
        for (rows, level) in [(5_000, Int32(1)), (300, -3), (12_000, 1), (1, -3), (8_000, 3)] {
            let batch = everyTypeBatch(rows: rows)
            var inline = options
            inline.compression = .zstd(level: level)
            var pooled = inline
            pooled.compressionWorkers = 2
            pooled.compressionPool = shared
            #expect(try encodeParquet(batch, options: pooled) == encodeParquet(batch, options: inline), "\(rows) rows, level \(level)")
        }
    }

    /// Uncompressed pages are stored on the writer's thread even with a pool (no hand-off):
    /// the file is the one written without a pool, and a file mixing compressed and
    /// uncompressed chunks (run entries uncompressed, the rest ZSTD) too.
    @Test(arguments: [ParquetCompression.uncompressed, .zstd(level: 1)])
    func uncompressedChunksWrittenWithAPoolEqualThoseWrittenWithout(compression: ParquetCompression) throws {
        let batch = everyTypeBatch(rows: 9_000)
        var options = ParquetWriterOptions()
        options.maxPageRows = 800
        options.rowGroupBytes = 120_000
        options.compression = compression
        options.runEntryCompression = .uncompressed
        options.compressionWorkers = 0
        let inline = try encodeParquet(batch, options: options)
        options.compressionWorkers = 2
        options.compressionPool = PageCompressionPool(workers: 2, maxInFlight: 3)
        #expect(try encodeParquet(batch, options: options) == inline)
    }

    @Test func degenerateLimitsStillMakeProgress() throws {
        var options = ParquetWriterOptions()
        options.maxPageRows = 0
        options.maxPageBytes = 0
        options.maxDictionaryBytes = 0
        options.rowGroupBytes = 0
        let batch = everyTypeBatch(rows: 5)
        let d = try WriterTestDecoder(encodeParquet(batch, options: options))
        #expect(d.metadata.rowGroups.count == 5)
        for (c, f) in batch.schema.fields.enumerated() {
            #expect(try d.values(column: c, type: f.type).map(bitExact) == (0..<5).map { bitExact(batch.columns[c][$0]) })
        }
    }

    @Test func oneRowFileRoundTrips() throws {
        let batch = everyTypeBatch(rows: 1)
        let d = try WriterTestDecoder(encodeParquet(batch))
        for (c, f) in batch.schema.fields.enumerated() {
            #expect(try d.values(column: c, type: f.type).map(bitExact) == [bitExact(batch.columns[c][0])])
        }
    }
}

/// Values with doubles compared by bit pattern (NaN == NaN, -0.0 != 0.0).
func bitExact(_ v: Value) -> String {
    if case .double(let d) = v { return "double:\(d.bitPattern)" }
    return "\(v.type.map { "\($0)" } ?? "null"):\(v)"
}
