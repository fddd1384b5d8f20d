import FSCore
import Testing

@testable import FSParquet

@Suite struct WriterEncodingTests {
    private func rle(_ values: [UInt32], bitWidth: Int) -> [UInt8] {
        let sink = ByteSink()
        values.withUnsafeBufferPointer { RleBitPackedEncoder.encode($0, bitWidth: bitWidth, into: sink) }
        return sink.toArray()
    }

    @Test func bitPackingZeroToSevenAtWidthThreeGivesTheSpecBytes() {
        #expect(hex(rle([0, 1, 2, 3, 4, 5, 6, 7], bitWidth: 3)) == "03 88 c6 fa")
    }

    @Test func hundredPresentValuesAreOneRleRun() {
        #expect(hex(rle(Array(repeating: 1, count: 100), bitWidth: 1)) == "c8 01 01")
        let sink = ByteSink()
        RleBitPackedEncoder.encodeConstant(1, count: 100, bitWidth: 1, into: sink)
        #expect(hex(sink.toArray()) == "c8 01 01")
    }

    @Test func shortMixedLevelsArePaddedIntoOneBitPackedRun() {
        #expect(hex(rle([1, 1, 0, 1, 1, 1, 1, 1, 1, 1], bitWidth: 1)) == "05 fb 03")
    }

    @Test func dictionaryIndicesOfTheGuideExample() {
        #expect(hex(rle([0, 1, 2, 0, 1, 2, 0, 1, 2, 2], bitWidth: 2)) == "05 24 49 0a 00")
    }

    @Test func literalsBeforeALongRunAreToppedUpToWholeGroups() {
        // 3 literals then 20 sevens: 5 sevens complete the group, the other 15 are one RLE run.
        let values: [UInt32] = [1, 2, 3] + Array(repeating: 7, count: 20)
        let encoded = rle(values, bitWidth: 3)
        #expect(hex(encoded) == "03 d1 fe ff 1e 07")
        #expect(decodeHybrid(encoded, bitWidth: 3, count: values.count) == values)
    }

    @Test(arguments: [0, 1, 2, 3, 7, 8, 13, 17, 24, 32])
    func randomRunsRoundTripAtEveryWidth(bitWidth: Int) {
        var g = SplitMix64(seed: UInt64(bitWidth))
        let maxValue: UInt64 = bitWidth == 0 ? 0 : (bitWidth == 32 ? UInt64(UInt32.max) : (1 << UInt64(bitWidth)) - 1)
        var values: [UInt32] = []
        while values.count < 5000 {
            let v = UInt32(truncatingIfNeeded: g.next() & maxValue)
            let run = Int(g.next() % 4 == 0 ? g.next() % 40 : 1)
            values.append(contentsOf: repeatElement(v, count: max(run, 1)))
        }
        #expect(decodeHybrid(rle(values, bitWidth: bitWidth), bitWidth: bitWidth, count: values.count) == values)
    }

    @Test func emptyInputEncodesToNothing() {
        #expect(rle([], bitWidth: 4).isEmpty)
    }

    @Test func plainEncodingSkipsNullRowsAndBitPacksBooleans() {
        let validity = Validity([true, false, true, true])
        let sink = ByteSink()
        let ints: [Int32] = [1, 99, -2, 3]
        ints.withUnsafeBufferPointer { p in
            validity.words.withUnsafeBufferPointer { w in PlainEncoder.append(p, range: 0..<4, validity: w, into: sink) }
        }
        #expect(hex(sink.toArray()) == "01 00 00 00 fe ff ff ff 03 00 00 00")
        sink.removeAll()
        let bits: [UInt8] = [1, 0, 1, 1, 0, 0, 0, 0, 1]
        bits.withUnsafeBufferPointer { PlainEncoder.packBooleans($0, into: sink) }
        #expect(hex(sink.toArray()) == "0d 01")
        sink.removeAll()
        let strings = StringArray(["a", "", "é"])
        PlainEncoder.append(strings, range: 0..<3, validity: nil, into: sink)
        #expect(hex(sink.toArray()) == "01 00 00 00 61 00 00 00 00 02 00 00 00 c3 a9")
    }

    @Test func dictionaryAssignsIndicesInFirstSeenOrderAndHashesBytes() {
        let d = StringDictionary()
        func index(_ s: String) -> UInt32 { Array(s.utf8).withUnsafeBytes { d.index(of: $0.baseAddress ?? UnsafeRawPointer(bitPattern: 1)!, length: $0.count) } }
        #expect(index("b") == 0)
        #expect(index("") == 1)
        #expect(index("b") == 0)
        #expect(index("é") == 2)
        #expect(index("") == 1)
        #expect(d.count == 3)
        #expect(hex(d.plain.toArray()) == "01 00 00 00 62 00 00 00 00 02 00 00 00 c3 a9")
        // Enough entries to force several rehashes; all stay findable.
        for i in 0..<5000 { #expect(index("key-\(i)") == UInt32(3 + i)) }
        for i in stride(from: 0, to: 5000, by: 97) { #expect(index("key-\(i)") == UInt32(3 + i)) }
    }
}

