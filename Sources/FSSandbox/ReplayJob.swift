import FSCore
import FSJobs
import Logging

extension ReplayConfig: JobConfiguration {
    /// The sandbox takes none of the common flags (it is a developer tool).
    public var common: CommonConfig { .tool }
    public var ignoredFlags: [String] { [] }
}

/// `fs-sandbox produce`: one replay, ended by its passes, `--duration` or the first
/// SIGTERM/SIGINT (what was sent is flushed); its JSON summary is printed on stdout. The
/// replayer installs `StopSignal` itself (`SourceReplayer.stopOnSignal`).
public struct ReplayJob: RunnableJob {
    let config: ReplayConfig

    public init(config: ReplayConfig, logger: Logger) { self.config = config }

    public func run() throws -> ToolSummary {
        let summary = try SourceReplayer(config: config).run(until: SourceReplayer.stopOnSignal())
        JobRunner.printLine(summary.json)
        return ToolSummary(seconds: summary.seconds)
    }
}
