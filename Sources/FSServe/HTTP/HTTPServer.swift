import FSCore
import Logging
import NIOConcurrencyHelpers
import NIOCore
import NIOPosix

/// fs-serve's HTTP/1.1 server: SwiftNIO's event loops and sockets, our own request parser
/// (`HTTPRequestParser`) and answer writer (`ResponseHead`), in front of `FeatureService`.
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
                // One handler per connection: bytes in, whole answers out (see HTTPRequestHandler).
                channel.eventLoop.makeCompletedFuture {
                    let handler = HTTPRequestHandler(service: service, connections: connections, accessLog: accessLog)
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
