/// The RLE / bit-packing hybrid of `Encodings.md`, used for definition and repetition levels
/// and for dictionary indices.
///
/// ```
/// run            := bit-packed-run | rle-run
/// bit-packed-run := varint((groups << 1) | 1), then groups * bitWidth bytes (8 values a group)
/// rle-run        := varint(count << 1), then the value in ceil(bitWidth / 8) bytes LE
/// ```
/// Values are packed from the least significant bit. A run of 8 or more equal values becomes an
/// RLE run; before it, the pending literals are topped up to a multiple of 8 from the front of
/// that run, because only the last bit-packed run may be padded (table-format.md §1.6).
package enum RleBitPackedEncoder {
    /// Smallest bit width that holds `maxValue` (0 for 0).
    @inline(__always)
    package static func bitWidth(forMaxValue maxValue: UInt64) -> Int {
        64 - maxValue.leadingZeroBitCount
    }

    /// Encodes `values` (each < 2^bitWidth) into `sink`. `bitWidth` is 0...32.
    @inline(__always)
    package static func encode<T: FixedWidthInteger & UnsignedInteger>(
        _ values: UnsafeBufferPointer<T>, bitWidth: Int, into sink: ByteSink
    ) {
        precondition(bitWidth >= 0 && bitWidth <= 32, "RLE bit width \(bitWidth) out of range")
        let n = values.count
        var literalStart = 0  // values[literalStart..<i] are pending literals
        var i = 0
        while i < n {
            let v = values[i]
            var j = i + 1
            while j < n && values[j] == v { j += 1 }
            let runLength = j - i
            if runLength >= 8 {
                // Top the pending literals up to a multiple of 8 from the front of the run.
                let pending = i - literalStart
                let topUp = (8 - pending % 8) % 8
                if runLength - topUp >= 8 {
                    if pending + topUp > 0 {
                        writeBitPacked(values, from: literalStart, count: pending + topUp, bitWidth: bitWidth, into: sink)
                    }
                    writeRun(value: UInt64(v), count: runLength - topUp, bitWidth: bitWidth, into: sink)
                    literalStart = j
                }
            }
            i = j
        }
        if literalStart < n {
            writeBitPacked(values, from: literalStart, count: n - literalStart, bitWidth: bitWidth, into: sink)
        }
    }

    /// Encodes `counts[i]` copies of `values[i]` for each i, as `encode` would encode them
    /// written out (the same bytes), with work per run: a run of 8 or more after the pending
    /// literals are topped up is one RLE run; shorter runs join the literals (`scratch`).
    package static func encodeRuns(
        values: UnsafeBufferPointer<UInt32>, counts: UnsafeBufferPointer<UInt32>, bitWidth: Int, scratch: inout [UInt32], into sink: ByteSink
    ) {
        precondition(bitWidth >= 0 && bitWidth <= 32, "RLE bit width \(bitWidth) out of range")
        // The literals go into `scratch` through a pointer (it holds at most every row): an
        // Array append per run was a third of this function's time in the online job.
        var rows = 0
        for c in counts { rows += Int(c) }
        if scratch.count < rows { scratch.append(contentsOf: repeatElement(0, count: rows - scratch.count)) }
        scratch.withUnsafeMutableBufferPointer { literals in
            var pending = 0
            var i = 0
            while i < values.count {
                // Equal neighbours form one run, as in the expanded values.
                let v = values[i]
                var n = Int(counts[i])
                i += 1
                while i < values.count && values[i] == v { n += Int(counts[i]); i += 1 }
                let topUp = (8 - pending % 8) % 8
                if n - topUp >= 8 {
                    for _ in 0..<topUp { literals[pending] = v; pending += 1 }
                    if pending > 0 {
                        writeBitPacked(UnsafeBufferPointer(literals), from: 0, count: pending, bitWidth: bitWidth, into: sink)
                        pending = 0
                    }
                    writeRun(value: UInt64(v), count: n - topUp, bitWidth: bitWidth, into: sink)
                } else {
                    for _ in 0..<n { literals[pending] = v; pending += 1 }
                }
            }
            if pending > 0 {
                writeBitPacked(UnsafeBufferPointer(literals), from: 0, count: pending, bitWidth: bitWidth, into: sink)
            }
        }
    }

    /// One RLE run: `count` copies of `value`.
    @inline(__always)
    package static func writeRun(value: UInt64, count: Int, bitWidth: Int, into sink: ByteSink) {
        sink.appendVarint(UInt64(count) << 1)
        let valueBytes = (bitWidth + 7) / 8
        sink.reserve(valueBytes)
        var v = value
        for _ in 0..<valueBytes {
            sink.append(UInt8(truncatingIfNeeded: v))
            v >>= 8
        }
    }

    /// One bit-packed run of `count` values, zero-padded to a multiple of 8.
    @inline(__always)
    static func writeBitPacked<T: FixedWidthInteger & UnsignedInteger>(
        _ values: UnsafeBufferPointer<T>, from start: Int, count: Int, bitWidth: Int, into sink: ByteSink
    ) {
        let groups = (count + 7) / 8
        sink.appendVarint(UInt64(groups) << 1 | 1)
        let byteCount = groups * bitWidth
        sink.reserve(byteCount)
        if bitWidth == 0 { return }
        let out = sink.base + sink.count
        var acc: UInt64 = 0
        var bits = 0
        var o = 0
        let end = start + count
        var k = start
        // Four bytes at a time once 32 bits are pending (a width ≤ 32 leaves < 64 in `acc`):
        // the window bounds' 9-bit indices are ~24M values per 1M online events.
        while k < end {
            acc |= UInt64(values[k]) << UInt64(bits)
            bits += bitWidth
            if bits >= 32 {
                out.storeBytes(of: UInt32(truncatingIfNeeded: acc).littleEndian, toByteOffset: o, as: UInt32.self)
                o += 4
                acc >>= 32
                bits -= 32
            }
            k += 1
        }
        while bits >= 8 {
            out.storeBytes(of: UInt8(truncatingIfNeeded: acc), toByteOffset: o, as: UInt8.self)
            o += 1
            acc >>= 8
            bits -= 8
        }
        if bits > 0 {
            out.storeBytes(of: UInt8(truncatingIfNeeded: acc), toByteOffset: o, as: UInt8.self)
            o += 1
        }
        // Padding values are zeros: fill the rest of the last group.
        while o < byteCount {
            out.storeBytes(of: 0, toByteOffset: o, as: UInt8.self)
            o += 1
        }
        sink.count += byteCount
    }

    /// Levels of a page where every entry has the same value: one RLE run (the common case of an
    /// OPTIONAL column without NULLs in the page).
    package static func encodeConstant(_ value: UInt64, count: Int, bitWidth: Int, into sink: ByteSink) {
        if count > 0 { writeRun(value: value, count: count, bitWidth: bitWidth, into: sink) }
    }
}
