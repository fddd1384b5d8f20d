import ArgumentParser
import FSCore
import FSJobs
import FSStreams
import Logging

/// `fs-sandbox`: a local stand-in for iFood's Kafka cluster and data (DESIGN §8). Dev tool.
public struct SandboxCommand: JobCommandGroup {
    public static let configuration = CommandConfiguration(
        commandName: "fs-sandbox",
        abstract: "Local Kafka sandbox: a mock broker, sample iFood sources, and a replayer.",
        discussion: "Exit codes: 0 ok · 64 usage · 69 broker unavailable · 74 I/O · 70 internal.",
        subcommands: [Broker.self, Generate.self, Produce.self]
    )

    public init() {}

    /// `fs-sandbox broker`: start the mock cluster with the `de-*` topics; runs until SIGTERM/SIGINT (exit 0).
    public struct Broker: JobCommand, ToolAction {
        public typealias Job = ToolJob<Self>
        public static let configuration = CommandConfiguration(
            abstract: "Start librdkafka's mock cluster on loopback with the de-order-events, de-order-status-events, de-restaurant-events and de-consumer-events topics; print the bootstrap address; run until SIGTERM/SIGINT.")

        @Option(help: "Partitions per topic. Each mock partition keeps at most ~5 MiB / 100k message sets.")
        public var partitions: Int32 = 4
        @Option(help: "Number of mock brokers.")
        public var brokers: Int = 1
        @Option(help: "Also write the bootstrap address to this file (replaced atomically).")
        public var bootstrapFile: String?

        public init() {}

        public func validate() throws {
            guard partitions >= 1 else { throw ValidationError("--partitions must be at least 1") }
            guard (1 ... 16).contains(brokers) else { throw ValidationError("--brokers must be between 1 and 16") }
        }

        public func makeBroker() -> SandboxBroker {
            SandboxBroker(partitions: partitions, brokers: brokers, bootstrapFile: bootstrapFile)
        }

        /// Prints the bootstrap address on stdout and blocks until SIGTERM/SIGINT (then exit 0).
        public func perform(logger: Logger) throws {
            _ = try makeBroker().run { JobRunner.printLine($0) }
        }
    }

    /// `fs-sandbox generate`: deterministic sample sources in the iFood files' formats.
    public struct Generate: JobCommand, ToolAction {
        public typealias Job = ToolJob<Self>
        public static let configuration = CommandConfiguration(
            abstract: "Write order.json.gz, status.json.gz, restaurant.csv.gz and consumer.csv.gz (deterministic for a seed).")

        @Option(help: "Output directory (created if missing).")
        public var out: String
        @Option(help: "Number of orders; restaurants = orders/10, consumers = orders/3.")
        public var orders: Int = 300
        @Option(help: "Random seed: the same seed and counts give the same bytes.")
        public var seed: UInt64 = 42

        public init() {}

        public func validate() throws {
            guard orders >= 0 else { throw ValidationError("--orders must not be negative") }
        }

        public func makeGenerator() -> SampleGenerator { SampleGenerator(orders: orders, seed: seed) }

        /// Writes the four files and prints the path of each.
        public func perform(logger: Logger) throws {
            for path in try makeGenerator().write(to: out) { JobRunner.printLine(path) }
        }
    }

    /// `fs-sandbox produce`: replay one source into its topic, once, N passes or in a loop.
    public struct Produce: JobCommand {
        public typealias Job = ReplayJob
        public static let configuration = CommandConfiguration(
            abstract: "Replay a source file into its topic, one JSON object per message keyed by the entity id; prints a JSON summary.",
            discussion: """
                Passes after the first (--passes, --loop) carry fresh event ids (order_id, status_id + "-<pass>") so \
                nothing is dropped as a duplicate; with --retime keep each pass is moved --time-shift further in time. \
                SIGTERM/SIGINT or --duration end the replay after the message in flight; what was sent is flushed and \
                counted in the summary (exit 0).
                """)

        @Option(help: "order-events, order-status-events, restaurant-events or consumer-events.")
        public var streamType: String
        @Option(help: "The source file (gzip or plain): JSON Lines for orders/status, CSV with header for restaurants/consumers.")
        public var source: String
        @Option(help: "Kafka bootstrap servers, host:port[,host:port].")
        public var bootstrapServers: String
        @Option(help: "Topic (default: de-<stream-type>).")
        public var topic: String?
        @Option(help: "Messages per second; 0 = as fast as possible.")
        public var rate: Int = 0
        @Option(help: "now: set the event time to the send time; keep: send the source's time.")
        public var retime: String = "now"
        @Option(help: "Producer linger.ms: how long a batch may wait to fill. Longer lingers make fuller zstd batches, which the mock broker stores more compactly (preloads).")
        public var lingerMs: Int = 5
        @OptionGroup public var kafkaClient: KafkaClientOptions
        @Flag(help: "Repeat the source until --duration elapses or SIGTERM/SIGINT.")
        public var loop: Bool = false
        @Option(help: "Send the source this many times (default 1).")
        public var passes: Int?
        @Option(help: "Stop after this long, e.g. \"60 seconds\", \"2 minutes\".")
        public var duration: String?
        @Option(help: "With --retime keep: pass p's event times are moved forward by p × this, e.g. \"31 days\". Required with --retime keep and more than one pass.")
        public var timeShift: String?
        @Option(help: "Tag every pass's event ids (\"<id>-<tag>-<pass>\"), e.g. a start time, so a restarted replay never repeats the ids of the one before.")
        public var idTag: String?

        public init() {}

        /// Validated replay settings.
        public func resolve() throws(UsageError) -> ReplayConfig {
            guard let stream = StreamType(name: streamType) else {
                throw UsageError(flag: "--stream-type", message: "'\(streamType)' is not one of \(StreamType.allCases.map(\.rawValue).joined(separator: ", "))")
            }
            guard rate >= 0 else { throw UsageError(flag: "--rate", message: "must not be negative") }
            guard retime == "now" || retime == "keep" else { throw UsageError(flag: "--retime", message: "'\(retime)' is not one of now, keep") }
            guard lingerMs >= 0 else { throw UsageError(flag: "--linger-ms", message: "must not be negative") }
            guard !bootstrapServers.isEmpty else { throw UsageError(flag: "--bootstrap-servers", message: "must not be empty") }
            guard FileSystem.exists(source) else { throw UsageError(flag: "--source", message: "\(source): no such file") }
            if loop && passes != nil { throw UsageError(flag: "--passes", message: "cannot be combined with --loop (which repeats until --duration or a signal)") }
            if let passes, passes < 1 { throw UsageError(flag: "--passes", message: "must be at least 1, got \(passes)") }
            let maxDuration = try duration.map { text throws(UsageError) in try durationFlag(text, flag: "--duration") }
            var shift: Int64 = 0
            if let timeShift {
                guard retime == "keep" else {
                    throw UsageError(flag: "--time-shift", message: "only applies with --retime keep (with --retime now every event already has its send time)")
                }
                shift = try durationFlag(timeShift, flag: "--time-shift")
            }
            let passCount: Int? = loop ? nil : (passes ?? 1)
            if retime == "keep" && passCount != 1 && shift == 0 {
                throw UsageError(flag: "--time-shift", message: "is required with --retime keep and more than one pass, e.g. --time-shift \"31 days\": otherwise every pass repeats the same event times")
            }
            if let idTag, idTag.isEmpty || idTag.contains(where: { $0 == "\"" || $0 == "\\" || $0.isWhitespace }) {
                throw UsageError(flag: "--id-tag", message: "must be a non-empty word without quotes, backslashes or spaces, got '\(idTag)'")
            }
            return ReplayConfig(stream: stream, sourcePath: source, bootstrapServers: bootstrapServers, topic: topic,
                                ratePerSecond: rate, retimeToNow: retime == "now", lingerMillis: lingerMs,
                                client: try kafkaClient.resolve(role: .producer),
                                passes: passCount, maxDurationMicros: maxDuration, timeShiftMicros: shift, idTag: idTag)
        }
    }
}
