@testable import FSServe
import Testing

/// The request parser on its own: what it finds in well-formed requests, what it refuses and
/// with which status, and that a request cut anywhere is "incomplete", never misread.
@Suite struct HTTPRequestParserTests {
    static let limits = HTTPRequestLimits(maxHeadBytes: 1_024, maxBodyBytes: 100)

    static func parse(_ text: String, limits: HTTPRequestLimits = limits) -> HTTPParseResult {
        Array(text.utf8).withUnsafeBytes { HTTPRequestParser.parse($0, limits: limits) }
    }

    /// The parts of a parsed head as text, for readable expectations.
    struct Seen: Equatable, CustomStringConvertible {
        var method: String, target: String, isHTTP10: Bool, isKeepAlive: Bool, authorization: String?, expectsContinue: Bool
        /// The body's bytes, or `<n bytes>` when they have not all arrived.
        var body: String
        var description: String { "\(method) \(target) 1.\(isHTTP10 ? 0 : 1) keepAlive=\(isKeepAlive) auth=\(authorization ?? "-") continue=\(expectsContinue) body=\(body)" }
    }

    static func seen(_ text: String) -> Seen? {
        guard case .head(let h) = parse(text) else { return nil }
        let bytes = Array(text.utf8)
        func s(_ r: Range<Int>) -> String { String(decoding: bytes[r], as: UTF8.self) }
        return Seen(method: s(h.method), target: s(h.target), isHTTP10: h.isHTTP10, isKeepAlive: h.isKeepAlive,
                    authorization: h.authorization.map(s), expectsContinue: h.expectsContinue,
                    body: h.end <= bytes.count ? s(h.bodyStart..<h.end) : "<\(h.contentLength) bytes>")
    }

    @Test func wellFormedRequestsAreReadAsTheySay() {
        let post = "POST /get-online-features HTTP/1.1\r\nHost: x\r\nContent-Length: 2\r\n\r\n{}"
        let cases: [(String, Seen)] = [
            (post, Seen(method: "POST", target: "/get-online-features", isHTTP10: false, isKeepAlive: true, authorization: nil,
                        expectsContinue: false, body: "{}")),
            // Header names in any case, spaces around values, LF alone ending lines, empty lines first.
            ("\r\n\nget /a?b=c HTTP/1.1\nHOST:x\ncontent-LENGTH:   3  \n\nabcNEXT",
             Seen(method: "get", target: "/a?b=c", isHTTP10: false, isKeepAlive: true, authorization: nil, expectsContinue: false, body: "abc")),
            ("GET /health HTTP/1.1\r\nHost: x\r\nConnection: keep-alive, Close\r\n\r\n",
             Seen(method: "GET", target: "/health", isHTTP10: false, isKeepAlive: false, authorization: nil, expectsContinue: false, body: "")),
            ("GET /health HTTP/1.0\r\n\r\n",
             Seen(method: "GET", target: "/health", isHTTP10: true, isKeepAlive: false, authorization: nil, expectsContinue: false, body: "")),
            ("GET /health HTTP/1.0\r\nConnection: Keep-Alive\r\n\r\n",
             Seen(method: "GET", target: "/health", isHTTP10: true, isKeepAlive: true, authorization: nil, expectsContinue: false, body: "")),
            ("POST /p HTTP/1.1\r\nHost: x\r\nAuthorization: Bearer a b\t\r\nExpect: 100-Continue\r\nContent-Length: 1\r\nContent-Length: 1\r\nX-Other: \u{e9}t\u{e9}\r\n\r\nZ",
             Seen(method: "POST", target: "/p", isHTTP10: false, isKeepAlive: true, authorization: "Bearer a b", expectsContinue: true, body: "Z")),
            // A body not yet arrived: the head says how long it will be.
            ("POST /p HTTP/1.1\r\nHost: x\r\nContent-Length: 100\r\n\r\n{",
             Seen(method: "POST", target: "/p", isHTTP10: false, isKeepAlive: true, authorization: nil, expectsContinue: false, body: "<100 bytes>")),
        ]
        for (text, expected) in cases {
            #expect(Self.seen(text) == expected, "\(text.debugDescription)")
        }
    }

    @Test func malformedOrUnsupportedRequestsAreRefusedWithTheirStatus() {
        let cases: [(String, Int)] = [
            ("NOT HTTP AT ALL\r\n\r\n", 400),
            ("GET  /x HTTP/1.1\r\nHost: x\r\n\r\n", 400),
            ("GET /x  HTTP/1.1\r\nHost: x\r\n\r\n", 400),
            ("GET /x HTTP/1.1 \r\nHost: x\r\n\r\n", 400),
            ("GET /x HTTP/1\r\nHost: x\r\n\r\n", 400),
            ("GET /x http/1.1\r\nHost: x\r\n\r\n", 400),
            ("G\u{0}T /x HTTP/1.1\r\nHost: x\r\n\r\n", 400),
            ("GET /\u{e9} HTTP/1.1\r\nHost: x\r\n\r\n", 400),
            (" GET /x HTTP/1.1\r\nHost: x\r\n\r\n", 400),
            ("GET /x HTTP/1.1\r\n\r\n", 400),  // no Host
            ("GET /x HTTP/1.1\r\nHost: a\r\nHost: b\r\n\r\n", 400),
            ("GET /x HTTP/1.1\r\nHost : x\r\n\r\n", 400),
            ("GET /x HTTP/1.1\r\nHost: x\r\n folded\r\n\r\n", 400),
            ("GET /x HTTP/1.1\r\nHost: x\r\nNoColon\r\n\r\n", 400),
            ("GET /x HTTP/1.1\r\nHost: x\r\n: empty-name\r\n\r\n", 400),
            ("GET /x HTTP/1.1\r\nHost: x\r\nX: a\rb\r\n\r\n", 400),
            ("GET /x HTTP/1.1\r\nHost: x\r\nX: a\u{0}b\r\n\r\n", 400),
            ("POST /x HTTP/1.1\r\nHost: x\r\nContent-Length: 1a\r\n\r\n", 400),
            ("POST /x HTTP/1.1\r\nHost: x\r\nContent-Length: -1\r\n\r\n", 400),
            ("POST /x HTTP/1.1\r\nHost: x\r\nContent-Length:\r\n\r\n", 400),
            ("POST /x HTTP/1.1\r\nHost: x\r\nContent-Length: 1, 1\r\n\r\n", 400),
            ("POST /x HTTP/1.1\r\nHost: x\r\nContent-Length: 1\r\nContent-Length: 2\r\n\r\n", 400),
            ("GET /x HTTP/1.1\r\nHost: x\r\nAuthorization: a\r\nAuthorization: a\r\n\r\n", 400),
            ("POST /x HTTP/1.1\r\nHost: x\r\nContent-Length: 101\r\n\r\n", 413),
            ("POST /x HTTP/1.1\r\nHost: x\r\nContent-Length: 99999999999999999999999999999\r\n\r\n", 413),
            ("POST /x HTTP/1.1\r\nHost: x\r\nTransfer-Encoding: chunked\r\n\r\n0\r\n\r\n", 501),
            ("POST /x HTTP/1.1\r\nHost: x\r\nTransfer-Encoding: gzip\r\nContent-Length: 1\r\n\r\nx", 501),
            ("GET /x HTTP/2.0\r\nHost: x\r\n\r\n", 505),
            ("GET /x HTTP/0.9\r\nHost: x\r\n\r\n", 505),
            ("GET /x HTTP/1.1\r\nHost: x\r\nX: " + String(repeating: "a", count: 1_100) + "\r\n\r\n", 431),
            ("GET /" + String(repeating: "a", count: 1_100) + " HTTP/1.1\r\nHost: x\r\n\r\n", 431),
        ]
        for (text, status) in cases {
            guard case .refused(let refusal) = Self.parse(text) else {
                Issue.record("not refused: \(text.debugDescription) → \(Self.parse(text))")
                continue
            }
            #expect(refusal.status == status, "\(text.debugDescription): \(refusal.reason)")
            #expect(!refusal.reason.isEmpty)
        }
    }

    @Test func refusalsNameWhatWasWrong() {
        guard case .refused(let r) = Self.parse("POST /x HTTP/1.1\r\nHost: x\r\nContent-Length: ten\r\n\r\n") else { Issue.record("not refused"); return }
        #expect(r.reason == "header Content-Length is not a number: ten")
        guard case .refused(let v) = Self.parse("GET /x HTTP/3.0\r\nHost: x\r\n\r\n") else { Issue.record("not refused"); return }
        #expect(v.reason.contains("3.0"))
    }

    @Test func aHeadCutAtAnyByteIsIncompleteAndTheWholeOneParsesTheSame() {
        let requests = [
            "POST /get-online-features HTTP/1.1\r\nHost: x\r\nAuthorization: Bearer t\r\nContent-Length: 5\r\n\r\nhello",
            "\r\nGET /health HTTP/1.0\nConnection: keep-alive\n\n",
        ]
        for text in requests {
            let bytes = Array(text.utf8)
            guard case .head(let whole) = Self.parse(text) else { Issue.record("not parsed: \(text.debugDescription)"); continue }
            for cut in 0..<whole.bodyStart {
                let part = bytes[0..<cut].withUnsafeBytes { HTTPRequestParser.parse($0, limits: Self.limits) }
                #expect(part == .incomplete, "cut at \(cut) of \(text.debugDescription)")
            }
            for cut in whole.bodyStart...bytes.count {
                let part = bytes[0..<cut].withUnsafeBytes { HTTPRequestParser.parse($0, limits: Self.limits) }
                #expect(part == .head(whole), "cut at \(cut) of \(text.debugDescription)")
            }
            // Whatever follows (a pipelined request, garbage) does not change this one.
            #expect(Self.parse(text + "GARBAGE\r\n\r\n") == .head(whole))
        }
    }

    @Test func anUnfinishedHeadIsRefusedOnceItPassesTheLimit() {
        #expect(Self.parse("GET /x HTTP/1.1\r\nHost: x\r\nX: " + String(repeating: "a", count: 900)) == .incomplete)
        guard case .refused(let r) = Self.parse("GET /x HTTP/1.1\r\nHost: x\r\nX: " + String(repeating: "a", count: 1_100)) else {
            Issue.record("not refused")
            return
        }
        #expect(r.status == 431)
        // Empty lines before a request count too: an endless stream of them is refused.
        guard case .refused(let e) = Self.parse(String(repeating: "\r\n", count: 600)) else { Issue.record("not refused"); return }
        #expect(e.status == 431)
        #expect(Self.parse("\r\n\r\n") == .incomplete)
        #expect(Self.parse("") == .incomplete)
    }
}
