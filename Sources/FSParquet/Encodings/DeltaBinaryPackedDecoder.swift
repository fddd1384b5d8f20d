/// Decoder of DELTA_BINARY_PACKED (`Encodings.md: Delta Encoding`, table-format.md §2.3), the
/// encoding DuckDB v2 and Spark v2 use for int32/int64/timestamp, and the length streams of the
/// two DELTA_*_BYTE_ARRAY encodings.
///
/// ```
/// header := uvarint blockSize, uvarint miniblocksPerBlock, uvarint totalCount, zigzag first
/// block  := zigzag minDelta, one bit-width byte per miniblock, the miniblocks
///           (each blockSize / miniblocksPerBlock values, bit-packed LSB first)
/// ```
/// Miniblocks that the last block does not need keep their width byte but have no data.
/// All arithmetic wraps, so INT32 columns truncate to the same results parquet-mr computes.
enum DeltaBinaryPackedDecoder {
    /// Upper bound on block sizes we accept; writers use 128 (parquet-mr, arrow) or 1024.
    static let maxBlockSize = 1 << 20

    /// Decodes one DELTA_BINARY_PACKED stream from the start of `input` into `out` (resized to
    /// hold the values), refusing streams of more than `maxCount` values. Returns the number of
    /// values and the bytes consumed (the position just after the last needed miniblock).
    static func decode(
        _ input: UnsafeRawBufferPointer, maxCount: Int, into out: inout [Int64]
    ) throws(DecodeFailure) -> (count: Int, consumed: Int) {
        var cursor = DecoderCursor(input)
        let blockSize = try cursor.readCount(limit: maxBlockSize, "delta block size")
        let miniblocks = try cursor.readCount(limit: maxBlockSize, "delta miniblocks per block")
        let totalCount = try cursor.readCount(limit: Swift.max(maxCount, 0), "delta value count")
        let first = try cursor.readZigZagVarint()
        guard blockSize > 0, miniblocks > 0, blockSize % miniblocks == 0, (blockSize / miniblocks) % 8 == 0 else {
            throw DecodeFailure("delta header: block size \(blockSize) with \(miniblocks) miniblocks is invalid", at: 0)
        }
        let perMiniblock = blockSize / miniblocks
        if out.count < totalCount { out = [Int64](repeating: 0, count: totalCount) }
        if totalCount == 0 { return (0, cursor.position) }
        var failure: DecodeFailure?
        out.withUnsafeMutableBufferPointer { buffer in
            guard let dst = buffer.baseAddress else { return }
            dst[0] = first
            var produced = 1
            var last = first
            do throws(DecodeFailure) {
                while produced < totalCount {
                    let minDelta = try cursor.readZigZagVarint()
                    let widths = try cursor.readBytes(miniblocks, "miniblock bit widths")
                    var m = 0
                    while m < miniblocks && produced < totalCount {
                        let width = Int(widths[m])
                        guard width <= 64 else {
                            throw DecodeFailure("miniblock bit width \(width) exceeds 64", at: cursor.position - miniblocks + m)
                        }
                        let take = Swift.min(perMiniblock, totalCount - produced)
                        let fullBytes = perMiniblock * width / 8
                        // The last miniblock should be padded to full size; accept it cut after the last value.
                        try cursor.require((take * width + 7) / 8, "miniblock data")
                        let available = Swift.min(fullBytes, cursor.remaining)
                        let data = UnsafeRawBufferPointer(rebasing: input[cursor.position ..< cursor.position + available])
                        unpack64(data, bitWidth: width, count: take) { delta in
                            last = last &+ minDelta &+ Int64(bitPattern: delta)
                            dst[produced] = last
                            produced += 1
                        }
                        cursor.position += available
                        m += 1
                    }
                }
            } catch {
                failure = error
            }
        }
        if let failure { throw failure }
        return (totalCount, cursor.position)
    }

    /// Calls `body` with `count` values of `bitWidth` (0...64) bits unpacked LSB first.
    @inline(__always)
    static func unpack64(_ bytes: UnsafeRawBufferPointer, bitWidth: Int, count: Int, _ body: (UInt64) -> Void) {
        if bitWidth == 0 {
            for _ in 0 ..< count { body(0) }
            return
        }
        let mask: UInt64 = bitWidth == 64 ? ~0 : (1 << UInt64(bitWidth)) - 1
        let byteCount = bytes.count
        var bit = 0
        for _ in 0 ..< count {
            let byteIndex = bit >> 3
            let shift = UInt64(bit & 7)
            var value: UInt64
            if byteIndex + 8 <= byteCount {
                value = UInt64(littleEndian: bytes.loadUnaligned(fromByteOffset: byteIndex, as: UInt64.self)) >> shift
            } else {
                value = 0
                var k = 0
                while k < 8 && byteIndex + k < byteCount {
                    value |= UInt64(bytes[byteIndex + k]) << UInt64(8 * k)
                    k += 1
                }
                value >>= shift
            }
            // Widths above 56 can spill into a ninth byte.
            if Int(shift) + bitWidth > 64, byteIndex + 8 < byteCount {
                value |= UInt64(bytes[byteIndex + 8]) << (64 - shift)
            }
            body(value & mask)
            bit += bitWidth
        }
    }
}
