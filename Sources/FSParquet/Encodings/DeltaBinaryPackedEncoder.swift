/// Encoder of DELTA_BINARY_PACKED (`Encodings.md: Delta Encoding`, table-format.md §2.3) for
/// INT32 and INT64 (timestamps included) columns; the inverse of `DeltaBinaryPackedDecoder`.
///
/// ```
/// header := uvarint 128 (block size), uvarint 4 (miniblocks), uvarint count, zigzag first
/// block  := zigzag minDelta, 4 bit-width bytes, the miniblocks (32 values each, LSB first)
/// ```
/// Why: columns such as a window table's `window_start`/`window_end` (long runs of one value)
/// and small counts are 8 bytes a value in PLAIN, and all of them went through ZSTD — the
/// largest single cost of fs-agg-online's output (bench/ANALYSIS.md). Deltas of a run are 0
/// (bit width 0: 4 bytes per 128 values before compression), so ZSTD sees a fraction of the bytes.
///
/// Deltas are taken in the column's own width with wrapping arithmetic, as parquet-mr and Arrow
/// do: an INT32 column never needs a width above 32, which Arrow's reader requires. Block and
/// miniblock sizes are parquet-mr's and Arrow's (128 values, 4 miniblocks of 32). Miniblocks the
/// last block does not need keep a zero width byte and no data; the last needed miniblock is
/// padded to 32 values with zeros.
package enum DeltaBinaryPackedEncoder {
    static let blockSize = 128
    static let miniblocksPerBlock = 4
    static let valuesPerMiniblock = 32

    /// Encodes `count` little-endian INT64 values read from `values` into `sink`.
    package static func encodeInt64(_ values: UnsafeRawBufferPointer, count: Int, into sink: ByteSink) {
        encode(count: count, into: sink) { values.loadUnaligned(fromByteOffset: $0 * 8, as: Int64.self) }
    }

    /// Encodes `count` little-endian INT32 values read from `values` into `sink`.
    package static func encodeInt32(_ values: UnsafeRawBufferPointer, count: Int, into sink: ByteSink) {
        encode(count: count, into: sink) { values.loadUnaligned(fromByteOffset: $0 * 4, as: Int32.self) }
    }

    /// The shared body of both widths. Per-block scratch lives in two temporary buffers and
    /// the four widths in locals: the array version allocated the widths on every block and
    /// checked uniqueness and bounds on every value (4.7% of fs-agg-online's CPU, whose window
    /// bounds and counts are all DELTA_BINARY_PACKED). A block whose deltas are all equal (a
    /// window's run of one bound) writes its widths and nothing else, without packing.
    @inline(__always)
    static func encode<T: FixedWidthInteger & SignedInteger>(count: Int, into sink: ByteSink, _ value: (Int) -> T) {
        sink.appendVarint(UInt64(blockSize))
        sink.appendVarint(UInt64(miniblocksPerBlock))
        sink.appendVarint(UInt64(count))
        sink.appendVarint(zigzag(Int64(count > 0 ? value(0) : 0)))
        guard count > 1 else { return }
        // Deltas of one block, then (delta - minDelta) as unsigned, in the column's width.
        withUnsafeTemporaryAllocation(of: T.self, capacity: blockSize) { deltas in
            withUnsafeTemporaryAllocation(of: UInt64.self, capacity: blockSize) { packed in
                var previous = value(0)
                var i = 1
                while i < count {
                    let n = Swift.min(blockSize, count - i)
                    var minDelta = T.max, maxDelta = T.min
                    for k in 0..<n {
                        let v = value(i + k)
                        let d = v &- previous
                        previous = v
                        deltas[k] = d
                        if d < minDelta { minDelta = d }
                        if d > maxDelta { maxDelta = d }
                    }
                    sink.appendVarint(zigzag(Int64(minDelta)))
                    if minDelta == maxDelta {
                        // Every delta is minDelta: all four widths 0, no miniblock data.
                        sink.append(littleEndian: UInt32(0))
                        i += n
                        continue
                    }
                    for k in 0..<n { packed[k] = UInt64(truncatingIfNeeded: T.Magnitude(truncatingIfNeeded: deltas[k] &- minDelta)) }
                    for k in n..<blockSize { packed[k] = 0 }
                    let needed = (n + valuesPerMiniblock - 1) / valuesPerMiniblock
                    var widths: (Int, Int, Int, Int) = (0, 0, 0, 0)
                    for m in 0..<needed {
                        var bits: UInt64 = 0
                        for k in m * valuesPerMiniblock ..< (m + 1) * valuesPerMiniblock { bits |= packed[k] }
                        let w = 64 - bits.leadingZeroBitCount
                        switch m {
                        case 0: widths.0 = w
                        case 1: widths.1 = w
                        case 2: widths.2 = w
                        default: widths.3 = w
                        }
                    }
                    sink.append(UInt8(widths.0))
                    sink.append(UInt8(widths.1))
                    sink.append(UInt8(widths.2))
                    sink.append(UInt8(widths.3))
                    let p = UnsafeBufferPointer(packed)
                    for m in 0..<needed {
                        let w = m == 0 ? widths.0 : m == 1 ? widths.1 : m == 2 ? widths.2 : widths.3
                        pack(UnsafeBufferPointer(rebasing: p[m * valuesPerMiniblock ..< (m + 1) * valuesPerMiniblock]), bitWidth: w, into: sink)
                    }
                    i += n
                }
            }
        }
    }

    /// Appends `values` (each < 2^bitWidth) bit-packed from the least significant bit; the
    /// caller passes a multiple of 8 values, so the output is whole bytes.
    @inline(__always)
    static func pack(_ values: UnsafeBufferPointer<UInt64>, bitWidth: Int, into sink: ByteSink) {
        guard bitWidth > 0 else { return }
        sink.reserve(values.count * bitWidth / 8)
        var acc: UInt64 = 0
        var accBits = 0
        for v in values {
            acc |= v << UInt64(accBits)  // smart shift: 0 when accBits == 64 is impossible here
            if accBits + bitWidth >= 64 {
                sink.append(littleEndian: acc)
                let used = 64 - accBits
                acc = used >= 64 ? 0 : v >> UInt64(used)
                accBits = accBits + bitWidth - 64
            } else {
                accBits += bitWidth
            }
        }
        var rest = acc
        for _ in 0 ..< (accBits + 7) / 8 {
            sink.append(UInt8(truncatingIfNeeded: rest))
            rest >>= 8
        }
    }

    @inline(__always)
    static func zigzag(_ v: Int64) -> UInt64 { UInt64(bitPattern: (v << 1) ^ (v >> 63)) }
}
