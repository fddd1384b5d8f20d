import FSCore
import FSJobs
import FSStreams
import FSKafka

#if canImport(Glibc)
import Glibc
#endif

/// `fs-sandbox produce`: replays one iFood source file into its topic at a chosen rate, once,
/// a number of passes, or in a loop until a duration or a signal ends it.
public struct ReplayConfig: Sendable {
    public var stream: StreamType
    public var sourcePath: String
    public var bootstrapServers: String
    public var topic: String
    /// Messages per second; 0 = as fast as the producer takes them.
    public var ratePerSecond: Int
    public var retimeToNow: Bool
    /// The producer's `linger.ms` (KafkaProducerConfig): batches fill longer before they are sent.
    public var lingerMillis: Int
    /// `--kafka-config` and `-X`, validated.
    public var client: KafkaClientConfig
    /// How many times the source is sent; nil = until `maxDurationMicros` or a stop signal.
    public var passes: Int?
    /// Stop after this long (µs of wall time), mid-pass if need be; nil = no limit.
    public var maxDurationMicros: Int64?
    /// With `retimeToNow == false`: pass p's event times are the source's + p × this (µs).
    public var timeShiftMicros: Int64
    /// Suffix tag for the event ids of every pass (see `SourceRecords`); nil = pass 0 keeps the source's ids.
    public var idTag: String?

    public init(stream: StreamType, sourcePath: String, bootstrapServers: String, topic: String? = nil,
                ratePerSecond: Int = 0, retimeToNow: Bool = true, lingerMillis: Int = 5,
                client: KafkaClientConfig = KafkaClientConfig(),
                passes: Int? = 1, maxDurationMicros: Int64? = nil, timeShiftMicros: Int64 = 0, idTag: String? = nil) {
        self.client = client
        self.stream = stream
        self.sourcePath = sourcePath
        self.bootstrapServers = bootstrapServers
        self.topic = topic ?? stream.defaultTopic
        self.ratePerSecond = ratePerSecond
        self.retimeToNow = retimeToNow
        self.lingerMillis = lingerMillis
        self.passes = passes
        self.maxDurationMicros = maxDurationMicros
        self.timeShiftMicros = timeShiftMicros
        self.idTag = idTag
    }
}

/// Why a replay ended.
public enum ReplayEnd: String, Sendable {
    /// Every requested pass was sent.
    case passes
    /// `--duration` elapsed.
    case duration
    /// SIGTERM/SIGINT (or the caller's stop condition).
    case signal
}

/// What a replay sent.
public struct ReplaySummary: Sendable, Equatable {
    public var topic: String
    public var messages: Int
    /// Lines sent as is because they could not be converted (see `SourceRecords`).
    public var unconverted: Int
    public var seconds: Double
    /// Passes begun (the last one may be partial when a duration or a signal ended the replay).
    public var passes: Int = 1
    public var end: ReplayEnd = .passes

    /// One JSON line for stdout.
    public var json: String {
        "{\"topic\":\"\(topic)\",\"messages\":\(messages),\"unconverted\":\(unconverted),\"seconds\":\(seconds),\"passes\":\(passes),\"end\":\"\(end.rawValue)\"}"
    }
}

/// Reads the source line by line (gzip or plain), converts, paces and produces; flushes at the
/// end so every message is confirmed by the broker before it returns — also when a duration or
/// a signal stopped it, so the summary's count is exactly what the topic received.
public struct SourceReplayer {
    public let config: ReplayConfig
    let clock: any WallClock

    public init(config: ReplayConfig, clock: any WallClock = SystemWallClock()) {
        self.config = config
        self.clock = clock
    }

    /// Installs the SIGTERM/SIGINT handlers and returns the stop condition for `run(until:)`:
    /// a signal ends the replay after the message in flight, then it flushes and exits 0.
    public static func stopOnSignal() -> @Sendable () -> Bool {
        StopSignal.install()
        return { StopSignal.pending != nil }
    }

    /// Thrown out of the line callback to leave the file early; never escapes `run`.
    private struct Stop: Error { var end: ReplayEnd }

    /// Sends the configured passes; `shouldStop` is asked before every message and while pacing
    /// (at least every 0.2 s), so a stop is prompt even at a few messages per second. Pacing is
    /// global (message n is due at start + n / rate), so passes follow each other without a gap.
    public func run(until shouldStop: () -> Bool = { false }) throws -> ReplaySummary {
        let producer = try KafkaProducer(config: KafkaProducerConfig(bootstrapServers: config.bootstrapServers, lingerMillis: config.lingerMillis,
                                                                         settings: config.client.settings))
        var records = SourceRecords(stream: config.stream, retime: config.retimeToNow ? .now : .keep, clock: clock,
                                    timeShiftMicros: config.timeShiftMicros, idTag: config.idTag)
        var sent = 0, unconverted = 0, pass = 0
        var end = ReplayEnd.passes
        let start = monotonicSeconds()
        let deadline = config.maxDurationMicros.map { start + Double($0) / 1e6 }
        func checkStop() throws {
            if shouldStop() { throw Stop(end: .signal) }
            if let deadline, monotonicSeconds() >= deadline { throw Stop(end: .duration) }
        }
        do {
            while config.passes.map({ pass < $0 }) ?? true {
                records.beginPass(pass)
                pass += 1
                let sentBefore = sent
                try GzipFile.forEachLine(config.sourcePath) { line in
                    try checkStop()
                    guard let m = records.message(for: line) else { return }
                    if config.ratePerSecond > 0 {
                        let due = start + Double(sent) / Double(config.ratePerSecond)
                        var wait = due - monotonicSeconds()
                        while wait > 0 {  // in slices, so a stop is noticed within 0.2 s at low rates
                            usleep(UInt32(min(wait, 0.2) * 1_000_000))
                            try checkStop()
                            wait = due - monotonicSeconds()
                        }
                    }
                    try producer.produce(topic: config.topic, key: m.key, value: m.value)
                    sent += 1
                    if !m.converted { unconverted += 1 }
                }
                // A source with no messages would loop without end or pause.
                if sent == sentBefore { break }
            }
        } catch let stop as Stop {
            end = stop.end
        }
        try producer.flush(timeout: .seconds(60))
        return ReplaySummary(topic: config.topic, messages: sent, unconverted: unconverted, seconds: (monotonicSeconds() - start),
                             passes: pass, end: end)
    }
}

