import FSCore
import Testing
@testable import FSStreams

@Suite struct StringColumnBuilderTests {
    /// Writes `text` at the tail (as the scanner does) and returns its length.
    private func writeTail(_ b: inout StringColumnBuilder, _ text: String, room: Int? = nil) -> Int {
        let bytes = Array(text.utf8)
        return b.withTail(reserving: room ?? bytes.count + 8) { p in
            for (i, c) in bytes.enumerated() { p[i] = c }
            return bytes.count
        }
    }

    private func strings(_ c: Column) -> [String?] { (0..<c.count).map { c.isNull($0) ? nil : c.strings![$0] } }

    @Test func anUncommittedTailIsOverwrittenByTheNextRow() {
        var b = StringColumnBuilder(rows: 4, bytes: 16)
        defer { b.release() }
        _ = writeTail(&b, "kept")
        b.commitRow(count: 4)
        _ = writeTail(&b, "from a quarantined message")
        let n = writeTail(&b, "next")
        b.commitRow(count: n)
        #expect(strings(b.finish()) == ["kept", "next"])
    }

    @Test func growingKeepsTheCommittedRowsAndTheTailWrittenAfterIt() {
        var b = StringColumnBuilder(rows: 0, bytes: 0)
        defer { b.release() }
        var expected: [String?] = []
        for i in 0..<300 {
            let s = String(repeating: "é\(i)", count: i % 17)
            let n = writeTail(&b, s, room: 4096)
            b.commitRow(count: n)
            expected.append(s)
        }
        let c = b.finish()
        #expect(strings(c) == expected)
        #expect(c.strings!.bytes.count == expected.reduce(0) { $0 + $1!.utf8.count })
    }

    @Test func nullsEmptyStringsAndCopiesMix() {
        var b = StringColumnBuilder(rows: 2, bytes: 8)
        defer { b.release() }
        b.append(utf8: UnsafeRawBufferPointer(start: nil, count: 0))
        b.appendNull()
        Array("copied".utf8).withUnsafeBytes { b.append(utf8: $0) }
        b.commitRow(count: writeTail(&b, "x"))
        let c = b.finish()
        #expect(strings(c) == ["", nil, "copied", "x"])
        #expect(c.nullCount == 1)
    }

    @Test func theTailCanBeReadBeforeItIsCommitted() {
        var b = StringColumnBuilder(rows: 1, bytes: 4)
        defer { b.release() }
        b.commitRow(count: writeTail(&b, "a"))
        let n = writeTail(&b, "dedup-key")
        #expect(b.withTail(count: n) { String(decoding: $0, as: UTF8.self) } == "dedup-key")
    }

    @Test func anEmptyBuilderFinishesAsAnEmptyColumn() {
        var b = StringColumnBuilder(rows: 0, bytes: 0)
        defer { b.release() }
        let c = b.finish()
        #expect(c.count == 0)
        #expect(c.strings!.bytes.isEmpty)
    }

    @Test(arguments: [0, 1, 15, 16, 17, 63, 64, 65, 200])
    func aNullAtAnyPositionKeepsTheOtherRowsAcrossGrowthAndAFinishedBuilderIsReusable(nullAt: Int) {
        var b = StringColumnBuilder(rows: 1, bytes: 1)
        defer { b.release() }
        for round in 0..<2 {
            var expected: [String?] = []
            for i in 0..<(nullAt + 70) {
                if i == nullAt || (i > nullAt && i % 7 == 0) {
                    b.appendNull()
                    expected.append(nil)
                } else {
                    let s = "r\(round)-\(i)"
                    b.commitRow(count: writeTail(&b, s))
                    expected.append(s)
                }
            }
            let c = b.finish()
            #expect(strings(c) == expected)
            #expect(c.nullCount == expected.filter { $0 == nil }.count)
        }
    }

    @Test func aCopyKeepsItsRowsWhenTheOriginalChanges() {
        var a = StringColumnBuilder(rows: 1, bytes: 4)
        a.commitRow(count: writeTail(&a, "one"))
        a.appendNull()
        var b = a.copy()
        defer { a.release(); b.release() }
        for i in 0..<100 { a.commitRow(count: writeTail(&a, "a\(i)")) }
        b.commitRow(count: writeTail(&b, "two"))
        #expect(strings(b.finish()) == ["one", nil, "two"])
        #expect(strings(a.finish()) == ["one", nil] + (0..<100).map { "a\($0)" })
    }
}
