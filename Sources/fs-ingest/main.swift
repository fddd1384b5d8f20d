import FSJobs

// fs-ingest: parse the original's flags (single-dash forms, aliases, the leading environment
// word), validate once, ingest, exit with a documented code.
let arguments = LegacyArguments.normalize(Array(CommandLine.arguments.dropFirst()), longNames: IngestCommand.longNames)
let command: IngestCommand
do {
    command = try IngestCommand.parse(arguments)
} catch {
    IngestCommand.exit(withError: error)  // --help exits 0; bad flags print usage and exit 64
}
JobRunner.exit(job: "fs-ingest") {
    try IngestRun(config: command.resolve()).run()
}
