import ArgumentParser
import FSCore
import FSTable
import Logging

/// `fs-table`: inspect and maintain Delta tables. Every subcommand prints one JSON document on
/// stdout (`dump`: one JSON object per row; `history --format text`: a table), errors as one
/// line on stderr, and exits 0, 64 (usage), 65 (bad table), 69 (lost to concurrent writers) or
/// 74 (I/O).
public struct TableCommand: JobCommandGroup {
    public static let configuration = CommandConfiguration(
        commandName: "fs-table",
        abstract: "Inspect and maintain fs's Delta tables: info, history, dump, optimize, vacuum, checkpoint.",
        discussion: """
            Nightly maintenance of a streaming table (cron):
              30 3 * * *  fs-table optimize /data/ingestion/order-events && fs-table vacuum /data/ingestion/order-events
            """,
        subcommands: [Info.self, History.self, Dump.self, Optimize.self, Vacuum.self, Checkpoint.self, WriteSample.self,
                      RaceAppend.self, HangWrite.self, WriterMemory.self]
    )

    public init() {}

    /// The table directory argument shared by the subcommands.
    struct TableArgument: ParsableArguments, Sendable {
        @Argument(help: "The table directory (holding _delta_log).")
        var table: String
    }

    struct Info: JobCommand, ToolAction {
        typealias Job = ToolJob<Self>
        static let configuration = CommandConfiguration(
            abstract: "Version, files, rows, partitions, txns, checkpoints and log size of a table, as one JSON object.")
        @OptionGroup var table: TableArgument
        func perform(logger: Logger) throws { JobRunner.write(try TableOperations.info(table.table).description + "\n") }
    }

    struct History: JobCommand, ToolAction {
        typealias Job = ToolJob<Self>
        static let configuration = CommandConfiguration(
            abstract: "One entry per version still in the log, newest first: time, operation, files and rows added/removed, txns.")
        @OptionGroup var table: TableArgument
        @Option(help: "Show at most this many versions.") var limit: Int?
        @Option(help: "json (one JSON array) or text.") var format: OutputFormat = .json
        func validate() throws {
            if let l = limit, l < 1 { throw ValidationError("--limit must be at least 1, got \(l)") }
        }
        func perform(logger: Logger) throws {
            let entries = try TableOperations.history(table.table, limit: limit)
            switch format {
            case .json: JobRunner.write(JSONValue.array(entries).description + "\n")
            case .text: JobRunner.write(TableOperations.historyText(entries))
            }
        }
    }

    enum OutputFormat: String, ExpressibleByArgument, CaseIterable, Sendable { case json, text }

    struct Dump: JobCommand, ToolAction {
        typealias Job = ToolJob<Self>
        static let configuration = CommandConfiguration(
            abstract: "Every row of a table, hive directory or Parquet file as JSON lines (files in path order).")
        @Argument(help: "A table directory, a hive-partitioned directory or a .parquet file.") var path: String
        @Option(help: "Comma-separated columns to print (default all).") var columns: String?
        func perform(logger: Logger) throws { try TableOperations.dump(path, columns: columns.map { $0.split(separator: ",").map(String.init) }) }
    }

    struct Optimize: JobCommand, ToolAction {
        typealias Job = ToolJob<Self>
        static let configuration = CommandConfiguration(
            abstract: "Bin-pack the small files of each partition into files of about the target size (dataChange=false commits).")
        @OptionGroup var table: TableArgument
        @Option(help: "Size a compacted file aims at, in MiB.") var targetFileSizeMb: Int = 128
        @Option(help: "Least number of small files for a partition to be compacted.") var minFiles: Int = 2
        @Option(name: .customLong("where"), help: "Only partitions matching, e.g. \"fs_year=2019 AND fs_month=3\" (partition columns only).")
        var predicate: String?
        func validate() throws {
            if targetFileSizeMb < 1 { throw ValidationError("--target-file-size-mb must be at least 1, got \(targetFileSizeMb)") }
            if minFiles < 2 { throw ValidationError("--min-files must be at least 2, got \(minFiles)") }
        }
        func perform(logger: Logger) throws {
            JobRunner.write(try TableOperations.optimize(table.table, targetBytes: Int64(targetFileSizeMb) << 20, minFiles: minFiles, where: predicate).description + "\n")
        }
    }

    struct Vacuum: JobCommand, ToolAction {
        typealias Job = ToolJob<Self>
        static let configuration = CommandConfiguration(
            abstract: "Delete files the table no longer references that are older than the retention.",
            discussion: "The retention defaults to the table's delta.deletedFileRetentionDuration (7 days); under 168 hours needs --force.")
        @OptionGroup var table: TableArgument
        @Option(help: "Retention in hours (default: the table's delta.deletedFileRetentionDuration, 7 days).") var retainHours: Double?
        @Flag(help: "List the files that would be deleted; delete nothing.") var dryRun = false
        @Flag(help: "Allow a retention under 168 hours.") var force = false
        func validate() throws {
            if let h = retainHours, !(h >= 0) { throw ValidationError("--retain-hours must be a non-negative number, got \(h)") }
        }
        func perform(logger: Logger) throws {
            JobRunner.write(try TableOperations.vacuum(table.table, retainHours: retainHours, dryRun: dryRun, force: force).description + "\n")
        }
    }

    struct Checkpoint: JobCommand, ToolAction {
        typealias Job = ToolJob<Self>
        static let configuration = CommandConfiguration(
            abstract: "Write a checkpoint of the newest version now, then remove expired log files (delta.logRetentionDuration).")
        @OptionGroup var table: TableArgument
        @Flag(help: "Do not remove expired log files after the checkpoint.") var noLogCleanup = false
        func perform(logger: Logger) throws { JobRunner.write(try TableOperations.checkpoint(table.table, cleanLog: !noLogCleanup).description + "\n") }
    }

    struct WriteSample: JobCommand, ToolAction {
        typealias Job = ToolJob<Self>
        static let configuration = CommandConfiguration(
            commandName: "write-sample",
            abstract: "Create a deterministic sample table (every type, edge values, three partitions) over several commits.")
        @Argument(help: "Directory to create the table in.") var dir: String
        @Option(help: "Rows to write.") var rows: Int = 1000
        @Option(help: "Commits to spread them over.") var commits: Int = 12
        @Option(help: "delta.checkpointInterval of the table (0: unset, fs's size-based checkpoints).") var checkpointInterval: Int = 5
        func validate() throws {
            if rows < 0 || commits < 0 || checkpointInterval < 0 { throw ValidationError("--rows, --commits and --checkpoint-interval must be non-negative") }
        }
        func perform(logger: Logger) throws {
            let s = try SampleTable.write(at: dir, rows: rows, commits: commits, checkpointInterval: checkpointInterval)
            JobRunner.write(try TableOperations.info(s.root).description + "\n")
        }
    }

    // Hidden test helpers (Tests/FSTableTests run them as separate processes).

    struct RaceAppend: JobCommand, ToolAction {
        typealias Job = ToolJob<Self>
        static let configuration = CommandConfiguration(commandName: "race-append", shouldDisplay: false)
        @Argument var table: String
        @Argument var commits: Int
        @Option var idBase: Int64 = 0
        func perform(logger: Logger) throws { try TableOperations.raceAppend(table, commits: commits, idBase: idBase) }
    }

    struct WriterMemory: JobCommand, ToolAction {
        typealias Job = ToolJob<Self>
        static let configuration = CommandConfiguration(commandName: "writer-memory", shouldDisplay: false)
        @Argument var table: String
        @Option var commits: Int = 5
        func perform(logger: Logger) throws { try TableOperations.writerMemory(table, commits: commits) }
    }

    struct HangWrite: JobCommand, ToolAction {
        typealias Job = ToolJob<Self>
        static let configuration = CommandConfiguration(commandName: "hang-write", shouldDisplay: false)
        @Argument var table: String
        @Argument var rows: Int
        @Option var at: String = "staged"
        func perform(logger: Logger) throws { try TableOperations.hangWrite(table, rows: rows, at: at) }
    }
}
