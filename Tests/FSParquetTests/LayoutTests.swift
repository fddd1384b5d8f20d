import FSCore
import Testing

@testable import FSParquet

#if canImport(Glibc)
import Glibc
#elseif canImport(Darwin)
import Darwin
#endif

/// Layout goldens: the text dump of files written from fixed inputs must not change unless the
/// format change is intended. `FS_RECORD=1 swift test --filter Layout` (or
/// `scripts/record-parquet-layout.sh`) rewrites the goldens and fails the run, so a recording is
/// never mistaken for a pass.
///
/// Pages are written UNCOMPRESSED so the sizes and offsets do not depend on the libzstd
/// version; the ZSTD path is covered by the writer tests and interop checks.
@Suite struct LayoutTests {
    static var fixtures: String {
        let file = "\(#filePath)"
        return String(file[..<file.lastIndex(of: "/")!]) + "/Fixtures/layout"
    }

    static var isRecording: Bool { getenv("FS_RECORD").map { String(cString: $0) == "1" } ?? false }

    private func check(_ actual: String, golden name: String) throws {
        let path = Self.fixtures + "/" + name
        if Self.isRecording {
            try? FileSystem.removeFile(path)
            try FileSystem.writeNewFile(path, Array(actual.utf8), sync: false)
            Issue.record("recorded \(path); rerun without FS_RECORD=1")
            return
        }
        let expected = String(decoding: try FileSystem.readFile(path), as: UTF8.self)
        if expected != actual {
            let e = expected.split(separator: "\n", omittingEmptySubsequences: false)
            let a = actual.split(separator: "\n", omittingEmptySubsequences: false)
            let first = (0..<min(e.count, a.count)).first { e[$0] != a[$0] } ?? min(e.count, a.count)
            Issue.record("""
                layout differs from \(name) at line \(first + 1):
                expected: \(first < e.count ? String(e[first]) : "<end>")
                actual:   \(first < a.count ? String(a[first]) : "<end>")
                (FS_RECORD=1 rewrites the golden if the change is intended)
                """)
        }
    }

    private var options: ParquetWriterOptions {
        var o = ParquetWriterOptions()
        o.compression = .uncompressed
        o.maxPageRows = 400
        o.maxDictionaryBytes = 4000   // "code" (unique strings) falls back to PLAIN mid-chunk
        o.rowGroupBytes = 24_000      // two row groups
        o.createdBy = "fs version 0.1.0 (build layout-golden)"
        return o
    }

    @Test func everyTypeFileLayoutMatchesTheGolden() throws {
        let bytes = try encodeParquet(everyTypeBatch(rows: 1200), options: options)
        let layout = try describeLayout(fileBytes: bytes)
        #expect(layout.contains("encoding_stats: DICTIONARY_PAGE/PLAINx1 DATA_PAGE/RLE_DICTIONARYx"))
        try check(layout, golden: "every-type.txt")
    }

    @Test func zeroRowFileLayoutMatchesTheGolden() throws {
        let bytes = try encodeParquet(RecordBatch.empty(everyTypeBatch(rows: 0).schema), options: options)
        try check(try describeLayout(fileBytes: bytes), golden: "zero-rows.txt")
    }

    @Test func checkpointLayoutMatchesTheGolden() throws {
        let bytes = try encodeNestedParquet(schema: checkpointSchema(), rows: checkpointRows(), options: options)
        try check(try describeLayout(fileBytes: bytes), golden: "checkpoint.txt")
    }

    @Test func footerOnlyDescriptionIsTheFileDescriptionWithoutPages() throws {
        let bytes = try encodeParquet(everyTypeBatch(rows: 50), options: options)
        let full = try describeLayout(fileBytes: bytes)
        let meta = try WriterTestDecoder(bytes).metadata
        let withoutPages = full.split(separator: "\n").filter { !$0.hasPrefix("    page @") }.joined(separator: "\n") + "\n"
        #expect(describeLayout(meta) == withoutPages)
    }

    @Test func describingGarbageIsAnError() {
        #expect(throws: ParquetError.self) { try describeLayout(fileBytes: Array("PAR1xxxxPAR1".utf8)) }
        #expect(throws: ParquetError.self) { try describeLayout(fileBytes: [1, 2, 3]) }
    }
}
