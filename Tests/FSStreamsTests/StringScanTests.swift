import FSCore
import Testing

@testable import FSStreams

/// The string scanner skips plain text eight bytes at a time; a quote, backslash or control byte
/// must be found at every position of a word, and escapes decoded around word boundaries.
@Suite struct StringScanTests {
    static func status(_ rawStatusId: String) -> String {
        #"{"created_at":"2019-01-01T00:00:00Z","status_id":"\#(rawStatusId)"}"#
    }

    @Test(arguments: 0..<24)
    func escapesAtEveryPositionOfAWordAreDecoded(position: Int) {
        let before = String(repeating: "a", count: position), after = String(repeating: "é", count: 9)
        let r = row(.orderStatusEvents, Self.status(before + #"\"\\\n\u00e9/"# + after))
        #expect(r["status_id"] == .string(before + "\"\\\né/" + after))
    }

    @Test(arguments: 0..<24)
    func aRawControlByteAtEveryPositionIsInvalidJSON(position: Int) {
        let text = String(repeating: "b", count: position) + "\u{01}" + String(repeating: "c", count: 17)
        guard case .quarantined(.invalidJSON) = outcome(.orderStatusEvents, Self.status(text)) else {
            Issue.record("control byte at \(position) was accepted")
            return
        }
    }

    /// The order's `items` is JSON text inside a string: an escaped quote every few bytes. The
    /// decoder copies eight bytes at a time between escapes; every spacing must come out whole.
    @Test(arguments: 1...17)
    func denselyEscapedTextDecodesAtEverySpacing(spacing: Int) {
        var raw = "", expected = ""
        for i in 0..<40 {
            let run = String(repeating: Character(UnicodeScalar(UInt8(0x61 + i % 26))), count: (i * 7) % spacing)
            raw += run + (i % 3 == 0 ? #"\""# : (i % 3 == 1 ? #"\u00e9"# : #"\\"#))
            expected += run + (i % 3 == 0 ? "\"" : (i % 3 == 1 ? "é" : "\\"))
        }
        #expect(row(.orderStatusEvents, Self.status(raw))["status_id"] == .string(expected))
        // A surrogate pair and a lone surrogate (U+FFFD) right after an eight-byte run.
        let pair = String(repeating: "x", count: spacing) + #"\ud83d\ude00\udc00"#
        #expect(row(.orderStatusEvents, Self.status(pair))["status_id"] == .string(String(repeating: "x", count: spacing) + "😀\u{FFFD}"))
    }

    @Test(arguments: [0, 1, 7, 8, 9, 15, 16, 17, 40])
    func plainStringsOfEveryLengthKeepTheirBytes(length: Int) {
        let text = String((0..<length).map { Character(UnicodeScalar(UInt8(0x41 + $0 % 26))) })
        #expect(row(.orderStatusEvents, Self.status(text))["status_id"] == .string(text))
        // An unterminated string of any length is invalid, never read past the end.
        guard case .quarantined(.invalidJSON) = outcome(.orderStatusEvents, #"{"created_at":"2019-01-01T00:00:00Z","status_id":""# + text) else {
            Issue.record("unterminated string of \(length) bytes was accepted")
            return
        }
    }
}
