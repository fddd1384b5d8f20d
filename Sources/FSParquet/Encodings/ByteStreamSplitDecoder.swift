/// Decoder of BYTE_STREAM_SPLIT (`Encodings.md`), DuckDB v2's encoding for doubles: for N
/// values of K bytes, byte j of value i is stored at `j * N + i`, which compresses floats better.
enum ByteStreamSplitDecoder {
    /// Reassembles `count` values of `width` bytes into `out` (which must hold count × width
    /// bytes) and returns the bytes consumed (count × width).
    static func decode(_ input: UnsafeRawBufferPointer, count: Int, width: Int, into out: UnsafeMutableRawPointer) throws(DecodeFailure) -> Int {
        let (total, overflow) = count.multipliedReportingOverflow(by: width)
        guard !overflow, count >= 0, width > 0, total <= input.count else {
            throw DecodeFailure("BYTE_STREAM_SPLIT: \(count) values of \(width) bytes do not fit \(input.count) bytes", at: 0)
        }
        let dst = out.assumingMemoryBound(to: UInt8.self)
        for j in 0 ..< width {
            let stream = j * count
            for i in 0 ..< count { dst[i * width + j] = input[stream + i] }
        }
        return total
    }
}
