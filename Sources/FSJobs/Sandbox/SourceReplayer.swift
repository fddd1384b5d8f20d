import FSCore
import FSKafka

#if canImport(Glibc)
import Glibc
#endif

/// `fs-sandbox produce`: replays one iFood source file into its topic at a chosen rate.
public struct ReplayConfig: Sendable {
    public var stream: SandboxStream
    public var sourcePath: String
    public var bootstrapServers: String
    public var topic: String
    /// Messages per second; 0 = as fast as the producer takes them.
    public var ratePerSecond: Int
    public var retimeToNow: Bool
    /// The producer's `linger.ms` (KafkaProducerConfig): batches fill longer before they are sent.
    public var lingerMillis: Int

    public init(stream: SandboxStream, sourcePath: String, bootstrapServers: String, topic: String? = nil,
                ratePerSecond: Int = 0, retimeToNow: Bool = true, lingerMillis: Int = 5) {
        self.stream = stream
        self.sourcePath = sourcePath
        self.bootstrapServers = bootstrapServers
        self.topic = topic ?? stream.defaultTopic
        self.ratePerSecond = ratePerSecond
        self.retimeToNow = retimeToNow
        self.lingerMillis = lingerMillis
    }
}

/// What a replay sent.
public struct ReplaySummary: Sendable, Equatable {
    public var topic: String
    public var messages: Int
    /// Lines sent as is because they could not be converted (see `SourceRecords`).
    public var unconverted: Int
    public var seconds: Double

    /// One JSON line for stdout.
    public var json: String {
        "{\"topic\":\"\(topic)\",\"messages\":\(messages),\"unconverted\":\(unconverted),\"seconds\":\(seconds)}"
    }
}

/// Reads the source line by line (gzip or plain), converts, paces and produces; flushes at the
/// end so every message is confirmed by the broker before it returns.
public struct SourceReplayer {
    public let config: ReplayConfig
    let clock: any WallClock

    public init(config: ReplayConfig, clock: any WallClock = SystemWallClock()) {
        self.config = config
        self.clock = clock
    }

    public func run() throws -> ReplaySummary {
        let producer = try KafkaProducer(config: KafkaProducerConfig(bootstrapServers: config.bootstrapServers, lingerMillis: config.lingerMillis))
        var records = SourceRecords(stream: config.stream, retime: config.retimeToNow ? .now : .keep, clock: clock)
        var sent = 0, unconverted = 0
        let start = monotonicSeconds()
        try GzipFile.forEachLine(config.sourcePath) { line in
            guard let m = records.message(for: line) else { return }
            if config.ratePerSecond > 0 {
                let due = start + Double(sent) / Double(config.ratePerSecond)
                let wait = due - monotonicSeconds()
                if wait > 0 { usleep(UInt32(min(wait, 1) * 1_000_000)) }
            }
            try producer.produce(topic: config.topic, key: m.key, value: m.value)
            sent += 1
            if !m.converted { unconverted += 1 }
        }
        try producer.flush(timeout: .seconds(60))
        return ReplaySummary(topic: config.topic, messages: sent, unconverted: unconverted, seconds: (monotonicSeconds() - start))
    }
}

/// Seconds on the monotonic clock, for pacing.
package func monotonicSeconds() -> Double {
    var ts = timespec()
    clock_gettime(CLOCK_MONOTONIC, &ts)
    return Double(ts.tv_sec) + Double(ts.tv_nsec) / 1e9
}
