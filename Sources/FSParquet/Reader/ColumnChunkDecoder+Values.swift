import FSCore

/// Values of a column chunk: the encodings (PLAIN, dictionary indices, DELTA_*,
/// BYTE_STREAM_SPLIT) appended to the column, and the logical-type conversions (timestamps,
/// decimals, UUIDs). Split from the page layer so each file holds one concern.
extension ColumnChunkDecoder {
    /// Appends `count` dense values of `encoding` from `values` to `output`.
    mutating func decodeValues(
        _ values: UnsafeRawBufferPointer, encoding: Encoding, count: Int, into output: inout ColumnAccumulator
    ) throws(DecodeFailure) {
        switch encoding {
        case .plain:
            _ = try appendPlain(values, count: count, into: &output)
        case .plainDictionary, .rleDictionary:
            guard let dictionary else { throw DecodeFailure("dictionary-encoded page before any dictionary page", at: 0) }
            if indices.count < count { indices = [UInt32](repeating: 0, count: count) }
            let dictCount = dictionary.count
            // This chunk's dictionary takes the next `dictCount` codes of the read (see `codes`).
            if dictionaryCodeBase == nil {
                dictionaryCodeBase = output.codeCount
                output.codeCount += dictCount
            }
            let codeBase = dictionaryCodeBase!
            var failure: DecodeFailure?
            indices.withUnsafeMutableBufferPointer { buffer in
                guard let p = buffer.baseAddress else { return }
                do throws(DecodeFailure) {
                    _ = try DictionaryDecoder.decodeIndices(values, count: count, dictionaryCount: dictCount, into: p)
                    output.appendFromDictionary(dictionary, indices: p, count: count, codeBase: codeBase)
                } catch {
                    failure = error
                }
            }
            if let failure { throw failure }
        case .rle:
            guard conversion == .boolean else { throw DecodeFailure("RLE values for a non-boolean column", at: 0) }
            if indices.count < count { indices = [UInt32](repeating: 0, count: count) }
            try indices.withUnsafeMutableBufferPointer { (buffer: inout UnsafeMutableBufferPointer<UInt32>) throws(DecodeFailure) in
                guard let p = buffer.baseAddress else { return }
                _ = try RLEHybridDecoder.decodeLengthPrefixed(values, bitWidth: 1, count: count, into: p)
                try ColumnAccumulator.append(to: &output.booleans, count: count, zero: false) { (out: UnsafeMutablePointer<Bool>) throws(DecodeFailure) in
                    for i in 0 ..< count { out[i] = p[i] != 0 }
                }
            }
        case .deltaBinaryPacked:
            let (n, _) = try DeltaBinaryPackedDecoder.decode(values, maxCount: count, into: &integers)
            guard n == count else { throw DecodeFailure("DELTA_BINARY_PACKED holds \(n) values, page needs \(count)", at: 0) }
            try integers.withUnsafeBufferPointer { (p: UnsafeBufferPointer<Int64>) throws(DecodeFailure) in
                try appendIntegers(p.baseAddress, count: count, into: &output)
            }
        case .deltaLengthByteArray, .deltaByteArray:
            guard leaf.physicalType == .byteArray else { throw DecodeFailure("\(encoding) for a \(leaf.physicalType) column", at: 0) }
            var local = Self.takeScratch(&spans, count: count, zero: ByteSpan(start: 0, count: 0))
            defer { spans = local }
            try local.withUnsafeMutableBufferPointer { (buffer: inout UnsafeMutableBufferPointer<ByteSpan>) throws(DecodeFailure) in
                let p = buffer.baseAddress!
                if encoding == .deltaLengthByteArray {
                    let (_, total) = try deltaBytes.decodeDeltaLength(values, count: count, into: p)
                    try appendByteValues(source: values.baseAddress, spans: p, count: count, totalBytes: total, into: &output)
                } else {
                    let (_, total) = try deltaBytes.decodeDeltaByteArray(values, count: count, into: p)
                    let rebuilt = deltaBytes.rebuilt
                    try rebuilt.withBytes { (r: UnsafeRawBufferPointer) throws(DecodeFailure) in
                        try appendByteValues(source: r.baseAddress, spans: p, count: count, totalBytes: total, into: &output)
                    }
                }
            }
        case .byteStreamSplit:
            let width: Int
            switch leaf.physicalType {
            case .float, .int32: width = 4
            case .double, .int64: width = 8
            case .fixedLenByteArray: width = leaf.typeLength
            default: throw DecodeFailure("BYTE_STREAM_SPLIT for a \(leaf.physicalType) column", at: 0)
            }
            let (bytes, overflow) = count.multipliedReportingOverflow(by: width)
            guard !overflow, bytes <= values.count else { throw DecodeFailure("BYTE_STREAM_SPLIT: \(count) values of \(width) bytes exceed \(values.count)", at: 0) }
            if streamSplit.count < Swift.max(bytes, 1) { streamSplit = [UInt8](repeating: 0, count: Swift.max(bytes, 1)) }
            var local = streamSplit
            streamSplit = []
            defer { streamSplit = local }
            try local.withMutableBytes { (buffer: UnsafeMutableRawBufferPointer) throws(DecodeFailure) in
                _ = try ByteStreamSplitDecoder.decode(values, count: count, width: width, into: buffer.baseAddress!)
                _ = try appendPlain(UnsafeRawBufferPointer(rebasing: buffer[0 ..< bytes]), count: count, into: &output)
            }
        default:
            throw DecodeFailure("encoding \(encoding) is not supported", at: 0)
        }
    }

    /// Appends `count` PLAIN values of the leaf's physical type, converted; returns bytes consumed.
    mutating func appendPlain(
        _ input: UnsafeRawBufferPointer, count: Int, into output: inout ColumnAccumulator
    ) throws(DecodeFailure) -> Int {
        // Every PLAIN value takes at least one bit: a larger count is corrupt, and checking it
        // first keeps a hostile count from sizing any buffer.
        guard count >= 0, count / 8 <= input.count else {
            throw DecodeFailure("\(count) values cannot fit in \(input.count) bytes", at: 0)
        }
        var consumed = 0
        switch conversion {
        case .boolean:
            try ColumnAccumulator.append(to: &output.booleans, count: count, zero: false) { (p: UnsafeMutablePointer<Bool>) throws(DecodeFailure) in
                consumed = try PlainDecoder.decodeBooleans(input, count: count, into: p)
            }
        case .int32:
            try ColumnAccumulator.append(to: &output.int32s, count: count, zero: 0) { (p: UnsafeMutablePointer<Int32>) throws(DecodeFailure) in
                consumed = try PlainDecoder.decodeFixed(input, count: count, into: p)
            }
        case .int64, .timestampMillis, .timestampNanos:
            let start = output.int64s.count
            try ColumnAccumulator.append(to: &output.int64s, count: count, zero: 0) { (p: UnsafeMutablePointer<Int64>) throws(DecodeFailure) in
                consumed = try PlainDecoder.decodeFixed(input, count: count, into: p)
            }
            if conversion != .int64 { Self.convertTimestamps(&output.int64s, from: start, conversion: conversion) }
        case .int96:
            try ColumnAccumulator.append(to: &output.int64s, count: count, zero: 0) { (p: UnsafeMutablePointer<Int64>) throws(DecodeFailure) in
                consumed = try PlainDecoder.decodeInt96Timestamps(input, count: count, into: p)
            }
        case .float:
            try ColumnAccumulator.append(to: &output.doubles, count: count, zero: 0) { (p: UnsafeMutablePointer<Double>) throws(DecodeFailure) in
                consumed = try PlainDecoder.decodeFloats(input, count: count, into: p)
            }
        case .double:
            try ColumnAccumulator.append(to: &output.doubles, count: count, zero: 0) { (p: UnsafeMutablePointer<Double>) throws(DecodeFailure) in
                consumed = try PlainDecoder.decodeFixed(input, count: count, into: p)
            }
        case .uint32ToInt64, .decimalInt32:
            var local = Self.takeScratch(&int32Scratch, count: count, zero: 0)
            defer { int32Scratch = local }
            try local.withUnsafeMutableBufferPointer { (b: inout UnsafeMutableBufferPointer<Int32>) throws(DecodeFailure) in
                consumed = try PlainDecoder.decodeFixed(input, count: count, into: b.baseAddress!)
                if case .decimalInt32(let scale) = conversion {
                    let divisor = Self.powerOfTen(scale)
                    try ColumnAccumulator.append(to: &output.doubles, count: count, zero: 0) { (p: UnsafeMutablePointer<Double>) throws(DecodeFailure) in
                        for i in 0 ..< count { p[i] = Double(b[i]) / divisor }
                    }
                } else {
                    try ColumnAccumulator.append(to: &output.int64s, count: count, zero: 0) { (p: UnsafeMutablePointer<Int64>) throws(DecodeFailure) in
                        for i in 0 ..< count { p[i] = Int64(UInt32(bitPattern: b[i])) }
                    }
                }
            }
        case .decimalInt64(let scale):
            var local = Self.takeScratch(&integers, count: count, zero: 0)
            defer { integers = local }
            let divisor = Self.powerOfTen(scale)
            try local.withUnsafeMutableBufferPointer { (b: inout UnsafeMutableBufferPointer<Int64>) throws(DecodeFailure) in
                consumed = try PlainDecoder.decodeFixed(input, count: count, into: b.baseAddress!)
                try ColumnAccumulator.append(to: &output.doubles, count: count, zero: 0) { (p: UnsafeMutablePointer<Double>) throws(DecodeFailure) in
                    for i in 0 ..< count { p[i] = Double(b[i]) / divisor }
                }
            }
        case .bytes, .uuid, .decimalBytes:
            var local = Self.takeScratch(&spans, count: count, zero: ByteSpan(start: 0, count: 0))
            defer { spans = local }
            try local.withUnsafeMutableBufferPointer { (b: inout UnsafeMutableBufferPointer<ByteSpan>) throws(DecodeFailure) in
                let p = b.baseAddress!
                let total: Int
                if leaf.physicalType == .fixedLenByteArray {
                    consumed = try PlainDecoder.decodeFixedLenByteArrays(input, count: count, width: leaf.typeLength, into: p)
                    total = count * leaf.typeLength
                } else {
                    (consumed, total) = try PlainDecoder.decodeByteArrays(input, count: count, into: p)
                }
                try appendByteValues(source: input.baseAddress, spans: p, count: count, totalBytes: total, into: &output)
            }
        }
        return consumed
    }

    /// One of the decoder's reused scratch arrays, grown to at least `count` elements (one at
    /// least, so its buffer has an address) and moved out of the decoder, so that a closure over
    /// its buffer may use the decoder too (exclusive access). The caller puts it back
    /// (`defer { scratch = local }`), and the next page reuses the allocation.
    static func takeScratch<Element>(_ scratch: inout [Element], count: Int, zero: Element) -> [Element] {
        if scratch.count < Swift.max(count, 1) { scratch = [Element](repeating: zero, count: Swift.max(count, 1)) }
        defer { scratch = [] }
        return scratch
    }

    /// Appends BYTE_ARRAY-like values given as spans into `source`, converted.
    func appendByteValues(
        source: UnsafeRawPointer?, spans: UnsafePointer<ByteSpan>, count: Int, totalBytes: Int,
        into output: inout ColumnAccumulator
    ) throws(DecodeFailure) {
        switch conversion {
        case .bytes:
            if let source {
                output.appendStrings(source: source, spans: spans, count: count, totalBytes: totalBytes)
            } else {
                output.codes = nil
                output.offsets.append(contentsOf: repeatElement(output.bytes.count, count: count))
            }
        case .uuid:
            for i in 0 ..< count {
                guard let source, spans[i].count == 16 else { throw DecodeFailure("UUID value of \(spans[i].count) bytes", at: 0) }
                output.appendUUID(UnsafeRawBufferPointer(start: source + Int(spans[i].start), count: 16))
            }
        case .decimalBytes(let scale):
            let divisor = Self.powerOfTen(scale)
            try ColumnAccumulator.append(to: &output.doubles, count: count, zero: 0) { (p: UnsafeMutablePointer<Double>) throws(DecodeFailure) in
                for i in 0 ..< count {
                    let s = spans[i]
                    guard let source, s.count <= 16 else { throw DecodeFailure("DECIMAL of \(s.count) bytes (at most 16 supported)", at: 0) }
                    p[i] = Self.bigEndianTwosComplement(UnsafeRawBufferPointer(start: source + Int(s.start), count: Int(s.count))) / divisor
                }
            }
        default:
            throw DecodeFailure("byte array values for a \(leaf.physicalType) column", at: 0)
        }
    }

    /// Appends integers decoded as Int64 (DELTA_BINARY_PACKED), converted to the column's type.
    func appendIntegers(_ values: UnsafePointer<Int64>?, count: Int, into output: inout ColumnAccumulator) throws(DecodeFailure) {
        guard count > 0, let values else { return }
        switch conversion {
        case .int32:
            try ColumnAccumulator.append(to: &output.int32s, count: count, zero: 0) { (p: UnsafeMutablePointer<Int32>) throws(DecodeFailure) in
                for i in 0 ..< count { p[i] = Int32(truncatingIfNeeded: values[i]) }
            }
        case .uint32ToInt64:
            try ColumnAccumulator.append(to: &output.int64s, count: count, zero: 0) { (p: UnsafeMutablePointer<Int64>) throws(DecodeFailure) in
                for i in 0 ..< count { p[i] = Int64(UInt32(truncatingIfNeeded: values[i])) }
            }
        case .int64, .timestampMillis, .timestampNanos:
            let start = output.int64s.count
            output.int64s.append(contentsOf: UnsafeBufferPointer(start: values, count: count))
            if conversion != .int64 { Self.convertTimestamps(&output.int64s, from: start, conversion: conversion) }
        case .decimalInt32(let scale):
            let divisor = Self.powerOfTen(scale)
            try ColumnAccumulator.append(to: &output.doubles, count: count, zero: 0) { (p: UnsafeMutablePointer<Double>) throws(DecodeFailure) in
                for i in 0 ..< count { p[i] = Double(Int32(truncatingIfNeeded: values[i])) / divisor }
            }
        case .decimalInt64(let scale):
            let divisor = Self.powerOfTen(scale)
            try ColumnAccumulator.append(to: &output.doubles, count: count, zero: 0) { (p: UnsafeMutablePointer<Double>) throws(DecodeFailure) in
                for i in 0 ..< count { p[i] = Double(values[i]) / divisor }
            }
        default:
            throw DecodeFailure("DELTA_BINARY_PACKED for a \(leaf.physicalType) column", at: 0)
        }
    }

    // MARK: Conversions

    /// TIMESTAMP(MILLIS) → µs (wrapping) and TIMESTAMP(NANOS) → µs (floored), in place.
    static func convertTimestamps(_ values: inout [Int64], from start: Int, conversion: ValueConversion) {
        values.withUnsafeMutableBufferPointer { b in
            if conversion == .timestampMillis {
                for i in start ..< b.count { b[i] = b[i] &* 1000 }
            } else {
                for i in start ..< b.count {
                    let v = b[i]
                    b[i] = v >= 0 ? v / 1000 : (v + 1) / 1000 - 1
                }
            }
        }
    }

    /// 10^scale as a double (scale clamped to the range doubles can hold).
    static func powerOfTen(_ scale: Int32) -> Double {
        var result = 1.0
        let s = Swift.min(Swift.max(Int(scale), -308), 308)
        if s >= 0 { for _ in 0 ..< s { result *= 10 } } else { for _ in 0 ..< -s { result /= 10 } }
        return result
    }

    /// A big-endian two's complement integer of up to 16 bytes as a double: the magnitude is
    /// converted (not hi·2^64 + lo of the signed halves, which cancels catastrophically).
    static func bigEndianTwosComplement(_ bytes: UnsafeRawBufferPointer) -> Double {
        guard let first = bytes.first else { return 0 }
        let negative = first & 0x80 != 0
        var high: UInt64 = negative ? ~0 : 0
        var low: UInt64 = negative ? ~0 : 0
        for b in bytes {
            high = (high << 8) | (low >> 56)
            low = (low << 8) | UInt64(b)
        }
        if negative {
            // Two's complement negation of the 128-bit value.
            high = ~high
            low = ~low
            let (sum, carry) = low.addingReportingOverflow(1)
            low = sum
            if carry { high &+= 1 }
        }
        let magnitude = high == 0 ? Double(low) : Double(high) * 18_446_744_073_709_551_616.0 + Double(low)
        return negative ? -magnitude : magnitude
    }
}

extension ColumnAccumulator {
    /// Appends a 16-byte UUID as its canonical text `xxxxxxxx-xxxx-xxxx-xxxx-xxxxxxxxxxxx`.
    mutating func appendUUID(_ raw: UnsafeRawBufferPointer) {
        codes = nil
        let hex: [UInt8] = Array("0123456789abcdef".utf8)
        for (i, b) in raw.enumerated() {
            if i == 4 || i == 6 || i == 8 || i == 10 { bytes.append(UInt8(ascii: "-")) }
            bytes.append(hex[Int(b >> 4)])
            bytes.append(hex[Int(b & 15)])
        }
        offsets.append(bytes.count)
    }
}
