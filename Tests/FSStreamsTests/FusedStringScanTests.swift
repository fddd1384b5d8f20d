import Testing

@testable import FSStreams

/// `scanString(decodingInto:)` replaces `scanString` + `decodeJSONString` on the ingest path, so
/// it must agree with them on every input: same end, same escapes flag, same decoded bytes, and
/// for broken strings the same failure at the same offset.
@Suite struct FusedStringScanTests {
    /// What the two separate passes give for `text` (a quoted string and what follows it).
    static func separate(_ text: [UInt8]) -> Result<(end: Int, decoded: [UInt8], hasEscapes: Bool), JSONScanner.Failure> {
        text.withUnsafeBufferPointer { p in
            var s = JSONScanner(p, maxDepth: 32)
            do throws(JSONScanner.Failure) {
                let t = try s.scanString()
                var out: [UInt8] = []
                let n = decodeJSONString(UnsafeBufferPointer(rebasing: p[t.start..<t.end]), into: &out)
                return .success((s.index, Array(out[..<n]), t.hasEscapes))
            } catch {
                return .failure(error)
            }
        }
    }

    static func fused(_ text: [UInt8]) -> Result<(end: Int, decoded: [UInt8], hasEscapes: Bool), JSONScanner.Failure> {
        text.withUnsafeBufferPointer { p in
            let out = UnsafeMutablePointer<UInt8>.allocate(capacity: p.count + 8)
            defer { out.deallocate() }
            var s = JSONScanner(p, maxDepth: 32)
            do throws(JSONScanner.Failure) {
                let t = try s.scanString(decodingInto: out)
                #expect(t.end == s.index - 1)
                return .success((s.index, Array(UnsafeBufferPointer(start: out, count: t.decodedCount)), t.hasEscapes))
            } catch {
                return .failure(error)
            }
        }
    }

    static func expectSame(_ text: [UInt8], _ comment: Comment? = nil) {
        switch (separate(text), fused(text)) {
        case (.success(let a), .success(let b)):
            #expect(a.end == b.end && a.decoded == b.decoded && a.hasEscapes == b.hasEscapes, "\(String(decoding: text, as: UTF8.self))")
        case (.failure(let a), .failure(let b)):
            #expect(a == b, "\(String(decoding: text, as: UTF8.self))")
        case (let a, let b):
            Issue.record("separate \(a) but fused \(b) for \(String(decoding: text, as: UTF8.self))")
        }
    }

    /// Pieces random strings are made of: plain runs of every length around a word, every escape,
    /// surrogate pairs and halves, non-ASCII text, and the bytes that end or break a string.
    static let pieces: [String] = [
        "a", "abcdefg", "abcdefghijklmnop", "é", "日本", "😀", #"\""#, #"\\"#, #"\/"#, #"\b"#, #"\f"#, #"\n"#, #"\r"#, #"\t"#,
        #"\u00e9"#, #"\u0041"#, #"\ud83d\ude00"#, #"\ud83d"#, #"\ude00"#, #"\ud83d\u0041"#, #"\uDBFF\uDFFF"#, #"\ud83d\ud83d"#,
    ]
    static let breakers: [String] = ["\u{01}", "\n", #"\x"#, #"\u12"#, #"\u12g4"#, #"\"#, #"\ud83d\uZZZZ"#, ""]

    @Test(arguments: 0..<400)
    func fusedScanAgreesWithScanThenDecodeOnRandomStrings(seed: Int) {
        var rng = SplitMix(seed: UInt64(seed))
        var text = "\""
        for _ in 0..<Int(rng.next() % 24) { text += Self.pieces[Int(rng.next() % UInt64(Self.pieces.count))] }
        let broken = rng.next() % 4 == 0
        if broken {
            text += Self.breakers[Int(rng.next() % UInt64(Self.breakers.count))]
            for _ in 0..<Int(rng.next() % 4) { text += Self.pieces[Int(rng.next() % UInt64(Self.pieces.count))] }
        }
        // Closed, or cut off (unterminated), then a tail the scan must stop before.
        if rng.next() % 5 != 0 { text += "\"" + String(repeating: ",\"k\":1", count: Int(rng.next() % 3)) }
        Self.expectSame(Array(text.utf8))
    }

    /// Pieces of escape-dense text (a JSON text inside a string, as the order's `items`), whose
    /// simple escapes the scanner decodes inside its eight-byte words, several per word.
    static let densePieces: [String] = [
        #"\""#, #"\""#, #"\\"#, #"\/"#, "a", "ab", "abcde", "abcdefghijk", ":", "{", "é", "😀", #"\n"#, #"\u00e9"#, #"\ud83d\ude00"#,
    ]

    @Test(arguments: 0..<300)
    func escapeDenseLongStringsAgree(seed: Int) {
        var rng = SplitMix(seed: UInt64(seed) &+ 1_000)
        var text = "\""
        for _ in 0..<(20 + Int(rng.next() % 140)) { text += Self.densePieces[Int(rng.next() % UInt64(Self.densePieces.count))] }
        if rng.next() % 3 == 0 {
            text += Self.breakers[Int(rng.next() % UInt64(Self.breakers.count))]
            for _ in 0..<Int(rng.next() % 40) { text += Self.densePieces[Int(rng.next() % UInt64(Self.densePieces.count))] }
        }
        if rng.next() % 5 != 0 { text += "\"" + String(repeating: #","k":"v\"""#, count: Int(rng.next() % 30)) }
        Self.expectSame(Array(text.utf8))
    }

    /// An escape (or the end, or a control byte) at every offset of the words after dense text:
    /// a backslash in a word's last byte pairs with the next word's first.
    @Test(arguments: 0..<140)
    func anEscapeAtEveryOffsetAfterDenseTextAgrees(offset: Int) {
        let dense = String(repeating: #"ab\"c"#, count: 3)
        for tail in [#"\"xyz"#, #"\\xyz"#, #"\nxyz"#, "\"", "\u{01}", #"\q"#] {
            let text = "\"" + dense + String(repeating: "x", count: offset) + tail + String(repeating: #"d\/"#, count: 40) + "\" tail"
            Self.expectSame(Array(text.utf8), "offset \(offset), \(tail)")
        }
    }

    @Test(arguments: [
        #""""#, #""a""#, #""\"""#, #""\\\"\\""#, #""\u00e9\ud83d\ude00\udc00""#, #""abc"#, #""\"#, #""\u00"#, "\"a\u{1F}b\"",
        #""\ud83d\ude0""#, #""0123456789abcdef\"0123456789abcdef""#,
    ])
    func edgeStringsAgree(text: String) {
        Self.expectSame(Array(text.utf8))
    }

    @Test func aStringWithoutEscapesIsCopiedWhole() throws {
        let text = Array(#""plain text, no escapes, more than one word long" tail"#.utf8)
        guard case .success(let r) = Self.fused(text) else { Issue.record("failed"); return }
        #expect(!r.hasEscapes)
        #expect(r.decoded == Array("plain text, no escapes, more than one word long".utf8))
    }
}

/// A seeded generator (SplitMix64): the random cases are the same in every run.
struct SplitMix {
    var state: UInt64
    init(seed: UInt64) { state = seed &+ 0x9E37_79B9_7F4A_7C15 }
    mutating func next() -> UInt64 {
        state &+= 0x9E37_79B9_7F4A_7C15
        var z = state
        z = (z ^ (z >> 30)) &* 0xBF58_476D_1CE4_E5B9
        z = (z ^ (z >> 27)) &* 0x94D0_49BB_1331_11EB
        return z ^ (z >> 31)
    }
}
