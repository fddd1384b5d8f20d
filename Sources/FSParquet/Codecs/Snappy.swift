/// Decoder of raw (unframed) Snappy blocks, the default codec of Spark, pyarrow, pandas, DuckDB
/// and delta-rs (table-format.md §2.4). Our own implementation: libzstd cannot read Snappy and
/// we link no other C library. Writing Snappy is not needed.
///
/// ```
/// uvarint uncompressedLength
/// repeat: tag byte, kind = tag & 3
///   0 literal  len = tag >> 2 (60...63: the next 1...4 bytes LE hold len), len += 1, then len bytes
///   1 copy     len = ((tag >> 2) & 7) + 4, offset = (tag >> 5) << 8 | next byte
///   2 copy     len = (tag >> 2) + 1, offset = next 2 bytes LE
///   3 copy     len = (tag >> 2) + 1, offset = next 4 bytes LE
/// ```
/// Copies read from `output[written - offset]` and may overlap what they write (run-length).
enum Snappy {
    /// The uncompressed length stated by the block's varint header, and the header's size.
    static func uncompressedLength(_ input: UnsafeRawBufferPointer) throws(DecodeFailure) -> (length: Int, headerBytes: Int) {
        var cursor = DecoderCursor(input)
        let length = try cursor.readCount(limit: Int(UInt32.max), "snappy uncompressed length")
        return (length, cursor.position)
    }

    /// Decompresses `input` into `output`, whose size must equal the block's stated length.
    static func decompress(_ input: UnsafeRawBufferPointer, into output: UnsafeMutableRawBufferPointer) throws(DecodeFailure) {
        let (length, headerBytes) = try uncompressedLength(input)
        guard length == output.count else {
            throw DecodeFailure("snappy block holds \(length) bytes, page header says \(output.count)", at: 0)
        }
        guard length > 0 else {
            guard headerBytes == input.count else { throw DecodeFailure("snappy: data after an empty block", at: headerBytes) }
            return
        }
        guard let src = input.baseAddress, let dst = output.baseAddress?.assumingMemoryBound(to: UInt8.self) else {
            throw DecodeFailure("snappy: empty input", at: 0)
        }
        let bytes = src.assumingMemoryBound(to: UInt8.self)
        let end = input.count
        var ip = headerBytes
        var op = 0
        while ip < end {
            let tagAt = ip
            let tag = Int(bytes[ip])
            ip += 1
            switch tag & 3 {
            case 0:
                var len = tag >> 2
                if len >= 60 {
                    let extra = len - 59
                    guard ip + extra <= end else { throw DecodeFailure("snappy: truncated literal length", at: tagAt) }
                    len = 0
                    for k in 0 ..< extra { len |= Int(bytes[ip + k]) << (8 * k) }
                    ip += extra
                }
                len += 1
                guard len <= end - ip else { throw DecodeFailure("snappy: literal of \(len) bytes overruns the input", at: tagAt) }
                guard len <= length - op else { throw DecodeFailure("snappy: literal overruns the output", at: tagAt) }
                (dst + op).update(from: bytes + ip, count: len)
                ip += len
                op += len
                continue
            case 1:
                guard ip < end else { throw DecodeFailure("snappy: truncated copy", at: tagAt) }
                let len = ((tag >> 2) & 7) + 4
                let offset = ((tag >> 5) << 8) | Int(bytes[ip])
                ip += 1
                try copy(dst, op: &op, offset: offset, len: len, limit: length, at: tagAt)
            case 2:
                guard ip + 2 <= end else { throw DecodeFailure("snappy: truncated copy", at: tagAt) }
                let len = (tag >> 2) + 1
                let offset = Int(bytes[ip]) | Int(bytes[ip + 1]) << 8
                ip += 2
                try copy(dst, op: &op, offset: offset, len: len, limit: length, at: tagAt)
            default:
                guard ip + 4 <= end else { throw DecodeFailure("snappy: truncated copy", at: tagAt) }
                let len = (tag >> 2) + 1
                let offset = Int(bytes[ip]) | Int(bytes[ip + 1]) << 8 | Int(bytes[ip + 2]) << 16 | Int(bytes[ip + 3]) << 24
                ip += 4
                try copy(dst, op: &op, offset: offset, len: len, limit: length, at: tagAt)
            }
        }
        guard op == length else {
            throw DecodeFailure("snappy: block decoded to \(op) bytes, header says \(length)", at: end)
        }
    }

    /// A back-reference copy; overlapping copies (offset < len) repeat the pattern byte by byte.
    @inline(__always)
    private static func copy(_ dst: UnsafeMutablePointer<UInt8>, op: inout Int, offset: Int, len: Int, limit: Int, at tagAt: Int) throws(DecodeFailure) {
        guard offset > 0, offset <= op else { throw DecodeFailure("snappy: copy offset \(offset) outside the \(op) bytes written", at: tagAt) }
        guard len <= limit - op else { throw DecodeFailure("snappy: copy overruns the output", at: tagAt) }
        let from = dst + (op - offset)
        let to = dst + op
        if offset >= len {
            to.update(from: from, count: len)
        } else {
            for k in 0 ..< len { to[k] = from[k] }
        }
        op += len
    }
}

/// SNAPPY page decompression for the reader (`Codecs.decompressor(for: .snappy)`).
package final class SnappyDecompressor: PageDecompressor {
    package init() {}
    package var codec: CompressionCodec { .snappy }

    /// Decompresses one raw Snappy block into a new array of exactly `uncompressedSize` bytes.
    package func decompress(_ input: UnsafeRawBufferPointer, uncompressedSize: Int) throws(CodecError) -> [UInt8] {
        guard uncompressedSize >= 0 else { throw CodecError("negative uncompressed size \(uncompressedSize)") }
        var failure: DecodeFailure?
        let out = [UInt8](unsafeUninitializedCapacity: uncompressedSize) { buffer, count in
            do throws(DecodeFailure) {
                try Snappy.decompress(input, into: UnsafeMutableRawBufferPointer(buffer))
                count = uncompressedSize
            } catch {
                failure = error
                count = 0
            }
        }
        if let failure { throw CodecError("snappy: \(failure)") }
        return out
    }
}
