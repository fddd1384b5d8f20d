import ArgumentParser
import FSJobs

// fs-sandbox: parse the subcommand, run it through JobRunner (one error line, mapped exit code).
var command: ParsableCommand
do {
    command = try SandboxCommand.parseAsRoot()
} catch {
    SandboxCommand.exit(withError: error)  // bad flags print usage and exit 64
}
switch command {
case is SandboxCommand.Broker, is SandboxCommand.Generate, is SandboxCommand.Produce:
    break
default:
    // `--help`, `help <subcommand>` and no subcommand parse to the parser's own help command (or
    // the root); running it throws the help request for the command asked about, which
    // `exit(withError:)` prints before exiting 0. Printing `helpRequest(command)` instead would
    // show the help command's own help.
    do { try command.run() } catch { SandboxCommand.exit(withError: error) }
    SandboxCommand.exit()
}
JobRunner.exit(job: "fs-sandbox") {
    switch command {
    case let broker as SandboxCommand.Broker:
        _ = try broker.makeBroker().run { JobRunner.printLine($0) }
    case let generate as SandboxCommand.Generate:
        for path in try generate.makeGenerator().write(to: generate.out) { JobRunner.printLine(path) }
    case let produce as SandboxCommand.Produce:
        let config = try produce.resolve()
        JobRunner.printLine(try SourceReplayer(config: config).run(until: SourceReplayer.stopOnSignal()).json)
    default:
        break
    }
    return .ok
}
