import Testing
@testable import FSCore

/// JSONValue is what the Delta log, the definitions files and the summaries are written with:
/// its text must be exact (escapes, numbers) and deterministic (key order).
@Suite struct JSONValueTests {
    static let escapes: [(String, String)] = [
        ("", #""""#), ("plain", #""plain""#), ("q\"b\\s/", #""q\"b\\s/""#), ("a\nb\rc\td", #""a\nb\rc\td""#),
        ("\u{0}\u{1}\u{1f}", #""\u0000\u0001\u001f""#), ("zé😀", "\"zé😀\""), ("\u{7f}", "\"\u{7f}\""),
    ]

    @Test(arguments: escapes)
    func stringsAreEscapedExactlyAndParseBack(text: String, json: String) throws {
        #expect(JSONValue.string(text).description == json)
        #expect(try JSONValue.parse(json) == .string(text))
    }

    /// Runs of plain bytes are copied whole between escapes: long mixed text (escapes first,
    /// last, adjacent, between multi-byte characters) equals the escape rule applied scalar by
    /// scalar, and parses back to the text.
    @Test func escapingLongMixedTextEqualsTheScalarByScalarRule() throws {
        var rng = SplitMix64(seed: 15)
        let pieces = ["\"", "\\", "\n", "\r", "\t", "\u{1}", "\u{1f}", "a", "plain text ", "é", "😀", "\u{7f}", "/", "{\"k\":1}"]
        for _ in 0..<50 {
            let text = (0..<Int.random(in: 0..<40, using: &rng)).map { _ in pieces[Int.random(in: 0..<pieces.count, using: &rng)] }.joined()
            var expected = "\""
            for u in text.unicodeScalars {
                switch u {
                case "\"": expected += "\\\""
                case "\\": expected += "\\\\"
                case "\n": expected += "\\n"
                case "\r": expected += "\\r"
                case "\t": expected += "\\t"
                case _ where u.value < 0x20: expected += "\\u00" + (u.value < 0x10 ? "0" : "") + String(u.value, radix: 16)
                default: expected.unicodeScalars.append(u)
                }
            }
            expected += "\""
            var out = ""
            JSONValue.writeString(text, to: &out)
            #expect(out == expected)
            #expect(try JSONValue.parse(out) == .string(text))
        }
    }

    @Test func escapesOfOtherWritersParse() throws {
        #expect(try JSONValue.parse(#""\u00e9\/\b\f""#) == .string("é/\u{8}\u{c}"))
        #expect(try JSONValue.parse(#""\ud83d\ude00""#) == .string("😀"))
        for bad in [#""\x""#, #""\u12""#, "\"open", "\"a\u{1}b\""] {
            #expect(throws: JSONParseError.self, "\(bad)") { try JSONValue.parse(bad) }
        }
    }

    /// Strings are copied in runs, straight from the input when they have no escape: invalid
    /// UTF-8 is refused either way, and a control character after an escape at its own offset.
    @Test func badBytesInsideARunAreRefusedAtTheirOffset() throws {
        for bytes: [UInt8] in [[0x22, 0x61, 0xFF, 0x22], [0x22, 0x5C, 0x6E, 0xC3, 0x22]] {
            #expect(throws: JSONParseError.self, "\(bytes)") { try bytes.withUnsafeBufferPointer { try JSONValue.parse(utf8: $0) } }
        }
        #expect(throws: JSONParseError(offset: 5, reason: "control character in string")) { try JSONValue.parse("\"a\\nb\u{1}c\"") }
        #expect(throws: JSONParseError(offset: 2, reason: "control character in string")) { try JSONValue.parse("\"a\u{1}\"") }
        #expect(try JSONValue.parse("[\"a\\\"b\", \"c\"]") == .array([.string("a\"b"), .string("c")]))
    }

    static let numbers: [(String, JSONValue, String)] = [
        ("0", .int(0), "0"), ("-7", .int(-7), "-7"), ("9007199254740993", .int(9_007_199_254_740_993), "9007199254740993"),
        ("9223372036854775807", .int(Int64.max), "9223372036854775807"), ("1.5", .double(1.5), "1.5"),
        ("2.0", .double(2), "2.0"), ("1e3", .double(1000), "1000.0"), ("-2.5E-3", .double(-0.0025), "-0.0025"),
        ("1e20", .double(1e20), "1e+20"),
    ]

    @Test(arguments: numbers)
    func integersStayExactAndDoublesKeepTheirKind(text: String, value: JSONValue, printed: String) throws {
        let parsed = try JSONValue.parse(text)
        #expect(parsed == value)
        #expect(parsed.description == printed)
        if case .int = value { #expect(parsed.int64Value == value.int64Value) }
    }

    @Test func nonFiniteDoublesPrintAsNullAndBadNumbersAreRefusedWithTheOffset() throws {
        #expect(JSONValue.double(.nan).description == "null")
        #expect(JSONValue.double(-.infinity).description == "null")
        for bad in ["-", "01x", "1.", "[1,]", "{\"a\" 1}", "nul", "1 2"] {
            #expect(throws: JSONParseError.self, "\(bad)") { try JSONValue.parse(bad) }
        }
        do { _ = try JSONValue.parse("[1, 2] x") } catch { #expect(error.offset == 7) }
    }

    @Test func objectsKeepTheirKeyOrderSoSortedInputGivesSortedOutput() throws {
        let text = #"{"b":1,"a":{"z":[true,false,null],"y":"s"},"c":[]}"#
        let parsed = try JSONValue.parse(text)
        #expect(parsed.description == text)
        #expect(parsed.objectValue?.map(\.0) == ["b", "a", "c"])
        let counts = ["zeta": 1, "alpha": 2, "mu": 3]
        let sorted = JSONValue.object(counts.keys.sorted().map { ($0, .int(Int64(counts[$0]!))) })
        #expect(sorted.description == #"{"alpha":2,"mu":3,"zeta":1}"#)
        #expect(try JSONValue.parse(" \n{ \"k\" :\t[ 1 , 2 ] }\n ").description == #"{"k":[1,2]}"#)
    }

    @Test func equalityComparesNumbersByValueAndObjectsInOrder() {
        #expect(JSONValue.int(2) == .double(2.0))
        #expect(JSONValue.double(.nan) == .double(.nan))
        #expect(JSONValue.object([("a", .int(1)), ("b", .int(2))]) != .object([("b", .int(2)), ("a", .int(1))]))
        #expect(JSONValue.object([("a", .null)])["a"] == .null && JSONValue.object([])["a"] == nil)
    }
}
