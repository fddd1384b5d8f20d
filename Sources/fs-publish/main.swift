import FSJobs
import FSPublish

// fs-publish: parse the original's flags (single-dash forms, aliases, the leading environment
// word), validate once, run the publisher, exit with a documented code.
let arguments = LegacyArguments.normalize(Array(CommandLine.arguments.dropFirst()), longNames: PublishCommand.longNames)
let command: PublishCommand
do {
    command = try PublishCommand.parse(arguments)
} catch {
    PublishCommand.exit(withError: error)  // --help exits 0; bad flags print usage and exit 64
}
JobRunner.exit(job: "fs-publish") {
    try PublishJob(config: command.resolve()).run()
}
