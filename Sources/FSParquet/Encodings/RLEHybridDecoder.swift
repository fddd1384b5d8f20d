/// Decoder of the RLE / bit-packing hybrid (`Encodings.md`, table-format.md §1.6), used for
/// repetition and definition levels, dictionary indices and RLE booleans.
///
/// ```
/// run := bit-packed-run | rle-run
/// bit-packed-run := varint((groups << 1) | 1), groups * bitWidth bytes   (8 values per group)
/// rle-run        := varint(count << 1), the value in ceil(bitWidth / 8) bytes, little-endian
/// ```
/// The decoder stops after `count` values: only the last bit-packed run may be padded, and the
/// padding is never read as data.
enum RLEHybridDecoder {
    /// Largest run the spec allows (2^31 - 1 values); bigger headers are corrupt.
    static let maxRunValues = Int(Int32.max)

    /// Decodes `count` values of width `bitWidth` (0...32) from the start of `input` into `out`
    /// and returns the number of input bytes consumed.
    static func decode(
        _ input: UnsafeRawBufferPointer, bitWidth: Int, count: Int, into out: UnsafeMutablePointer<UInt32>
    ) throws(DecodeFailure) -> Int {
        guard (0...32).contains(bitWidth) else { throw DecodeFailure("bit width \(bitWidth) outside 0...32", at: 0) }
        var cursor = DecoderCursor(input)
        var produced = 0
        let valueBytes = (bitWidth + 7) >> 3
        while produced < count {
            let runStart = cursor.position
            let header = try cursor.readVarint()
            let remaining = count - produced
            if header & 1 == 1 {
                let groups = header >> 1
                guard groups <= UInt64(maxRunValues / 8) else {
                    throw DecodeFailure("bit-packed run of \(groups) groups is too long", at: runStart)
                }
                let runValues = Int(groups) * 8
                let runBytes = Int(groups) * bitWidth
                let take = Swift.min(runValues, remaining)
                // The final run may be cut short after the last needed value; earlier runs must be whole.
                let needed = take == runValues ? runBytes : (take * bitWidth + 7) >> 3
                try cursor.require(needed, "bit-packed run")
                let available = Swift.min(runBytes, cursor.remaining)
                let bytes = UnsafeRawBufferPointer(rebasing: input[cursor.position ..< cursor.position + available])
                unpack(bytes, bitWidth: bitWidth, count: take, into: out + produced)
                cursor.position += available
                produced += take
            } else {
                let runValues = header >> 1
                guard runValues <= UInt64(maxRunValues) else {
                    throw DecodeFailure("RLE run of \(runValues) values is too long", at: runStart)
                }
                let raw = try cursor.readBytes(valueBytes, "RLE run value")
                var value: UInt32 = 0
                for i in 0 ..< valueBytes { value |= UInt32(raw[i]) << UInt32(8 * i) }
                let take = Swift.min(Int(runValues), remaining)
                (out + produced).update(repeating: value, count: take)
                produced += take
            }
        }
        return cursor.position
    }

    /// Unpacks `count` values of `bitWidth` bits, least significant bit first, from `bytes`.
    /// `bytes` must hold at least `ceil(count * bitWidth / 8)` bytes.
    @inline(__always)
    static func unpack(_ bytes: UnsafeRawBufferPointer, bitWidth: Int, count: Int, into out: UnsafeMutablePointer<UInt32>) {
        if bitWidth == 0 {
            out.update(repeating: 0, count: count)
            return
        }
        let mask: UInt64 = (1 << UInt64(bitWidth)) - 1
        let byteCount = bytes.count
        var bit = 0
        var i = 0
        // Fast path: a whole 8-byte window is inside the buffer.
        while i < count {
            let byteIndex = bit >> 3
            if byteIndex + 8 > byteCount { break }
            let word = UInt64(littleEndian: bytes.loadUnaligned(fromByteOffset: byteIndex, as: UInt64.self))
            out[i] = UInt32(truncatingIfNeeded: (word >> UInt64(bit & 7)) & mask)
            bit += bitWidth
            i += 1
        }
        while i < count {
            let byteIndex = bit >> 3
            var word: UInt64 = 0
            var k = 0
            while k < 8 && byteIndex + k < byteCount {
                word |= UInt64(bytes[byteIndex + k]) << UInt64(8 * k)
                k += 1
            }
            out[i] = UInt32(truncatingIfNeeded: (word >> UInt64(bit & 7)) & mask)
            bit += bitWidth
            i += 1
        }
    }

    /// Decodes levels or booleans stored with the 4-byte little-endian length prefix (data page
    /// v1 levels, RLE booleans) and returns the bytes consumed including the prefix.
    static func decodeLengthPrefixed(
        _ input: UnsafeRawBufferPointer, bitWidth: Int, count: Int, into out: UnsafeMutablePointer<UInt32>
    ) throws(DecodeFailure) -> Int {
        var cursor = DecoderCursor(input)
        let length = Int(try cursor.readUInt32())
        let body = try cursor.readBytes(length, "length-prefixed RLE runs")
        do {
            _ = try decode(body, bitWidth: bitWidth, count: count, into: out)
        } catch {
            throw DecodeFailure(error.reason, at: error.offset + 4)
        }
        return 4 + length
    }

    /// Bit width needed for values up to `maxValue` (the level bit width rule of `Encodings.md`).
    static func bitWidth(forMaxValue maxValue: Int) -> Int {
        maxValue <= 0 ? 0 : Int.bitWidth - maxValue.leadingZeroBitCount
    }
}
