import Testing
@testable import FSParquet

/// Runs an RLE hybrid decode of `bytes` and returns the values and bytes consumed.
private func rle(_ bytes: [UInt8], width: Int, count: Int) throws -> (values: [UInt32], consumed: Int) {
    var out = [UInt32](repeating: 99, count: count)
    let consumed = try bytes.withUnsafeBytes { input in
        try out.withUnsafeMutableBufferPointer { try RLEHybridDecoder.decode(input, bitWidth: width, count: count, into: $0.baseAddress!) }
    }
    return (out, consumed)
}

private func dbp(_ bytes: [UInt8], maxCount: Int = 1000) throws -> (values: [Int64], consumed: Int) {
    var out: [Int64] = []
    let (n, consumed) = try bytes.withUnsafeBytes { try DeltaBinaryPackedDecoder.decode($0, maxCount: maxCount, into: &out) }
    return (Array(out.prefix(n)), consumed)
}

private func strings(_ spans: [ByteSpan], in source: [UInt8]) -> [String] {
    spans.map { String(decoding: source[Int($0.start) ..< Int($0.start + $0.count)], as: UTF8.self) }
}

@Suite struct ReaderRLEHybridDecoderTests {
    @Test func specBitPackedExampleDecodesZeroThroughSeven() throws {
        let (values, consumed) = try rle([0x03, 0x88, 0xc6, 0xfa], width: 3, count: 8)
        #expect(values == [0, 1, 2, 3, 4, 5, 6, 7])
        #expect(consumed == 4)
    }

    @Test func rleRunOfOneHundredPresentValues() throws {
        let (values, consumed) = try rle([0xc8, 0x01, 0x01], width: 1, count: 100)
        #expect(values == [UInt32](repeating: 1, count: 100))
        #expect(consumed == 3)
    }

    @Test func paddedLastBitPackedRunStopsAtTheValueCount() throws {
        let (values, _) = try rle([0x05, 0xfb, 0x03], width: 1, count: 10)
        #expect(values == [1, 1, 0, 1, 1, 1, 1, 1, 1, 1])
    }

    @Test func dictionaryIndicesFollowTheirBitWidthByte() throws {
        var out = [UInt32](repeating: 0, count: 10)
        let consumed = try ([UInt8]([0x02, 0x05, 0x24, 0x49, 0x0a, 0x00])).withUnsafeBytes { (input: UnsafeRawBufferPointer) in
            try out.withUnsafeMutableBufferPointer {
                try DictionaryDecoder.decodeIndices(input, count: 10, dictionaryCount: 3, into: $0.baseAddress!)
            }
        }
        #expect(out == [0, 1, 2, 0, 1, 2, 0, 1, 2, 2])
        #expect(consumed == 6)
    }

    @Test func dictionaryIndexBeyondTheDictionaryIsRejected() {
        var out = [UInt32](repeating: 0, count: 10)
        #expect(throws: DecodeFailure.self) {
            try ([UInt8]([0x02, 0x05, 0x24, 0x49, 0x0a, 0x00])).withUnsafeBytes { (input: UnsafeRawBufferPointer) in
                try out.withUnsafeMutableBufferPointer {
                    try DictionaryDecoder.decodeIndices(input, count: 10, dictionaryCount: 2, into: $0.baseAddress!)
                }
            }
        }
    }

    @Test func widthZeroRunsTakeNoValueBytes() throws {
        let (values, consumed) = try rle([0x0a], width: 0, count: 5)
        #expect(values == [0, 0, 0, 0, 0])
        #expect(consumed == 1)
    }

    @Test func multiByteRLEValuesAreLittleEndian() throws {
        let (values, _) = try rle([0x04, 0x34, 0x12], width: 13, count: 2)
        #expect(values == [0x1234, 0x1234])
    }

    @Test func mixedRunsDecodeInOrder() throws {
        // RLE run of 3 × 5, then one bit-packed group of 1...8 at width 4.
        let (values, _) = try rle([0x06, 0x05, 0x03, 0x21, 0x43, 0x65, 0x87], width: 4, count: 11)
        #expect(values == [5, 5, 5, 1, 2, 3, 4, 5, 6, 7, 8])
    }

    @Test func wideBitPackedValuesRoundTrip() throws {
        // 8 values of 32 bits, each spanning four bytes.
        let expected: [UInt32] = [0, 1, 0xFFFF_FFFF, 0x8000_0000, 12345, 7, 0xDEAD_BEEF, 42]
        var bytes: [UInt8] = [0x03]
        for v in expected { bytes += [UInt8(v & 0xff), UInt8(v >> 8 & 0xff), UInt8(v >> 16 & 0xff), UInt8(v >> 24)] }
        #expect(try rle(bytes, width: 32, count: 8).values == expected)
    }

    @Test(arguments: [
        [UInt8](), [0x03, 0x88], [0xc8], [0xc8, 0x01], [0xff, 0xff, 0xff, 0xff, 0xff, 0xff, 0xff, 0xff, 0xff, 0xff, 0x01],
    ])
    func truncatedOrOversizedRunsThrow(bytes: [UInt8]) {
        #expect(throws: DecodeFailure.self) { try rle(bytes, width: 3, count: 8) }
    }

    @Test func lengthPrefixedLevelsSkipTheirPrefix() throws {
        var out = [UInt32](repeating: 0, count: 10)
        let consumed = try ([UInt8]([0x03, 0, 0, 0, 0x05, 0xfb, 0x03, 0xEE])).withUnsafeBytes { (input: UnsafeRawBufferPointer) in
            try out.withUnsafeMutableBufferPointer { try RLEHybridDecoder.decodeLengthPrefixed(input, bitWidth: 1, count: 10, into: $0.baseAddress!) }
        }
        #expect(out == [1, 1, 0, 1, 1, 1, 1, 1, 1, 1])
        #expect(consumed == 7)
    }

    @Test func lengthPrefixLongerThanTheBufferThrows() {
        var out = [UInt32](repeating: 0, count: 10)
        #expect(throws: DecodeFailure.self) {
            try ([UInt8]([0x09, 0, 0, 0, 0x05, 0xfb, 0x03])).withUnsafeBytes { (input: UnsafeRawBufferPointer) in
                try out.withUnsafeMutableBufferPointer { try RLEHybridDecoder.decodeLengthPrefixed(input, bitWidth: 1, count: 10, into: $0.baseAddress!) }
            }
        }
    }

    @Test(arguments: [(0, 0), (1, 1), (2, 2), (3, 2), (4, 3), (255, 8), (256, 9)])
    func levelBitWidthIsTheBitLengthOfTheMaximum(maxValue: Int, width: Int) {
        #expect(RLEHybridDecoder.bitWidth(forMaxValue: maxValue) == width)
    }
}

@Suite struct ReaderPlainDecoderTests {
    @Test func fixedWidthValuesAreCopiedLittleEndian() throws {
        var out = [Int32](repeating: 0, count: 3)
        let consumed = try ([UInt8]([1, 0, 0, 0, 0xff, 0xff, 0xff, 0xff, 0, 0, 0, 0x80, 9])).withUnsafeBytes { (input: UnsafeRawBufferPointer) in
            try out.withUnsafeMutableBufferPointer { try PlainDecoder.decodeFixed(input, count: 3, into: $0.baseAddress!) }
        }
        #expect(out == [1, -1, Int32.min])
        #expect(consumed == 12)
    }

    @Test func tooFewBytesForTheValueCountThrows() {
        var out = [Int64](repeating: 0, count: 2)
        #expect(throws: DecodeFailure.self) {
            try [UInt8](repeating: 0, count: 15).withUnsafeBytes { (input: UnsafeRawBufferPointer) in
                try out.withUnsafeMutableBufferPointer { try PlainDecoder.decodeFixed(input, count: 2, into: $0.baseAddress!) }
            }
        }
    }

    @Test func booleansAreBitPackedLeastSignificantBitFirst() throws {
        var out = [Bool](repeating: false, count: 10)
        _ = try ([UInt8]([0b0000_1101, 0b0000_0010])).withUnsafeBytes { (input: UnsafeRawBufferPointer) in
            try out.withUnsafeMutableBufferPointer { try PlainDecoder.decodeBooleans(input, count: 10, into: $0.baseAddress!) }
        }
        #expect(out == [true, false, true, true, false, false, false, false, false, true])
    }

    @Test func floatsWidenToDoublesKeepingSpecialValues() throws {
        let floats: [Float] = [1.5, -0.0, .nan, .infinity]
        var bytes: [UInt8] = []
        for f in floats { withUnsafeBytes(of: f.bitPattern.littleEndian) { bytes += $0 } }
        var out = [Double](repeating: 0, count: 4)
        _ = try bytes.withUnsafeBytes { (input: UnsafeRawBufferPointer) in
            try out.withUnsafeMutableBufferPointer { try PlainDecoder.decodeFloats(input, count: 4, into: $0.baseAddress!) }
        }
        #expect(out[0] == 1.5)
        #expect(out[1] == 0 && out[1].sign == .minus)
        #expect(out[2].isNaN)
        #expect(out[3] == .infinity)
    }

    @Test func int96CarriesNanosOfDayAndJulianDay() throws {
        // 1970-01-02 00:00:00.000001 (day 2440589, 1000 ns) and 1969-12-31 23:59:59.999999.
        var bytes: [UInt8] = []
        withUnsafeBytes(of: Int64(1000).littleEndian) { bytes += $0 }
        withUnsafeBytes(of: Int32(2_440_589).littleEndian) { bytes += $0 }
        withUnsafeBytes(of: Int64(86_399_999_999_000).littleEndian) { bytes += $0 }
        withUnsafeBytes(of: Int32(2_440_587).littleEndian) { bytes += $0 }
        var out = [Int64](repeating: 0, count: 2)
        _ = try bytes.withUnsafeBytes { (input: UnsafeRawBufferPointer) in
            try out.withUnsafeMutableBufferPointer { try PlainDecoder.decodeInt96Timestamps(input, count: 2, into: $0.baseAddress!) }
        }
        #expect(out == [86_400_000_001, -1])
    }

    @Test func byteArraysRecordSpansIncludingEmptyAndNonASCII() throws {
        let source: [UInt8] = [2, 0, 0, 0, 0x68, 0x69, 0, 0, 0, 0, 4, 0, 0, 0] + Array("çé".utf8)
        var spans = [ByteSpan](repeating: ByteSpan(start: 0, count: 0), count: 3)
        let (consumed, total) = try source.withUnsafeBytes { (input: UnsafeRawBufferPointer) in
            try spans.withUnsafeMutableBufferPointer { try PlainDecoder.decodeByteArrays(input, count: 3, into: $0.baseAddress!) }
        }
        #expect(strings(spans, in: source) == ["hi", "", "çé"])
        #expect(consumed == source.count)
        #expect(total == 6)
    }

    @Test func byteArrayLengthPastTheEndThrows() {
        var spans = [ByteSpan](repeating: ByteSpan(start: 0, count: 0), count: 1)
        #expect(throws: DecodeFailure.self) {
            try ([UInt8]([0xff, 0xff, 0xff, 0x7f, 1, 2])).withUnsafeBytes { (input: UnsafeRawBufferPointer) in
                try spans.withUnsafeMutableBufferPointer { try PlainDecoder.decodeByteArrays(input, count: 1, into: $0.baseAddress!) }
            }
        }
    }
}

@Suite struct ReaderDeltaDecoderTests {
    @Test func specExampleOneToFiveHasOnlyAHeaderAndZeroWidths() throws {
        let (values, consumed) = try dbp([0x80, 0x01, 0x04, 0x05, 0x02, 0x02, 0x00, 0x00, 0x00, 0x00])
        #expect(values == [1, 2, 3, 4, 5])
        #expect(consumed == 10)
    }

    @Test func specExampleWithNegativeDeltas() throws {
        let bytes: [UInt8] = [0x80, 0x01, 0x04, 0x08, 0x0e, 0x03, 0x02, 0x00, 0x00, 0x00, 0xc0, 0x3f, 0, 0, 0, 0, 0, 0]
        let (values, consumed) = try dbp(bytes + [0xAA])
        #expect(values == [7, 5, 3, 1, 2, 3, 4, 5])
        #expect(consumed == bytes.count)
    }

    @Test func singleValueStreamIsJustTheHeader() throws {
        let (values, consumed) = try dbp([0x80, 0x01, 0x04, 0x01, 0x03])
        #expect(values == [-2])
        #expect(consumed == 5)
    }

    @Test func wrappingArithmeticCoversTheFullInt64Range() throws {
        // first = Int64.max, one delta of +1 (min delta 1, width 0) wraps to Int64.min.
        var bytes: [UInt8] = [0x80, 0x01, 0x04, 0x02]
        bytes += [0xfe, 0xff, 0xff, 0xff, 0xff, 0xff, 0xff, 0xff, 0xff, 0x01]   // zigzag(Int64.max)
        bytes += [0x02, 0x00, 0x00, 0x00, 0x00]
        #expect(try dbp(bytes).values == [Int64.max, Int64.min])
    }

    @Test func countAboveTheCallersLimitThrows() {
        #expect(throws: DecodeFailure.self) { try dbp([0x80, 0x01, 0x04, 0x05, 0x02], maxCount: 4) }
    }

    @Test(arguments: [
        [UInt8](), [0x80, 0x01], [0x00, 0x04, 0x05, 0x02], [0x80, 0x01, 0x03, 0x05, 0x02],
        [0x80, 0x01, 0x04, 0x08, 0x0e, 0x03, 0x02, 0x00, 0x00, 0x00], [0x80, 0x01, 0x04, 0x08, 0x0e, 0x03, 0x41, 0, 0, 0, 1, 2],
    ])
    func malformedDeltaStreamsThrow(bytes: [UInt8]) {
        #expect(throws: DecodeFailure.self) { try dbp(bytes) }
    }

    @Test func deltaLengthByteArraySpecExample() throws {
        let source: [UInt8] = [0x80, 0x01, 0x04, 0x04, 0x0a, 0x00, 0x01, 0x00, 0x00, 0x00, 0x02, 0x00, 0x00, 0x00] + Array("HelloWorldFoobarABCDEF".utf8)
        var decoder = DeltaByteArrayDecoder()
        var spans = [ByteSpan](repeating: ByteSpan(start: 0, count: 0), count: 4)
        let (consumed, total) = try source.withUnsafeBytes { (input: UnsafeRawBufferPointer) in
            try spans.withUnsafeMutableBufferPointer { try decoder.decodeDeltaLength(input, count: 4, into: $0.baseAddress!) }
        }
        #expect(strings(spans, in: source) == ["Hello", "World", "Foobar", "ABCDEF"])
        #expect(consumed == source.count)
        #expect(total == 22)
    }

    @Test func deltaByteArraySpecExampleSharesPrefixes() throws {
        let prefixes: [UInt8] = [0x80, 0x01, 0x04, 0x04, 0x00, 0x03, 0x03, 0x00, 0x00, 0x00, 0x44, 0x01] + [UInt8](repeating: 0, count: 10)
        let suffixLengths: [UInt8] = [0x80, 0x01, 0x04, 0x04, 0x08, 0x03, 0x03, 0x00, 0x00, 0x00, 0x70, 0x00] + [UInt8](repeating: 0, count: 10)
        let source = prefixes + suffixLengths + Array("axislebabbleyhood".utf8)
        var decoder = DeltaByteArrayDecoder()
        var spans = [ByteSpan](repeating: ByteSpan(start: 0, count: 0), count: 4)
        let (consumed, _) = try source.withUnsafeBytes { (input: UnsafeRawBufferPointer) in
            try spans.withUnsafeMutableBufferPointer { try decoder.decodeDeltaByteArray(input, count: 4, into: $0.baseAddress!) }
        }
        #expect(strings(spans, in: decoder.rebuilt) == ["axis", "axle", "babble", "babyhood"])
        #expect(consumed == source.count)
    }

    @Test func deltaByteArrayPrefixLongerThanThePreviousValueThrows() {
        // Prefix lengths [3] for the first value, which has no predecessor.
        let source: [UInt8] = [0x80, 0x01, 0x04, 0x01, 0x06] + [0x80, 0x01, 0x04, 0x01, 0x02] + Array("a".utf8)
        var decoder = DeltaByteArrayDecoder()
        var spans = [ByteSpan](repeating: ByteSpan(start: 0, count: 0), count: 1)
        #expect(throws: DecodeFailure.self) {
            try source.withUnsafeBytes { (input: UnsafeRawBufferPointer) in
                try spans.withUnsafeMutableBufferPointer { try decoder.decodeDeltaByteArray(input, count: 1, into: $0.baseAddress!) }
            }
        }
    }

    @Test func byteStreamSplitReassemblesDoubles() throws {
        let values: [Double] = [1.0, -2.5, .nan, -0.0]
        var streams = [UInt8](repeating: 0, count: 32)
        for (i, v) in values.enumerated() {
            withUnsafeBytes(of: v.bitPattern.littleEndian) { for j in 0 ..< 8 { streams[j * 4 + i] = $0[j] } }
        }
        var out = [Double](repeating: 0, count: 4)
        let consumed = try streams.withUnsafeBytes { (input: UnsafeRawBufferPointer) in
            try out.withUnsafeMutableBytes { try ByteStreamSplitDecoder.decode(input, count: 4, width: 8, into: $0.baseAddress!) }
        }
        #expect(consumed == 32)
        #expect(out.map(\.bitPattern) == values.map(\.bitPattern))
    }
}

@Suite struct ReaderSnappyTests {
    private func snappy(_ bytes: [UInt8], length: Int) throws -> [UInt8] {
        var out = [UInt8](repeating: 0, count: length)
        try bytes.withUnsafeBytes { input in try out.withUnsafeMutableBytes { try Snappy.decompress(input, into: $0) } }
        return out
    }

    @Test func literalOnlyBlock() throws {
        #expect(try snappy([0x04, 0x0c, 0x61, 0x62, 0x63, 0x64], length: 4) == Array("abcd".utf8))
    }

    @Test func overlappingCopyRepeatsThePattern() throws {
        #expect(try snappy([0x08, 0x04, 0x61, 0x62, 0x09, 0x02], length: 8) == Array("abababab".utf8))
    }

    @Test func twoAndFourByteOffsetCopies() throws {
        // "abc" then copy(len 3, offset 3) with a 2-byte offset, then copy(len 2, offset 1) with a 4-byte offset.
        let block: [UInt8] = [0x08, 0x08, 0x61, 0x62, 0x63, 0x0a, 0x03, 0x00, 0x07, 0x01, 0x00, 0x00, 0x00]
        #expect(try snappy(block, length: 8) == Array("abcabccc".utf8))
    }

    @Test func longLiteralUsesExtraLengthBytes() throws {
        let text = [UInt8](repeating: 0x7a, count: 100)
        #expect(try snappy([100, 0xf0, 99] + text, length: 100) == text)
    }

    @Test func emptyBlockDecodesToNothing() throws {
        #expect(try snappy([0x00], length: 0) == [])
    }

    @Test(arguments: [
        ([UInt8]([0x04, 0x0c, 0x61, 0x62, 0x63]), 4),            // literal runs past the input
        ([0x08, 0x04, 0x61, 0x62, 0x09, 0x03], 8),               // offset beyond what was written
        ([0x08, 0x04, 0x61, 0x62, 0x09, 0x00], 8),               // offset zero
        ([0x05, 0x0c, 0x61, 0x62, 0x63, 0x64], 5),               // output shorter than stated
        ([0x04, 0x0c, 0x61, 0x62, 0x63, 0x64], 5),               // stated length differs from the page's
        ([0x04, 0x10, 0x61, 0x62, 0x63, 0x64, 0x65], 4),         // literal overruns the output
        ([0x08, 0x04, 0x61, 0x62, 0x0a], 8),                     // truncated 2-byte copy
    ])
    func corruptBlocksThrowInsteadOfCrashing(block: [UInt8], length: Int) {
        #expect(throws: DecodeFailure.self) { try snappy(block, length: length) }
    }
}
