import ArgumentParser
import FSJobs

// fs-sandbox: parse the subcommand, run it through JobRunner (one error line, mapped exit code).
let command: ParsableCommand
do {
    command = try SandboxCommand.parseAsRoot()
} catch {
    SandboxCommand.exit(withError: error)  // --help exits 0; bad flags print usage and exit 64
}
JobRunner.exit(job: "fs-sandbox") {
    switch command {
    case let broker as SandboxCommand.Broker:
        _ = try broker.makeBroker().run { JobRunner.printLine($0) }
    case let generate as SandboxCommand.Generate:
        for path in try generate.makeGenerator().write(to: generate.out) { JobRunner.printLine(path) }
    case let produce as SandboxCommand.Produce:
        JobRunner.printLine(try SourceReplayer(config: produce.resolve()).run().json)
    default:
        SandboxCommand.exit(withError: CleanExit.helpRequest(command))
    }
    return .ok
}
