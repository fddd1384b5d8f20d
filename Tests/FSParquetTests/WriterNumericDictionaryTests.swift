import FSCore
import Testing

@testable import FSParquet

/// `isNumericDictionaryEnabled`: INT32/INT64/DOUBLE chunks are dictionary encoded, read back
/// bit for bit (NaN, ±0.0, NULLs), carry the same statistics as PLAIN pages, fall back at the
/// dictionary budget like strings, and turn runs into a few bytes.
@Suite struct WriterNumericDictionaryTests {
    func options(dictionary: Bool, integerEncoding: IntegerEncoding = .plain) -> ParquetWriterOptions {
        var o = ParquetWriterOptions()
        o.isNumericDictionaryEnabled = dictionary
        o.integerEncoding = integerEncoding
        o.maxPageRows = 300
        o.rowGroupBytes = 40_000
        return o
    }

    /// The numeric columns of `everyTypeBatch`, plus a non-nullable double of runs.
    func numericBatch(rows n: Int) -> RecordBatch {
        let all = everyTypeBatch(rows: n)
        let names = ["small", "id", "amount", "day", "at"]
        var fields = names.map { all.schema.field(named: $0)! }
        var columns = names.map { all.columns[all.schema.index(of: $0)!] }
        fields.append(Field("runs", .double, isNullable: false))
        columns.append(Column(.double, (0..<n).map { .double(Double($0 / 12) * 0.5) }))
        return RecordBatch(schema: Schema(fields), columns: columns)
    }

    func encodings(_ bytes: [UInt8], column: Int) throws -> Set<Encoding> {
        let d = try WriterTestDecoder(bytes)
        var out = Set<Encoding>()
        for rg in d.metadata.rowGroups.indices {
            for (_, h) in try d.pages(rowGroup: rg, column: column) where h.type == .dataPage { out.insert(h.dataPageHeader!.encoding) }
        }
        return out
    }

    @Test(arguments: [IntegerEncoding.plain, .deltaBinaryPacked])
    func numericColumnsReadBackBitForBitThroughTheirDictionaries(_ integers: IntegerEncoding) throws {
        let batch = numericBatch(rows: 5000)
        let bytes = try encodeParquet(batch, options: options(dictionary: true, integerEncoding: integers))
        for c in 0..<batch.schema.count {
            #expect(try encodings(bytes, column: c) == [.rleDictionary], "column \(batch.schema.fields[c].name)")
        }
        let back = try ParquetFileReader(bytes: bytes).readAll()
        for c in 0..<batch.schema.count {
            #expect((0..<5000).map { bitExact(back.columns[c][$0]) } == (0..<5000).map { bitExact(batch.columns[c][$0]) },
                    "column \(batch.schema.fields[c].name)")
        }
        let decoded = try WriterTestDecoder(bytes).values(column: 2, type: .double)
        #expect(decoded.map(bitExact) == (0..<5000).map { bitExact(batch.columns[2][$0]) })
    }

    @Test func statisticsEqualThoseOfPlainPagesNaNRowsIncluded() throws {
        let batch = numericBatch(rows: 3000)
        // One row group each (dictionary pages buffer fewer bytes, so budgets cut groups elsewhere).
        var plainOptions = options(dictionary: false), dictOptions = options(dictionary: true)
        plainOptions.rowGroupBytes = 1 << 24
        dictOptions.rowGroupBytes = 1 << 24
        let plain = try WriterTestDecoder(encodeParquet(batch, options: plainOptions)).metadata
        let dict = try WriterTestDecoder(encodeParquet(batch, options: dictOptions)).metadata
        #expect(plain.rowGroups.count == 1 && dict.rowGroups.count == 1)
        for (p, d) in zip(plain.rowGroups, dict.rowGroups) {
            for c in 0..<batch.schema.count {
                #expect(p.columns[c].metaData!.statistics == d.columns[c].metaData!.statistics, "column \(batch.schema.fields[c].name)")
            }
        }
        // 300 NaN rows (every tenth), not one per distinct NaN entry.
        let nans = dict.rowGroups.reduce(Int64(0)) { $0 + ($1.columns[2].metaData!.statistics!.nanCount ?? 0) }
        #expect(nans == 300)
    }

    @Test(arguments: [IntegerEncoding.plain, .deltaBinaryPacked])
    func aTooDistinctChunkFallsBackAtTheDictionaryBudget(_ integers: IntegerEncoding) throws {
        let batch = numericBatch(rows: 4000)
        var o = options(dictionary: true, integerEncoding: integers)
        o.maxDictionaryBytes = 2000
        o.rowGroupBytes = 1 << 20
        let bytes = try encodeParquet(batch, options: o)
        // `id` is all distinct: dictionary pages until 2000 bytes of entries, then the fallback.
        let fallback: Encoding = integers == .plain ? .plain : .deltaBinaryPacked
        #expect(try encodings(bytes, column: 1) == [.rleDictionary, fallback])
        #expect(try encodings(bytes, column: 2) == [.rleDictionary, .plain])
        let back = try ParquetFileReader(bytes: bytes).readAll()
        for c in 0..<batch.schema.count {
            #expect((0..<4000).map { bitExact(back.columns[c][$0]) } == (0..<4000).map { bitExact(batch.columns[c][$0]) },
                    "column \(batch.schema.fields[c].name)")
        }
    }

    @Test func runsOfEqualValuesCostAFewBytes() throws {
        let n = 12_000
        let batch = RecordBatch(schema: Schema([Field("runs", .double, isNullable: false)]),
                                columns: [Column(.double, (0..<n).map { .double(Double($0 / 12) * 0.5 + 0.1) })])
        var o = options(dictionary: true)
        o.compression = .uncompressed
        o.maxPageRows = 20_000
        let d = try WriterTestDecoder(encodeParquet(batch, options: o))
        let meta = d.metadata.rowGroups[0].columns[0].metaData!
        // 1000 entries of 8 bytes, and 1000 runs of 12 indices: far below 96,000 bytes PLAIN.
        #expect(meta.totalUncompressedSize < 8000 + 4000 + 200)
        #expect(try d.values(column: 0, type: .double) == batch.columns[0].values(0..<n))
    }

    @Test func aRowEqualToTheOneBeforeReusesItsEntryAndNewValuesAppend() {
        let dict = NumericDictionary(width: 8, isDouble: true)
        let values: [Double] = [1.5, 1.5, -0.0, 0.0, .nan, .nan, 1.5, 2]
        var indices: [UInt32] = []
        let end = values.withUnsafeBufferPointer { dict.appendIndices($0, range: 0..<8, validity: nil, limit: 1 << 20, bits: { $0.bitPattern }, into: &indices) }
        #expect(end == 8)
        #expect(indices == [0, 0, 1, 2, 3, 3, 0, 4])
        #expect(dict.count == 5 && dict.plainByteCount == 40)
        #expect(dict.nanRows == 2)
    }
}

extension Column {
    /// Rows `range` as values (test helper).
    fileprivate func values(_ range: Range<Int>) -> [Value] { range.map { self[$0] } }
}
