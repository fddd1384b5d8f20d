import FSCore
import FSJobs
import Logging

/// Runs fs-publish with a validated configuration: historical through its own copier, every
/// online store through `OnlinePublisher` and the target `PublisherType.makeTarget` opens.
/// Only the online stores finish their batch on a signal (they install `StopSignal`
/// themselves); a historical copy is one commit, which a signal simply prevents.
public struct PublishJob: RunnableJob {
    public let config: PublishConfig
    let logger: Logger

    public init(config: PublishConfig, logger: Logger) {
        self.config = config
        self.logger = logger
    }

    public func run() throws -> PublishRunSummary {
        logger.info("starting", metadata: [
            "app_name": "\(config.common.appName)", "publisher_type": "\(config.publisherType.rawValue)",
            "input": "\(config.inputTable)", "output": "\(config.outputTable)", "follow": "\(config.follow)",
        ])
        switch config.publisherType {
        case .historical:
            let clock = ContinuousClock()
            let started = clock.now
            let summary = try HistoricalPublisher(config: config, logger: logger).run()
            return .historical(summary, seconds: (clock.now - started).inSeconds)
        case .kafka:
            // Reading and reducing the table frees tens of MiB just before 50k messages are
            // allocated: with glibc's defaults that memory goes back to the kernel and the
            // messages fault fresh pages in again (15-19k page faults a run, ~11k kept). perf,
            // 3 alternating runs each, load 15: broker thread 648-696 samples against 773-882,
            // main thread equal. Not measured for the SQL stores, so theirs is unchanged.
            MallocTuning.keepFreedMemory()
            StopSignal.install()
            return .online(try OnlinePublisher(config: config, logger: logger, shouldStop: { StopSignal.pending != nil }).run())
        default:
            StopSignal.install()
            return .online(try OnlinePublisher(config: config, logger: logger, shouldStop: { StopSignal.pending != nil }).run())
        }
    }
}

/// The `--summary` line of fs-publish: the publisher's own counters (`PublishSummary` or
/// `OnlinePublishSummary`, which tests read by key) between the scaffold's `job`/`status`
/// and `seconds`.
public enum PublishRunSummary: JobSummaryDetails {
    case historical(PublishSummary, seconds: Double)
    case online(OnlinePublishSummary)

    public var status: JobStatus {
        switch self {
        case .historical: .completed
        case .online(let s): s.stoppedBySignal ? .stopped : .completed
        }
    }

    public var seconds: Double {
        switch self {
        case .historical(_, let seconds): seconds
        case .online(let s): s.seconds
        }
    }

    public var details: [(String, JSONValue)] {
        let json = switch self {
        case .historical(let s, _): s.json
        case .online(let s): s.json
        }
        guard case .object(let fields) = json else { return [] }
        return fields.filter { $0.0 != "job" && $0.0 != "seconds" }
    }
}
