import Testing
@testable import FSStreams

@Suite struct UTF8ValidationTests {
    /// Valid and invalid pieces: ASCII, two-, three- and four-byte scalars, and the ways UTF-8
    /// breaks (stray continuation, C0/C1 and F5 leads, overlongs, surrogates, > U+10FFFF,
    /// truncation).
    private static let pieces: [[UInt8]] = [
        Array("plain ascii text".utf8), Array("é".utf8), Array("Ç".utf8), Array("€".utf8), Array("😀".utf8), Array("\u{80}".utf8),
        Array("\u{7FF}".utf8), Array("\u{FFFF}".utf8), Array("\u{10FFFF}".utf8),
        [0x80], [0xBF], [0xC0, 0x80], [0xC1, 0xBF], [0xC2], [0xC3, 0x28], [0xDF, 0xC0], [0xE0, 0x80, 0x80], [0xED, 0xA0, 0x80],
        [0xEF, 0xBF], [0xF0, 0x80, 0x80, 0x80], [0xF4, 0x90, 0x80, 0x80], [0xF5, 0x80, 0x80, 0x80], [0xFF],
    ]

    @Test(arguments: 0..<300)
    func theFirstInvalidOffsetEndsTheLongestValidPrefix(seed: Int) {
        var rng = SplitMix(seed: UInt64(seed))
        var bytes: [UInt8] = []
        for _ in 0..<Int(rng.next() % 12) {
            let valid = rng.next() % 4 != 0
            let piece = Self.pieces[Int(rng.next() % UInt64(valid ? 9 : Self.pieces.count))]
            bytes += piece
        }
        let found = bytes.withUnsafeBufferPointer { firstInvalidUTF8($0) }
        let isValid = String(validating: bytes, as: UTF8.self) != nil
        guard let bad = found else {
            #expect(isValid, "\(bytes)")
            return
        }
        #expect(!isValid, "\(bytes)")
        // Valid up to the offset, and no valid scalar (1–4 bytes) starts there.
        #expect(String(validating: bytes[..<bad], as: UTF8.self) != nil, "\(bytes) at \(bad)")
        for k in 1...4 where bad + k <= bytes.count {
            #expect(String(validating: bytes[bad..<(bad + k)], as: UTF8.self) == nil, "\(bytes) at \(bad)")
        }
    }

    /// ASCII runs of every length around the 8- and 16-byte steps, alone and followed by a bad
    /// byte: the steps must stop exactly at the end (a run ending on a step boundary included).
    @Test(arguments: 0..<49)
    func asciiRunsOfEveryLengthAreValidAndABadByteAfterThemIsFound(length: Int) {
        let run = [UInt8](repeating: UInt8(ascii: "a"), count: length)
        #expect(run.withUnsafeBufferPointer { firstInvalidUTF8($0) } == nil)
        #expect((run + [0xFF]).withUnsafeBufferPointer { firstInvalidUTF8($0) } == length)
        #expect((run + Array("é".utf8) + run).withUnsafeBufferPointer { firstInvalidUTF8($0) } == nil)
        // The run sits inside a larger buffer whose next byte is bad: only the run is checked.
        let padded = run + [0xFF, 0xFF]
        #expect(padded.withUnsafeBufferPointer { firstInvalidUTF8(UnsafeBufferPointer(rebasing: $0[..<length])) } == nil)
    }
}
