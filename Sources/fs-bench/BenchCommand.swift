import FSCore

/// A bad command line: unknown subcommand, missing or unknown flag (exit 64).
struct BenchUsageError: CategorizedError {
    var description: String
    var exitStatus: ExitStatus { .usage }
}

/// `--impl` of the comparative workloads: fs's own code path, or the hand-written loop it is
/// measured against (the same choice for every such workload, so the harness passes one flag).
enum BenchImplementation: String { case fs, hand }

/// One parsed `fs-bench` invocation.
///
/// Hand-parsed `--flag value` pairs: fs-bench is a developer tool driven only by the harness,
/// so it stays free of the argument-parser dependency the jobs use.
enum BenchCommand {
    /// Read `input` into memory, then time writing it as one ZSTD Parquet file at `output`.
    case tableWrite(input: String, output: String)
    /// Time reading every column of `input` into memory, then checksum the order columns.
    case tableScan(input: String)
    /// Read `input` into memory, then time writing it as a new partitioned Delta table.
    case tableCreate(input: String, table: String, maxBufferedMiB: Int?)
    /// Time evaluating issue 3's CASE expression over in-memory doubles (fs or the hand loop).
    case exprEval(ExprEvalWorkload)
    /// Time issue 3's grouped SUM(CASE …) over in-memory rows (fs or the hand loop).
    case groupedAgg(GroupedAggWorkload)

    static let usage = """
        usage: fs-bench table-write --input <file.parquet> --output <file.parquet>
               fs-bench table-scan --input <file.parquet>
               fs-bench table-create --input <file.parquet> --table <new-dir> [--max-buffered-mib N (0: none)]
               fs-bench expr-eval --impl fs|hand [--rows N] [--batch-rows N] [--seed N]
               fs-bench grouped-agg --impl fs|hand [--rows N] [--keys N] [--batch-rows N] [--seed N]
        Prints one JSON object: the timed section's seconds and the figures the harness compares.
        """

    init(parsing arguments: [String]) throws {
        guard let sub = arguments.first else { throw BenchUsageError(description: "missing subcommand") }
        let flags = try Self.flags(Array(arguments.dropFirst()))
        switch sub {
        case "table-write":
            try Self.allow(["input", "output"], in: flags)
            self = .tableWrite(input: try Self.required("input", flags), output: try Self.required("output", flags))
        case "table-scan":
            try Self.allow(["input"], in: flags)
            self = .tableScan(input: try Self.required("input", flags))
        case "table-create":
            try Self.allow(["input", "table", "max-buffered-mib"], in: flags)
            var budget: Int?
            if let text = flags["max-buffered-mib"] {
                guard let n = Int(text), n >= 0 else { throw BenchUsageError(description: "--max-buffered-mib must be a whole number, got '\(text)'") }
                budget = n
            }
            self = .tableCreate(input: try Self.required("input", flags), table: try Self.required("table", flags), maxBufferedMiB: budget)
        case "expr-eval":
            try Self.allow(["impl", "rows", "batch-rows", "seed"], in: flags)
            self = .exprEval(ExprEvalWorkload(
                implementation: try Self.choice("impl", flags), rows: try Self.count("rows", flags, default: 10_000_000),
                batchRows: try Self.count("batch-rows", flags, default: 65_536), seed: UInt64(try Self.count("seed", flags, default: 42))))
        case "grouped-agg":
            try Self.allow(["impl", "rows", "keys", "batch-rows", "seed"], in: flags)
            self = .groupedAgg(GroupedAggWorkload(
                implementation: try Self.choice("impl", flags), rows: try Self.count("rows", flags, default: 10_000_000),
                keys: try Self.count("keys", flags, default: 500_000), batchRows: try Self.count("batch-rows", flags, default: 65_536),
                seed: UInt64(try Self.count("seed", flags, default: 42))))
        case "-h", "--help", "help":
            throw BenchUsageError(description: "help")
        default:
            throw BenchUsageError(description: "unknown subcommand '\(sub)'")
        }
    }

    /// Runs the workload; its JSON result goes to stdout.
    func run() throws -> JSONValue {
        switch self {
        case let .tableWrite(input, output): return try TableWriteWorkload(input: input, output: output).run()
        case let .tableScan(input): return try TableScanWorkload(input: input).run()
        case let .tableCreate(input, table, budget): return try TableCreateWorkload(input: input, table: table, maxBufferedMiB: budget).run()
        case let .exprEval(workload): return try workload.run()
        case let .groupedAgg(workload): return try workload.run()
        }
    }

    private static func flags(_ args: [String]) throws -> [String: String] {
        var out: [String: String] = [:]
        var i = 0
        while i < args.count {
            let arg = args[i]
            guard arg.hasPrefix("--"), arg.count > 2 else { throw BenchUsageError(description: "unexpected argument '\(arg)'") }
            guard i + 1 < args.count else { throw BenchUsageError(description: "\(arg) needs a value") }
            out[String(arg.dropFirst(2))] = args[i + 1]
            i += 2
        }
        return out
    }

    private static func allow(_ names: Set<String>, in flags: [String: String]) throws {
        if let unknown = flags.keys.sorted().first(where: { !names.contains($0) }) {
            throw BenchUsageError(description: "unknown flag --\(unknown)")
        }
    }

    /// A positive integer flag, or `default` when absent.
    private static func count(_ name: String, _ flags: [String: String], default value: Int) throws -> Int {
        guard let text = flags[name] else { return value }
        guard let n = Int(text), n > 0 else { throw BenchUsageError(description: "--\(name) must be a positive integer, got '\(text)'") }
        return n
    }

    /// A flag naming one case of `T` (e.g. `--impl fs|hand`).
    private static func choice<T: RawRepresentable>(_ name: String, _ flags: [String: String]) throws -> T where T.RawValue == String {
        let text = try required(name, flags)
        guard let v = T(rawValue: text) else { throw BenchUsageError(description: "--\(name): unknown value '\(text)'") }
        return v
    }

    private static func required(_ name: String, _ flags: [String: String]) throws -> String {
        guard let v = flags[name], !v.isEmpty else { throw BenchUsageError(description: "missing --\(name)") }
        return v
    }
}
