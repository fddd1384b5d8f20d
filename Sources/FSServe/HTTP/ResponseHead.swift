import NIOCore

/// The HTTP/1.1 response head, written in front of a body that is already in the buffer.
///
/// The handler reserves `reservedBytes` before the body, the service writes the body, and the
/// head goes into the gap: one buffer and one `writev` per answer, with no `HTTPHeaders` array,
/// no head encoding pass and no copy of the body. The bytes are the ones NIO's encoder wrote
/// before for the same headers (`content-type`, `content-length`, `connection: close` when
/// closing), so clients see no difference; an HTTP/1.0 request is answered in 1.0, with
/// `connection: keep-alive` when it asked to keep the connection (1.0 closes by default). The common head (200, JSON) is a constant; only the
/// length digits change per answer.
enum ResponseHead {
    /// Room left before the body; the longest head (a status with a long reason phrase, the
    /// Prometheus content type, `connection: close`) is well under it.
    static let reservedBytes = 192

    private static let okJSON: [UInt8] = Array("HTTP/1.1 200 OK\r\ncontent-type: application/json\r\ncontent-length: ".utf8)
    private static let close: [UInt8] = Array("\r\nconnection: close\r\n\r\n".utf8)
    private static let keepAlive: [UInt8] = Array("\r\nconnection: keep-alive\r\n\r\n".utf8)
    private static let end: [UInt8] = Array("\r\n\r\n".utf8)

    /// Writes the head into the reserved gap before `buffer`'s readable bytes (the body) and
    /// moves the reader index back to its first byte.
    static func prepend(status: Int, contentType: String, isClosing: Bool, isHTTP10: Bool = false, to buffer: inout ByteBuffer) {
        precondition(buffer.readerIndex >= reservedBytes, "ResponseHead: the body must start after the reserved gap")
        var digits: (UInt8, UInt8, UInt8, UInt8, UInt8, UInt8, UInt8, UInt8, UInt8, UInt8, UInt8, UInt8, UInt8, UInt8, UInt8, UInt8, UInt8, UInt8, UInt8, UInt8) =
            (0, 0, 0, 0, 0, 0, 0, 0, 0, 0, 0, 0, 0, 0, 0, 0, 0, 0, 0, 0)
        let length = buffer.readableBytes
        let tail = isClosing ? close : isHTTP10 ? keepAlive : end
        withUnsafeMutableBytes(of: &digits) { d in
            var n = length, count = 0
            repeat { d[19 - count] = UInt8(ascii: "0") + UInt8(n % 10); n /= 10; count += 1 } while n > 0
            let lengthDigits = UnsafeRawBufferPointer(rebasing: d[(20 - count)...])
            // The common head is a constant; any other is built (and must fit the gap).
            let head: [UInt8]
            if status == 200, contentType == "application/json", !isHTTP10 {
                head = okJSON
            } else {
                head = Array("HTTP/1.\(isHTTP10 ? 0 : 1) \(status) \(reasonPhrase(status))\r\ncontent-type: \(contentType)\r\ncontent-length: ".utf8)
                precondition(head.count + count + tail.count <= reservedBytes, "ResponseHead: head longer than the reserved gap")
            }
            var at = buffer.readerIndex - tail.count
            buffer.setBytes(tail, at: at)
            at -= count
            buffer.setBytes(lengthDigits, at: at)
            at -= head.count
            buffer.setBytes(head, at: at)
            buffer.moveReaderIndex(to: at)
        }
    }

    /// The reason phrase of each status fs-serve answers with (RFC 9110 §15), as NIO wrote them.
    static func reasonPhrase(_ status: Int) -> String {
        switch status {
        case 100: return "Continue"
        case 200: return "OK"
        case 400: return "Bad Request"
        case 401: return "Unauthorized"
        case 404: return "Not Found"
        case 405: return "Method Not Allowed"
        case 413: return "Payload Too Large"
        case 422: return "Unprocessable Entity"
        case 431: return "Request Header Fields Too Large"
        case 500: return "Internal Server Error"
        case 501: return "Not Implemented"
        case 503: return "Service Unavailable"
        case 505: return "HTTP Version Not Supported"
        default: return "Status \(status)"
        }
    }
}
