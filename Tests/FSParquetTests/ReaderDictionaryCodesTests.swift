import FSCore
import Testing

@testable import FSParquet

/// The reader hands out a `DictionaryHint` for a string column whose every value came from a
/// dictionary: equal codes mean equal strings across the row groups of one read, equal strings
/// of one row group share a code, and a column with any PLAIN page gets no hint.
@Suite struct ReaderDictionaryCodesTests {
    /// `n` keys cycling through `distinct` values, NULL, empty and non-ASCII ones among them.
    static func keys(_ n: Int, distinct: Int) -> [Value] {
        (0..<n).map { i in
            let k = (i * 7 + i / 13) % distinct
            return k == 3 ? .null : k == 5 ? .string("") : .string("cliente-\(k)-ção")
        }
    }

    static func encode(_ values: [Value], options: ParquetWriterOptions) throws -> [UInt8] {
        try encodeParquet(RecordBatch(schema: Schema([Field("key", .string), Field("n", .int64)]),
                                      columns: [Column(.string, values), Column(.int64, values.indices.map { .int64(Int64($0)) })]),
                          options: options)
    }

    @Test(arguments: [false, true])
    func equalCodesMeanEqualStringsOverEveryRowGroupOfARead(oneGroupAtATime: Bool) throws {
        var o = ParquetWriterOptions()
        o.maxPageRows = 100
        o.rowGroupBytes = 4096
        let values = Self.keys(6000, distinct: 250)
        let reader = try ParquetFileReader(bytes: try Self.encode(values, options: o))
        #expect(reader.metadata.rowGroups.count > 2)
        let columns: [Column] = oneGroupAtATime
            ? try reader.metadata.rowGroups.indices.map { try reader.read(rowGroup: $0, columns: ["key"]).columns[0] }
            : [try reader.readAll(columns: ["key"]).columns[0]]
        var row = 0
        for column in columns {
            let hint = try #require(column.dictionaryHint)
            #expect(hint.codes.count == column.count)
            var stringOfCode: [UInt32: Value] = [:]
            var codeOfString: [Value: UInt32] = [:]
            for r in 0..<column.count {
                #expect(column[r] == values[row + r])
                if column.isNull(r) { continue }
                #expect(Int(hint.codes[r]) < hint.codeCount)
                #expect(stringOfCode[hint.codes[r], default: column[r]] == column[r])
                stringOfCode[hint.codes[r]] = column[r]
                if oneGroupAtATime { #expect(codeOfString[column[r], default: hint.codes[r]] == hint.codes[r]) }
                codeOfString[column[r]] = hint.codes[r]
            }
            row += column.count
        }
        #expect(row == values.count)
    }

    @Test func aColumnWithPlainPagesOrNoStringsHasNoHint() throws {
        // Distinct values past the dictionary limit: the chunk falls back to PLAIN pages.
        var o = ParquetWriterOptions()
        o.maxDictionaryBytes = 512
        let values = (0..<3000).map { Value.string("unique-\($0)") }
        let batch = try ParquetFileReader(bytes: try Self.encode(values, options: o)).readAll()
        #expect(batch.columns[0].dictionaryHint == nil)
        #expect(batch.columns[1].dictionaryHint == nil)
        #expect((0..<values.count).allSatisfy { batch.columns[0][$0] == values[$0] })
    }
}
