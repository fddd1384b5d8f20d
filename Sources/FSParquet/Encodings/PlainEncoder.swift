import FSCore

/// PLAIN encoding (`Encodings.md: Plain`) of the non-null values of a row range.
///
/// INT32/INT64/DOUBLE are little-endian values back to back (a `memcpy` when the range has no
/// NULLs on a little-endian host), BYTE_ARRAY is a uint32 LE length then the bytes, BOOLEAN is
/// bit-packed LSB first (see `packBooleans`). NULL rows contribute nothing: their presence is in
/// the definition levels.
package enum PlainEncoder {
    /// Appends the non-null values of `values[range]`.
    @inline(__always)
    package static func append<T: FixedWidthInteger>(
        _ values: UnsafeBufferPointer<T>, range: Range<Int>, validity: UnsafeBufferPointer<UInt64>?, into sink: ByteSink
    ) {
        let size = MemoryLayout<T>.size
        sink.reserve(range.count * size)
        guard let words = validity else {
            #if _endian(little)
            if range.count > 0, let base = values.baseAddress {
                (sink.base + sink.count).copyMemory(from: base + range.lowerBound, byteCount: range.count * size)
            }
            sink.count += range.count * size
            #else
            for i in range { sink.append(littleEndian: values[i]) }
            #endif
            return
        }
        var o = sink.count
        let out = sink.base
        for i in range where isValid(words, i) {
            out.storeBytes(of: values[i].littleEndian, toByteOffset: o, as: T.self)
            o += size
        }
        sink.count = o
    }

    /// Doubles as their IEEE bit patterns (identical bytes to `append` on UInt64).
    @inline(__always)
    package static func append(
        _ values: UnsafeBufferPointer<Double>, range: Range<Int>, validity: UnsafeBufferPointer<UInt64>?, into sink: ByteSink
    ) {
        values.withMemoryRebound(to: UInt64.self) { append($0, range: range, validity: validity, into: sink) }
    }

    /// Strings: uint32 LE length, then the UTF-8 bytes, for every non-null row of `range`.
    package static func append(
        _ strings: StringArray, range: Range<Int>, validity: UnsafeBufferPointer<UInt64>?, into sink: ByteSink
    ) {
        strings.offsets.withUnsafeBufferPointer { offsets in
            strings.bytes.withUnsafeBytes { bytes in
                let lo = offsets[range.lowerBound], hi = offsets[range.upperBound]
                sink.reserve(hi - lo + 4 * range.count)
                let out = sink.base
                var o = sink.count
                for i in range {
                    if let words = validity, !isValid(words, i) { continue }
                    let start = offsets[i], length = offsets[i + 1] - start
                    out.storeBytes(of: UInt32(truncatingIfNeeded: length).littleEndian, toByteOffset: o, as: UInt32.self)
                    o += 4
                    if length > 0 { (out + o).copyMemory(from: bytes.baseAddress! + start, byteCount: length) }
                    o += length
                }
                sink.count = o
            }
        }
    }

    /// Bit-packs booleans (one byte 0/1 each) LSB first, padding the last byte with zeros.
    package static func packBooleans(_ bits: UnsafeBufferPointer<UInt8>, into sink: ByteSink) {
        let byteCount = (bits.count + 7) / 8
        sink.reserve(byteCount)
        let out = sink.base + sink.count
        var i = 0
        var o = 0
        while i < bits.count {
            var b: UInt8 = 0
            var k = 0
            while k < 8 && i + k < bits.count {
                b |= (bits[i + k] & 1) << UInt8(k)
                k += 1
            }
            out.storeBytes(of: b, toByteOffset: o, as: UInt8.self)
            o += 1
            i += 8
        }
        sink.count += byteCount
    }
}

/// Bit `i` of a validity bitmap's words (set = present).
@inline(__always)
package func isValid(_ words: UnsafeBufferPointer<UInt64>, _ i: Int) -> Bool {
    (words[i &>> 6] &>> UInt64(i & 63)) & 1 == 1
}
