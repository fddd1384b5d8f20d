import FSTestSupport
import Foundation
import Testing

/// The jobs that consume Kafka bind librdkafka's `ZSTD_decompress` to their own definition
/// (`fsZstdDecompressOnce` in FSParquet's codec file), not libzstd's: that definition is what
/// keeps librdkafka from decompressing each record batch up to three times. A link change that
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
        let binding = log.split(separator: "\n").filter { $0.contains("librdkafka") && $0.contains("`ZSTD_decompress'") }
        #expect(binding.count == 1, "librdkafka's ZSTD_decompress bindings: \(binding)")
        #expect(binding.first?.contains("to \(url.path)") == true, "bound elsewhere: \(binding)")
    }
}
