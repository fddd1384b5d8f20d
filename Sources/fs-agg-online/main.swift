import FSJobs

// fs-agg-online: parse the original's flags (single-dash forms, aliases, the leading environment
// word), validate once, run the online aggregation, exit with a documented code.
let arguments = LegacyArguments.normalize(Array(CommandLine.arguments.dropFirst()), longNames: OnlineCommand.longNames)
let command: OnlineCommand
do {
    command = try OnlineCommand.parse(arguments)
} catch {
    OnlineCommand.exit(withError: error)  // --help exits 0; bad flags print usage and exit 64
}
JobRunner.exit(job: "fs-agg-online") {
    try OnlineJob(config: command.resolve()).run()
}
