import FSCore
import Testing

@testable import FSParquet

/// `DictionaryVerdicts`: a string column whose first values are mostly distinct goes PLAIN for
/// the rest of its chunk and from the start of every later file sharing the verdicts; repeating
/// columns keep their dictionaries; values read back the same either way.
@Suite struct WriterDictionaryVerdictTests {
    /// `unique` never repeats, `city` has three values; `n` rows, NULL every 10th `unique`.
    func batch(_ n: Int, from first: Int = 0) -> RecordBatch {
        let schema = Schema([Field("unique", .string), Field("city", .string)])
        return RecordBatch(schema: schema, columns: [
            Column(.string, uniques(n, from: first)),
            Column(.string, (first..<first + n).map { .string(["SP", "RJ", "BH"][$0 % 3]) }),
        ])
    }

    func uniques(_ n: Int, from first: Int = 0) -> [Value] {
        (first..<first + n).map { $0 % 10 == 9 ? .null : .string("order-\($0)-é") }
    }

    func encodings(_ d: WriterTestDecoder, column: Int) -> [PageEncodingStats] {
        d.metadata.rowGroups[0].columns[column].metaData!.encodingStats!
    }

    @Test func aDistinctColumnGoesPlainAfterItsSampleAndStaysPlainInLaterFiles() throws {
        let verdicts = DictionaryVerdicts()
        var options = ParquetWriterOptions()
        options.dictionaryVerdicts = verdicts
        options.maxPageRows = 500
        let first = try WriterTestDecoder(encodeParquet(batch(5000), options: options))
        let unique = encodings(first, column: 0)
        // The sample's pages were dictionary encoded; every page after it is PLAIN.
        #expect(unique.contains(PageEncodingStats(pageType: .dictionaryPage, encoding: .plain, count: 1)))
        #expect(unique.contains { $0.pageType == .dataPage && $0.encoding == .rleDictionary && $0.count <= 3 })
        #expect(unique.contains { $0.pageType == .dataPage && $0.encoding == .plain && $0.count >= 7 })
        #expect(encodings(first, column: 1) == [PageEncodingStats(pageType: .dictionaryPage, encoding: .plain, count: 1),
                                                PageEncodingStats(pageType: .dataPage, encoding: .rleDictionary, count: 10)])
        #expect(verdicts.plainColumnNames == ["unique"])
        #expect(try first.values(column: 0, type: .string) == uniques(5000))

        let second = try WriterTestDecoder(encodeParquet(batch(1000, from: 5000), options: options))
        #expect(encodings(second, column: 0) == [PageEncodingStats(pageType: .dataPage, encoding: .plain, count: 2)])
        #expect(second.metadata.rowGroups[0].columns[0].metaData!.dictionaryPageOffset == nil)
        #expect(encodings(second, column: 1).first == PageEncodingStats(pageType: .dictionaryPage, encoding: .plain, count: 1))
        #expect(try second.values(column: 0, type: .string) == uniques(1000, from: 5000))
        let s = ColumnStatistics(second.metadata.rowGroups[0].columns[0].metaData!.statistics!, type: .string)
        #expect(s?.nullCount == 100)
        #expect(s?.min == .string("order-5000-é"))
    }

    @Test func withoutVerdictsADistinctColumnKeepsItsDictionaryUpToTheBudget() throws {
        var options = ParquetWriterOptions()
        options.maxPageRows = 500
        let d = try WriterTestDecoder(encodeParquet(batch(5000), options: options))
        #expect(encodings(d, column: 0) == [PageEncodingStats(pageType: .dictionaryPage, encoding: .plain, count: 1),
                                            PageEncodingStats(pageType: .dataPage, encoding: .rleDictionary, count: 10)])
    }

    @Test func aSampleShorterThanTheProbeDecidesNothing() throws {
        let verdicts = DictionaryVerdicts()
        var options = ParquetWriterOptions()
        options.dictionaryVerdicts = verdicts
        let d = try WriterTestDecoder(encodeParquet(batch(500), options: options))
        #expect(encodings(d, column: 0).first == PageEncodingStats(pageType: .dictionaryPage, encoding: .plain, count: 1))
        #expect(verdicts.plainColumnNames.isEmpty)
        #expect(verdicts.verdict("unique") == .sampling(values: 450, distinct: 450))
        #expect(verdicts.verdict("city") == .sampling(values: 500, distinct: 3))
    }

    @Test func smallFilesPoolTheirSamplesUntilTheColumnsAreJudged() throws {
        let verdicts = DictionaryVerdicts()
        var options = ParquetWriterOptions()
        options.dictionaryVerdicts = verdicts
        // 200-row files (a day of a micro-batch): six of them complete the 1024-value samples.
        for f in 0..<6 {
            let d = try WriterTestDecoder(encodeParquet(batch(200, from: 200 * f), options: options))
            #expect(encodings(d, column: 0).first?.pageType == .dictionaryPage)
        }
        #expect(verdicts.verdict("unique") == .plain)
        #expect(verdicts.verdict("city") == .dictionary)
        let later = try WriterTestDecoder(encodeParquet(batch(200, from: 1200), options: options))
        #expect(encodings(later, column: 0) == [PageEncodingStats(pageType: .dataPage, encoding: .plain, count: 1)])
        #expect(encodings(later, column: 1).first == PageEncodingStats(pageType: .dictionaryPage, encoding: .plain, count: 1))
        #expect(try later.values(column: 0, type: .string) == uniques(200, from: 1200))
    }

    @Test(arguments: [(512, 1024, false), (513, 1024, true), (1024, 1024, true), (3, 1024, false)])
    func tooDistinctMeansMoreThanHalfOfTheSample(distinct: Int, values: Int, expected: Bool) {
        #expect(DictionaryVerdicts.isTooDistinct(distinct: distinct, values: values) == expected)
    }
}
