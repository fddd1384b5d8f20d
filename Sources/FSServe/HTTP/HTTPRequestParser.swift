#if canImport(Glibc)
import Glibc
#endif

/// Limits one request must keep before fs-serve reads it.
struct HTTPRequestLimits: Sendable, Equatable {
    /// The request line and the header block together, blank line included; more is a 431.
    var maxHeadBytes: Int = 16_384
    /// The body (by `Content-Length`); more is a 413, answered before the body is read.
    var maxBodyBytes: Int
}

/// Where one request's parts are in the bytes it was parsed from: offsets, not copies, so the
/// handler reads the target and the body in place and nothing is allocated per request.
struct HTTPRequestHead: Sendable, Equatable {
    var method: Range<Int>
    var target: Range<Int>
    /// `HTTP/1.0`; answered in kind, and closed after the answer unless it asked to keep alive.
    var isHTTP10: Bool
    /// `Connection: close` (1.1) or no `Connection: keep-alive` (1.0) makes this false.
    var isKeepAlive: Bool
    var authorization: Range<Int>?
    /// `Expect: 100-continue`: the client waits for an interim answer before sending the body.
    var expectsContinue: Bool
    /// The first byte of the body, just past the blank line.
    var bodyStart: Int
    var contentLength: Int

    /// One past the request's last byte: where a pipelined next request starts.
    var end: Int { bodyStart + contentLength }
}

/// A request refused before it reaches the service: the status, and a reason naming what was wrong.
struct HTTPRefusal: Error, Sendable, Equatable {
    var status: Int
    var reason: String
}

/// What the bytes received so far hold.
enum HTTPParseResult: Sendable, Equatable {
    /// The head is not complete yet: read more.
    case incomplete
    /// A complete head; its body may still be arriving (`head.end` past the bytes given).
    case head(HTTPRequestHead)
    /// Answer with the refusal's status and close the connection.
    case refused(HTTPRefusal)
}

/// fs-serve's HTTP/1.1 request parser (RFC 9112), strict where a lenient reading could let two
/// parties disagree on where a request ends, and small because the server needs little.
///
/// Why our own and not NIO's `HTTPRequestDecoder`: the decoder built an `HTTPRequestHead` with an
/// `HTTPHeaders` array and a `String` per header and URI, and sent head, body and end as three
/// pipeline messages: about 10% of the server's CPU per request (bench/ANALYSIS.md, round 3).
/// This parser returns offsets into the received bytes, reads the four headers the server acts
/// on and checks the rest only for well-formedness.
///
/// ```
///  [CRLF...] method SP target SP HTTP/1.x CRLF     leading empty lines are skipped
///  (name ":" OWS value OWS CRLF)*                  LF alone also ends a line
///  CRLF
///  body: exactly Content-Length bytes (none when absent)
/// ```
/// Refused (then closed): malformed line, bad header name or control byte in a value, folded
/// header, `Content-Length` not a number or given twice with different values, a second
/// `Authorization` or `Host`, HTTP/1.1 without `Host` → 400; body over the limit → 413; head
/// over the limit → 431; any `Transfer-Encoding` → 501 (fs-serve's requests are small JSON
/// bodies with a length; no client it serves sends chunked ones); a version other than 1.x → 505.
///
/// Stateless: a partial head is parsed again from its start when more bytes arrive. The head is
/// at most `maxHeadBytes` (16 KiB), so that costs little, and there is no state to get wrong.
enum HTTPRequestParser {
    private static let cr = UInt8(ascii: "\r"), lf = UInt8(ascii: "\n"), sp = UInt8(ascii: " "), ht = UInt8(ascii: "\t")
    private static let colon = UInt8(ascii: ":"), comma = UInt8(ascii: ",")

    /// Parses the request at the start of `bytes`.
    static func parse(_ bytes: UnsafeRawBufferPointer, limits: HTTPRequestLimits) -> HTTPParseResult {
        let count = bytes.count
        guard count > 0, let base = bytes.baseAddress?.assumingMemoryBound(to: UInt8.self) else { return .incomplete }
        var at = 0
        // Empty lines before the request line are skipped (RFC 9112 §2.2); they count toward the
        // head's limit, so a stream of them cannot grow the connection's buffer without end.
        while at < count, base[at] == cr || base[at] == lf { at += 1 }

        // One line: [start, contentEnd) without its CR LF; `next` is the byte after the LF.
        func line(from start: Int) -> (contentEnd: Int, next: Int)? {
            guard start < count, let p = memchr(base + start, Int32(lf), count - start) else { return nil }
            let lfAt = base.distance(to: p.assumingMemoryBound(to: UInt8.self))
            return (lfAt > start && base[lfAt - 1] == cr ? lfAt - 1 : lfAt, lfAt + 1)
        }
        func incompleteOrTooLong() -> HTTPParseResult {
            count > limits.maxHeadBytes ? .refused(tooLongHead(limits)) : .incomplete
        }

        // Request line.
        guard let requestLine = line(from: at) else { return incompleteOrTooLong() }
        if requestLine.next > limits.maxHeadBytes { return .refused(tooLongHead(limits)) }
        var i = at
        while i < requestLine.contentEnd, isTokenByte(base[i]) { i += 1 }
        let method = at..<i
        guard !method.isEmpty, i < requestLine.contentEnd, base[i] == sp else { return .refused(malformed("request line")) }
        i += 1
        let targetStart = i
        while i < requestLine.contentEnd, base[i] > sp, base[i] < 0x7F { i += 1 }
        let target = targetStart..<i
        guard !target.isEmpty, i < requestLine.contentEnd, base[i] == sp else { return .refused(malformed("request line")) }
        i += 1
        // "HTTP/" DIGIT "." DIGIT, and nothing after it.
        guard requestLine.contentEnd - i == 8, matches(base + i, "HTTP/"), isDigit(base[i + 5]), base[i + 6] == UInt8(ascii: "."),
              isDigit(base[i + 7])
        else { return .refused(malformed("request line")) }
        guard base[i + 5] == UInt8(ascii: "1") else {
            return .refused(HTTPRefusal(status: 505, reason: "HTTP version \(base[i + 5] - 48).\(base[i + 7] - 48) is not supported; use HTTP/1.1"))
        }
        let isHTTP10 = base[i + 7] == UInt8(ascii: "0")

        // Header fields.
        var contentLength: Int?
        var isTooLarge = false
        var authorization: Range<Int>?
        var hosts = 0
        var hasTransferEncoding = false
        var sawClose = false, sawKeepAlive = false, expectsContinue = false
        at = requestLine.next
        while true {
            guard let field = line(from: at) else { return incompleteOrTooLong() }
            if field.next > limits.maxHeadBytes { return .refused(tooLongHead(limits)) }
            if field.contentEnd == at { at = field.next; break }  // the blank line
            // A line starting with whitespace continues the previous one (obsolete folding): refused.
            var n = at
            while n < field.contentEnd, isTokenByte(base[n]) { n += 1 }
            guard n > at, n < field.contentEnd, base[n] == colon else {
                return .refused(malformed(base[at] == sp || base[at] == ht ? "folded header line" : "header line"))
            }
            let name = at..<n
            var vs = n + 1, ve = field.contentEnd
            while vs < ve, base[vs] == sp || base[vs] == ht { vs += 1 }
            while ve > vs, base[ve - 1] == sp || base[ve - 1] == ht { ve -= 1 }
            for v in vs..<ve where base[v] != ht && (base[v] < sp || base[v] == 0x7F) {
                return .refused(HTTPRefusal(status: 400, reason: "header \(text(base, name)) has a control byte in its value"))
            }
            switch name.count {
            case 4 where equalsLowercased(base, name, "host"):
                hosts += 1
            case 6 where equalsLowercased(base, name, "expect"):
                expectsContinue = equalsLowercased(base, vs..<ve, "100-continue")
            case 10 where equalsLowercased(base, name, "connection"):
                // A comma-separated list of options; only two matter here.
                var s = vs
                while s <= ve {
                    var e = s
                    while e < ve, base[e] != comma { e += 1 }
                    var ts = s, te = e
                    while ts < te, base[ts] == sp || base[ts] == ht { ts += 1 }
                    while te > ts, base[te - 1] == sp || base[te - 1] == ht { te -= 1 }
                    if equalsLowercased(base, ts..<te, "close") { sawClose = true }
                    if equalsLowercased(base, ts..<te, "keep-alive") { sawKeepAlive = true }
                    s = e + 1
                }
            case 13 where equalsLowercased(base, name, "authorization"):
                guard authorization == nil else { return .refused(HTTPRefusal(status: 400, reason: "header Authorization is given twice")) }
                authorization = vs..<ve
            case 14 where equalsLowercased(base, name, "content-length"):
                guard vs < ve else { return .refused(HTTPRefusal(status: 400, reason: "header Content-Length is empty")) }
                var value = 0
                for d in vs..<ve {
                    guard isDigit(base[d]) else {
                        return .refused(HTTPRefusal(status: 400, reason: "header Content-Length is not a number: \(text(base, vs..<ve))"))
                    }
                    // Past the limit the exact value no longer matters; stopping keeps it from overflowing.
                    if value <= limits.maxBodyBytes { value = value * 10 + Int(base[d] - 48) }
                }
                if value > limits.maxBodyBytes { isTooLarge = true }
                guard contentLength == nil || contentLength == value else {
                    return .refused(HTTPRefusal(status: 400, reason: "header Content-Length is given twice with different values"))
                }
                contentLength = value
            case 17 where equalsLowercased(base, name, "transfer-encoding"):
                hasTransferEncoding = true
            default:
                break
            }
            at = field.next
        }

        if hasTransferEncoding {
            return .refused(HTTPRefusal(status: 501, reason: "Transfer-Encoding is not supported; send the body with a Content-Length"))
        }
        if !isHTTP10, hosts != 1 {
            return .refused(HTTPRefusal(status: 400, reason: hosts == 0 ? "an HTTP/1.1 request needs a Host header" : "header Host is given twice"))
        }
        if isTooLarge {
            return .refused(HTTPRefusal(status: 413, reason: "request body is larger than the limit of \(limits.maxBodyBytes) bytes"))
        }
        return .head(HTTPRequestHead(
            method: method, target: target, isHTTP10: isHTTP10,
            isKeepAlive: isHTTP10 ? sawKeepAlive && !sawClose : !sawClose,
            authorization: authorization, expectsContinue: expectsContinue,
            bodyStart: at, contentLength: contentLength ?? 0))
    }

    private static func tooLongHead(_ limits: HTTPRequestLimits) -> HTTPRefusal {
        HTTPRefusal(status: 431, reason: "request line and headers are longer than the limit of \(limits.maxHeadBytes) bytes")
    }

    private static func malformed(_ what: String) -> HTTPRefusal {
        HTTPRefusal(status: 400, reason: "malformed \(what)")
    }

    /// RFC 9110's `tchar`: the bytes a method or a header name may hold.
    @inline(__always)
    private static func isTokenByte(_ b: UInt8) -> Bool {
        switch b {
        case UInt8(ascii: "a")...UInt8(ascii: "z"), UInt8(ascii: "A")...UInt8(ascii: "Z"), UInt8(ascii: "0")...UInt8(ascii: "9"):
            return true
        case UInt8(ascii: "!"), UInt8(ascii: "#"), UInt8(ascii: "$"), UInt8(ascii: "%"), UInt8(ascii: "&"), UInt8(ascii: "'"),
             UInt8(ascii: "*"), UInt8(ascii: "+"), UInt8(ascii: "-"), UInt8(ascii: "."), UInt8(ascii: "^"), UInt8(ascii: "_"),
             UInt8(ascii: "`"), UInt8(ascii: "|"), UInt8(ascii: "~"):
            return true
        default:
            return false
        }
    }

    @inline(__always)
    private static func isDigit(_ b: UInt8) -> Bool { b &- UInt8(ascii: "0") < 10 }

    private static func matches(_ p: UnsafePointer<UInt8>, _ literal: StaticString) -> Bool {
        memcmp(p, literal.utf8Start, literal.utf8CodeUnitCount) == 0
    }

    /// Case-insensitive comparison with a lower-case literal of letters, digits and `-`.
    /// `| 0x20` lower-cases a letter and leaves `-` and digits as they are; the ranges compared
    /// hold only token bytes or header values, where no other byte maps onto those.
    private static func equalsLowercased(_ base: UnsafePointer<UInt8>, _ range: Range<Int>, _ literal: StaticString) -> Bool {
        guard range.count == literal.utf8CodeUnitCount else { return false }
        let l = literal.utf8Start
        for k in 0..<range.count where base[range.lowerBound + k] | 0x20 != l[k] { return false }
        return true
    }

    private static func text(_ base: UnsafePointer<UInt8>, _ range: Range<Int>) -> String {
        String(decoding: UnsafeBufferPointer(start: base + range.lowerBound, count: min(range.count, 64)), as: UTF8.self)
    }
}
