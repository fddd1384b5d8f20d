import FSCore
import Logging
import NIOConcurrencyHelpers
import NIOCore
import NIOHTTP1
import NIOPosix

/// fs-serve's HTTP/1.1 server: SwiftNIO's HTTP codec in front of `FeatureService`.
///
/// Why SwiftNIO directly and not Hummingbird 2 (measured on this 2-core machine, shared, with a
/// hello-world POST returning the same JSON, release builds, wrk 4 s): NIO 23.4k req/s, p50
/// 0.36 ms over 16 connections and p50 40 µs over one; Hummingbird 10.8–14.3k req/s, p50
/// 0.7–0.9 ms and 130 µs. Clean debug build of the hello package (load ~18): NIO 481 s,
/// Hummingbird 1132 s (its graph adds async-algorithms, service-lifecycle, metrics, tracing,
/// http-types, nio-extras), for one route table we write in twenty lines. The store reads are
/// microseconds, so they run on the event loop that received the request: no thread hop.
///
/// Shutdown (SIGTERM) drains:
/// ```
///  beginShutdown ─► close the listening socket (no new connections)
///                ─► idle keep-alive connections: closed now
///                ─► a connection with a request in flight: answers it with
///                   `Connection: close`, then closes
///  last connection closed ─► run() returns ─► exit 0
/// ```
public final class HTTPServer: @unchecked Sendable {
    let service: FeatureService
    let host: String
    let port: Int
    let threads: Int
    let accessLog: Logger?
    private let group: MultiThreadedEventLoopGroup
    private var serverChannel: Channel?
    let connections = ConnectionTracker()

    public init(service: FeatureService, host: String, port: Int, threads: Int, accessLog: Logger?) {
        self.service = service
        self.host = host
        self.port = port
        self.threads = max(1, threads)
        self.accessLog = accessLog
        self.group = MultiThreadedEventLoopGroup(numberOfThreads: self.threads)
    }

    /// Binds and starts accepting. Returns the port actually bound (useful with `--port 0`).
    public func start() throws(ServeError) -> Int {
        let bootstrap = ServerBootstrap(group: group)
            .serverChannelOption(ChannelOptions.backlog, value: 512)
            .serverChannelOption(ChannelOptions.socketOption(.so_reuseaddr), value: 1)
            .childChannelOption(ChannelOptions.socketOption(.tcp_nodelay), value: 1)
            .childChannelOption(ChannelOptions.maxMessagesPerRead, value: 16)
            .childChannelInitializer { [service, connections, accessLog] channel in
                // NIO's request decoder, then our handler writing whole answers as bytes (head
                // and body in one buffer, see ResponseHead): no response encoder, no pipelining
                // handler — answers are written in request order because each is written before
                // the next request is read.
                channel.eventLoop.makeCompletedFuture {
                    let handler = HTTPRequestHandler(service: service, connections: connections, accessLog: accessLog)
                    try channel.pipeline.syncOperations.addHandler(ByteToMessageHandler(HTTPRequestDecoder(leftOverBytesStrategy: .dropBytes)))
                    try channel.pipeline.syncOperations.addHandler(handler)
                }
            }
        do {
            let channel = try bootstrap.bind(host: host, port: port).wait()
            serverChannel = channel
            return channel.localAddress?.port ?? port
        } catch {
            try? group.syncShutdownGracefully()
            throw .bindFailed(address: "\(host):\(port)", reason: "\(error)")
        }
    }

    /// Blocks until a shutdown has drained every connection, then stops the event loops.
    public func waitUntilDrained() {
        try? serverChannel?.closeFuture.wait()
        connections.waitUntilEmpty()
        try? group.syncShutdownGracefully()
    }

    /// Stops accepting and drains (see the type's diagram). Safe from any thread, more than once.
    public func beginShutdown() {
        serverChannel?.close(promise: nil)
        connections.drain()
    }
}

/// The open connections, so a shutdown can close the idle ones and let busy ones finish.
final class ConnectionTracker: @unchecked Sendable {
    private let lock = NIOLock()
    private var open: [ObjectIdentifier: HTTPRequestHandler] = [:]
    private var isDraining = false
    private let emptied = ConditionLock(value: 0)

    var draining: Bool { lock.withLock { isDraining } }

    func add(_ h: HTTPRequestHandler) {
        lock.withLock { open[ObjectIdentifier(h)] = h }
    }

    func remove(_ h: HTTPRequestHandler) {
        let isEmpty = lock.withLock { () -> Bool in
            open[ObjectIdentifier(h)] = nil
            return open.isEmpty && isDraining
        }
        if isEmpty { emptied.lock(); emptied.unlock(withValue: 1) }
    }

    func drain() {
        let handlers = lock.withLock { () -> [HTTPRequestHandler] in
            isDraining = true
            return Array(open.values)
        }
        if handlers.isEmpty { emptied.lock(); emptied.unlock(withValue: 1) }
        for h in handlers { h.closeWhenIdle() }
    }

    func waitUntilEmpty() {
        emptied.lock(whenValue: 1)
        emptied.unlock()
    }
}

/// One connection's request handler: collects a request (head, body up to the limit), asks the
/// service, writes the answer as one buffer. All of its state lives on the channel's event loop.
final class HTTPRequestHandler: ChannelInboundHandler, @unchecked Sendable {
    typealias InboundIn = HTTPServerRequestPart
    typealias OutboundOut = ByteBuffer

    private let service: FeatureService
    private let connections: ConnectionTracker
    private let accessLog: Logger?
    private var context: ChannelHandlerContext?
    /// The channel's loop, readable from the shutdown thread.
    private let loopLock = NIOLock()
    private var loop: EventLoop?
    private var head: HTTPRequestHead?
    private var body: ByteBuffer?
    private var isBodyTooLarge = false
    private var isBusy = false
    private var shouldClose = false
    /// Set once the close is under way: parts of requests that were pipelined behind it are dropped.
    private var isClosed = false

    init(service: FeatureService, connections: ConnectionTracker, accessLog: Logger?) {
        self.service = service
        self.connections = connections
        self.accessLog = accessLog
    }

    func handlerAdded(context: ChannelHandlerContext) {
        self.context = context
        loopLock.withLock { loop = context.eventLoop }
        connections.add(self)
        if connections.draining { context.close(promise: nil) }
    }

    func handlerRemoved(context: ChannelHandlerContext) {
        self.context = nil
        connections.remove(self)
    }

    /// Called by a shutdown from any thread: close now if idle, else after the answer.
    func closeWhenIdle() {
        guard let loop = loopLock.withLock({ self.loop }) else { return }
        loop.execute {
            guard let context = self.context else { return }
            if self.isBusy { self.shouldClose = true } else { context.close(promise: nil) }
        }
    }

    func channelRead(context: ChannelHandlerContext, data: NIOAny) {
        guard !isClosed else { return }
        switch unwrapInboundIn(data) {
        case .head(let h):
            head = h
            isBusy = true
            isBodyTooLarge = false
            body = nil
            if let length = h.headers.first(name: "content-length").flatMap(Int.init), length > service.limits.maxRequestBytes {
                isBodyTooLarge = true
            }
        case .body(var chunk):
            guard !isBodyTooLarge else { return }
            if (body?.readableBytes ?? 0) + chunk.readableBytes > service.limits.maxRequestBytes {
                isBodyTooLarge = true
                body = nil
                return
            }
            if body == nil { body = chunk } else { body!.writeBuffer(&chunk) }
        case .end:
            guard let h = head else { return }
            head = nil
            let start = accessLog == nil ? 0 : monotonicSeconds()
            // The body is written after a gap the head fills once its length is known.
            var out = context.channel.allocator.buffer(capacity: 1_024)
            out.moveWriterIndex(to: ResponseHead.reservedBytes)
            out.moveReaderIndex(to: ResponseHead.reservedBytes)
            let answer: ServeAnswer
            if isBodyTooLarge {
                answer = ServeAnswer(status: 413)
                ResponseJSON.error(ServeError.tooLarge(limit: service.limits.maxRequestBytes).description, to: &out)
                shouldClose = true  // the rest of an oversized body is not worth reading
            } else {
                let authorization = h.headers.first(name: "authorization")
                let method = h.method.rawValue
                if let b = body {
                    answer = b.withUnsafeReadableBytes { service.respond(method: method, target: h.uri, authorization: authorization, body: $0, into: &out) }
                } else {
                    answer = service.respond(method: method, target: h.uri, authorization: authorization,
                                             body: UnsafeRawBufferPointer(start: nil, count: 0), into: &out)
                }
            }
            body = nil
            if !h.isKeepAlive || connections.draining { shouldClose = true }
            ResponseHead.prepend(status: answer.status, contentType: answer.contentType, isClosing: shouldClose, version: h.version, to: &out)
            write(out, context: context)
            if let log = accessLog {
                log.info("request", metadata: ["method": "\(h.method.rawValue)", "path": "\(h.uri.split(separator: "?").first ?? "")",
                                                "status": "\(answer.status)", "micros": "\(Int((monotonicSeconds() - start) * 1e6))"])
            }
        }
    }

    private func write(_ answer: ByteBuffer, context: ChannelHandlerContext) {
        isBusy = false
        if shouldClose {
            isClosed = true
            let bound = NIOLoopBound(context, eventLoop: context.eventLoop)
            context.writeAndFlush(wrapOutboundOut(answer)).whenComplete { _ in bound.value.close(promise: nil) }
        } else {
            context.writeAndFlush(wrapOutboundOut(answer), promise: nil)
        }
    }

    /// A request NIO's decoder cannot parse gets a 400 and the connection is closed (what NIO's
    /// protocol error handler answered before); any other error just closes.
    func errorCaught(context: ChannelHandlerContext, error: Error) {
        guard !isClosed else { return }
        isClosed = true
        if error is HTTPParserError {
            var out = context.channel.allocator.buffer(capacity: 96)
            out.writeStaticString("HTTP/1.1 400 Bad Request\r\ncontent-length: 0\r\nconnection: close\r\n\r\n")
            let bound = NIOLoopBound(context, eventLoop: context.eventLoop)
            context.writeAndFlush(wrapOutboundOut(out)).whenComplete { _ in bound.value.close(promise: nil) }
        } else {
            context.close(promise: nil)
        }
    }
}
