import FSJobs

// fs-agg-offline: parse the original's flags (single-dash forms, aliases, the leading
// environment word), validate once, run the offline aggregation, exit with a documented code.
let arguments = LegacyArguments.normalize(Array(CommandLine.arguments.dropFirst()), longNames: OfflineCommand.longNames)
let command: OfflineCommand
do {
    command = try OfflineCommand.parse(arguments)
} catch {
    OfflineCommand.exit(withError: error)  // --help exits 0; bad flags print usage and exit 64
}
JobRunner.exit(job: "fs-agg-offline") {
    try OfflineJob(config: command.resolve()).run()
}
