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
        run(command, name: Command.jobName, usage: Command.usageString())
    }

    /// The entry of an executable made of subcommands: `JobMain.run(TableCommand.self)`.
    /// The chosen subcommand runs through the same shell as a job; the usage line after a
    /// usage error is the subcommand's (`fs-table vacuum <table> [--retain-hours …]`).
    public static func run<Group: JobCommandGroup>(_ group: Group.Type) -> Never {
        run(group, arguments: Array(CommandLine.arguments.dropFirst()))
    }

    public static func run<Group: JobCommandGroup>(_: Group.Type, arguments: [String]) -> Never {
        let parsed: any ParsableCommand
        do {
            parsed = try Group.parseAsRoot(LegacyArguments.normalize(arguments, longNames: Group.longOptionNames))
        } catch {
            Group.exit(withError: error)
        }
        guard let command = parsed as? any JobCommand else {
            // `--help`, `help <subcommand>` and no subcommand parse to the parser's own help
            // command (or the root); running it throws the help request for the command asked
            // about, which `exit(withError:)` prints before exiting 0. Printing
            // `helpMessage(for:)` of what was parsed would show the help command's own help.
            var help = parsed
            do { try help.run() } catch { Group.exit(withError: error) }
            Group.exit()
        }
        run(command, name: Group.jobName, usage: Group.usageString(for: type(of: command)))
    }

    /// Resolves a parsed command and runs its job; the one exit of every executable.
    static func run<Command: JobCommand>(_ command: Command, name: String, usage: String) -> Never {
        JobRunner.exit(job: name, usage: usage) {
            try runJob(command.resolve(), as: Command.Job.self, name: name)
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
