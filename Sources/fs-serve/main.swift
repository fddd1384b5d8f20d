import FSJobs
import FSServe

// fs-serve: parse flags, validate once, serve until SIGTERM drains, exit with a documented code.
let command: ServeCommand
do {
    command = try ServeCommand.parse(Array(CommandLine.arguments.dropFirst()))
} catch {
    ServeCommand.exit(withError: error)  // --help exits 0; bad flags print usage and exit 64
}
JobRunner.exit(job: "fs-serve") {
    try ServeJob(config: command.resolve()).run()
}
