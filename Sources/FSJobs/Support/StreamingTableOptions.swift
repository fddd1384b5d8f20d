import ArgumentParser
import FSTable

/// The table-upkeep flags of the two streaming jobs (fs-ingest, fs-agg-online), declared and
/// validated once: `--metrics-file` (rewritten after every trigger) and `--compact-min-files`
/// (auto-compaction of every table the job writes).
public struct StreamingTableOptions: ParsableArguments, Sendable {
    @Option(help: ArgumentHelp("Rewrite this file with Prometheus metrics after every trigger (for node_exporter's textfile collector; name it *.prom).", valueName: "path"))
    public var metricsFile: String?

    @Option(help: "After a commit, compact a partition of a table the job writes once it holds this many small files (0: never; the table property delta.autoOptimize.autoCompact=false also turns it off).")
    public var compactMinFiles: Int = AutoCompaction.defaultMinFiles

    public init() {}

    /// The metrics file's path (its directory must exist) and the compaction threshold (0: off,
    /// else at least 2: compacting one file into one is no compaction).
    public func resolve() throws(UsageError) -> (metricsFile: String?, compactMinFiles: Int) {
        guard compactMinFiles == 0 || compactMinFiles >= 2 else {
            throw UsageError(flag: "--compact-min-files", message: "must be 0 (off) or ≥ 2, got \(compactMinFiles)")
        }
        return (try MetricsFile.validatedPath(metricsFile), compactMinFiles)
    }
}

extension AutoCompaction {
    /// The auto-compaction of a `--compact-min-files` value (nil: off).
    static func fromFlag(minFiles: Int) -> AutoCompaction? { minFiles >= 2 ? AutoCompaction(minFiles: minFiles) : nil }
}
