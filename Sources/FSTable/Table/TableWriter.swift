import Dispatch
import FSCore
import FSParquet
import Synchronization

/// How a `TableWriter` writes files and treats leftovers.
public struct TableWriterOptions: Sendable {
    /// Parquet settings of every data file (ZSTD by default).
    public var parquet = ParquetWriterOptions()
    /// Start a new file in a partition after this many rows (nil: one file per partition and commit).
    public var maxRowsPerFile: Int? = nil
    /// Budget for the memory held by the open files of all partitions together (see
    /// `TableWriter.bufferedBytes`). Every partition keeps its file open until the commit,
    /// buffering its row group, so a write spanning a year of days would otherwise hold the
    /// whole input once more. Past the budget the writer first compresses the open pages of the
    /// files holding the most (`ParquetFileWriter.releaseBuffers`: the file stays open), and
    /// only when that is not enough finishes the largest open files into staging (a partition
    /// written to again gets a further file). Staged files still become visible together, in
    /// the one commit. nil: no budget.
    public var maxBufferedBytes: Int? = 512 << 20
    /// Files under `_staging/` older than this are deleted when the writer opens (nil: no
    /// cleanup). Committed and removed files are never deleted by a writer: see `Vacuum`.
    public var orphanGracePeriodMillis: Int64? = OrphanCleaner.defaultGracePeriodMillis
    /// Commit races to lose before giving up.
    public var maxLostRaces = 10_000
    /// Compact, after a commit, a partition it wrote to that holds this many small files
    /// (nil: off). See `AutoCompaction`.
    public var autoCompaction: AutoCompaction? = nil
    /// Called after the files were moved into place and before the commit (crash tests).
    package var beforeCommit: (@Sendable () -> Void)? = nil
    /// Threads fsyncing finished files and directories in the background (I/O-bound: more
    /// than the cores is right; they share journal commits).
    package var fsyncThreads = 8
    /// How one file or directory is made durable (tests observe or fail it).
    package var fsync: FileSyncer.Sync = FileSyncer.system
    /// A commit's files past this many (per writer or lane) are not fsynced one by one: their
    /// writeback starts when they are finished, and one syncfs of the table's file system makes
    /// them and the commit's directory entries durable (`FileSystemSync`; a backfill's 365 day
    /// files cost ~750 device flushes otherwise). syncfs also writes back what other processes
    /// left dirty on that file system, which is why small commits keep per-file fsyncs.
    /// nil: always per file.
    public var fileSystemSyncThreshold: Int? = 8
    /// How a file system is synced (tests observe or fail it).
    package var syncFileSystem: @Sendable (FileSystemSync) throws(IOError) -> Void = { fs throws(IOError) in try fs.sync() }

    public init() {}
}

/// Writes record batches into a Delta table's hive partitions and commits them atomically.
///
/// ```
///  write(batch) ──split by partition──► _staging/part-00000-<uuid>.c000.zstd.parquet  (one open
///                                        ParquetFileWriter per partition, streaming row groups)
///  file finished (budget, row limit, commit) ──► fsync started in the background (FileSyncer)
///  commit()     ──finish the rest──► wait for every file's fsync ──► rename into
///               fs_year=…/fs_month=…/fs_day=…/ ──► fsync each touched directory once (and the
///               parent of each created one), in parallel, wait
///               ──► one log commit: commitInfo, add… (stats JSON), txn… [, remove… when replacing]
/// ```
/// Every data file and directory entry is durable before the log commit that names it; a
/// failed fsync fails the commit with nothing committed and the files removed. A commit of
/// more than `fileSystemSyncThreshold` files (per writer or lane) fsyncs only the first ones:
/// the others start their writeback when finished, and one syncfs before the renames and one
/// after replace their fsyncs and the directory fsyncs (`FileSystemSync`). Until the
/// commit, nothing is visible to Delta readers; plain-Parquet readers see a file only from its
/// rename, just before the commit. A crash leaves staged files that the next writer deletes
/// after the grace period, and possibly placed but uncommitted files that `Vacuum` deletes. The writer can be reused: each `commit` starts from the snapshot the
/// previous one produced.
public final class TableWriter {
    public let table: DeltaTable
    public let options: TableWriterOptions
    /// The table state the next commit builds on.
    public private(set) var snapshot: Snapshot
    /// Stale staged files deleted when the writer opened (relative paths).
    public private(set) var cleanedOrphans: [String] = []

    private let splitter: PartitionSplitter
    private let syncer: FileSyncer
    /// `options.parquet` with one compression pool for all the writer's files (see
    /// `ParquetWriterOptions.compressionPool`).
    private let fileOptions: ParquetWriterOptions
    /// Partition directories known to exist during one commit (relative; "" is the root).
    private var existingDirectories: Set<String> = [""]
    /// A lane (`makeLane`) creates a file's partition directory when it finishes the file
    /// (see `FinishedFile.createdParents`), on its own thread instead of in the owner's commit.
    /// Only writers that never commit do: their directory cache is touched by their thread alone.
    private var createsDirectoriesEarly = false
    private var open: [String: OpenFile] = [:]
    private var finished: [FinishedFile] = []
    private var writtenPartitions = DistinctPartitions()
    /// The fsyncs of the files finished since the last `stage` (they belong to the next commit).
    private var sync: FileSyncer.Group
    /// Staged commits not yet committed or discarded, and what their open files hold.
    private let inFlight = StagedCommit.InFlight()

    fileprivate struct OpenFile {
        var writer: ParquetFileWriter
        var staging: String
        var name: String
        var directory: String
        var logValues: StringMap
        var rows: Int
        /// `writer.heldBytes` as of the file's last write or release.
        var bufferedBytes: Int
        /// No rows arrived since the file's buffers were last released.
        var isReleased = false
    }

    fileprivate struct FinishedFile {
        var summary: ParquetFileSummary
        var staging: String
        var relativePath: String
        var directory: String
        var logValues: StringMap
        /// The file's Delta statistics JSON, made by the thread that finished the file (a lane's,
        /// not the serial commit: 365 day files' statistics were ~30 ms of fs-agg-online's
        /// commit), and the indexed-column count it used; the commit remakes it if that changed.
        var stats: String
        var statsIndexedColumns: Int
        /// Parents of the directories a lane created for this file when it finished it: the
        /// commit fsyncs them with those of the directories it creates itself. mkdir in a
        /// table whose files were just deleted costs ~1 ms (ext4 scans the recently freed
        /// inodes), and fs-agg-online's serial commit spent 0.1–0.35 s creating 365 day
        /// directories after the bench's `rm -rf` of the previous output.
        var createdParents: Set<String> = []
    }

    /// Opens a writer on the table's newest snapshot and cleans stale staged files. The
    /// snapshot holds no tombstones: a writer running for weeks would otherwise grow with
    /// every file the table removed (`Snapshot.holdsTombstones`).
    public convenience init(table: DeltaTable, options: TableWriterOptions = TableWriterOptions()) throws {
        try self.init(table: table, snapshot: try table.snapshot(holdingTombstones: false), options: options)
    }

    /// Opens a writer on `snapshot` (a commit catches up with anything newer).
    package init(table: DeltaTable, snapshot s: Snapshot, options: TableWriterOptions) throws {
        self.table = table
        self.options = options
        self.snapshot = s
        self.splitter = try PartitionSplitter(tableSchema: s.schema, partitionColumns: s.partitionColumns)
        self.syncer = FileSyncer(threads: options.fsyncThreads, sync: options.fsync)
        self.sync = Self.syncGroup(table, options)
        var fileOptions = options.parquet
        if fileOptions.compressionWorkers > 0 && fileOptions.compressionPool == nil {
            fileOptions.compressionPool = PageCompressionPool(workers: fileOptions.compressionWorkers)
        }
        self.fileOptions = fileOptions
        if let grace = options.orphanGracePeriodMillis {
            cleanedOrphans = try OrphanCleaner(gracePeriodMillis: grace, clock: table.clock).clean(root: table.root)
        }
    }

    /// Bytes the open files hold in memory: the sum of their `ParquetFileWriter.heldBytes`
    /// (buffer capacities, dictionaries and pages; pages compressed since a file's last release
    /// count uncompressed), as of each file's last write or release.
    ///
    /// Counted from the writers rather than estimated from the rows: a constant per file
    /// (128 KiB a column, 3.75 MiB for the 30 columns of an order event) let only ~21 files stay
    /// open in fs-ingest's budget, so a micro-batch spanning 60–90 days closed and reopened its
    /// day files: ~5 files per day and commit, 31,722 files for 5M events against 653 for 1M.
    public private(set) var bufferedBytes = 0

    /// Rows written since the last commit.
    public var pendingRows: Int { open.values.reduce(0) { $0 + $1.rows } + finished.reduce(0) { $0 + Int($1.summary.rowCount) } }

    /// Appends a batch (columns matched to the table schema by name; partition columns included).
    /// Partitions are copied out of the batch one at a time and each is written whole, so a
    /// batch spanning many partitions costs one partition's copy, not a second batch.
    public func write(_ batch: RecordBatch) throws {
        try write(batch, partitionsWhere: nil)
    }

    /// Appends the partitions of `batch` that `include` accepts (it sees each partition's
    /// directory and row count, every partition in ascending order, before any is written; see
    /// `PartitionSplitter.forEachSlice(_:where:_:)`): lanes that share each batch's partitions
    /// between them, each lane deciding the same way from the same batches (fs-ingest).
    package func write(_ batch: RecordBatch, partitionsWhere include: ((_ directory: String, _ rows: Int) -> Bool)?) throws {
        try splitter.forEachSlice(batch, where: include) { slice in
            guard options.maxRowsPerFile == nil else {
                for run in slice.runs { try append(slice.batch, rows: run, directory: slice.directory, logValues: slice.logValues) }
                return
            }
            // All runs of the slice, then one recount and budget check: per run, the file's
            // `heldBytes` (every column's buffers) and the partition lookups were ~1% of
            // fs-ingest's writer thread (a chunk's day holds ~5–15 runs, one per Kafka partition).
            try append(rowCount: slice.runs.reduce(0) { $0 + $1.count }, directory: slice.directory, logValues: slice.logValues) { w in
                for run in slice.runs { try w.write(slice.batch, rows: run) }
            }
        }
    }

    /// Appends rows `rows` of `batch` to the one partition `partition` (typed values in
    /// partition column order). The batch holds the data columns only (`dataSchema`: the table
    /// schema without the partition columns, in table order).
    ///
    /// For writers that already know the partition of each run of rows (the online job's
    /// window days): no per-row split, no copy of the rows, no constant partition columns built.
    /// The rows are checked as by `ParquetFileWriter.write` (a NULL anywhere in a non-nullable
    /// column of the batch is rejected).
    public func write(_ batch: RecordBatch, rows: Range<Int>, partition: [Value]) throws {
        guard rows.lowerBound >= 0, rows.upperBound <= batch.rowCount else {
            throw TableError.schemaMismatch(reason: "rows \(rows) outside a batch of \(batch.rowCount) rows")
        }
        let log = try partitionLog(batch.schema, partition)
        guard !rows.isEmpty else { return }
        try append(rowCount: rows.count, directory: PartitionValues.directory(columns: splitter.partitionColumns, values: log), logValues: log) {
            try $0.write(batch, rows: rows)
        }
    }

    /// Appends the rows of runs `runs` of `batch` to the one partition `partition`, as
    /// `write(_:rows:partition:)` does rows, through the Parquet writer's run path
    /// (`ParquetFileWriter.writeRuns`: work per run, not per row).
    public func writeRuns(_ batch: RunBatch, runs: Range<Int>, partition: [Value]) throws {
        guard runs.lowerBound >= 0, runs.upperBound <= batch.runCount else {
            throw TableError.schemaMismatch(reason: "runs \(runs) outside a batch of \(batch.runCount) runs")
        }
        let log = try partitionLog(batch.schema, partition)
        guard !runs.isEmpty else { return }
        try append(rowCount: batch.rowCount(runs: runs), directory: PartitionValues.directory(columns: splitter.partitionColumns, values: log), logValues: log) {
            try $0.writeRuns(batch, runs: runs)
        }
    }

    /// The partition's values as the log writes them, once `schema` is checked to be the
    /// table's data columns and `partition` to hold a value of the right type per partition column.
    private func partitionLog(_ schema: Schema, _ partition: [Value]) throws -> StringMap {
        let data = splitter.dataSchema
        guard schema.count == data.count, zip(schema.fields, data.fields).allSatisfy({ $0.name == $1.name && $0.type == $1.type }) else {
            throw TableError.schemaMismatch(reason: "batch \(schema) is not the table's data columns \(data)")
        }
        let columns = splitter.partitionColumns
        guard partition.count == columns.count else {
            throw TableError.schemaMismatch(reason: "\(partition.count) partition values for the partition columns \(columns)")
        }
        var log = StringMap()
        for (name, v) in zip(columns, partition) {
            if let t = v.type, t != splitter.tableSchema.field(named: name)?.type {
                throw TableError.schemaMismatch(reason: "partition value \(v) for column \(name) of type \(splitter.tableSchema.field(named: name).map { "\($0.type)" } ?? "?")")
            }
            log.set(name, PartitionValues.serialize(v))
        }
        return log
    }

    /// The data columns the files store (the table schema without the partition columns).
    public var dataSchema: Schema { splitter.dataSchema }

    /// Rows `rows` of `batch` (data columns) into the open file of `directory`.
    private func append(_ batch: RecordBatch, rows: Range<Int>, directory: String, logValues: StringMap) throws {
        try append(rowCount: rows.count, directory: directory, logValues: logValues) { try $0.write(batch, rows: rows) }
    }

    /// `rowCount` rows, written by `write`, into the open file of `directory`.
    private func append(rowCount: Int, directory: String, logValues: StringMap, write: (ParquetFileWriter) throws -> Void) throws {
        writtenPartitions.insert(logValues)
        var file: OpenFile
        if let f = open[directory] { file = f } else { file = try newFile(directory: directory, logValues: logValues) }
        try write(file.writer)
        file.rows += rowCount
        file.isReleased = false
        recount(&file)
        open[directory] = file
        if let limit = options.maxRowsPerFile, file.rows >= limit {
            try finish(directory)
        }
        try enforceBufferBudget()
    }

    /// Sets `file.bufferedBytes` from its writer and `bufferedBytes` with it.
    private func recount(_ file: inout OpenFile) {
        let held = file.writer.heldBytes
        bufferedBytes += held - file.bufferedBytes
        file.bufferedBytes = held
    }

    /// Brings the open files under the budget: first releases the buffers of the files holding
    /// the most that received rows since their last release, then, if their compressed pages
    /// alone are too many, finishes the largest files (into staging). Ties go to the greater
    /// partition directory, so the files written do not depend on dictionary order.
    ///
    /// A staged commit still finishing its files (`stage`) counts against the budget too: while
    /// it does, the writer waits for it rather than cut its own pages early, so the two together
    /// hold no more than one commit's files did before commits were staged.
    private func enforceBufferBudget() throws {
        guard let budget = options.maxBufferedBytes else { return }
        inFlight.wait(untilHeldAtMost: budget - bufferedBytes)
        guard bufferedBytes > budget else { return }
        while bufferedBytes > budget,
              let fullest = open.filter({ !$0.value.isReleased }).max(by: { ($0.value.bufferedBytes, $1.key) < ($1.value.bufferedBytes, $0.key) }) {
            try release(fullest.key)
        }
        while bufferedBytes > budget, let largest = open.max(by: { ($0.value.bufferedBytes, $1.key) < ($1.value.bufferedBytes, $0.key) }) {
            try finish(largest.key)
        }
    }

    /// Compresses the open pages of the file of `key` and frees its page buffers; it stays open.
    private func release(_ key: String) throws {
        guard var f = open[key] else { return }
        try f.writer.releaseBuffers()
        f.isReleased = true
        recount(&f)
        open[key] = f
    }

    /// Commits everything written since the last commit as one version, with `txns` as progress
    /// markers. When a `txn` shows the batch is already in the table (§3.7), nothing is
    /// committed, the written files are deleted and the result says so.
    ///
    /// `expectedTxns` fences a streaming writer (see `TxnFence`): when a txn of the table is not
    /// at the version the batch started from, nothing is committed, the files are deleted and
    /// `CommitResult.fence` says which.
    @discardableResult
    public func commit(txns: [TxnAction] = [], expectedTxns: [TxnFence] = [], operation: String = "WRITE", dataChange: Bool = true) throws -> CommitResult {
        try commit(txns: txns, operation: operation, dataChange: dataChange, replacing: nil, expectedTxns: expectedTxns)
    }

    /// Commits the written rows as the *whole* content of the partitions they fall in (and of
    /// `alsoReplacing`, which may end up empty): every live file there is removed in the same
    /// commit. Re-running the same job gives the same table — the idempotent re-run of a day.
    @discardableResult
    public func commitReplacingPartitions(_ alsoReplacing: [StringMap] = [], txns: [TxnAction] = [], operation: String = "WRITE",
                                          dataChange: Bool = true) throws -> CommitResult {
        try commit(txns: txns, operation: operation, dataChange: dataChange, replacing: alsoReplacing)
    }

    /// Commits the written files together with the removal of exactly `removing` (live files of
    /// the snapshot), for callers that decide themselves what a commit replaces: publishers that
    /// append to some partitions and rewrite others in one version, and compaction
    /// (`dataChange: false`). `conflictPartitions` are the partitions whose concurrent change
    /// must make the commit fail rather than silently interleave.
    @discardableResult
    public func commit(removing: [AddAction], conflictPartitions: [StringMap] = [], txns: [TxnAction] = [], operation: String,
                       dataChange: Bool = true) throws -> CommitResult {
        try commit(txns: txns, operation: operation, dataChange: dataChange, replacing: nil, explicitRemovals: (removing, conflictPartitions))
    }

    /// Deletes everything written since the last commit.
    /// Staged commits are not touched: see `discard`.
    public func abort() {
        for f in open.values { f.writer.abort() }
        sync.drain()
        for f in finished { try? FileSystem.removeFile(f.staging) }
        open = [:]
        bufferedBytes = 0
        finished = []
        writtenPartitions = DistinctPartitions()
    }

    // MARK: Internals

    private func newFile(directory: String, logValues: StringMap) throws -> OpenFile {
        try FileSystem.createDirectory(table.log.stagingDirectory)
        let name = LogPath.newDataFileName()
        let staging = table.log.stagingFile(name)
        let writer = try ParquetFileWriter(path: staging, schema: splitter.dataSchema, options: fileOptions)
        var file = OpenFile(writer: writer, staging: staging, name: name, directory: directory, logValues: logValues, rows: 0, bufferedBytes: 0)
        recount(&file)
        return file
    }

    private func finish(_ key: String) throws {
        guard let f = open.removeValue(forKey: key) else { return }
        bufferedBytes -= f.bufferedBytes
        finished.append(try finish(f, syncingIn: sync))
    }

    /// The fsyncs of a commit's files, opened as the commit's writes start (see `FileSyncer.Group`).
    private static func syncGroup(_ table: DeltaTable, _ options: TableWriterOptions) -> FileSyncer.Group {
        FileSyncer.Group(fileSystemOf: table.root, threshold: options.fileSystemSyncThreshold)
    }

    /// Writes `f`'s last pages and footer into staging and starts its fsync in `group` (or,
    /// past the group's threshold, its writeback: the commit's file system sync covers it).
    private func finish(_ f: OpenFile, syncingIn group: FileSyncer.Group) throws -> FinishedFile {
        let alone = group.admitFile()
        let summary = try f.writer.finish(sync: false, startingWriteback: !alone)
        if alone { syncer.submit(f.staging, to: group) }
        let rel = f.directory.isEmpty ? f.name : f.directory + "/" + f.name
        let indexed = indexedColumns
        var parents = Set<String>()
        // Early creation only saves the commit's time: on failure the commit creates (and reports) it.
        if createsDirectoriesEarly { try? createDirectory(f.directory, syncing: &parents) }
        return FinishedFile(summary: summary, staging: f.staging, relativePath: rel, directory: f.directory, logValues: f.logValues,
                            stats: statistics(summary, indexedColumns: indexed).json, statsIndexedColumns: indexed,
                            createdParents: parents)
    }

    /// Hands everything written since the last commit (or stage) to a `StagedCommit` and starts
    /// the next commit's files afresh; `commit(_:…)` then finishes and commits it, possibly on
    /// another thread while this one keeps writing.
    ///
    /// ```
    ///  writer thread:     write … write ─ stage ─ write (next batch) … ─ [over budget: wait] ─ stage …
    ///  committer thread:                    └─► commit(staged): finish files, fsync, rename, log
    /// ```
    /// Why: finishing a micro-batch's ~25 day files (their last pages compressed, footers,
    /// fsyncs, renames, the log entry) took fs-ingest's writer thread ~0.1 s per commit, during
    /// which nothing was encoded and the parser soon blocked on the writer.
    ///
    /// Contract: staged commits are committed in the order staged, each after the previous one
    /// returned (the snapshot a commit builds on is the previous commit's), and all on one
    /// thread at a time; `commit(_:…)` never touches the state `write` and `stage` use, and the
    /// open files and fsyncs of a staged commit belong to it alone. With a budget, a write that
    /// passes it waits until every staged commit finished its files: a caller that writes again
    /// before committing what it staged must commit it on another thread. A staged commit that
    /// is never committed (a dropped task) deletes its files when it is freed.
    package func stage() -> StagedCommit {
        let files = open.keys.sorted().map { open[$0]! }
        let staged = StagedCommit(open: files, finished: finished, partitions: writtenPartitions.maps, sync: sync,
                                  heldBytes: bufferedBytes, inFlight: inFlight)
        open = [:]
        finished = []
        writtenPartitions = DistinctPartitions()
        bufferedBytes = 0
        sync = Self.syncGroup(table, options)
        return staged
    }

    /// Commits a staged commit (see `stage`) with `txns` as progress markers; as
    /// `commit(txns:expectedTxns:operation:dataChange:)`.
    @discardableResult
    package func commit(_ staged: StagedCommit, txns: [TxnAction] = [], expectedTxns: [TxnFence] = [], operation: String = "WRITE",
                        dataChange: Bool = true) throws -> CommitResult {
        try commit([staged], txns: txns, operation: operation, dataChange: dataChange, replacing: nil, expectedTxns: expectedTxns)
    }

    /// Commits the staged commits of several lanes (`makeLane`, then `stage` on each) as one
    /// version, in this order; as `commit(_:txns:expectedTxns:operation:dataChange:)`.
    ///
    /// Unlike `adopt`, each lane's staged commit keeps counting against its lane's budget until
    /// this commit has finished that lane's open files: a lane goes on writing the next batch
    /// meanwhile, and `adopt` would let both batches' pages be held at once (fs-ingest's lanes).
    @discardableResult
    package func commit(lanes staged: [StagedCommit], txns: [TxnAction] = [], expectedTxns: [TxnFence] = [], operation: String = "WRITE",
                        dataChange: Bool = true) throws -> CommitResult {
        try commit(staged, txns: txns, operation: operation, dataChange: dataChange, replacing: nil, expectedTxns: expectedTxns)
    }

    /// Deletes a staged commit's files (a batch dropped after it was staged).
    package func discard(_ staged: StagedCommit) {
        staged.abort()
    }

    private func commit(txns: [TxnAction], operation: String, dataChange: Bool, replacing: [StringMap]?,
                        explicitRemovals: (files: [AddAction], conflicts: [StringMap])? = nil, expectedTxns: [TxnFence] = []) throws -> CommitResult {
        try commit([stage()], txns: txns, operation: operation, dataChange: dataChange, replacing: replacing, explicitRemovals: explicitRemovals,
                   expectedTxns: expectedTxns)
    }

    /// Finishes the staged commits' open files, then commits all their files (see the diagram on
    /// the type). Touches only the staged commits, the snapshot and the directory cache.
    private func commit(_ stagedCommits: [StagedCommit], txns: [TxnAction], operation: String, dataChange: Bool, replacing: [StringMap]?,
                        explicitRemovals: (files: [AddAction], conflicts: [StringMap])? = nil, expectedTxns: [TxnFence] = []) throws -> CommitResult {
        var files: [FinishedFile] = []
        var touched = DistinctPartitions()
        do {
            for staged in stagedCommits {
                files.append(contentsOf: staged.finished)
                while let f = staged.takeOpenFile() {
                    files.append(try finish(f, syncingIn: staged.sync))
                    staged.release(f.bufferedBytes)
                }
            }
        } catch {
            for staged in stagedCommits { staged.abort(finished: files) }
            throw error
        }
        for staged in stagedCommits {
            for p in staged.partitions { touched.insert(p) }
            staged.settle()
        }
        // The partitions written, then those replaced that were not written.
        for p in replacing ?? [] { touched.insert(p) }
        let partitions = touched.maps
        let now = table.clock.nowMicros() / 1000
        // Already committed by an earlier run: drop the files, commit nothing.
        if let done = table.alreadyCommitted(txns, in: snapshot) {
            for staged in stagedCommits { staged.sync.drain() }
            for f in files { try? FileSystem.removeFile(f.staging) }
            return CommitResult(version: nil, existingTxn: done, snapshot: snapshot, lostRaces: 0)
        }
        // Move into place just before the commit (keeps the plain-reader window small).
        var placed: [String] = []
        var adds: [Action] = []
        // The directory fsyncs join the first staged commit's group (nothing else is submitted to it).
        let syncing = stagedCommits[0].sync
        do {
            // Data durable before any name points at it.
            for staged in stagedCommits { try staged.sync.wait() }
            let fileSystems = FileSystemSync.oldest(stagedCommits.flatMap(\.sync.fileSystems))
            for f in fileSystems { try options.syncFileSystem(f) }
            var dirs = Set<String>()
            existingDirectories = [""]  // checked afresh by every commit (another process may remove empty ones)
            for f in files {
                try createDirectory(f.directory, syncing: &dirs)
                dirs.formUnion(f.createdParents)
                let final = table.root + "/" + f.relativePath
                try FileSystem.rename(f.staging, final)
                placed.append(final)
                dirs.insert(f.directory)
                let stats = f.statsIndexedColumns == indexedColumns ? f.stats : statistics(f.summary, indexedColumns: indexedColumns).json
                adds.append(.add(AddAction(path: f.relativePath, partitionValues: f.logValues, size: f.summary.sizeBytes, modificationTime: now,
                                           dataChange: dataChange, stats: stats)))
            }
            if fileSystems.isEmpty {
                for d in dirs.sorted() { syncer.submit(d.isEmpty ? table.root : table.root + "/" + d, isDirectory: true, to: syncing) }
                try syncing.wait()
            } else {
                // The renames and created directories, with one more syncfs instead of an fsync per directory.
                for f in fileSystems { try options.syncFileSystem(f) }
            }
        } catch {
            for staged in stagedCommits { staged.sync.drain() }
            for p in placed { try? FileSystem.removeFile(p) }
            for f in files { try? FileSystem.removeFile(f.staging) }
            throw error
        }
        var removes: [Action] = []
        if let _ = replacing {
            for file in snapshot.sortedFiles where touched.contains(file.partitionValues) {
                removes.append(.remove(RemoveAction(removing: file, at: now, dataChange: dataChange)))
            }
        }
        if let explicit = explicitRemovals {
            for file in explicit.files.sorted(by: { $0.path < $1.path }) {
                removes.append(.remove(RemoveAction(removing: file, at: now, dataChange: dataChange)))
            }
        }
        options.beforeCommit?()
        let actions = removes + adds + txns.map(Action.txn)
        if actions.isEmpty { return CommitResult(version: nil, existingTxn: nil, snapshot: snapshot, lostRaces: 0) }
        var parameters: StringMap = ["mode": replacing == nil ? "Append" : "Overwrite"]
        if !snapshot.partitionColumns.isEmpty { parameters.set("partitionBy", DeltaTable.partitionByParameter(snapshot.partitionColumns)) }
        let result: CommitResult
        do {
            result = try table.commit(actions, operation: operation, advancing: &snapshot,
                                      conflicts: CommitConflicts(replacedPartitions: replacing == nil ? (explicitRemovals?.conflicts ?? []) : partitions,
                                                                 expectedTxns: expectedTxns),
                                      operationParameters: parameters, maxLostRaces: options.maxLostRaces)
        } catch {
            for p in placed { try? FileSystem.removeFile(p) }
            throw error
        }
        if !result.isCommitted { for p in placed { try? FileSystem.removeFile(p) } }
        snapshot = result.snapshot
        guard result.isCommitted, let auto = AutoCompaction.effective(options.autoCompaction, snapshot), !files.isEmpty else { return result }
        var compacted = result
        do {
            if let outcome = try auto.compactOne(of: files.map(\.logValues), table: table, snapshot: snapshot, writerOptions: options) {
                snapshot = outcome.snapshot
                compacted.snapshot = outcome.snapshot
                compacted.compaction = outcome.partition
            }
        } catch {
            compacted.compactionError = "\(error)"
        }
        return compacted
    }

    /// Creates the partition directory `relative` (mkdir -p under the root) and adds the parent
    /// of every directory it created to `syncing`: a new directory's entry is durable only once
    /// its parent is fsynced.
    private func createDirectory(_ relative: String, syncing: inout Set<String>) throws(IOError) {
        guard !existingDirectories.contains(relative) else { return }
        var path = ""
        for part in relative.split(separator: "/") {
            let parent = path
            path = path.isEmpty ? String(part) : path + "/" + part
            if existingDirectories.contains(path) { continue }
            // A stat first: at a commit the lanes have nearly always made the directory already,
            // and mkdir's EEXIST would then cost a stat as well (perf trace: 380 such mkdirs on
            // fs-agg-online's committing thread).
            let full = table.root + "/" + path
            if !FileSystem.isDirectory(full), try FileSystem.createDirectory(full) { syncing.insert(parent) }
            existingDirectories.insert(path)
        }
    }

    /// The table's `delta.dataSkippingNumIndexedCols` (−1: every column), as of this writer's snapshot.
    private var indexedColumns: Int {
        snapshot.metadata.configuration[TableProperty.dataSkippingNumIndexedCols].flatMap { Int($0) } ?? FileStatistics.defaultIndexedColumns
    }

    /// Delta statistics of a finished file (data columns only; partition columns are not in files).
    private func statistics(_ s: ParquetFileSummary, indexedColumns indexed: Int) -> FileStatistics {
        let fields = splitter.dataSchema.fields
        guard s.statistics.count == fields.count else { return FileStatistics(numRecords: s.rowCount, columns: []) }
        let stats = s.statistics
        return FileStatistics(numRecords: s.rowCount, fields: fields, nullCounts: stats.map(\.nullCount), mins: stats.map(\.min), maxs: stats.map(\.max),
                              nanCounts: stats.map(\.nanCount), indexedColumns: indexed < 0 ? fields.count : indexed)
    }
}

/// The files of one commit, handed from the writer thread (`TableWriter.stage`) to the thread
/// that commits them (`TableWriter.commit(_:…)`).
///
/// `@unchecked Sendable`: it is handed over whole — after `stage` only the committing thread
/// touches its files; the writer thread only reads `InFlight`, which is atomic.
package final class StagedCommit: @unchecked Sendable {
    /// Files still open (their last pages and footers are written by the commit), by directory.
    /// Emptied once they are finished, so their page buffers are freed before the fsyncs and
    /// the log entry, not when the commit returns (~20 MiB of peak RSS in fs-ingest).
    fileprivate private(set) var open: [TableWriter.OpenFile]
    /// Files finished before the stage (over the budget or the row limit), fsyncs under way.
    fileprivate let finished: [TableWriter.FinishedFile]
    fileprivate let partitions: [StringMap]
    fileprivate let sync: FileSyncer.Group
    private let heldBytes: Int
    private let inFlight: InFlight
    /// Committed, discarded or failed: the budget no longer counts it.
    private let isSettled = Atomic<Bool>(false)

    /// Bytes of `heldBytes` still counted in `inFlight` (files not finished yet).
    private let unreleasedBytes: Atomic<Int>

    /// Rows in the staged files.
    package var rowCount: Int { open.reduce(0) { $0 + $1.rows } + finished.reduce(0) { $0 + Int($1.summary.rowCount) } }

    /// The staged commits of one writer that are not settled yet, and the bytes their open files
    /// held when staged that are not finished yet (counted against the writer's budget).
    ///
    /// Why per file and not per commit: the writer used to wait, once over its budget, until the
    /// whole staged commit had finished its ~25–40 files (their last pages compressed, footers
    /// written): ~1.6 s of the writer thread's 1M-event run blocked in 14 waits (sched trace,
    /// load ~9). Each finished file's writer is freed at once, so its bytes leave the count then
    /// and the writer goes on as soon as the two batches together fit the budget again.
    final class InFlight: Sendable {
        private let group = DispatchGroup()
        private let bytes = Atomic<Int>(0)
        /// Signalled whenever bytes leave or a commit settles (a waiter re-checks; stale
        /// signals only cost it one more check).
        private let progress = DispatchSemaphore(value: 0)

        var heldBytes: Int { bytes.load(ordering: .acquiring) }

        /// Blocks until the staged files hold at most `limit` bytes, or every staged commit
        /// settled (a `limit` below zero: until they all settled).
        func wait(untilHeldAtMost limit: Int) {
            while heldBytes > limit || limit < 0 {
                if group.wait(timeout: .now()) == .success { return }
                progress.wait()
            }
        }

        func enter(_ n: Int) {
            bytes.wrappingAdd(n, ordering: .releasing)
            group.enter()
        }

        /// `n` bytes of a staged commit were freed (one of its files finished).
        func release(_ n: Int) {
            bytes.wrappingSubtract(n, ordering: .releasing)
            progress.signal()
        }

        /// A staged commit settled; `n`: its bytes not released before.
        func leave(_ n: Int) {
            bytes.wrappingSubtract(n, ordering: .releasing)
            group.leave()
            progress.signal()
        }
    }

    fileprivate init(open: [TableWriter.OpenFile], finished: [TableWriter.FinishedFile], partitions: [StringMap], sync: FileSyncer.Group,
                     heldBytes: Int, inFlight: InFlight) {
        self.open = open
        self.finished = finished
        self.partitions = partitions
        self.sync = sync
        self.heldBytes = heldBytes
        self.inFlight = inFlight
        unreleasedBytes = Atomic(heldBytes)
        inFlight.enter(heldBytes)
    }

    /// The next open file to finish, no longer held here (its writer is freed once the caller
    /// is done with it); nil when none is left. Files not taken are aborted by `abort`.
    fileprivate func takeOpenFile() -> TableWriter.OpenFile? {
        open.isEmpty ? nil : open.removeFirst()
    }

    /// A taken file of `n` buffered bytes (its `bufferedBytes` when staged) is finished: the
    /// writer's budget stops counting it.
    fileprivate func release(_ n: Int) {
        unreleasedBytes.wrappingSubtract(n, ordering: .relaxed)
        inFlight.release(n)
    }

    /// Its open files are finished (or deleted): their writers are freed and the writer's budget
    /// stops counting them.
    fileprivate func settle() {
        guard !isSettled.exchange(true, ordering: .acquiringAndReleasing) else { return }
        open = []
        inFlight.leave(unreleasedBytes.exchange(0, ordering: .relaxed))
    }

    /// Deletes every file of the staged commit (`finished`: those finished so far) and settles it.
    fileprivate func abort(finished done: [TableWriter.FinishedFile]? = nil) {
        let finishedPaths = Set((done ?? []).map(\.staging))
        for f in open where !finishedPaths.contains(f.staging) { f.writer.abort() }
        sync.drain()
        for f in finished { try? FileSystem.removeFile(f.staging) }
        for f in done ?? [] { try? FileSystem.removeFile(f.staging) }
        settle()
    }

    /// Never committed nor discarded (a dropped task): its files are deleted.
    deinit {
        if !isSettled.load(ordering: .acquiring) { abort() }
    }
}

// MARK: Lanes: one commit's files written by several threads

/// ```
///  lane 1 (thread): writeRuns day 1 ─ finish(partition: day 1) ─ writeRuns day 3 … ─ finishOpenFiles ─ stage ─┐
///  lane 2 (thread): writeRuns day 2 ─ finish(partition: day 2) ─ writeRuns day 4 … ─ finishOpenFiles ─ stage ─┤
///  writer (caller):                                               adopt(staged₁) ─ adopt(staged₂) ─ commit ◄┘
/// ```
/// Why: encoding a partition's pages is serial per file, so one writer thread bounds a job
/// whose output is many partitions (fs-agg-online's day files: the output thread was the
/// critical path with the other core part idle). Lanes are ordinary writers of the same table
/// that never commit: each owns its open files, and their staged files join the owner's next
/// commit, so the commit protocol (every file and directory durable before the one log entry
/// names them) is the owner's, unchanged. A partition must be written by one lane per commit,
/// or it gets one file per lane.
extension TableWriter {
    /// A writer of this table's files for another thread, whose work reaches the table only
    /// through `adopt`: same options and compression pool (its lanes are serial per column, so
    /// files of several threads share them safely), no orphan cleanup (the owner did it) and
    /// no auto-compaction (it never commits). A lane creates a file's partition directory when
    /// it finishes the file, and the commit fsyncs the parents it names (`FinishedFile.createdParents`).
    ///
    /// `oneOf`: lanes writing at once that share the owner's memory budget, each getting an equal
    /// part of `maxBufferedBytes` (fs-ingest's lanes, whose pages and staged files must stay
    /// within the one budget the job's peak RSS was measured with). 1: the whole budget.
    package func makeLane(oneOf lanes: Int = 1) throws -> TableWriter {
        var o = options
        o.orphanGracePeriodMillis = nil
        o.autoCompaction = nil
        o.maxBufferedBytes = o.maxBufferedBytes.map { $0 / max(1, lanes) }
        o.parquet = fileOptions
        let lane = try TableWriter(table: table, snapshot: snapshot, options: o)
        lane.createsDirectoriesEarly = true
        return lane
    }

    /// Finishes the open file of `partition` (typed values in partition column order) now:
    /// last pages and footer into staging, its fsync started. For writers that know a partition
    /// is complete long before the commit (the online job's earlier window days): its buffers are
    /// freed and its fsync overlaps the next writes instead of waiting for the commit. Later rows
    /// of the partition go to a further file. No open file: nothing happens.
    public func finish(partition: [Value]) throws {
        let columns = splitter.partitionColumns
        guard partition.count == columns.count else {
            throw TableError.schemaMismatch(reason: "\(partition.count) partition values for the partition columns \(columns)")
        }
        var log = StringMap()
        for (name, v) in zip(columns, partition) { log.set(name, PartitionValues.serialize(v)) }
        try finish(PartitionValues.directory(columns: columns, values: log))
    }

    /// Finishes every open file (see `finish(partition:)`): a lane's last step before `stage`,
    /// so the footers are written on its thread, not by the owner's commit.
    package func finishOpenFiles() throws {
        for key in open.keys.sorted() { try finish(key) }
    }

    /// Takes a lane's staged files (`makeLane`, then `stage` on the lane) into this writer's next
    /// commit, or its `abort`: its finished files with their fsyncs, its open files (a
    /// partition open here too gets the lane's file finished beside this one's), its partitions.
    package func adopt(_ staged: StagedCommit) throws {
        sync.include(staged.sync)
        finished.append(contentsOf: staged.finished)
        for p in staged.partitions { writtenPartitions.insert(p) }
        let files = staged.open
        staged.settle()
        for f in files {
            if open[f.directory] == nil {
                var file = f
                file.bufferedBytes = 0
                recount(&file)
                open[f.directory] = file
            } else {
                finished.append(try finish(f, syncingIn: sync))
            }
        }
    }
}
