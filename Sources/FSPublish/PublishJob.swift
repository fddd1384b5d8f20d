import FSCore
import FSJobs
import Logging

/// Runs fs-publish with a validated configuration: historical through its own copier, every
/// online store through `OnlinePublisher` and the target `PublisherType.makeTarget` opens.
public struct PublishJob {
    public let config: PublishConfig

    public init(config: PublishConfig) { self.config = config }

    public func run() throws -> ExitStatus {
        let logger = JobRunner.startLogging(job: "fs-publish", common: config.common, ignoredFlags: config.ignoredFlags)
        logger.info("starting", metadata: [
            "app_name": "\(config.common.appName)", "publisher_type": "\(config.publisherType.rawValue)",
            "input": "\(config.inputTable)", "output": "\(config.outputTable)", "follow": "\(config.follow)",
        ])
        switch config.publisherType {
        case .historical:
            let summary = try HistoricalPublisher(config: config, logger: logger).run()
            if config.common.printSummary { JobRunner.printLine(summary.json.description) }
        default:
            StopSignal.install()
            let summary = try OnlinePublisher(config: config, logger: logger, shouldStop: { StopSignal.pending != nil }).run()
            if config.common.printSummary { JobRunner.printLine(summary.json.description) }
        }
        return .ok
    }
}
