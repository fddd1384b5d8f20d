import FSCore
import Foundation
import Testing

#if canImport(Glibc)
import Glibc
#endif

/// A minimal blocking HTTP/1.1 client over a loopback socket: what the process tests need
/// (partial writes, keep-alive, reading exactly one answer), nothing more.
final class RawHTTPConnection {
    let fd: Int32

    init(port: Int) throws {
        fd = socket(AF_INET, Int32(SOCK_STREAM.rawValue), 0)
        var addr = sockaddr_in()
        addr.sin_family = sa_family_t(AF_INET)
        addr.sin_port = in_port_t(UInt16(port).bigEndian)
        addr.sin_addr.s_addr = inet_addr("127.0.0.1")
        var tv = timeval(tv_sec: 20, tv_usec: 0)
        setsockopt(fd, SOL_SOCKET, SO_RCVTIMEO, &tv, socklen_t(MemoryLayout<timeval>.size))
        let rc = withUnsafePointer(to: &addr) {
            $0.withMemoryRebound(to: sockaddr.self, capacity: 1) { connect(fd, $0, socklen_t(MemoryLayout<sockaddr_in>.size)) }
        }
        guard rc == 0 else { close(fd); throw POSIXError(POSIXErrorCode(rawValue: errno) ?? .EIO) }
    }

    deinit { close(fd) }

    func send(_ text: String) {
        var t = text
        t.withUTF8 { p in var off = 0; while off < p.count { let n = Glibc.send(fd, p.baseAddress! + off, p.count - off, Int32(MSG_NOSIGNAL)); if n <= 0 { return }; off += n } }
    }

    /// Bytes read past the last response (pipelined answers can arrive in one read).
    private var pending: [UInt8] = []

    /// Reads one response: (status, headers lower-cased, body); nil when the peer closed first.
    func readResponse() -> (status: Int, headers: [String: String], body: String)? {
        var buffer = pending
        pending = []
        var chunk = [UInt8](repeating: 0, count: 65_536)
        func fill() -> Bool {
            let n = read(fd, &chunk, chunk.count)
            if n <= 0 { return false }
            buffer += chunk[0..<n]
            return true
        }
        var headerEnd: Int?
        while headerEnd == nil {
            if let r = buffer.firstRange(of: Array("\r\n\r\n".utf8)) { headerEnd = r.upperBound; break }
            if !fill() { return nil }
        }
        let head = String(decoding: buffer[0..<headerEnd!], as: UTF8.self).split(separator: "\r\n")
        let status = Int(head[0].split(separator: " ")[1]) ?? 0
        var headers: [String: String] = [:]
        for line in head.dropFirst() {
            if let c = line.firstIndex(of: ":") {
                headers[line[..<c].lowercased()] = line[line.index(after: c)...].trimmingCharacters(in: .whitespaces)
            }
        }
        let length = Int(headers["content-length"] ?? "0") ?? 0
        while buffer.count < headerEnd! + length { if !fill() { return nil } }
        pending = Array(buffer[(headerEnd! + length)...])
        return (status, headers, String(decoding: buffer[headerEnd!..<(headerEnd! + length)], as: UTF8.self))
    }

    /// True when the server closed the connection (read returns 0).
    func isClosedByPeer() -> Bool {
        guard pending.isEmpty else { return false }
        var byte: UInt8 = 0
        return read(fd, &byte, 1) == 0
    }

    static func post(_ path: String, _ body: String, headers: String = "") -> String {
        "POST \(path) HTTP/1.1\r\nHost: x\r\nContent-Type: application/json\r\n\(headers)Content-Length: \(body.utf8.count)\r\n\r\n\(body)"
    }
}

/// A running fs-serve process, started from the built binary with `--port 0`.
final class ServeProcess {
    let process = Process()
    let port: Int
    private let stderrPipe = Pipe()

    static var binary: URL {
        var url = URL(fileURLWithPath: CommandLine.arguments[0]).resolvingSymlinksInPath()
        while url.path != "/" {
            url = url.deletingLastPathComponent()
            if FileManager.default.fileExists(atPath: url.appendingPathComponent("fs-serve").path) { return url.appendingPathComponent("fs-serve") }
        }
        return URL(fileURLWithPath: ".build/debug/fs-serve")
    }

    /// `environment` is added to the test's own (store passwords).
    init(_ args: [String], environment: [String: String] = [:]) throws {
        process.executableURL = Self.binary
        process.arguments = args + ["--port", "0", "--threads", "1"]
        if !environment.isEmpty { process.environment = ProcessInfo.processInfo.environment.merging(environment) { $1 } }
        let out = Pipe()
        process.standardOutput = out
        process.standardError = stderrPipe
        try process.run()
        // The first stdout line says where it listens: {"host":"127.0.0.1","port":N}.
        var line = Data()
        while !line.contains(UInt8(ascii: "\n")) {
            let d = out.fileHandleForReading.availableData
            if d.isEmpty { break }
            line += d
        }
        let json = try JSONValue.parse(String(decoding: line, as: UTF8.self).trimmingCharacters(in: .whitespacesAndNewlines))
        port = Int(json["port"]?.int64Value ?? 0)
    }

    func terminate() { kill(process.processIdentifier, SIGTERM) }

    /// Waits for exit; returns the status and everything it wrote on stderr.
    func wait() -> (status: Int32, stderr: String) {
        process.waitUntilExit()
        let e = stderrPipe.fileHandleForReading.readDataToEndOfFile()
        return (process.terminationStatus, String(decoding: e, as: UTF8.self))
    }

    deinit {
        if process.isRunning { kill(process.processIdentifier, SIGKILL); process.waitUntilExit() }
    }
}

/// The built fs-serve binary: HTTP behaviour, flags, and the SIGTERM drain.
@Suite(.serialized) struct ServeProcessTests {
    static func publishedStore(_ dir: TempDir) throws -> String {
        let fixture = try SQLiteFixture(path: dir.path + "/features.db")
        try fixture.publish([FixtureRow(customerId: 7, windowEnd: 1_547_730_300_000_000, amount: 2.5, count: 3, platform: "IOS")], version: 1)
        fixture.close()
        return fixture.path
    }

    static let body = #"{"entities":{"customer_id":[7,8]},"features":["order_agg:order-count-1h"]}"#

    @Test func sigtermAnswersTheRequestInFlightThenExitsZero() throws {
        let dir = TempDir()
        defer { dir.remove() }
        let server = try ServeProcess(["--store", "sqlite:" + (try Self.publishedStore(dir)), "--table", "order_agg"])
        let idle = try RawHTTPConnection(port: server.port)
        idle.send("GET /health HTTP/1.1\r\nHost: x\r\n\r\n")
        #expect(idle.readResponse()?.status == 200)

        // A request in flight: its head and half its body are sent before the signal.
        let busy = try RawHTTPConnection(port: server.port)
        let request = RawHTTPConnection.post("/get-online-features", Self.body)
        let cut = request.utf8.count - 10
        busy.send(String(request.utf8.prefix(cut))!)
        usleep(200_000)
        server.terminate()
        usleep(300_000)
        #expect(idle.isClosedByPeer(), "an idle keep-alive connection is closed by the drain")
        busy.send(String(request.utf8.dropFirst(cut))!)
        let answer = try #require(busy.readResponse())
        #expect(answer.status == 200)
        #expect(answer.headers["connection"] == "close")
        #expect(try ParsedFeastResponse(answer.body).statuses[1] == ["PRESENT", "NOT_FOUND"])
        let end = server.wait()
        #expect(end.status == 0, "\(end.stderr)")
        #expect(throws: (any Error).self) { _ = try RawHTTPConnection(port: server.port) }
    }

    @Test func tokenAndLimitsAreEnforcedOverHTTP() throws {
        let dir = TempDir()
        defer { dir.remove() }
        let tokenFile = dir.path + "/token"
        try "t0ken-123\n".write(toFile: tokenFile, atomically: true, encoding: .utf8)
        let server = try ServeProcess(["--store", "sqlite:" + (try Self.publishedStore(dir)), "--table", "order_agg",
                                       "--auth-token-file", tokenFile, "--max-request-bytes", "300", "--max-keys", "2"])
        let c = try RawHTTPConnection(port: server.port)
        c.send(RawHTTPConnection.post("/get-online-features", Self.body))
        #expect(c.readResponse()?.status == 401)
        c.send(RawHTTPConnection.post("/get-online-features", Self.body, headers: "Authorization: Bearer t0ken-123\r\n"))
        let ok = try #require(c.readResponse())
        #expect(ok.status == 200)
        #expect(ok.headers["content-type"] == "application/json")
        c.send(RawHTTPConnection.post("/get-online-features", #"{"entities":{"customer_id":[1,2,3]},"features":["order_agg:order-count-1h"]}"#,
                                      headers: "Authorization: Bearer t0ken-123\r\n"))
        #expect(c.readResponse()?.status == 422)
        c.send(RawHTTPConnection.post("/get-online-features", String(repeating: " ", count: 400) + Self.body,
                                      headers: "Authorization: Bearer t0ken-123\r\n"))
        #expect(c.readResponse()?.status == 413)
        let h = try RawHTTPConnection(port: server.port)
        h.send("GET /health HTTP/1.1\r\nHost: x\r\n\r\n")
        #expect(h.readResponse()?.status == 200)
        server.terminate()
        let end = server.wait()
        #expect(end.status == 0)
        #expect(!end.stderr.contains("t0ken-123"))
        #expect(!end.stderr.contains("customer_id"), "access logs are off by default")
    }

    @Test func pipelinedRequestsAreAnsweredInOrderAndGarbageGetsA400() throws {
        let dir = TempDir()
        defer { dir.remove() }
        let server = try ServeProcess(["--store", "sqlite:" + (try Self.publishedStore(dir)), "--table", "order_agg"])
        let c = try RawHTTPConnection(port: server.port)
        // Three requests in one write: each answer is whole, in request order, on one connection.
        c.send(RawHTTPConnection.post("/get-online-features", Self.body) + "GET /nowhere HTTP/1.1\r\nHost: x\r\n\r\n"
               + RawHTTPConnection.post("/get-online-features", #"{"entities":{"customer_id":[8]},"features":["order_agg:order-count-1h"]}"#))
        let first = try #require(c.readResponse())
        #expect(first.status == 200)
        #expect(try ParsedFeastResponse(first.body).statuses[1] == ["PRESENT", "NOT_FOUND"])
        #expect(c.readResponse()?.status == 404)
        let third = try #require(c.readResponse())
        #expect(try ParsedFeastResponse(third.body).statuses[1] == ["NOT_FOUND"])
        #expect(third.headers["connection"] == nil, "a keep-alive answer does not announce a close")

        let bad = try RawHTTPConnection(port: server.port)
        bad.send("NOT HTTP AT ALL\r\n\r\n")
        let answer = try #require(bad.readResponse())
        #expect(answer.status == 400)
        #expect(answer.headers["connection"] == "close")
        #expect(bad.isClosedByPeer())
        server.terminate()
        #expect(server.wait().status == 0)
    }

    @Test func badFlagsAreUsageErrors() throws {
        for args in [["--store", "mysql://x", "--table", "t"], ["--table", "t"], [], ["--store", "sqlite:/x", "--table", "a:b"],
                     ["--delta-table", "/x", "--refresh-interval", "soon"],
                     ["--store", "postgres:postgresql://fs:s3cret-pw@127.0.0.1/fs", "--table", "t"],
                     ["--store", "redis:redis://fs:s3cret-pw@127.0.0.1:6379/0", "--table", "t"], ["--store", "redis:", "--table", "t"]] {
            let p = Process()
            p.executableURL = ServeProcess.binary
            p.arguments = args
            let err = Pipe()
            p.standardError = err
            p.standardOutput = Pipe()
            try p.run()
            p.waitUntilExit()
            let text = String(decoding: err.fileHandleForReading.readDataToEndOfFile(), as: UTF8.self)
            #expect(p.terminationStatus == 64, "\(args): \(text)")
            #expect(!text.contains("s3cret-pw"), "a password in a store URL is refused without being echoed: \(text)")
        }
    }
}
