import FSCore
import Testing

@testable import FSParquet

/// `DictionaryHint`: a string column whose rows carry codes is dictionary encoded through them,
/// and the file is byte for byte the one the same column gives without a hint — also when the
/// hint is wrong, since every hinted row is checked against its entry's bytes.
@Suite struct WriterDictionaryHintTests {
    /// Keys cycling through `distinct` values (NULL, empty and non-ASCII ones among them), each
    /// row's code its value's number: the hint an interning producer would attach.
    func keys(_ n: Int, distinct: Int) -> (values: [Value], codes: [UInt32]) {
        var values: [Value] = [], codes: [UInt32] = []
        for i in 0..<n {
            let k = (i * 7 + i / 13) % distinct
            codes.append(UInt32(k))
            values.append(k == 3 ? .null : k == 5 ? .string("") : .string("cliente-\(k)-ção"))
        }
        return (values, codes)
    }

    func file(_ values: [Value], hint: DictionaryHint?, options: ParquetWriterOptions) throws -> [UInt8] {
        var column = Column(.string, values)
        column.dictionaryHint = hint
        return try encodeParquet(RecordBatch(schema: Schema([Field("key", .string)]), columns: [column]), options: options)
    }

    /// Small pages and row groups: many chunks, so the hint's memo outlives its dictionaries.
    var options: ParquetWriterOptions {
        var o = ParquetWriterOptions()
        o.maxPageRows = 100
        o.rowGroupBytes = 2048
        return o
    }

    @Test func aHintedColumnIsWrittenExactlyAsWithoutTheHint() throws {
        let (values, codes) = keys(5000, distinct: 300)
        let plain = try file(values, hint: nil, options: options)
        let hinted = try file(values, hint: DictionaryHint(codes: codes, codeCount: 300), options: options)
        #expect(hinted == plain)
        let d = try WriterTestDecoder(hinted)
        #expect(d.metadata.rowGroups.count > 1)
        #expect(try d.values(column: 0, type: .string) == values)
    }

    @Test(arguments: ["all rows one code", "codes shifted by one", "codes past codeCount", "codes of another column"])
    func aWrongHintChangesNoByte(_ wrong: String) throws {
        let (values, codes) = keys(3000, distinct: 200)
        let hint: DictionaryHint
        switch wrong {
        case "all rows one code": hint = DictionaryHint(codes: Array(repeating: 0, count: codes.count), codeCount: 1)
        case "codes shifted by one": hint = DictionaryHint(codes: codes.map { ($0 + 1) % 200 }, codeCount: 200)
        case "codes past codeCount": hint = DictionaryHint(codes: codes.map { $0 + 1000 }, codeCount: 10)
        default: hint = DictionaryHint(codes: keys(3000, distinct: 37).codes, codeCount: 37)
        }
        #expect(try file(values, hint: hint, options: options) == file(values, hint: nil, options: options))
    }

    @Test func aHintOfAnotherLengthIsIgnored() throws {
        let (values, codes) = keys(500, distinct: 50)
        let hint = DictionaryHint(codes: Array(codes.dropLast()), codeCount: 50)
        #expect(try file(values, hint: hint, options: options) == file(values, hint: nil, options: options))
    }

    @Test func aHintedColumnFallsBackToPlainAtTheDictionaryBudgetAsWithoutIt() throws {
        let (values, codes) = keys(4000, distinct: 4000)
        var o = ParquetWriterOptions()
        o.maxDictionaryBytes = 5000
        let hinted = try file(values, hint: DictionaryHint(codes: codes, codeCount: 4000), options: o)
        #expect(hinted == (try file(values, hint: nil, options: o)))
        #expect(try WriterTestDecoder(hinted).values(column: 0, type: .string) == values)
    }

    @Test func theDictionaryRemembersTheEntryOfEveryCodeItSaw() {
        let strings = ["b", "a", "b", "", "a", "c"], codes: [UInt32] = [7, 2, 7, 0, 2, 9]
        var offsets = [0], bytes: [UInt8] = []
        for x in strings { bytes += Array(x.utf8); offsets.append(bytes.count) }
        let dict = StringDictionary()
        var memo: [UInt32] = [], indices: [UInt32] = []
        let end = offsets.withUnsafeBufferPointer { off in
            bytes.withUnsafeBytes { b in
                codes.withUnsafeBufferPointer { c in
                    dict.appendIndices(offsets: off, bytes: b.baseAddress!, range: 0..<6, validity: nil, limit: 1 << 20,
                                       codes: c, codeCount: 10, memo: &memo, into: &indices)
                }
            }
        }
        #expect(end == 6)
        #expect(indices == [0, 1, 0, 2, 1, 3])
        #expect(memo.count == 10)
        #expect([memo[7], memo[2], memo[0], memo[9], memo[1]] == [0, 1, 2, 3, UInt32.max])
    }

    @Test func theHintTakesNoPartInColumnEquality() {
        let (values, codes) = keys(10, distinct: 4)
        var hinted = Column(.string, values)
        hinted.dictionaryHint = DictionaryHint(codes: codes, codeCount: 4)
        #expect(hinted == Column(.string, values))
        #expect(hinted.hashValue == Column(.string, values).hashValue)
    }
}
