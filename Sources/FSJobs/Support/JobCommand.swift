import ArgumentParser
import FSCore
import Logging

/// What every job's validated configuration carries: the common flags, and the flags of the
/// original that the job accepts but does not use (the run shell warns about each once).
public protocol JobConfiguration: Sendable {
    var common: CommonConfig { get }
    var ignoredFlags: [String] { get }
}

/// The worker of one executable: `XJob(config:logger:).run()` does all the work and returns
/// what it did. Everything around it (logging, signals, the summary line, the exit code) is
/// `JobMain`'s, so a job is written once and tested in-process without the shell.
public protocol RunnableJob {
    associatedtype Config: JobConfiguration
    associatedtype Summary: JobSummaryDetails

    init(config: Config, logger: Logger)

    /// True for streaming jobs: the first SIGTERM/SIGINT only raises `StopSignal.pending`, the
    /// job commits the batch in flight and returns. False (the default) for batch jobs, which
    /// never look at the flag, so the default disposition (terminate at once) stays theirs, and
    /// for jobs that handle signals themselves (fs-serve drains, fs-publish's online stores and
    /// the sandbox replayer install `StopSignal` when they need it).
    static var finishesBatchOnSignal: Bool { get }

    /// Process-wide tuning done once before the job starts threads (malloc arenas, a log line
    /// about flags that mean less here). The default does nothing.
    static func prepareProcess(config: Config, logger: Logger)

    func run() throws -> Summary
}

extension RunnableJob {
    /// Not a streaming job unless it says so (see the requirement).
    public static var finishesBatchOnSignal: Bool { false }

    public static func prepareProcess(config: Config, logger: Logger) {}
}

/// The command of one executable: ArgumentParser parses the flags into `XCommand`, `resolve()`
/// validates them once into `XConfig`, and `Job` is the worker `JobMain` runs with it.
///
/// Conforming is what makes an executable's `main.swift` one line (`JobMain.run(XCommand.self)`)
/// and what gives every long option its single-dash form (`-input-data-table`), derived from the
/// declared options rather than kept by hand.
public protocol JobCommand: ParsableCommand {
    associatedtype Job: RunnableJob

    /// Validates every flag before any work starts. A bad value throws a `UsageError` naming
    /// the flag; `JobMain` prints it with the usage line and exits 64.
    func resolve() throws -> Job.Config
}

extension JobCommand {
    /// The executable's name, as logs, errors and the summary line say it.
    public static var jobName: String { configuration.commandName ?? String(describing: Self.self) }

    /// Every long option name the command declares (including aliases and the common options),
    /// read from ArgumentParser's own description of the command, so a new option gets its
    /// single-dash form without anyone remembering to list it.
    public static var longOptionNames: Set<String> { LegacyArguments.longOptionNames(of: Self.self) }

    /// Parses a command line as the original jobs wrote it (single-dash long forms included);
    /// ArgumentParser's errors (including --help) are thrown for `exit(withError:)`.
    public static func parseCommandLine(_ arguments: [String]) throws -> Self {
        try parse(LegacyArguments.normalize(arguments, longNames: longOptionNames))
    }
}

/// The command of an executable of its own (`fs-ingest`, `fs-serve`): its help is data — the
/// executable's name, a one-line abstract and the text under the options — and the scaffold
/// builds ArgumentParser's `CommandConfiguration` from it, the same way for every job.
///
/// A subcommand of a tool (`fs-table info`) stays a plain `JobCommand` with its own
/// configuration, which may hide it or nest it.
public protocol ExecutableJobCommand: JobCommand {
    /// The executable's name, as the usage line, errors, logs and the summary line say it.
    static var commandName: String { get }
    /// The one line under the usage in `--help`.
    static var abstract: String { get }
    /// The text after the options in `--help`. One paragraph per line: ArgumentParser wraps to
    /// the terminal, so only an example keeps hand breaks (each line short enough not to be
    /// wrapped again).
    static var discussion: String { get }
}

extension ExecutableJobCommand {
    /// ArgumentParser's configuration of the command, built from the three statics above.
    public static var configuration: CommandConfiguration {
        CommandConfiguration(commandName: commandName, abstract: abstract, discussion: discussion)
    }
}

/// An executable made of subcommands (`fs-table info`, `fs-sandbox produce`), each a
/// `JobCommand`: `JobMain.run(XCommandGroup.self)` is its whole `main.swift`, and every
/// subcommand gets the same single-dash forms, usage errors, run shell and exit codes as a job.
///
/// A subcommand that is not a `JobCommand` is a programming error the scaffold tests catch
/// (`JobMain` treats it as ArgumentParser's own help command).
public protocol JobCommandGroup: ParsableCommand {}

extension JobCommandGroup {
    /// The executable's name, as errors say it (`fs-table: error: …`).
    public static var jobName: String { configuration.commandName ?? String(describing: Self.self) }

    /// The long option names of every subcommand: a single-dash token becomes the double-dash
    /// form when any subcommand declares that name (a name no subcommand declares is left alone).
    public static var longOptionNames: Set<String> {
        configuration.subcommands.reduce(into: Set<String>()) { $0.formUnion(LegacyArguments.longOptionNames(of: $1)) }
    }
}
