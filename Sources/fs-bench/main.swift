// fs-bench: the fs side of the benchmark workloads (`make bench`, bench/workloads.py).
//
// Each subcommand times one workload in-process and prints one JSON object on stdout; the
// harness wraps the process in GNU time for wall time and peak RSS. Errors: one line on
// stderr, exit code from the error's category (64 usage, 65 bad data, 74 I/O).
import FSCore

#if canImport(Glibc)
import Glibc
#elseif canImport(Darwin)
import Darwin
#endif

/// One line on stderr (write(2): the C `stderr` global is not concurrency-safe in Swift 6).
func printError(_ message: String) {
    var line = message + "\n"
    line.withUTF8 { _ = write(STDERR_FILENO, $0.baseAddress, $0.count) }
}

let arguments = Array(CommandLine.arguments.dropFirst())
do {
    let command = try BenchCommand(parsing: arguments)
    let result = try command.run()
    print(result.description)
} catch let error as BenchUsageError {
    printError("fs-bench: \(error.description)\n\(BenchCommand.usage)")
    exit(ExitStatus.usage.rawValue)
} catch let error as CategorizedError {
    printError("fs-bench: \(error.description)")
    exit(error.exitStatus.rawValue)
} catch {
    printError("fs-bench: \(error)")
    exit(ExitStatus.software.rawValue)
}
