import FSCore
import Testing

@testable import FSParquet

/// The production reader reads back exactly what the writer wrote (the interop suite checks
/// other engines; this keeps the two halves of FSParquet honest with each other).
@Suite struct WriterReaderRoundTripTests {
    @Test(arguments: [1, 777, 5000])
    func flatFilesRoundTripThroughTheReader(rows: Int) throws {
        let batch = everyTypeBatch(rows: rows)
        var options = ParquetWriterOptions()
        options.maxPageRows = 300
        options.maxDictionaryBytes = 3000
        options.rowGroupBytes = 50_000
        let reader = try ParquetFileReader(bytes: encodeParquet(batch, options: options))
        #expect(reader.schema == batch.schema)
        #expect(reader.rowCount == Int64(rows))
        let back = try reader.readAll()
        for c in 0..<batch.schema.count {
            #expect((0..<rows).map { bitExact(back.columns[c][$0]) } == (0..<rows).map { bitExact(batch.columns[c][$0]) },
                    "column \(batch.schema.fields[c].name)")
        }
    }

    @Test func rowGroupStatisticsReadBackAsWritten() throws {
        let batch = everyTypeBatch(rows: 3000)
        var options = ParquetWriterOptions()
        options.maxPageRows = 500
        options.rowGroupBytes = 30_000
        let bytes = try encodeParquet(batch, options: options)
        let reader = try ParquetFileReader(bytes: bytes)
        let footer = try WriterTestDecoder(bytes).metadata
        #expect(reader.rowGroups.count == footer.rowGroups.count)
        for (info, rg) in zip(reader.rowGroups, footer.rowGroups) {
            #expect(info.rowCount == rg.numRows)
            for (c, f) in batch.schema.fields.enumerated() {
                #expect(info.statistics[c] == ColumnStatistics(rg.columns[c].metaData!.statistics!, type: f.type))
            }
        }
    }

    @Test func zeroRowFilesReadAsEmptyBatchesWithTheSchema() throws {
        let schema = everyTypeBatch(rows: 0).schema
        let reader = try ParquetFileReader(bytes: encodeParquet(RecordBatch.empty(schema)))
        #expect(reader.schema == schema)
        #expect(try reader.readAll().rowCount == 0)
    }

    @Test func checkpointsRoundTripThroughTheNestedReader() throws {
        let bytes = try encodeNestedParquet(schema: checkpointSchema(), rows: checkpointRows())
        let (schema, rows) = try ParquetFileReader(bytes: bytes).readNested()
        #expect(schema == checkpointSchema())
        #expect(rows.map(withoutNulls) == checkpointRows().map(withoutNulls))
    }
}

/// A nested value with NULL group members dropped (a missing key and an explicit NULL mean the
/// same thing in a `.group`).
func withoutNulls(_ v: NestedValue) -> NestedValue {
    switch v {
    case .null, .value: return v
    case .group(let g): return .group(g.filter { !$0.value.isNull }.mapValues(withoutNulls))
    case .list(let l): return .list(l.map(withoutNulls))
    case .map(let m): return .map(m.map { (key: $0.key, value: withoutNulls($0.value)) })
    }
}
