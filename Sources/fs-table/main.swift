import ArgumentParser
import FSCore
import FSTable

#if canImport(Glibc)
import Glibc
#elseif canImport(Darwin)
import Darwin
#endif

// fs-table: the operator's tool for Delta tables (and the interop suite's reader/writer).
// Parse the subcommand, run it, print one JSON document (or rows) on stdout, map errors once.
let command: ParsableCommand
do {
    command = try TableTool.parseAsRoot()
} catch {
    TableTool.exit(withError: error)  // --help exits 0; bad flags print usage and exit 64
}
do {
    var c = command
    try c.run()
} catch let e as CategorizedError {
    writeText("fs-table: \(e.description)\n", to: 2)
    if e.exitStatus == .usage { writeText(TableTool.helpMessage(for: type(of: command)) + "\n", to: 2) }
    exit(e.exitStatus.rawValue)
} catch {
    TableTool.exit(withError: error)
}
