import FSCore
import Testing

@testable import FSParquet

/// `CompressionVerdicts`: a string column whose sampled pages compress less than 2.5× at level 1
/// (UUIDs, hex) is written with coded literals at a fast level from the next chunk on; strings
/// that compress well and numbers keep level 1; values read back the same either way.
@Suite struct WriterCompressionVerdictTests {
    /// 36-character lowercase hex strings with dashes, like the bench's UUIDs (seeded).
    func hexStrings(_ n: Int, seed: UInt64) -> [String] {
        var x = seed
        let digits = Array("0123456789abcdef".utf8)
        return (0..<n).map { _ in
            var bytes: [UInt8] = []
            for i in 0..<36 {
                if [8, 13, 18, 23].contains(i) { bytes.append(UInt8(ascii: "-")); continue }
                x = x &* 6364136223846793005 &+ 1442695040888963407
                bytes.append(digits[Int(x >> 60)])
            }
            return String(decoding: bytes, as: UTF8.self)
        }
    }

    /// `uuid` hex strings, `items` repetitive JSON text, `amount` doubles of few distinct cents.
    func batch(_ n: Int, seed: UInt64) -> RecordBatch {
        let schema = Schema([Field("uuid", .string), Field("items", .string), Field("amount", .double)])
        let uuids = hexStrings(n, seed: seed)
        return RecordBatch(schema: schema, columns: [
            Column(.string, uuids.map { .string($0) }),
            Column(.string, (0..<n).map { .string("[{\"sku\":\"SKU-\($0 % 50)\",\"quantity\":\($0 % 3 + 1),\"price\":\($0 % 700).5}]") }),
            Column(.double, (0..<n).map { .double(Double($0 % 997) / 100) }),
        ])
    }

    func options(_ verdicts: CompressionVerdicts?) -> ParquetWriterOptions {
        var o = ParquetWriterOptions()
        o.compressionVerdicts = verdicts
        o.dictionaryVerdicts = DictionaryVerdicts()  // the UUIDs go PLAIN, as in fs-ingest
        o.maxPageRows = 2000
        return o
    }

    func compressedBytes(_ d: WriterTestDecoder, column: Int) -> Int64 {
        d.metadata.rowGroups.reduce(0) { $0 + $1.columns[column].metaData!.totalCompressedSize }
    }

    @Test func hexStringsGoFastAfterTheirSampleAndLaterChunksStillReadBack() throws {
        let verdicts = CompressionVerdicts()
        let first = try WriterTestDecoder(encodeParquet(batch(10_000, seed: 1), options: options(verdicts)))
        #expect(verdicts.fastColumnNames == ["uuid"])
        #expect(verdicts.verdict("items") == .keep)
        #expect(verdicts.verdict("amount") == .sampling(uncompressed: 0, compressed: 0))  // numbers are not judged
        #expect(try first.values(column: 0, type: .string) == hexStrings(10_000, seed: 1).map { .string($0) })

        let later = batch(10_000, seed: 2)
        let fast = try WriterTestDecoder(encodeParquet(later, options: options(verdicts)))
        let level1 = try WriterTestDecoder(encodeParquet(later, options: options(nil)))
        #expect(try fast.values(column: 0, type: .string) == level1.values(column: 0, type: .string))
        #expect(try fast.values(column: 1, type: .string) == (0..<10_000).map { later.columns[1][$0] })
        // The UUIDs lose a little of level 1's ratio (~2×), far from no compression at all.
        let raw = Int64(10_000 * 40)
        #expect(compressedBytes(fast, column: 0) > compressedBytes(level1, column: 0))
        #expect(compressedBytes(fast, column: 0) * 10 < raw * 6)
        #expect(compressedBytes(fast, column: 1) == compressedBytes(level1, column: 1))
        #expect(compressedBytes(fast, column: 2) == compressedBytes(level1, column: 2))
    }

    @Test func codedLiteralsKeepHexTextCompressedWhereTheFastLevelAloneDoesNot() throws {
        let text = Array(hexStrings(2000, seed: 7).joined().utf8)
        func ratio(_ c: ZstdCompressor) throws -> Double {
            var out: [UInt8] = []
            let n = try text.withUnsafeBytes { try c.compress($0, into: &out) }
            let back = try out.withUnsafeBytes { try ZstdDecompressor().decompress(UnsafeRawBufferPointer(rebasing: $0[0..<n]), uncompressedSize: text.count) }
            #expect(back == text)
            return Double(text.count) / Double(n)
        }
        #expect(try ratio(ZstdCompressor(level: -1000, codesLiterals: true)) > 1.7)
        #expect(try ratio(ZstdCompressor(level: -1000)) < 1.3)
        #expect(try ratio(ZstdCompressor(level: 1)) > 1.7)
    }

    @Test func onlyZstdLevelsOfOneOrMoreAreReplaced() {
        let verdicts = CompressionVerdicts()
        verdicts.record("uuid", setting: .zstd(level: 1), uncompressed: CompressionVerdicts.probeBytes, compressed: CompressionVerdicts.probeBytes / 2)
        #expect(verdicts.setting(for: "uuid", default: .zstd(level: 1)) == CompressionVerdicts.fastSetting)
        #expect(verdicts.setting(for: "uuid", default: .zstd(level: -1)) == nil)
        #expect(verdicts.setting(for: "uuid", default: .uncompressed) == nil)
        // Pages written at another setting are no evidence.
        verdicts.record("other", setting: .zstd(level: -1), uncompressed: 1 << 20, compressed: 1 << 20)
        #expect(verdicts.verdict("other") == .sampling(uncompressed: 0, compressed: 0))
    }
}
