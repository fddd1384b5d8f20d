import FSCore
@testable import FSServe
import NIOCore
import Testing

/// Answers are written as bytes into one buffer; these are the bytes the `String`-building
/// writers (`JSONValue.writeString`, `formatISO8601`, NIO's head encoder) produced before.
@Suite struct ResponseBytesTests {
    static func text(_ write: (inout ByteBuffer) -> Void) -> String {
        var b = ByteBufferAllocator().buffer(capacity: 16)
        write(&b)
        return String(buffer: b)
    }

    static let timestamps: [Int64] = [
        0, 1, 999, 1_000, 123_000, 1_000_000, -1, -1_000, -1_000_000, 1_547_730_300_000_000, 1_547_730_300_123_456,
        1_547_730_300_120_000, -62_135_596_800_000_000, -62_167_219_200_000_001, 253_402_300_799_999_999,
        253_402_300_800_000_000, 4_102_444_800_000_001,
    ]

    @Test(arguments: timestamps)
    func timestampDigitsEqualTheFormattedText(_ micros: Int64) {
        let frac = ((micros % 1_000_000) + 1_000_000) % 1_000_000
        let expected = formatISO8601(micros: micros, fractionDigits: frac == 0 ? 0 : (frac % 1_000 == 0 ? 3 : 6))
        #expect(Self.text { ResponseJSON.timestamp(micros, to: &$0) } == expected)
    }

    static let strings = ["", "plain", "quote\"d", "back\\slash", "\n\r\t", "\u{0}\u{1}\u{1f}\u{7f}", "ü ✓ 😀", "/slash", "a\"\\\u{8}b"]

    @Test(arguments: strings)
    func stringEscapesEqualJSONValues(_ s: String) {
        var expected = ""
        JSONValue.writeString(s, to: &expected)
        #expect(Self.text { ResponseJSON.string(s, to: &$0) } == expected)
    }

    @Test(arguments: [Int64(0), 7, -7, 10, -10, 1_234_567, .max, .min])
    func decimalDigitsEqualStringOfTheInteger(_ i: Int64) {
        #expect(Self.text { ResponseJSON.decimal(i, to: &$0) } == String(i))
    }

    @Test func valuesAreWrittenAsFeastShowsThem() {
        let cases: [(Value, String)] = [
            (.null, "null"), (.boolean(true), "true"), (.boolean(false), "false"), (.int32(-3), "-3"), (.int64(42), "42"),
            (.double(0.1 + 0.2), "0.30000000000000004"), (.double(-0.0), "-0.0"), (.double(2.5), "2.5"), (.double(1e300), "1e+300"),
            (.double(.nan), "null"), (.double(-.infinity), "null"), (.string("x\"y"), #""x\"y""#),
            (.date(17_913), "\"2019-01-17\""), (.timestamp(1_547_730_300_000_000), "\"2019-01-17T13:05:00Z\""),
        ]
        for (v, expected) in cases {
            #expect(Self.text { ResponseJSON.write(v, to: &$0) } == expected, "\(v)")
        }
        #expect(Self.text { ResponseJSON.write(JSONValue.double(12), to: &$0) } == "12.0", "an integral double entity echoes as JSONValue prints it")
    }

    static func answer(status: Int, contentType: String = ServeAnswer.json, closing: Bool = false, isHTTP10: Bool = false, body: String) -> String {
        var b = ByteBufferAllocator().buffer(capacity: 512)
        b.moveWriterIndex(to: ResponseHead.reservedBytes)
        b.moveReaderIndex(to: ResponseHead.reservedBytes)
        b.writeString(body)
        ResponseHead.prepend(status: status, contentType: contentType, isClosing: closing, isHTTP10: isHTTP10, to: &b)
        return String(buffer: b)
    }

    @Test func theHeadIsWrittenInFrontOfTheBody() {
        #expect(Self.answer(status: 200, body: "{}") == "HTTP/1.1 200 OK\r\ncontent-type: application/json\r\ncontent-length: 2\r\n\r\n{}")
        #expect(Self.answer(status: 200, body: "") == "HTTP/1.1 200 OK\r\ncontent-type: application/json\r\ncontent-length: 0\r\n\r\n")
        let long = String(repeating: "x", count: 12_345)
        #expect(Self.answer(status: 200, body: long) == "HTTP/1.1 200 OK\r\ncontent-type: application/json\r\ncontent-length: 12345\r\n\r\n" + long)
        #expect(Self.answer(status: 404, closing: true, body: "{}")
                == "HTTP/1.1 404 Not Found\r\ncontent-type: application/json\r\ncontent-length: 2\r\nconnection: close\r\n\r\n{}")
        #expect(Self.answer(status: 200, isHTTP10: true, body: "{}") == "HTTP/1.0 200 OK\r\ncontent-type: application/json\r\ncontent-length: 2\r\nconnection: keep-alive\r\n\r\n{}")
        #expect(Self.answer(status: 200, closing: true, isHTTP10: true, body: "{}") == "HTTP/1.0 200 OK\r\ncontent-type: application/json\r\ncontent-length: 2\r\nconnection: close\r\n\r\n{}")
        #expect(Self.answer(status: 200, contentType: ServeAnswer.prometheus, body: "a 1\n")
                == "HTTP/1.1 200 OK\r\ncontent-type: text/plain; version=0.0.4\r\ncontent-length: 4\r\n\r\na 1\n")
        #expect(Self.answer(status: 503, closing: true, body: "{}").hasPrefix("HTTP/1.1 503 Service Unavailable\r\n"))
    }
}
