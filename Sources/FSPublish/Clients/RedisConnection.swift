#if canImport(Glibc)
import Glibc
#endif
import CHiredis
import FSCore

/// One reply of a Redis command, copied out of hiredis's reply object.
package enum RedisReply: Equatable {
    case status(String)
    case error(String)
    case integer(Int64)
    case bulk([UInt8])
    case array([RedisReply])
    case null

    /// The reply as text (bulk or status), nil otherwise.
    package var text: String? {
        switch self {
        case .bulk(let b): return String(decoding: b, as: UTF8.self)
        case .status(let s): return s
        default: return nil
        }
    }
}

/// The arguments of one command, packed into one byte buffer (binary-safe, no per-argument
/// allocation): what `redisAppendCommandArgv` takes as `argv` + `argvlen`.
package struct RedisCommand {
    private(set) var bytes: [UInt8] = []
    private(set) var ends: [Int] = []

    package init(_ words: [String] = []) { for w in words { append(w) } }

    package mutating func append(_ s: String) { bytes.append(contentsOf: s.utf8); ends.append(bytes.count) }
    mutating func append<C: Collection>(bytes b: C) where C.Element == UInt8 { bytes.append(contentsOf: b); ends.append(bytes.count) }
    /// Appends an argument built in place by `body` (no intermediate array).
    mutating func appendBuilt(_ body: (inout [UInt8]) -> Void) { body(&bytes); ends.append(bytes.count) }

    var count: Int { ends.count }
    mutating func reserve(bytes n: Int, arguments: Int) { bytes.reserveCapacity(n); ends.reserveCapacity(arguments) }
}

/// One hiredis connection: the only file that imports CHiredis.
///
/// Synchronous context with a connect and command timeout. Commands go out with the Argv
/// forms (Swift cannot call C variadics) — binary-safe, so values need no quoting. Pipelining
/// is `append` for each command, then `reply()` once per appended command.
package final class RedisConnection {
    private var context: UnsafeMutablePointer<redisContext>?
    /// `host:port/db` for messages.
    package let endpoint: String

    /// Connects, authenticates (`AUTH [user] password` when a password is given) and selects
    /// `database`. Unreachable → `.unreachable` (retriable); a refused password or a server
    /// that requires one → `.authenticationFailed` with the server's reply. Maps to
    /// `redisConnectWithTimeout` + `redisSetTimeout`; freed by `close()` (`redisFree`).
    package init(host: String, port: Int, database: Int, user: String?, password: String?, timeout: Duration) throws {
        endpoint = "\(host):\(port)/\(database)"
        let (s, atto) = timeout.components
        let tv = timeval(tv_sec: Int(s), tv_usec: Int(atto / 1_000_000_000_000))
        guard let c = redisConnectWithTimeout(host, Int32(port), tv) else {
            throw StoreError.unreachable(store: "redis", endpoint: endpoint, reason: "cannot allocate a connection")
        }
        if c.pointee.err != 0 {
            let reason = Self.errorText(c)
            redisFree(c)
            throw StoreError.unreachable(store: "redis", endpoint: endpoint, reason: reason)
        }
        redisSetTimeout(c, tv)
        context = c
        if let password {
            let auth = try command(RedisCommand(user.map { ["AUTH", $0, password] } ?? ["AUTH", password]))
            if case .error(let e) = auth {
                close()
                throw StoreError.authenticationFailed(store: "redis", endpoint: endpoint, reason: e)
            }
        }
        let selected = try command(RedisCommand(["SELECT", String(database)]))
        if case .error(let e) = selected {
            close()
            if e.hasPrefix("NOAUTH") || e.hasPrefix("WRONGPASS") {
                throw StoreError.authenticationFailed(store: "redis", endpoint: endpoint, reason: e + " (set FS_REDIS_PASSWORD)")
            }
            throw StoreError.statementFailed(store: "redis", reason: "SELECT \(database): \(e)")
        }
    }

    deinit { close() }

    /// Frees the context (`redisFree`). Idempotent.
    package func close() {
        if let c = context { redisFree(c) }
        context = nil
    }

    /// Sends one command and waits for its reply (`redisCommandArgv`).
    package func command(_ cmd: RedisCommand) throws -> RedisReply {
        try append(cmd)
        return try reply()
    }

    /// Queues a command in the output buffer without waiting (`redisAppendCommandArgv`).
    package func append(_ cmd: RedisCommand) throws {
        let c = try live()
        let rc: Int32 = cmd.bytes.withUnsafeBufferPointer { buf in
            let base = UnsafeRawPointer(buf.baseAddress ?? UnsafePointer(bitPattern: 1)!).assumingMemoryBound(to: CChar.self)
            var argv: [UnsafePointer<CChar>?] = []
            var lens: [Int] = []
            argv.reserveCapacity(cmd.count)
            lens.reserveCapacity(cmd.count)
            var start = 0
            for end in cmd.ends {
                argv.append(base + start)
                lens.append(end - start)
                start = end
            }
            return argv.withUnsafeMutableBufferPointer { a in
                lens.withUnsafeBufferPointer { l in
                    redisAppendCommandArgv(c, Int32(cmd.count), a.baseAddress, l.baseAddress)
                }
            }
        }
        if rc != 0 { throw broken(c) }
    }

    /// Queues commands already in the wire format (`redisAppendFormattedCommand`, which copies
    /// them into hiredis's output buffer); read one reply per command afterwards.
    func append(formatted buffer: RESPBuffer) throws {
        let c = try live()
        let rc = buffer.bytes.withUnsafeBufferPointer { buf in
            buf.withMemoryRebound(to: CChar.self) { redisAppendFormattedCommand(c, $0.baseAddress, $0.count) }
        }
        if rc != 0 { throw broken(c) }
    }

    /// Reads the next reply of the pipeline and returns its text when it is an error reply, nil
    /// for any other reply — without copying it (`redisGetReply`, then `freeReplyObject`). For
    /// the thousands of replies of a bulk write whose values nobody reads.
    func replyError() throws -> String? {
        let c = try live()
        var raw: UnsafeMutableRawPointer?
        if redisGetReply(c, &raw) != 0 || raw == nil { throw broken(c) }
        defer { freeReplyObject(raw) }
        let r = raw!.assumingMemoryBound(to: redisReply.self).pointee
        guard r.type == REDIS_REPLY_ERROR else { return nil }
        guard let s = r.str, r.len > 0 else { return "" }
        return String(decoding: UnsafeRawBufferPointer(start: s, count: Int(r.len)), as: UTF8.self)
    }

    /// Reads the next reply of the pipeline (`redisGetReply`; the reply is copied and freed).
    package func reply() throws -> RedisReply {
        let c = try live()
        var raw: UnsafeMutableRawPointer?
        if redisGetReply(c, &raw) != 0 || raw == nil { throw broken(c) }
        defer { freeReplyObject(raw) }
        return Self.convert(raw!.assumingMemoryBound(to: redisReply.self))
    }

    private func live() throws -> UnsafeMutablePointer<redisContext> {
        guard let c = context else { throw StoreError.unreachable(store: "redis", endpoint: endpoint, reason: "connection closed") }
        return c
    }

    /// An I/O failure leaves the context unusable: close it so the caller reconnects.
    private func broken(_ c: UnsafeMutablePointer<redisContext>) -> StoreError {
        let reason = Self.errorText(c)
        close()
        return .unreachable(store: "redis", endpoint: endpoint, reason: reason)
    }

    private static func errorText(_ c: UnsafeMutablePointer<redisContext>) -> String {
        withUnsafeBytes(of: c.pointee.errstr) { raw in
            let bytes = raw.prefix(while: { $0 != 0 })
            return bytes.isEmpty ? "error \(c.pointee.err)" : String(decoding: bytes, as: UTF8.self)
        }
    }

    private static func convert(_ r: UnsafeMutablePointer<redisReply>) -> RedisReply {
        let p = r.pointee
        func bytes() -> [UInt8] {
            guard let s = p.str, p.len > 0 else { return [] }
            return Array(UnsafeRawBufferPointer(start: s, count: Int(p.len)))
        }
        switch p.type {
        case REDIS_REPLY_STATUS: return .status(String(decoding: bytes(), as: UTF8.self))
        case REDIS_REPLY_ERROR: return .error(String(decoding: bytes(), as: UTF8.self))
        case REDIS_REPLY_INTEGER: return .integer(Int64(p.integer))
        case REDIS_REPLY_STRING: return .bulk(bytes())
        case REDIS_REPLY_ARRAY:
            return .array((0..<Int(p.elements)).map { i in p.element[i].map(convert) ?? .null })
        default: return .null
        }
    }
}
