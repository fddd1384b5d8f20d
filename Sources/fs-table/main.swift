import FSCore
import FSTable

#if canImport(Glibc)
import Glibc
#elseif canImport(Darwin)
import Darwin
#endif

/// fs-table: developer tool to inspect and produce tables (the interop suite drives it).
let usage = """
    usage: fs-table dump <table-dir|dir|file.parquet> [--columns a,b]
           fs-table info <table-dir>
           fs-table write-sample <dir> [--rows N] [--commits C] [--checkpoint-interval K]
    """

/// Parsed command line: positional words and `--flag value` options.
struct Arguments {
    var positional: [String] = []
    var options: [String: String] = [:]

    init(_ args: ArraySlice<String>) throws(ToolError) {
        var i = args.startIndex
        while i < args.endIndex {
            let a = args[i]
            if a.hasPrefix("--") {
                guard i + 1 < args.endIndex else { throw ToolError.usage("\(a) needs a value") }
                options[String(a.dropFirst(2))] = args[i + 1]
                i += 2
            } else {
                positional.append(a)
                i += 1
            }
        }
    }

    func int(_ name: String, default d: Int) throws(ToolError) -> Int {
        guard let t = options[name] else { return d }
        guard let v = Int(t), v >= 0 else { throw ToolError.usage("--\(name) must be a non-negative integer, got \(t)") }
        return v
    }
}

/// Usage errors of the tool (exit 64).
struct ToolError: CategorizedError {
    var description: String
    static func usage(_ s: String) -> ToolError { ToolError(description: s) }
    var exitStatus: ExitStatus { .usage }
}

func run(_ argv: [String]) throws {
    guard let command = argv.dropFirst().first else { throw ToolError.usage("missing command") }
    let args = try Arguments(argv.dropFirst(2))
    func path(_ i: Int) throws(ToolError) -> String {
        guard i < args.positional.count else { throw ToolError.usage("\(command): missing path") }
        return args.positional[i]
    }
    switch command {
    case "dump":
        let columns = args.options["columns"].map { $0.split(separator: ",").map(String.init) }
        try Commands.dump(try path(0), columns: columns)
    case "info":
        writeText(try Commands.info(try path(0)).description + "\n")
    case "write-sample":
        let s = try SampleTable.write(at: try path(0), rows: try args.int("rows", default: 1000), commits: try args.int("commits", default: 12),
                                      checkpointInterval: max(try args.int("checkpoint-interval", default: 5), 1))
        writeText(try Commands.info(s.root).description + "\n")
    // Hidden test helpers (Tests/FSTableTests run them as separate processes).
    case "race-append":
        guard args.positional.count == 2, let n = Int(args.positional[1]) else { throw ToolError.usage("race-append <table> <commits> [--id-base B]") }
        try Commands.raceAppend(args.positional[0], commits: n, idBase: Int64(try args.int("id-base", default: 0)))
    case "hang-write":
        guard args.positional.count == 2, let n = Int(args.positional[1]) else { throw ToolError.usage("hang-write <table> <rows> --at staged|placed") }
        try Commands.hangWrite(args.positional[0], rows: n, at: args.options["at"] ?? "staged")
    case "-h", "--help", "help":
        writeText(usage + "\n")
    default:
        throw ToolError.usage("unknown command \(command)")
    }
}

do {
    try run(CommandLine.arguments)
} catch let e as CategorizedError {
    writeText("fs-table: \(e.description)\n", to: 2)
    if e.exitStatus == .usage { writeText(usage + "\n", to: 2) }
    exit(e.exitStatus.rawValue)
} catch {
    writeText("fs-table: \(error)\n", to: 2)
    exit(ExitStatus.software.rawValue)
}
