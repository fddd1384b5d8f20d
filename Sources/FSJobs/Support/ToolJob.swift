import FSCore
import Logging

/// A developer tool's subcommand whose parsed flags are already its whole configuration
/// (`fs-table info`, `fs-sandbox generate`): ArgumentParser's `validate()` checks them, and
/// `perform` does the work, printing its own output on stdout.
///
/// Such a subcommand is its own `JobConfiguration` (`typealias Job = ToolJob<Self>`,
/// `resolve()` returns `self`), so a tool gets the run shell without a config type per
/// subcommand that would only copy the flags. Tools take no common flags: they log at `info`
/// in text, and never print a summary line.
public protocol ToolAction: JobConfiguration {
    func perform(logger: Logger) throws
}

extension ToolAction {
    public var common: CommonConfig { .tool }
    public var ignoredFlags: [String] { [] }
}

extension CommonConfig {
    /// The settings of a developer tool, which has none of the common flags.
    public static let tool = CommonConfig(
        appName: "fs-tool", masterMode: MasterMode(threads: max(1, systemCoreCount()), text: "local[*]"),
        logLevel: .info, logFormat: .text, printSummary: false)
}

/// The job of a `ToolAction`: runs it once and reports its wall time. A tool that must outlive
/// a signal (the sandbox broker) handles the signal itself.
public struct ToolJob<Action: ToolAction>: RunnableJob {
    let action: Action
    let logger: Logger

    public init(config: Action, logger: Logger) {
        self.action = config
        self.logger = logger
    }

    public func run() throws -> ToolSummary {
        let elapsed = try ContinuousClock().measure { try action.perform(logger: logger) }
        return ToolSummary(seconds: elapsed.inSeconds)
    }
}

/// What a tool's run reports: it completed, in this many seconds (its output went to stdout).
public struct ToolSummary: JobSummaryDetails {
    public var status: JobStatus { .completed }
    public var seconds: Double
    public var details: [(String, JSONValue)] { [] }

    public init(seconds: Double) { self.seconds = seconds }
}

extension JobCommand where Self: ToolAction, Job == ToolJob<Self> {
    /// A tool subcommand is its own configuration: `validate()` has checked it already.
    public func resolve() -> Self { self }
}
