import Testing
@testable import FSCore

/// The two storage types under every column: validity bitmaps and offsets+bytes strings.
@Suite struct ValidityTests {
    @Test(arguments: [0, 1, 63, 64, 65, 130])
    func aBitmapBuiltEitherWayIsEqualAndCountsItsNulls(count: Int) {
        let bits = (0..<count).map { $0 % 3 != 0 }
        let appended = Validity(bits)
        var set = Validity(repeating: true, count: count)
        for (i, b) in bits.enumerated() where !b { set.set(i, false) }
        #expect(appended == set)
        #expect(appended.count == count)
        #expect(appended.nullCount == bits.filter { !$0 }.count)
        #expect((0..<count).allSatisfy { appended.isValid($0) == bits[$0] })
        #expect(Validity(repeating: true, count: count).nullCount == 0)
        #expect(Validity(repeating: false, count: count).nullCount == count)
        #expect(Validity(repeating: true, count: count) == Validity(Array(repeating: true, count: count)))
    }

    @Test func intersectionIsNullWhereEitherSideIsNull() {
        let a = Validity([true, true, false, false] + Array(repeating: true, count: 70))
        let b = Validity([true, false, true, false] + Array(repeating: false, count: 70))
        let both = a.intersection(b)
        #expect((0..<4).map(both.isValid) == [true, false, false, false])
        #expect(both.nullCount == 73)
    }

    @Test func appendingAnotherBitmapContinuesAcrossWordBoundaries() {
        var a = Validity((0..<60).map { $0.isMultiple(of: 2) })
        let b = Validity((0..<10).map { _ in false })
        a.append(contentsOf: b)
        a.append(true)
        #expect(a.count == 71)
        #expect(a.nullCount == 30 + 10)
        #expect(a.isValid(70) && !a.isValid(64) && a.isValid(58))
    }
}

@Suite struct StringArrayTests {
    static let rows = ["", "a", "zé", "😀 emoji", "", String(repeating: "x", count: 300), "\u{0}nul"]

    @Test func rowsReadBackExactlyWithByteLengthsAndOffsets() {
        let s = StringArray(Self.rows)
        #expect(s.count == Self.rows.count)
        #expect((0..<s.count).map { s[$0] } == Self.rows)
        #expect((0..<s.count).map(s.length) == Self.rows.map(\.utf8.count))
        #expect(s.offsets.first == 0 && s.offsets.last == s.bytes.count)
        #expect(s.withUTF8(2) { Array($0) } == Array("zé".utf8))
    }

    @Test func appendsOfEveryKindBuildTheSameArray() {
        var s = StringArray()
        s.append("")
        s.append(utf8: Array("a".utf8))
        Array("zé".utf8).withUnsafeBytes { s.append(utf8: $0) }
        s.append(contentsOf: StringArray(["😀 emoji"]))
        s.appendEmpty()
        s.append(String(repeating: "x", count: 300))
        s.append("\u{0}nul")
        #expect(s == StringArray(Self.rows))
        #expect(StringArray(offsets: s.offsets, bytes: s.bytes) == s)
    }

    @Test func gatherTakesRowsInTheGivenOrderWithRepeats() {
        let s = StringArray(Self.rows)
        let g = s.gather([3, 0, 3, 6, 2])
        #expect((0..<g.count).map { g[$0] } == ["😀 emoji", "", "😀 emoji", "\u{0}nul", "zé"])
        #expect(s.gather([]).count == 0)
    }

    @Test func utf8OrderIsByteOrderNotSwiftStringOrder() {
        // "é" precomposed (C3 A9) sorts after "z" (7A) by bytes; "e\u{301}" (65 CC 81) before it.
        #expect(utf8Less("z", "é") && !utf8Less("é", "z"))
        #expect(utf8Less("e\u{301}", "z"))
        #expect(utf8Less("", "a") && !utf8Less("a", "") && !utf8Less("a", "a"))
        #expect(utf8Less("ab", "abc") && utf8Less("Z", "a"))
    }
}
