import FSTestSupport
import Foundation
import Testing

/// The jobs that consume Kafka bind librdkafka's `ZSTD_decompress` and `ZSTD_getFrameContentSize`
/// to their own definitions (`fsZstdDecompressOnce`, `fsZstdFrameContentSize` in FSParquet's
/// codec file), not libzstd's: they are what keep librdkafka from decompressing each record
/// batch up to three times and then copying it. A link change that
/// stopped exporting it would lose that silently, output unchanged; glibc's binding log shows it.
@Suite struct ZstdBindingTests {
    @Test(arguments: ["fs-ingest", "fs-agg-online"])
    func librdkafkasZstdDecompressBindsToTheJobsOwn(binary: String) throws {
        let p = Process()
        let url = Binaries.productsDirectory.appendingPathComponent(binary)
        p.executableURL = url
        p.arguments = ["--help"]
        p.environment = ["LD_DEBUG": "bindings"]
        let pipe = Pipe()
        p.standardError = pipe
        p.standardOutput = FileHandle.nullDevice
        try p.run()
        let log = String(decoding: pipe.fileHandleForReading.readDataToEndOfFile(), as: UTF8.self)
        p.waitUntilExit()
        // ZSTD_getFrameContentSize too: it sizes librdkafka's buffer (`fsZstdFrameContentSize`).
        for symbol in ["ZSTD_decompress", "ZSTD_getFrameContentSize"] {
            let binding = log.split(separator: "\n").filter { $0.contains("librdkafka") && $0.contains("`\(symbol)'") }
            #expect(binding.count == 1, "librdkafka's \(symbol) bindings: \(binding)")
            #expect(binding.first?.contains("to \(url.path)") == true, "\(symbol) bound elsewhere: \(binding)")
        }
    }
}
