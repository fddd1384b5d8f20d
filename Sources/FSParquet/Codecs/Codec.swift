/// A failure inside a codec, without file context: callers wrap it into a `ParquetError` that
/// names the file, column and page offset.
package struct CodecError: Error, Equatable, CustomStringConvertible {
    package var reason: String
    package init(_ reason: String) { self.reason = reason }
    package var description: String { reason }
}

/// Compresses page bodies for the writer. One instance per compression lane (or per column writer
/// without a pool): implementations keep native contexts (ZSTD_CCtx) between pages, so they are
/// classes and not shared across threads.
package protocol PageCompressor: AnyObject {
    /// The codec id written into `ColumnMetaData.codec`.
    var codec: CompressionCodec { get }
    /// Compresses `input` into the front of `output` and returns the compressed byte count.
    /// `output` is scratch space reused across pages: it grows as needed and is never shrunk.
    func compress(_ input: UnsafeRawBufferPointer, into output: inout [UInt8]) throws(CodecError) -> Int
}

/// Decompresses page bodies for the reader.
package protocol PageDecompressor: AnyObject {
    var codec: CompressionCodec { get }
    /// Decompresses one page body; the result must be exactly `uncompressedSize` bytes, or the
    /// page is corrupt.
    func decompress(_ input: UnsafeRawBufferPointer, uncompressedSize: Int) throws(CodecError) -> [UInt8]
}

/// The codecs fs knows, by id: the one place that maps `CompressionCodec` to an implementation.
package enum Codecs {
    /// The compressor for a writer setting.
    package static func compressor(for compression: ParquetCompression) -> PageCompressor {
        switch compression {
        case .uncompressed: return UncompressedCodec()
        case .zstd(let level): return ZstdCompressor(level: level)
        case .zstdCodedLiterals(let level): return ZstdCompressor(level: level, codesLiterals: true)
        }
    }

    /// The decompressor for a codec id, or nil when fs cannot read it (the reader reports the
    /// column).
    package static func decompressor(for codec: CompressionCodec) -> PageDecompressor? {
        switch codec {
        case .uncompressed: return UncompressedCodec()
        case .zstd: return ZstdDecompressor()
        case .snappy: return SnappyDecompressor()
        default: return nil
        }
    }
}

/// UNCOMPRESSED: the body is stored as is.
package final class UncompressedCodec: PageCompressor, PageDecompressor {
    package init() {}
    package var codec: CompressionCodec { .uncompressed }

    package func compress(_ input: UnsafeRawBufferPointer, into output: inout [UInt8]) throws(CodecError) -> Int {
        if output.count < input.count { output = [UInt8](repeating: 0, count: input.count) }
        output.withUnsafeMutableBytes { dst in
            if let base = input.baseAddress, input.count > 0 { dst.baseAddress!.copyMemory(from: base, byteCount: input.count) }
        }
        return input.count
    }

    package func decompress(_ input: UnsafeRawBufferPointer, uncompressedSize: Int) throws(CodecError) -> [UInt8] {
        guard input.count == uncompressedSize else {
            throw CodecError("uncompressed page holds \(input.count) bytes, header says \(uncompressedSize)")
        }
        return Array(input)
    }
}
