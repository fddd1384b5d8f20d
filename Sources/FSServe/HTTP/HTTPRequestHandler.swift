import FSCore
import Logging
import NIOConcurrencyHelpers
import NIOCore

#if canImport(Glibc)
import Glibc
#endif

/// One connection: parses requests out of the bytes received, asks the service, writes each
/// answer as one buffer. All of its state lives on the channel's event loop.
///
/// ```
///  channelRead ─► bytes: parsed in place, or appended to `pending` when a request was split
///              ─► HTTPRequestParser ─► whole request: answer, write, parse the next (pipelined)
///                                   ─► not all there: keep the rest in `pending`, wait
///                                   ─► refused: answer 400/413/431/501/505, close
///  channelReadComplete ─► one flush for the answers of this read
/// ```
/// Answers go out in request order because each is written before the next request is parsed.
/// Per request nothing is allocated here on the common path: the target `/get-online-features`
/// is a constant string, methods are small strings, the body is read in place, and the answer
/// buffer is reused once its previous write has completed.
final class HTTPRequestHandler: ChannelInboundHandler, @unchecked Sendable {
    typealias InboundIn = ByteBuffer
    typealias OutboundOut = ByteBuffer

    private let service: FeatureService
    private let connections: ConnectionTracker
    private let accessLog: Logger?
    private let limits: HTTPRequestLimits
    private var context: ChannelHandlerContext?
    /// The channel's loop, readable from the shutdown thread.
    private let loopLock = NIOLock()
    private var loop: EventLoop?
    /// The bytes of a request that has not fully arrived, and of any pipelined behind it.
    private var pending = ByteBuffer()
    /// The answer buffer. Once NIO has written it, this is its only reference again and
    /// `clear()` keeps its storage: no allocation per answer.
    private var out = ByteBuffer()
    private var hasUnflushedWrites = false
    private var hasSentContinue = false
    /// The answer being written is the last: the connection closes after it.
    private var shouldClose = false
    /// Set once the close is under way: requests pipelined behind it are dropped.
    private var isClosed = false

    /// Answers larger than this do not keep their buffer for the next request.
    private static let maxKeptAnswerBytes = 1 << 20
    private static let onlineFeaturesPath: StaticString = "/get-online-features"
    /// The same path as a `String` literal: immortal, so handing it to the service allocates nothing.
    private static let onlineFeaturesTarget = "/get-online-features"

    init(service: FeatureService, connections: ConnectionTracker, accessLog: Logger?) {
        self.service = service
        self.connections = connections
        self.accessLog = accessLog
        self.limits = HTTPRequestLimits(maxBodyBytes: service.limits.maxRequestBytes)
    }

    func handlerAdded(context: ChannelHandlerContext) {
        self.context = context
        loopLock.withLock { loop = context.eventLoop }
        out = context.channel.allocator.buffer(capacity: 1_024)
        connections.add(self)
        if connections.draining { context.close(promise: nil) }
    }

    func handlerRemoved(context: ChannelHandlerContext) {
        self.context = nil
        connections.remove(self)
    }

    /// Called by a shutdown from any thread: close now if idle, else after the answer to the
    /// request that is partly received.
    func closeWhenIdle() {
        guard let loop = loopLock.withLock({ self.loop }) else { return }
        loop.execute {
            guard let context = self.context else { return }
            if self.pending.readableBytes > 0 { self.shouldClose = true } else { context.close(promise: nil) }
        }
    }

    func channelRead(context: ChannelHandlerContext, data: NIOAny) {
        guard !isClosed else { return }
        var incoming = unwrapInboundIn(data)
        if pending.readableBytes == 0 {
            // The common case: whole requests in one read, parsed where NIO put them. A
            // leftover is copied out, so NIO can reuse its receive buffer.
            answerRequests(in: &incoming, context: context)
            if incoming.readableBytes > 0, !isClosed {
                pending.clear()
                pending.writeBuffer(&incoming)
            }
        } else {
            // Taken out of the property while in use, so it stays uniquely owned (no copy on write).
            var bytes = pending
            pending = ByteBuffer()
            bytes.writeBuffer(&incoming)
            answerRequests(in: &bytes, context: context)
            if bytes.readableBytes == 0 { bytes.clear() } else if bytes.readerIndex > 65_536 { bytes.discardReadBytes() }
            pending = bytes
        }
    }

    func channelReadComplete(context: ChannelHandlerContext) {
        if hasUnflushedWrites {
            hasUnflushedWrites = false
            context.flush()
        }
    }

    /// Answers every whole request at the start of `bytes`, consuming them.
    private func answerRequests(in bytes: inout ByteBuffer, context: ChannelHandlerContext) {
        while !isClosed, bytes.readableBytes > 0 {
            let parsed = bytes.withUnsafeReadableBytes { HTTPRequestParser.parse($0, limits: limits) }
            switch parsed {
            case .incomplete:
                return
            case .refused(let refusal):
                bytes.moveReaderIndex(forwardBy: bytes.readableBytes)
                refuse(refusal, context: context)
                return
            case .head(let head):
                guard bytes.readableBytes >= head.end else {
                    if head.expectsContinue, !head.isHTTP10, !hasSentContinue, bytes.readableBytes == head.bodyStart {
                        hasSentContinue = true
                        var interim = context.channel.allocator.buffer(capacity: 32)
                        interim.writeStaticString("HTTP/1.1 100 Continue\r\n\r\n")
                        context.writeAndFlush(wrapOutboundOut(interim), promise: nil)
                    }
                    return
                }
                hasSentContinue = false
                bytes.withUnsafeReadableBytes { answer(head, in: $0, context: context) }
                bytes.moveReaderIndex(forwardBy: head.end)
            }
        }
    }

    /// Answers one whole request whose parts `head` locates in `bytes`.
    private func answer(_ head: HTTPRequestHead, in bytes: UnsafeRawBufferPointer, context: ChannelHandlerContext) {
        let start = accessLog == nil ? 0 : monotonicSeconds()
        let method = Self.string(bytes, head.method)
        let target = Self.isOnlineFeatures(bytes, head.target) ? Self.onlineFeaturesTarget : Self.string(bytes, head.target)
        let authorization = head.authorization.map { Self.string(bytes, $0) }
        startAnswer(context: context)
        let answer = service.respond(method: method, target: target, authorization: authorization,
                                     body: UnsafeRawBufferPointer(rebasing: bytes[head.bodyStart..<head.end]), into: &out)
        if !head.isKeepAlive || connections.draining { shouldClose = true }
        ResponseHead.prepend(status: answer.status, contentType: answer.contentType, isClosing: shouldClose, isHTTP10: head.isHTTP10, to: &out)
        send(context: context)
        if let log = accessLog {
            log.info("request", metadata: ["method": "\(method)", "path": "\(target.split(separator: "?").first ?? "")",
                                            "status": "\(answer.status)", "micros": "\(Int((monotonicSeconds() - start) * 1e6))"])
        }
    }

    /// A request the parser refused gets its status, a JSON error naming what was wrong, and a
    /// close: after a malformed request, where the next one starts is not known.
    private func refuse(_ refusal: HTTPRefusal, context: ChannelHandlerContext) {
        startAnswer(context: context)
        let message = refusal.status == 413 ? ServeError.tooLarge(limit: limits.maxBodyBytes).description : refusal.reason
        ResponseJSON.error(message, to: &out)
        shouldClose = true
        ResponseHead.prepend(status: refusal.status, contentType: ServeAnswer.json, isClosing: true, to: &out)
        send(context: context)
    }

    /// Empties the answer buffer and leaves the gap for the head in front of the body.
    private func startAnswer(context: ChannelHandlerContext) {
        if out.capacity > Self.maxKeptAnswerBytes { out = context.channel.allocator.buffer(capacity: 1_024) }
        out.clear()
        out.moveWriterIndex(to: ResponseHead.reservedBytes)
        out.moveReaderIndex(to: ResponseHead.reservedBytes)
    }

    /// Writes the answer; flushed with the others of this read, or at once (then closed) when it is the last.
    private func send(context: ChannelHandlerContext) {
        if shouldClose {
            isClosed = true
            hasUnflushedWrites = false
            let bound = NIOLoopBound(context, eventLoop: context.eventLoop)
            context.writeAndFlush(wrapOutboundOut(out)).whenComplete { _ in bound.value.close(promise: nil) }
        } else {
            hasUnflushedWrites = true
            context.write(wrapOutboundOut(out), promise: nil)
        }
    }

    func errorCaught(context: ChannelHandlerContext, error: Error) {
        guard !isClosed else { return }
        isClosed = true
        context.close(promise: nil)
    }

    private static func string(_ bytes: UnsafeRawBufferPointer, _ range: Range<Int>) -> String {
        String(decoding: UnsafeRawBufferPointer(rebasing: bytes[range]), as: UTF8.self)
    }

    private static func isOnlineFeatures(_ bytes: UnsafeRawBufferPointer, _ range: Range<Int>) -> Bool {
        range.count == onlineFeaturesPath.utf8CodeUnitCount
            && memcmp(bytes.baseAddress! + range.lowerBound, onlineFeaturesPath.utf8Start, range.count) == 0
    }
}
