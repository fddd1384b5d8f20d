/// Decoders of the PLAIN encoding for every physical type (`Encodings.md: Plain`,
/// table-format.md §1.7). Each reads exactly `count` values from the start of the input,
/// writes them to `out` and returns the bytes consumed.
enum PlainDecoder {
    /// INT32, INT64, FLOAT, DOUBLE: fixed-width little-endian values, copied as one block.
    static func decodeFixed<T: BitwiseCopyable>(
        _ input: UnsafeRawBufferPointer, count: Int, into out: UnsafeMutablePointer<T>
    ) throws(DecodeFailure) -> Int {
        let (bytes, overflow) = count.multipliedReportingOverflow(by: MemoryLayout<T>.size)
        guard !overflow, count >= 0, bytes <= input.count else {
            throw DecodeFailure("PLAIN \(T.self): \(count) values need \(count)×\(MemoryLayout<T>.size) bytes, \(input.count) present", at: 0)
        }
        if bytes > 0, let base = input.baseAddress {
            UnsafeMutableRawPointer(out).copyMemory(from: base, byteCount: bytes)
        }
        return bytes
    }

    /// FLOAT values widened to Double.
    static func decodeFloats(_ input: UnsafeRawBufferPointer, count: Int, into out: UnsafeMutablePointer<Double>) throws(DecodeFailure) -> Int {
        guard count >= 0, count <= input.count / 4 else {
            throw DecodeFailure("PLAIN FLOAT: \(count) values need \(count * 4) bytes, \(input.count) present", at: 0)
        }
        for i in 0 ..< count {
            out[i] = Double(Float(bitPattern: input.loadUnaligned(fromByteOffset: 4 * i, as: UInt32.self)))
        }
        return count * 4
    }

    /// BOOLEAN: one bit per value, least significant bit first.
    static func decodeBooleans(_ input: UnsafeRawBufferPointer, count: Int, into out: UnsafeMutablePointer<Bool>) throws(DecodeFailure) -> Int {
        let bytes = (count + 7) >> 3
        guard count >= 0, bytes <= input.count else {
            throw DecodeFailure("PLAIN BOOLEAN: \(count) values need \(bytes) bytes, \(input.count) present", at: 0)
        }
        for i in 0 ..< count { out[i] = (input[i >> 3] >> UInt8(i & 7)) & 1 == 1 }
        return bytes
    }

    /// Julian day number of 1970-01-01.
    static let unixEpochJulianDay: Int64 = 2_440_588

    /// INT96 timestamps (Spark's default): 8 bytes nanoseconds within the day, then 4 bytes Julian
    /// day, both little-endian; converted to µs since the Unix epoch, flooring the nanoseconds.
    static func decodeInt96Timestamps(_ input: UnsafeRawBufferPointer, count: Int, into out: UnsafeMutablePointer<Int64>) throws(DecodeFailure) -> Int {
        guard count >= 0, count <= input.count / 12 else {
            throw DecodeFailure("PLAIN INT96: \(count) values need \(count * 12) bytes, \(input.count) present", at: 0)
        }
        for i in 0 ..< count {
            let nanos = Int64(littleEndian: input.loadUnaligned(fromByteOffset: 12 * i, as: Int64.self))
            let day = Int64(Int32(littleEndian: input.loadUnaligned(fromByteOffset: 12 * i + 8, as: Int32.self)))
            out[i] = int96Micros(nanosOfDay: nanos, julianDay: day)
        }
        return count * 12
    }

    /// µs since the epoch of one INT96 value (wrapping on nonsense input rather than trapping).
    @inline(__always)
    static func int96Micros(nanosOfDay nanos: Int64, julianDay day: Int64) -> Int64 {
        let micros = nanos >= 0 ? nanos / 1000 : (nanos - 999) / 1000
        return (day &- unixEpochJulianDay) &* 86_400_000_000 &+ micros
    }

    /// BYTE_ARRAY: a uint32 length then the bytes, per value. Records each value's span in the
    /// input and returns (bytes consumed, total value bytes).
    static func decodeByteArrays(_ input: UnsafeRawBufferPointer, count: Int, into out: UnsafeMutablePointer<ByteSpan>) throws(DecodeFailure) -> (consumed: Int, valueBytes: Int) {
        guard input.count <= Int(UInt32.max) else { throw DecodeFailure("page body larger than 4 GiB", at: 0) }
        var position = 0
        var total = 0
        let end = input.count
        for i in 0 ..< count {
            guard position + 4 <= end else {
                throw DecodeFailure("PLAIN BYTE_ARRAY value \(i) of \(count): length truncated", at: position)
            }
            let length = Int(UInt32(littleEndian: input.loadUnaligned(fromByteOffset: position, as: UInt32.self)))
            position += 4
            guard length <= end - position else {
                throw DecodeFailure("PLAIN BYTE_ARRAY value \(i) of \(count): \(length) bytes, \(end - position) left", at: position - 4)
            }
            out[i] = ByteSpan(start: position, count: length)
            position += length
            total += length
        }
        return (position, total)
    }

    /// FIXED_LEN_BYTE_ARRAY: `width` bytes per value, back to back.
    static func decodeFixedLenByteArrays(_ input: UnsafeRawBufferPointer, count: Int, width: Int, into out: UnsafeMutablePointer<ByteSpan>) throws(DecodeFailure) -> Int {
        let (bytes, overflow) = count.multipliedReportingOverflow(by: width)
        guard !overflow, width >= 0, count >= 0, bytes <= input.count, input.count <= Int(UInt32.max) else {
            throw DecodeFailure("PLAIN FIXED_LEN_BYTE_ARRAY(\(width)): \(count) values do not fit \(input.count) bytes", at: 0)
        }
        for i in 0 ..< count { out[i] = ByteSpan(start: i * width, count: width) }
        return bytes
    }
}
