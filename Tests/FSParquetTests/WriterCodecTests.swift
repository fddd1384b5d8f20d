import Dispatch
import Synchronization
import Testing

@testable import FSParquet

@Suite struct WriterCodecTests {
    @Test(arguments: [0, 1, 1000, 300_000])
    func zstdRoundTripsPageBodiesOfAnySize(size: Int) throws {
        var input = [UInt8](repeating: 0, count: size)
        for i in 0..<size { input[i] = UInt8(truncatingIfNeeded: (i * 31) ^ (i >> 7)) }
        let c = Codecs.compressor(for: .zstd(level: 1))
        var scratch: [UInt8] = []
        let n = try input.withUnsafeBytes { try c.compress($0, into: &scratch) }
        let frame = Array(scratch.prefix(n))
        let d = try #require(Codecs.decompressor(for: .zstd))
        #expect(try frame.withUnsafeBytes { try d.decompress($0, uncompressedSize: size) } == input)
    }

    @Test func zstdRejectsAWrongDeclaredSizeAndGarbage() throws {
        let input = [UInt8](repeating: 7, count: 100)
        let c = ZstdCompressor(level: 3)
        var scratch: [UInt8] = []
        let n = try input.withUnsafeBytes { try c.compress($0, into: &scratch) }
        let frame = Array(scratch.prefix(n))
        let d = ZstdDecompressor()
        #expect(throws: CodecError.self) { try frame.withUnsafeBytes { try d.decompress($0, uncompressedSize: 99) } }
        #expect(throws: CodecError.self) { try frame.withUnsafeBytes { try d.decompress($0, uncompressedSize: 101) } }
        #expect(throws: CodecError.self) { try [UInt8](repeating: 1, count: 20).withUnsafeBytes { try d.decompress($0, uncompressedSize: 5) } }
    }

    /// Decompressors share spare `ZSTD_DCtx`s (`SpareDecompressionContexts`): contexts given
    /// back by freed decompressors, one of them after a failed frame, decode the next frames
    /// exactly, from several threads at once.
    @Test func decompressorsOnReusedContextsDecodeEveryFrame() throws {
        let frames: [(frame: [UInt8], input: [UInt8])] = try (0..<6).map { k in
            let input = (0..<(1000 * (k + 1))).map { UInt8(truncatingIfNeeded: ($0 * (k + 3)) ^ ($0 >> 5)) }
            var scratch: [UInt8] = []
            let n = try input.withUnsafeBytes { try ZstdCompressor(level: 1).compress($0, into: &scratch) }
            return (Array(scratch.prefix(n)), input)
        }
        for round in 0..<3 {
            do {
                let failing = ZstdDecompressor()
                #expect(throws: CodecError.self) { try [UInt8](repeating: 9, count: 30).withUnsafeBytes { try failing.decompress($0, uncompressedSize: 30) } }
            }
            let failures = Mutex<[String]>([])
            DispatchQueue.concurrentPerform(iterations: frames.count) { k in
                let d = ZstdDecompressor()
                let out = try? frames[k].frame.withUnsafeBytes { try d.decompress($0, uncompressedSize: frames[k].input.count) }
                if out != frames[k].input { failures.withLock { $0.append("round \(round), frame \(k)") } }
            }
            #expect(failures.withLock { $0 }.isEmpty)
        }
    }

    @Test func uncompressedCopiesAndChecksTheSize() throws {
        let c = UncompressedCodec()
        var scratch: [UInt8] = []
        let three: [UInt8] = [1, 2, 3], two: [UInt8] = [1, 2]
        let n = try three.withUnsafeBytes { try c.compress($0, into: &scratch) }
        #expect(Array(scratch.prefix(n)) == three)
        #expect(try three.withUnsafeBytes { try c.decompress($0, uncompressedSize: 3) } == three)
        #expect(throws: CodecError.self) { try two.withUnsafeBytes { try c.decompress($0, uncompressedSize: 3) } }
    }

    @Test func unsupportedCodecsHaveNoDecompressor() {
        #expect(Codecs.decompressor(for: .lzo) == nil)
        #expect(Codecs.decompressor(for: CompressionCodec(rawValue: 77)) == nil)
    }
}
