import FSCore
import Logging

#if canImport(Glibc)
import Glibc
#endif

/// The one place where a job's errors become a stderr line and an exit code.
///
/// Every executable's `main` ends in `JobRunner.exit(job:) { … }`: the body runs the job and
/// returns its status; a `CategorizedError` prints `<job>: error: <description>` and exits with
/// its category (64 usage, 65 data, 69 unavailable, 74 I/O); anything else is a bug (70).
/// A usage error is followed by the command's usage line (when `usage` is given), as
/// ArgumentParser does for the errors it finds itself: a bad value found while resolving the
/// configuration (a date, a stream type, a column of the input) looks the same to the user.
public enum JobRunner {
    public static func exit(job: String, usage: String? = nil, _ body: () throws -> ExitStatus) -> Never {
        let status: ExitStatus
        do {
            status = try body()
        } catch let e as CategorizedError {
            printError(job: job, e.description)
            if e.exitStatus == .usage, let usage { printUsage(job: job, usage) }
            status = e.exitStatus
        } catch {
            printError(job: job, "internal error: \(error)")
            status = .software
        }
        flushStdout()
        Glibc.exit(status.rawValue)
    }

    public static func printError(job: String, _ message: String) {
        write("\(job): error: \(message)\n", to: 2)
    }

    /// The usage block after a usage error, the way ArgumentParser prints its own.
    static func printUsage(job: String, _ usage: String) {
        write("Usage: \(usage)\n  See '\(job) --help' for more information.\n", to: 2)
    }

    /// Writes one line to stdout (the job's real output, e.g. the `--summary` JSON).
    public static func printLine(_ text: String) {
        write(text + "\n")
    }

    /// Writes text to a file descriptor unbuffered (1 = stdout, 2 = stderr), all of it: a pipe
    /// may take a large write (`fs-table dump`) in pieces, and EINTR is retried. The C `FILE*`
    /// globals are avoided, since Swift 6 treats them as shared mutable state.
    public static func write(_ text: String, to fd: Int32 = 1) {
        var s = text
        s.withUTF8 { buf in
            guard let base = buf.baseAddress else { return }
            var done = 0
            while done < buf.count {
                let n = Glibc.write(fd, base + done, buf.count - done)
                if n < 0 { if errno == EINTR { continue }; return }
                done += n
            }
        }
    }

    static func flushStdout() { fflush(nil) }

    /// Installs the stderr log handler once per process.
    /// (swift-log allows one bootstrap per process; later calls are ignored, which matters only
    /// for in-process tests that run several jobs.)
    public static func bootstrapLogging(level: Logger.Level, format: LogFormat) {
        guard !loggingBootstrapped else { return }
        loggingBootstrapped = true
        LoggingSystem.bootstrap { label in StderrLogHandler(label: label, level: level, format: format) }
    }

    nonisolated(unsafe) private static var loggingBootstrapped = false

    /// The common start of every job: logging set up from the common flags, and one warning per
    /// flag of the original that the job accepts but does not use. Returns the job's logger.
    public static func startLogging(job: String, common: CommonConfig, ignoredFlags: [String]) -> Logger {
        bootstrapLogging(level: common.logLevel, format: common.logFormat)
        let logger = Logger(label: job)
        for flag in ignoredFlags { logger.warning("\(flag) is accepted for compatibility with the original and ignored by \(job)") }
        return logger
    }
}
