import FSCore
import Testing

@testable import FSParquet

/// DELTA_BINARY_PACKED pages: the encoder's bytes decode to the input (our decoder), the spec's
/// header and padding rules hold, and whole files written with the option read back exactly.
@Suite struct DeltaBinaryPackedEncoderTests {
    private func encode64(_ values: [Int64]) -> [UInt8] {
        let sink = ByteSink()
        values.withUnsafeBytes { DeltaBinaryPackedEncoder.encodeInt64($0, count: values.count, into: sink) }
        return sink.toArray()
    }

    private func encode32(_ values: [Int32]) -> [UInt8] {
        let sink = ByteSink()
        values.withUnsafeBytes { DeltaBinaryPackedEncoder.encodeInt32($0, count: values.count, into: sink) }
        return sink.toArray()
    }

    private func decode(_ bytes: [UInt8], count: Int) throws -> (values: [Int64], consumed: Int) {
        var out: [Int64] = []
        let r = try bytes.withUnsafeBytes { try DeltaBinaryPackedDecoder.decode($0, maxCount: count, into: &out) }
        return (Array(out.prefix(r.count)), r.consumed)
    }

    /// Inputs at the block and miniblock edges, runs, extremes whose deltas wrap, random noise.
    static let int64Cases: [[Int64]] = {
        var rng = SplitMix64(seed: 7)
        return [
            [], [42], [5, 5], Array(repeating: 1_546_300_800_000_000, count: 1000),
            (0..<31).map { Int64($0) }, (0..<32).map { Int64($0) }, (0..<127).map { Int64($0) * 3 },
            (0..<128).map { Int64($0) }, (0..<129).map { -Int64($0) * 300_000_000 }, (0..<1000).map { Int64($0 % 7) },
            [Int64.min, Int64.max, Int64.min, 0, Int64.max, -1, 1],
            (0..<777).map { _ in Int64(bitPattern: rng.next()) },
            (0..<500).map { _ in Int64(rng.below(1000)) - 500 },
        ]
    }()

    @Test(arguments: int64Cases)
    func int64ValuesDecodeToTheInput(values: [Int64]) throws {
        let bytes = encode64(values)
        let (back, consumed) = try decode(bytes, count: values.count)
        #expect(back == values)
        #expect(consumed == bytes.count, "the decoder stops exactly at the end of the stream")
    }

    /// The encoder as first written (arrays per block): the buffer version must write the
    /// same bytes for every input.
    private func referenceEncode64(_ values: [Int64]) -> [UInt8] {
        let sink = ByteSink()
        sink.appendVarint(128)
        sink.appendVarint(4)
        sink.appendVarint(UInt64(values.count))
        sink.appendVarint(DeltaBinaryPackedEncoder.zigzag(values.first ?? 0))
        var i = 1
        while i < values.count {
            let n = Swift.min(128, values.count - i)
            let deltas = (0..<n).map { values[i + $0] &- values[i + $0 - 1] }
            let minDelta = deltas.min()!
            var packed = deltas.map { UInt64(bitPattern: $0 &- minDelta) }
            packed += Array(repeating: 0, count: 128 - n)
            sink.appendVarint(DeltaBinaryPackedEncoder.zigzag(minDelta))
            let needed = (n + 31) / 32
            let widths = (0..<4).map { m in m < needed ? 64 - packed[m * 32 ..< m * 32 + 32].reduce(0, |).leadingZeroBitCount : 0 }
            for w in widths { sink.append(UInt8(w)) }
            packed.withUnsafeBufferPointer { p in
                for m in 0..<needed { DeltaBinaryPackedEncoder.pack(UnsafeBufferPointer(rebasing: p[m * 32 ..< m * 32 + 32]), bitWidth: widths[m], into: sink) }
            }
            i += n
        }
        return sink.toArray()
    }

    @Test(arguments: int64Cases + [(0..<1000).map { Int64($0 / 40) * 300 }, (0..<300).map { Int64($0 < 150 ? 7 : 9) }])
    func int64BytesEqualTheReferenceEncoders(values: [Int64]) {
        #expect(encode64(values) == referenceEncode64(values))
    }

    @Test func int32DeltasWrapInThirtyTwoBitsSoNoWidthPassesThirtyTwo() throws {
        let values: [Int32] = [Int32.min, Int32.max, Int32.min, 0, -1, Int32.max, 1, 2, 3] + (0..<200).map { Int32($0 * 40_000_000 % 2_000_000_000) }
        let bytes = encode32(values)
        let (back, _) = try decode(bytes, count: values.count)
        #expect(back.map { Int32(truncatingIfNeeded: $0) } == values)
        // Widths live after each block's min delta; none may exceed 32 (Arrow refuses that).
        let header = try headerAndFirstWidths(bytes)
        #expect(header.widths.allSatisfy { $0 <= 32 })
    }

    @Test func aRunOfOneValueCostsFourWidthBytesPerBlockAndNoData() {
        let values = Array(repeating: Int64(1_700_000_000_000_000), count: 129)
        let bytes = encode64(values)
        // Header (2 + 1 + 2 + 9 bytes), then one block: zigzag(0) + 4 zero widths, no data.
        let headerBytes = 1 + 1 + 2 + 9
        #expect(bytes.count == headerBytes + 1 + 4)
        #expect(Array(bytes.suffix(5)) == [0, 0, 0, 0, 0])
    }

    @Test func theHeaderNamesBlockSizeMiniblocksCountAndFirstValue() {
        let bytes = encode64([3, 4])
        // 128 = 0x80 0x01, 4, count 2, zigzag(3) = 6; block: minDelta zigzag(1)=2, widths [0,0,0,0].
        #expect(bytes == [0x80, 0x01, 4, 2, 6, 2, 0, 0, 0, 0])
    }

    @Test(arguments: [1, 300, 5000])
    func filesWithDeltaIntegersReadBackExactly(rows: Int) throws {
        let batch = everyTypeBatch(rows: rows)
        var options = ParquetWriterOptions()
        options.maxPageRows = 300
        options.integerEncoding = .deltaBinaryPacked
        let bytes = try encodeParquet(batch, options: options)
        let back = try ParquetFileReader(bytes: bytes).readAll()
        for c in 0..<batch.schema.count {
            #expect((0..<rows).map { bitExact(back.columns[c][$0]) } == (0..<rows).map { bitExact(batch.columns[c][$0]) },
                    "column \(batch.schema.fields[c].name)")
        }
        let footer = try WriterTestDecoder(bytes).metadata
        for (c, f) in batch.schema.fields.enumerated() where f.type == .int64 || f.type == .int32 || f.type == .timestamp || f.type == .date {
            #expect(footer.rowGroups[0].columns[c].metaData!.encodings.contains(.deltaBinaryPacked), "column \(f.name)")
        }
    }

    /// The miniblock widths of the first block of a stream.
    private func headerAndFirstWidths(_ bytes: [UInt8]) throws -> (count: Int, widths: [UInt8]) {
        var pos = 0
        func varint() -> UInt64 {
            var v: UInt64 = 0, shift: UInt64 = 0
            while true {
                let b = bytes[pos]; pos += 1
                v |= UInt64(b & 0x7f) << shift
                if b & 0x80 == 0 { return v }
                shift += 7
            }
        }
        _ = varint(); let miniblocks = Int(varint()); let count = Int(varint()); _ = varint()
        guard count > 1 else { return (count, []) }
        _ = varint()
        return (count, Array(bytes[pos ..< pos + miniblocks]))
    }
}
