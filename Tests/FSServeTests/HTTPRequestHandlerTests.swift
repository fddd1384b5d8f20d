import FSCore
@testable import FSServe
import NIOCore
import NIOEmbedded
import Testing

/// The connection handler on an in-memory channel: the bytes it answers with do not depend on
/// how the requests were cut into reads, pipelined requests are answered in order, and refused
/// requests close the connection.
@Suite struct HTTPRequestHandlerTests {
    /// One table `t` keyed by `id` with one feature `x`; key 1 holds 2.5.
    final class OneRowSource: FeatureSource {
        let name = "t"
        func layout() throws(ServeError) -> ServedLayout { ServedLayout(keyColumns: ["id"], timeColumn: "ts", featureColumns: ["x"]) }
        func read(keys: [ServedKey]) throws(ServeError) -> [ServedRow?] {
            keys.map { $0 == [.int64(1)] ? ServedRow(time: 1_547_730_300_000_000, features: [.double(2.5)]) : nil }
        }
        func checkHealth() -> StoreHealth { .up }
        func publishedPosition() -> (version: Int64, updatedAtMicros: Int64?)? { nil }
    }

    static let body = #"{"entities":{"id":[1,2]},"features":["t:x"]}"#
    static let post = "POST /get-online-features HTTP/1.1\r\nHost: x\r\nContent-Length: \(body.utf8.count)\r\n\r\n\(body)"
    /// Three pipelined requests: a Feast query, a health probe, an unknown route.
    static let stream = post + "GET /health HTTP/1.1\r\nHost: x\r\n\r\n" + "GET /nowhere HTTP/1.1\r\nHost: x\r\n\r\n"

    /// Feeds `pieces` as separate reads and returns everything written back, and whether the channel is still open.
    static func exchange(_ pieces: [[UInt8]], maxBodyBytes: Int = 1 << 20) throws -> (answer: String, isOpen: Bool) {
        let service = FeatureService(sources: [OneRowSource()], limits: ServeLimits(maxRequestBytes: maxBodyBytes))
        let channel = EmbeddedChannel(handler: HTTPRequestHandler(service: service, connections: ConnectionTracker(), accessLog: nil))
        try channel.connect(to: SocketAddress(ipAddress: "127.0.0.1", port: 1)).wait()
        for piece in pieces {
            var b = channel.allocator.buffer(capacity: piece.count)
            b.writeBytes(piece)
            try channel.writeInbound(b)
            channel.pipeline.fireChannelReadComplete()
        }
        var answer = ""
        while var out = try channel.readOutbound(as: ByteBuffer.self) { answer += out.readString(length: out.readableBytes) ?? "" }
        let isOpen = channel.isActive
        if isOpen { _ = try? channel.finish() }
        return (answer, isOpen)
    }

    /// Splits an answer stream into (status, body) per answer, using each head's content-length.
    static func answers(_ text: String) -> [(status: Int, head: String, body: String)] {
        var rest = Substring(text)
        var out: [(Int, String, String)] = []
        while let end = rest.range(of: "\r\n\r\n") {
            let head = String(rest[..<end.lowerBound])
            let status = Int(head.split(separator: " ")[1]) ?? 0
            let length = head.split(separator: "\r\n").first { $0.lowercased().hasPrefix("content-length:") }
                .flatMap { Int($0.split(separator: ":")[1].trimmingPrefix(" ")) } ?? 0
            let bodyStart = end.upperBound
            let bodyEnd = rest.utf8.index(bodyStart, offsetBy: length)
            out.append((status, head, String(rest[bodyStart..<bodyEnd])))
            rest = rest[bodyEnd...]
        }
        return out
    }

    @Test func pipelinedRequestsAreAnsweredInOrder() throws {
        let (text, isOpen) = try Self.exchange([Array(Self.stream.utf8)])
        let all = Self.answers(text)
        #expect(all.map(\.status) == [200, 200, 404])
        #expect(all[0].body.contains(#""values":[2.5,null]"#), "\(all[0].body)")
        #expect(all[0].body.contains(#""statuses":["PRESENT","NOT_FOUND"]"#))
        #expect(all[1].body == #"{"stores":{"t":"up"},"status":"ok"}"#)
        #expect(isOpen, "keep-alive requests leave the connection open")
    }

    @Test func theAnswerBytesDoNotDependOnHowTheRequestsWereCut() throws {
        let bytes = Array(Self.stream.utf8)
        let whole = try Self.exchange([bytes]).answer
        #expect(Self.answers(whole).count == 3)
        for cut in 1..<bytes.count {
            let split = try Self.exchange([Array(bytes[..<cut]), Array(bytes[cut...])]).answer
            #expect(split == whole, "cut at byte \(cut)")
        }
        #expect(try Self.exchange(bytes.map { [$0] }).answer == whole, "one byte per read")
    }

    @Test func refusedRequestsGetTheirStatusAndTheConnectionCloses() throws {
        let cases: [(String, Int)] = [
            ("NOT HTTP AT ALL\r\n\r\n", 400),
            ("GET /health HTTP/1.1\r\n\r\n", 400),
            ("POST /get-online-features HTTP/1.1\r\nHost: x\r\nContent-Length: 65\r\n\r\n", 413),
            ("POST /get-online-features HTTP/1.1\r\nHost: x\r\nTransfer-Encoding: chunked\r\n\r\n", 501),
            ("GET /health HTTP/1.1\r\nHost: x\r\nX: " + String(repeating: "a", count: 20_000) + "\r\n\r\n", 431),
            ("GET /health HTTP/2.0\r\n\r\n", 505),
        ]
        for (request, status) in cases {
            // A valid request first (answered), then the bad one, then one that must be ignored.
            let (text, isOpen) = try Self.exchange([Array(("GET /health HTTP/1.1\r\nHost: x\r\n\r\n" + request + "GET /health HTTP/1.1\r\nHost: x\r\n\r\n").utf8)],
                                                   maxBodyBytes: 64)
            let all = Self.answers(text)
            #expect(all.map(\.status) == [200, status], "\(request.prefix(60).debugDescription)")
            #expect(all.last?.head.contains("connection: close") == true)
            #expect(all.last?.body.hasPrefix(#"{"error":"#) == true, "\(all.last?.body ?? "")")
            #expect(!isOpen)
        }
    }

    @Test func http10IsAnsweredIn10AndClosedUnlessKeptAlive() throws {
        let (closing, closedOpen) = try Self.exchange([Array("GET /health HTTP/1.0\r\n\r\n".utf8)])
        #expect(closing.hasPrefix("HTTP/1.0 200 OK\r\n"))
        #expect(closing.contains("connection: close\r\n"))
        #expect(!closedOpen)
        let (kept, keptOpen) = try Self.exchange([Array("GET /health HTTP/1.0\r\nConnection: keep-alive\r\n\r\n".utf8)])
        #expect(kept.hasPrefix("HTTP/1.0 200 OK\r\n"))
        #expect(kept.contains("connection: keep-alive\r\n"))
        #expect(keptOpen)
    }

    @Test func aClientExpectingContinueGetsItBeforeSendingTheBody() throws {
        let head = "POST /get-online-features HTTP/1.1\r\nHost: x\r\nExpect: 100-continue\r\nContent-Length: \(Self.body.utf8.count)\r\n\r\n"
        let (text, _) = try Self.exchange([Array(head.utf8), Array(Self.body.utf8)])
        #expect(text.hasPrefix("HTTP/1.1 100 Continue\r\n\r\nHTTP/1.1 200 OK\r\n"))
        let (whole, _) = try Self.exchange([Array((head + Self.body).utf8)])
        #expect(whole.hasPrefix("HTTP/1.1 200 OK\r\n"), "no interim answer when the body came with the head")
    }
}
