import CStreamsSIMD
import Testing

@testable import FSStreams

/// `scanString(decodingInto:)` hands runs of 16-byte blocks to CStreamsSIMD's SSSE3 decoder
/// (`fs_json_decode_string_run`) and takes whatever it stops at in Swift. Both ways must give
/// the same end, escapes flag, decoded bytes and failures — on the orders' escape-dense
/// `items` text and on every block boundary an escape, the closing quote or a broken byte can
/// fall on.
@Suite(.enabled(if: JSONScanner.hasVectorStringRun, "this CPU has no SSSE3"))
struct VectorStringDecodingTests {
    typealias Outcome = Result<(end: Int, decoded: [UInt8], hasEscapes: Bool), JSONScanner.Failure>

    static func scan(_ text: [UInt8], vectorized: Bool) -> Outcome {
        text.withUnsafeBufferPointer { p in
            let out = UnsafeMutablePointer<UInt8>.allocate(capacity: p.count + 8)
            defer { out.deallocate() }
            var s = JSONScanner(p, maxDepth: 32)
            do throws(JSONScanner.Failure) {
                let t = try s.scanString(decodingInto: out, vectorized: vectorized)
                #expect(t.end == s.index - 1)
                return .success((s.index, Array(UnsafeBufferPointer(start: out, count: t.decodedCount)), t.hasEscapes))
            } catch {
                return .failure(error)
            }
        }
    }

    static func expectSame(_ text: String, _ comment: Comment? = nil) {
        let bytes = Array(text.utf8)
        switch (scan(bytes, vectorized: false), scan(bytes, vectorized: true)) {
        case (.success(let a), .success(let b)):
            #expect(a.end == b.end && a.decoded == b.decoded && a.hasEscapes == b.hasEscapes, "\(text) \(comment?.rawValue ?? "")")
        case (.failure(let a), .failure(let b)):
            #expect(a == b, "\(text) \(comment?.rawValue ?? "")")
        case (let a, let b):
            Issue.record("words \(a) but vector \(b) for \(text) \(comment?.rawValue ?? "")")
        }
    }

    /// Escape-dense pieces (mostly `\"`, as in `items`), the other escapes, non-ASCII and plain
    /// runs of lengths around a block.
    static let pieces: [String] = [
        #"\""#, #"\""#, #"\""#, #"\\"#, #"\/"#, #"\n"#, #"\u00e9"#, #"\ud83d\ude00"#, "a", "ab", "abcde", "abcdefghijklmno",
        "abcdefghijklmnopq", ":", "{", "é", "日本", "😀",
    ]
    static let breakers: [String] = ["\u{01}", "\n", #"\x"#, #"\u12"#, #"\"#, "\u{FF}", ""]

    @Test(arguments: 0..<400)
    func vectorAndWordDecodingAgreeOnRandomEscapeDenseStrings(seed: Int) {
        var rng = SplitMix(seed: UInt64(seed) &+ 77_000)
        var text = "\""
        for _ in 0..<(Int(rng.next() % 120)) { text += Self.pieces[Int(rng.next() % UInt64(Self.pieces.count))] }
        if rng.next() % 4 == 0 {
            text += Self.breakers[Int(rng.next() % UInt64(Self.breakers.count))]
            for _ in 0..<Int(rng.next() % 20) { text += Self.pieces[Int(rng.next() % UInt64(Self.pieces.count))] }
        }
        if rng.next() % 5 != 0 { text += "\"" + String(repeating: #","k":"v\"""#, count: Int(rng.next() % 6)) }
        Self.expectSame(text)
    }

    /// After `offset` plain bytes, `\"` escapes every three bytes, then each way a block can
    /// hold something the vector run does not decode itself, so every position in a block is
    /// tried for a backslash (its quote in the next block), the closing quote, an unescaped
    /// control byte, a `\\` and a non-ASCII byte.
    @Test(arguments: 0..<48)
    func everyBlockPositionAgrees(offset: Int) {
        let dense = String(repeating: #"a\"b"#, count: 7)
        for tail in [#"\"xyz"#, "\"", "\u{1F}", #"\\"#, #"\n"#, "é", #"\u00e9"#, #"\"#] {
            let text = "\"" + String(repeating: "x", count: offset) + dense + tail + String(repeating: #"c\"d"#, count: 12) + "\", \"k\": 1}"
            Self.expectSame(text, "offset \(offset), tail \(tail)")
        }
    }

    @Test func anOrdersItemsTextIsDecodedInOneVectorRun() {
        let raw = #"[{\"name\":\"TAPIOCA\",\"addition\":{\"value\":\"0\",\"currency\":\"BRL\"},\"quantity\":1.0}]"#
        let text = Array(raw.utf8) + Array(#"","merchant_id":"107168aa-cbc8-440f-b00e-0c990e82abad"}"#.utf8)
        var out = [UInt8](repeating: 0, count: text.count)
        let run = out.withUnsafeMutableBufferPointer { o in
            text.withUnsafeBufferPointer { fs_json_decode_string_run($0.baseAddress!, $0.count, o.baseAddress!) }
        }
        #expect(run.flags & FS_JSON_RUN_ENDED != 0)
        #expect(run.flags & FS_JSON_RUN_ESCAPED != 0)
        #expect(run.flags & FS_JSON_RUN_NON_ASCII == 0)
        #expect(run.consumed == raw.utf8.count + 1)
        // Its only escapes are `\"`: decoded, it is the text without its backslashes.
        #expect(Array(out[..<run.produced]) == raw.utf8.filter { $0 != UInt8(ascii: "\\") })
    }

    @Test func theVectorRunStopsAtTheBlockOfAnEscapeItDoesNotDecode() {
        let text = Array((String(repeating: "p", count: 16) + #"ab\ncdefghijklmnopqrstuvwxyz" tail and more"#).utf8)
        var out = [UInt8](repeating: 0, count: text.count)
        let run = out.withUnsafeMutableBufferPointer { o in
            text.withUnsafeBufferPointer { fs_json_decode_string_run($0.baseAddress!, $0.count, o.baseAddress!) }
        }
        #expect(run.flags & FS_JSON_RUN_ENDED == 0)
        #expect(run.consumed == 16 && run.produced == 16)
    }
}
