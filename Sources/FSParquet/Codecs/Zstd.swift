import CZstd

/// ZSTD page compression with a reused context: the only file that imports libzstd.
///
/// Each page body is one standard zstd frame (table-format.md §1.9). `ZSTD_compressCCtx`
/// writes the content size into the frame header, which lets readers allocate exactly.
/// The context is created once per compression lane (or column writer) and freed in `deinit`;
/// `ZSTD_compressCCtx` resets every parameter per call, so a reused context writes the same bytes.
package final class ZstdCompressor: PageCompressor {
    private let context: OpaquePointer
    package let level: Int32

    package init(level: Int32) {
        // ZSTD_createCCtx only fails when malloc fails: treat as an out-of-memory invariant.
        guard let c = ZSTD_createCCtx() else { preconditionFailure("ZSTD_createCCtx failed (out of memory)") }
        context = c
        self.level = level
    }

    deinit { ZSTD_freeCCtx(context) }

    package var codec: CompressionCodec { .zstd }

    /// Maps to `ZSTD_compressCCtx`; `output` grows to `ZSTD_compressBound(input.count)`.
    package func compress(_ input: UnsafeRawBufferPointer, into output: inout [UInt8]) throws(CodecError) -> Int {
        let bound = ZSTD_compressBound(input.count)
        if output.count < bound { output = [UInt8](repeating: 0, count: Swift.max(bound, output.count * 2)) }
        let n = output.withUnsafeMutableBytes { dst in
            ZSTD_compressCCtx(context, dst.baseAddress, dst.count, input.baseAddress, input.count, level)
        }
        if ZSTD_isError(n) != 0 { throw CodecError("zstd compression failed: \(String(cString: ZSTD_getErrorName(n)))") }
        return n
    }
}

/// ZSTD page decompression with a reused context (`ZSTD_decompressDCtx`), freed in `deinit`.
package final class ZstdDecompressor: PageDecompressor {
    private let context: OpaquePointer

    package init() {
        guard let c = ZSTD_createDCtx() else { preconditionFailure("ZSTD_createDCtx failed (out of memory)") }
        context = c
    }

    deinit { ZSTD_freeDCtx(context) }

    package var codec: CompressionCodec { .zstd }

    /// Decompresses into a new array of exactly `uncompressedSize` bytes; a frame that decodes to
    /// any other size is corrupt. Concatenated frames are accepted (zstd's own rule).
    package func decompress(_ input: UnsafeRawBufferPointer, uncompressedSize: Int) throws(CodecError) -> [UInt8] {
        guard uncompressedSize >= 0 else { throw CodecError("negative uncompressed size \(uncompressedSize)") }
        var result: Int = 0
        let out = [UInt8](unsafeUninitializedCapacity: uncompressedSize) { buf, count in
            // A frame larger than the capacity fails with dstSize_tooSmall rather than truncating.
            result = ZSTD_decompressDCtx(context, buf.baseAddress, uncompressedSize, input.baseAddress, input.count)
            count = ZSTD_isError(result) != 0 ? 0 : Swift.min(result, uncompressedSize)
        }
        if ZSTD_isError(result) != 0 {
            throw CodecError("zstd decompression failed: \(String(cString: ZSTD_getErrorName(result)))")
        }
        guard result == uncompressedSize else {
            throw CodecError("zstd frame decodes to \(result) bytes, header says \(uncompressedSize)")
        }
        return out
    }
}

extension ParquetCompression {
    /// The levels `zstd(level:)` accepts (`ZSTD_minCLevel()...ZSTD_maxCLevel()`, libzstd's own
    /// bounds: -131072...22 for 1.5; 0 is libzstd's default, 3).
    package static var zstdLevels: ClosedRange<Int32> { ZSTD_minCLevel()...ZSTD_maxCLevel() }
}
