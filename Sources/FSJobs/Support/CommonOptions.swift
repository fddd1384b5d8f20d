import ArgumentParser
import FSCore
import Logging

/// Flags every fs job takes: the original's `--app-name`/`--master-mode` and our logging and
/// summary switches. The leading positional environment word of the original (`dev`) is
/// accepted by each command and ignored.
public struct CommonOptions: ParsableArguments, Sendable {
    @Option(name: [.long, .customLong("a", withSingleDash: true)], help: "Application name, shown in logs and the run summary.")
    public var appName: String?

    @Option(name: [.long, .customLong("mm", withSingleDash: true)], help: "local, local[N] or local[*]: worker threads.")
    public var masterMode: String = "local[*]"

    @Option(help: "trace, debug, info, notice, warning, error or critical.")
    public var logLevel: String = "info"

    @Option(help: "text or json.")
    public var logFormat: String = "text"

    @Flag(help: "Print a one-line JSON run summary on stdout at exit.")
    public var summary = false

    public init() {}

    /// Validated, typed view of the common flags.
    public func resolve(defaultAppName: String) throws(UsageError) -> CommonConfig {
        let mode = try MasterMode(parsing: masterMode)
        guard let level = Logger.Level(rawValue: logLevel.lowercased()) else {
            throw UsageError(flag: "--log-level", message: "'\(logLevel)' is not one of trace, debug, info, notice, warning, error, critical")
        }
        guard let format = LogFormat(rawValue: logFormat.lowercased()) else {
            throw UsageError(flag: "--log-format", message: "'\(logFormat)' is not one of text, json")
        }
        return CommonConfig(appName: appName ?? defaultAppName, masterMode: mode, logLevel: level, logFormat: format, printSummary: summary)
    }
}

/// The common flags after validation.
public struct CommonConfig: Sendable, Equatable {
    public var appName: String
    public var masterMode: MasterMode
    public var logLevel: Logger.Level
    public var logFormat: LogFormat
    public var printSummary: Bool

    public init(appName: String, masterMode: MasterMode, logLevel: Logger.Level, logFormat: LogFormat, printSummary: Bool) {
        self.appName = appName
        self.masterMode = masterMode
        self.logLevel = logLevel
        self.logFormat = logFormat
        self.printSummary = printSummary
    }
}
