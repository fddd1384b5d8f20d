import FSCore
import FSJobs
import FSParquet
import FSTable
import Logging

/// What a publish run did; printed as the `--summary` JSON and asserted by tests.
public struct PublishSummary: Sendable, Equatable {
    public var mode: String
    public var sourceVersion: Int64
    public var previouslyPublished: Int64?
    public var outputVersion: Int64?
    public var filesRead = 0
    public var rowsWritten = 0
    public var filesWritten = 0
    public var filesRemoved = 0
    public var partitionsRewritten = 0
    public var filesCompacted = 0

    public var json: JSONValue {
        .object([
            ("job", .string("fs-publish")), ("publisherType", .string("historical")), ("mode", .string(mode)),
            ("sourceVersion", .int(sourceVersion)), ("previouslyPublished", previouslyPublished.map(JSONValue.int) ?? .null),
            ("outputVersion", outputVersion.map(JSONValue.int) ?? .null), ("filesRead", .int(Int64(filesRead))),
            ("rowsWritten", .int(Int64(rowsWritten))), ("filesWritten", .int(Int64(filesWritten))),
            ("filesRemoved", .int(Int64(filesRemoved))), ("partitionsRewritten", .int(Int64(partitionsRewritten))),
            ("filesCompacted", .int(Int64(filesCompacted))),
        ])
    }
}

/// `--publisher-type historical`: copies the input table into the output table, incrementally,
/// idempotently and compacted.
///
/// The last published source version lives in the output's log as `txn(appId:
/// "fs-publish/historical/<source table id>", version: <source version>)`, committed in the same
/// commit as the data, so a crash at any point either published a version completely or not at
/// all, and a re-run with no new source commits does nothing. Small files of the source (one per
/// ingest micro-batch) become few large ones: rows are re-written in files of about
/// `targetFileBytes`, and a partition of the output that collects `compactionMinFiles` small
/// files is compacted by FSTable's `Optimize` in `dataChange: false` commits.
public struct HistoricalPublisher {
    public let config: PublishConfig
    public var clock: any WallClock = SystemWallClock()
    public var compactionMinFiles = 4
    let logger: Logger

    public init(config: PublishConfig, logger: Logger = Logger(label: "fs-publish")) {
        self.config = config
        self.logger = logger
    }

    public func run() throws -> PublishSummary {
        guard try DeltaTable.exists(at: config.inputTable) else { throw UsageError.publishInputMissing(config.inputTable) }
        let source = try DeltaTable.open(at: config.inputTable, clock: clock).snapshot()
        let appId = "fs-publish/historical/" + source.metadata.id
        let outputExisted = try DeltaTable.exists(at: config.outputTable)
        let output: DeltaTable
        do {
            output = try DeltaTable.create(at: config.outputTable, schema: source.schema, partitionColumns: source.partitionColumns, clock: clock)
        } catch let e as CategorizedError where outputExisted && e.exitStatus == .dataError {
            throw PublishError.schemaMismatch(output: config.outputTable, reason: "\(e)")
        }
        let before = try output.snapshot()
        let published = before.txns[appId]?.version
        if published == nil, !before.files.isEmpty { throw PublishError.foreignOutput(output: config.outputTable) }
        if let p = published, p > source.version {
            throw PublishError.sourceRewound(input: config.inputTable, published: p, current: source.version)
        }
        let plan = PublishPlan.make(source: source, published: published, commits: try commitsSince(published, upTo: source.version))
        var summary = PublishSummary(mode: plan.mode.rawValue, sourceVersion: source.version, previouslyPublished: published)
        logger.info("planned publish", metadata: [
            "mode": "\(plan.mode.rawValue)", "source_version": "\(source.version)", "published": "\(published.map(String.init) ?? "none")",
            "output_created": "\(!outputExisted)", "append_files": "\(plan.appendPaths.count)", "rewrite_partitions": "\(plan.rewriteAll ? "all" : String(plan.rewritePartitions.count))",
        ])
        if plan.mode == .upToDate {
            logger.info("nothing to publish: the output holds source version \(source.version)")
            return summary
        }

        // 1. Choose the source files to copy and the output files they replace.
        let sourcePaths: Set<String>
        var replaced: [AddAction] = []
        if plan.rewriteAll {
            sourcePaths = Set(source.files.keys)
            replaced = before.sortedFiles
            summary.partitionsRewritten = Set(source.files.values.map { partitionKey($0.partitionValues) }).count
        } else {
            var paths = plan.appendPaths
            for (path, f) in source.files where plan.rewritePartitions.contains(partitionKey(f.partitionValues)) { paths.insert(path) }
            sourcePaths = paths
            replaced = before.sortedFiles.filter { plan.rewritePartitions.contains(partitionKey($0.partitionValues)) }
            summary.partitionsRewritten = plan.rewritePartitions.count
        }

        // 2. Copy their rows, in large files, and commit with the source version as the txn.
        let writer = try TableWriter(table: output, options: writerOptions(rowsPerFile: rowsPerFile(source, paths: sourcePaths)))
        var scan = try TableScan(snapshot: source, onlyPaths: sourcePaths)
        summary.filesRead = scan.files.count
        do {
            try scan.forEachBatch { batch in
                try writer.write(batch)
                summary.rowsWritten += batch.rowCount
            }
        } catch {
            writer.abort()
            throw error
        }
        let conflictPartitions = replaced.map(\.partitionValues)
        let result = try writer.commit(removing: replaced, conflictPartitions: conflictPartitions,
                                       txns: [TxnAction(appId: appId, version: source.version, lastUpdated: clock.nowMicros() / 1000)],
                                       operation: "PUBLISH HISTORICAL", dataChange: true)
        guard let version = result.version else {
            // Another fs-publish committed the same source version first: the output is complete.
            logger.info("another publisher already published source version \(result.existingTxn?.version ?? source.version)")
            summary.mode = PublishPlan.Mode.upToDate.rawValue
            summary.rowsWritten = 0
            return summary
        }
        summary.outputVersion = version
        summary.filesRemoved = replaced.count
        let afterPublish = result.snapshot
        summary.filesWritten = afterPublish.files.count - (before.files.count - replaced.count)
        if let e = result.checkpointError { logger.warning("checkpoint not written (the table is fine): \(e)") }
        logger.info("published", metadata: ["output_version": "\(version)", "rows": "\(summary.rowsWritten)", "files_written": "\(summary.filesWritten)", "files_removed": "\(summary.filesRemoved)"])

        // 3. Compact partitions that collected many small files (readers' data unchanged).
        summary.filesCompacted = try compact(output, snapshot: afterPublish, summary: &summary)
        return summary
    }

    /// Data changes of the source after `published`, up to `version`; nil when the log no longer
    /// holds them (the caller then rewrites everything).
    func commitsSince(_ published: Int64?, upTo version: Int64) throws -> [TailedCommit]? {
        guard let published, published < version else { return [] }
        var tailer = LogTailer(log: LogPath(root: config.inputTable), after: published)
        do {
            let commits = try tailer.poll(limit: Int(version - published))
            return commits.count == Int(version - published) ? commits : nil
        } catch {
            logger.notice("source commits after version \(published) are no longer in the log (\(error)); rewriting every partition")
            return nil
        }
    }

    /// Rows per output file so files land near the target size, from the source's bytes per row.
    func rowsPerFile(_ source: Snapshot, paths: Set<String>) -> Int {
        var bytes: Int64 = 0, rows: Int64 = 0
        for p in paths {
            guard let f = source.files[p], let n = f.stats.flatMap({ FileStatistics.parse($0, schema: source.schema)?.numRecords }), n > 0 else { continue }
            bytes += f.size
            rows += n
        }
        guard rows > 0, bytes > 0 else { return 1_000_000 }
        return max(1_000, Int(config.targetFileBytes * rows / bytes))
    }

    func writerOptions(rowsPerFile: Int) -> TableWriterOptions {
        var o = TableWriterOptions()
        o.maxRowsPerFile = rowsPerFile
        return o
    }

    /// Compacts each output partition holding at least `compactionMinFiles` small files, through
    /// FSTable's `Optimize` (one maintenance code path for the operator's `fs-table optimize`,
    /// the streaming writers' auto-compaction and this publisher): `dataChange=false` commits
    /// that conflict with no append, retried or skipped when a concurrent commit removed a file.
    /// Starts from `snapshot`, the table right after the publish commit, so no replay is needed.
    /// Returns how many files were compacted.
    func compact(_ table: DeltaTable, snapshot: Snapshot, summary: inout PublishSummary) throws -> Int {
        let optimize = Optimize(table: table, targetFileBytes: config.targetFileBytes, minFiles: compactionMinFiles)
        let result = try optimize.run(startingFrom: snapshot)
        for p in result.partitions {
            if let reason = p.skippedReason { logger.notice("compaction of \(p.partition.isEmpty ? "the table" : p.partition) skipped: \(reason)") }
        }
        guard result.filesRemoved > 0 else { return 0 }
        summary.outputVersion = result.version
        logger.info("compacted small files", metadata: ["files": "\(result.filesRemoved)", "output_version": "\(result.version)"])
        return result.filesRemoved
    }
}
