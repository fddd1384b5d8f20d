import ArgumentParser
import FSCore
import Logging

/// The one entry of every job executable: `JobMain.run(IngestCommand.self)` is the whole of
/// `Sources/fs-ingest/main.swift`.
///
///     argv ─► single-dash long forms ─► XCommand (ArgumentParser: --help exits 0, bad flag 64)
///          ─► resolve() ─► XConfig                      (usage error: message + usage, 64)
///          ─► logging ─► signals ─► process tuning ─► XJob(config:logger:).run()
///          ─► --summary line on stdout ─► exit code     (CategorizedError: its code; else 70)
public enum JobMain {
    public static func run<Command: JobCommand>(_ command: Command.Type) -> Never {
        run(command, arguments: Array(CommandLine.arguments.dropFirst()))
    }

    public static func run<Command: JobCommand>(_: Command.Type, arguments: [String]) -> Never {
        let command: Command
        do {
            command = try Command.parseCommandLine(arguments)
        } catch {
            Command.exit(withError: error)
        }
        JobRunner.exit(job: Command.jobName, usage: Command.usageString()) {
            try runJob(command.resolve(), as: Command.Job.self, name: Command.jobName)
        }
    }

    /// The run shell without parsing: logging, signals, the job, the summary line. Returns the
    /// exit status of a run that did not throw (always 0 today: a stopped streaming job has
    /// committed what it read, which is success).
    public static func runJob<Job: RunnableJob>(_ config: Job.Config, as _: Job.Type, name: String) throws -> ExitStatus {
        let logger = JobRunner.startLogging(job: name, common: config.common, ignoredFlags: config.ignoredFlags)
        if Job.finishesBatchOnSignal { StopSignal.install() }
        Job.prepareProcess(config: config, logger: logger)
        let summary = try Job(config: config, logger: logger).run()
        if config.common.printSummary { JobRunner.printLine(JobSummary(job: name, summary).description) }
        return .ok
    }
}
