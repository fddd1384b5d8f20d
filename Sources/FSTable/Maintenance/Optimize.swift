import FSCore

/// Bin-packs the small files of each partition into files of about `targetFileBytes`.
///
/// ```
///  snapshot ──► partitions (pruned by `partitionFilter`) with ≥ `minFiles` files < target
///      per partition: files in path order ──greedy bins of ≤ target bytes── bins of ≥ 2 files
///      per bin: read the files ──TableWriter──► one new file
///               commit  remove(old…, dataChange=false) + add(new, dataChange=false)  "OPTIMIZE"
///                 │ a concurrent commit removed one of our files (another optimize, a
///                 │ partition overwrite) ──► DeltaLogError.concurrentModification
///                 ▼
///               re-read the table, drop the files that are gone from the bin and retry it,
///               up to `maxAttempts` conflicts per partition; then skip the partition
/// ```
/// The commits never conflict with appends: they remove only the files they read, declare no
/// replaced partitions, and `dataChange=false` tells streaming readers (our `LogTailer`, Spark's
/// `DeltaSource`) the rows are not new. Rows are copied as they are, file after file, so a scan
/// before and after returns the same rows. One commit per bin keeps each retry small.
public struct Optimize {
    public var table: DeltaTable
    /// The size a compacted file aims at; files at least this large are left alone.
    public var targetFileBytes: Int64
    /// Least number of small files a partition must hold to be compacted (2 for an operator's
    /// optimize; the streaming writers' auto-compaction uses 50).
    public var minFiles: Int
    /// Only partitions matching this (on partition columns only; nil: every partition).
    public var partitionFilter: ScanPredicate?
    /// Attempts per partition before it is skipped.
    public var maxAttempts: Int
    /// When set, a partition's plan takes only one size tier of its small files (see
    /// `Optimize.sizeTiers`): auto-compaction's tiering. A compacted file is still small, so
    /// re-packing every small file each time would rewrite the whole partition every
    /// `minFiles` commits (quadratic over a day); merging files of about the same size rewrites
    /// each row about once per tier.
    public var mergesOneSizeTier = false

    /// Size ratio spanned by one tier.
    public static let tierFactor: Int64 = 8

    /// Small files grouped into size tiers, smallest first: a tier starts at its smallest file
    /// `s` and holds every file under `s × tierFactor` (size-tiered compaction).
    public static func sizeTiers(_ files: [AddAction]) -> [[AddAction]] {
        let sorted = files.sorted { ($0.size, $0.path) < ($1.size, $1.path) }
        var tiers: [[AddAction]] = []
        var ceiling: Int64 = -1
        for f in sorted {
            if f.size >= ceiling {
                tiers.append([])
                let (c, overflow) = max(f.size, 1).multipliedReportingOverflow(by: tierFactor)
                ceiling = overflow ? Int64.max : c
            }
            tiers[tiers.count - 1].append(f)
        }
        return tiers
    }
    public var writerOptions: TableWriterOptions

    /// Delta's and delta-rs's order of magnitude for a compacted file: 128 MiB.
    public static let defaultTargetFileBytes: Int64 = 128 << 20

    public init(table: DeltaTable, targetFileBytes: Int64 = Optimize.defaultTargetFileBytes, minFiles: Int = 2, partitionFilter: ScanPredicate? = nil,
                maxAttempts: Int = 3, writerOptions: TableWriterOptions = TableWriterOptions()) {
        self.table = table
        self.targetFileBytes = targetFileBytes
        self.minFiles = minFiles
        self.partitionFilter = partitionFilter
        self.maxAttempts = maxAttempts
        var o = writerOptions
        o.orphanGracePeriodMillis = nil  // the caller's writer already cleaned; do not list _staging per bin
        o.maxRowsPerFile = nil
        o.autoCompaction = nil  // a compaction never triggers another
        o.beforeCommit = nil
        self.writerOptions = o
    }

    /// What happened to one partition.
    public struct PartitionOutcome: Sendable, Equatable {
        /// The partition directory (`fs_year=2019/fs_month=1/fs_day=30`; "" unpartitioned).
        public var partition: String
        public var filesRemoved: Int
        public var filesAdded: Int
        public var bytesRemoved: Int64
        public var bytesAdded: Int64
        public var rows: Int64
        /// Versions committed for this partition.
        public var versions: [Int64]
        /// Set when the partition was given up after `maxAttempts` conflicts.
        public var skippedReason: String?
    }

    public struct Result: Sendable, Equatable {
        public var partitions: [PartitionOutcome]
        public var filesRemoved: Int { partitions.reduce(0) { $0 + $1.filesRemoved } }
        public var filesAdded: Int { partitions.reduce(0) { $0 + $1.filesAdded } }
        public var skipped: Int { partitions.filter { $0.skippedReason != nil }.count }
        /// The table after the last commit (or as read, when nothing was compacted).
        public var version: Int64
    }

    /// Compacts every eligible partition of the newest snapshot.
    public func run() throws -> Result {
        try run(startingFrom: try table.snapshot())
    }

    /// Compacts every eligible partition of `base`, a snapshot of this table the caller already
    /// holds (a writer right after its commit): no replay of the log. A newer table is caught
    /// up with by the commits, which conflict with no append.
    public func run(startingFrom base: Snapshot) throws -> Result {
        var snapshot = base
        var outcomes: [PartitionOutcome] = []
        for partition in candidatePartitions(snapshot) {
            // Each partition starts from the table after the previous one's commits: starting
            // every partition from the first snapshot would lose a race per earlier commit and
            // replay all of them (quadratic in partitions).
            let (o, after) = try compactTracking(partition: partition, startingFrom: snapshot)
            snapshot = after
            if o.filesRemoved > 0 || o.skippedReason != nil { outcomes.append(o) }
        }
        return Result(partitions: outcomes, version: snapshot.version)
    }

    /// Partitions (log partition values) of `snapshot` with at least `minFiles` small files
    /// that match the filter, in directory order.
    public func candidatePartitions(_ snapshot: Snapshot, only: [StringMap]? = nil) -> [StringMap] {
        var counts: [String: (values: StringMap, small: Int)] = [:]
        for f in snapshot.files.values where f.size < targetFileBytes {
            if let only, !only.contains(where: { DeltaTable.samePartition($0, f.partitionValues) }) { continue }
            let dir = PartitionValues.directory(columns: snapshot.partitionColumns, values: f.partitionValues)
            counts[dir, default: (f.partitionValues, 0)].small += 1
        }
        let fields = snapshot.partitionFields
        return counts.keys.sorted().compactMap { dir in
            let c = counts[dir]!
            guard c.small >= max(minFiles, 2) else { return nil }
            if let filter = partitionFilter {
                guard let typed = try? PartitionValues.typedValues(c.values, fields: fields, file: dir),
                      PartitionFilter.matches(filter, values: typed, fields: fields) else { return nil }
            }
            return c.values
        }
    }

    /// Compacts one partition, bin by bin. The bins are planned once, so a file this run wrote
    /// is never compacted again by it; after a conflict the bin loses the files that are gone and
    /// is retried (while it still has two), up to `maxAttempts` conflicts for the partition.
    public func compact(partition: StringMap, startingFrom base: Snapshot) throws -> PartitionOutcome {
        try compactTracking(partition: partition, startingFrom: base).outcome
    }

    /// `compact`, also returning the table after the last commit it made (or `base`).
    func compactTracking(partition: StringMap, startingFrom base: Snapshot) throws -> (outcome: PartitionOutcome, snapshot: Snapshot) {
        let dir = PartitionValues.directory(columns: base.partitionColumns, values: partition)
        var outcome = PartitionOutcome(partition: dir, filesRemoved: 0, filesAdded: 0, bytesRemoved: 0, bytesAdded: 0, rows: 0, versions: [], skippedReason: nil)
        var snapshot = base
        var conflicts = 0
        for planned in plan(base, partition: partition) {
            var bin = planned
            while bin.count >= 2 {
                do {
                    let (result, added, rows) = try rewrite(bin, snapshot: snapshot)
                    if let v = result.version {
                        outcome.versions.append(v)
                        outcome.filesRemoved += bin.count
                        outcome.bytesRemoved += bin.reduce(0) { $0 + $1.size }
                        outcome.filesAdded += added.count
                        outcome.bytesAdded += added.reduce(0) { $0 + $1.size }
                        outcome.rows += rows
                    }
                    snapshot = result.snapshot
                    break
                } catch let e as DeltaLogError {
                    guard case .concurrentModification = e else { throw e }
                    conflicts += 1
                    if conflicts >= maxAttempts {
                        outcome.skippedReason = e.description
                        return (outcome, snapshot)
                    }
                    snapshot = try table.snapshot(holdingTombstones: base.holdsTombstones)
                    bin = bin.filter { snapshot.files[$0.path] != nil }
                }
            }
        }
        return (outcome, snapshot)
    }

    /// The bins of `partition` worth rewriting: small files in path order, packed greedily up to
    /// the target; only bins of two files or more.
    func plan(_ snapshot: Snapshot, partition: StringMap) -> [[AddAction]] {
        var small = snapshot.files.values
            .filter { $0.size < targetFileBytes && DeltaTable.samePartition($0.partitionValues, partition) }
            .sorted { $0.path < $1.path }
        guard small.count >= max(minFiles, 2) else { return [] }
        // (tiers keep size order; bin packing below then fills bins in that order)
        if mergesOneSizeTier {
            guard let tier = Optimize.sizeTiers(small).first(where: { $0.count >= max(minFiles, 2) }) else { return [] }
            small = tier
        }
        var bins: [[AddAction]] = []
        var current: [AddAction] = []
        var bytes: Int64 = 0
        for f in small {
            if !current.isEmpty && bytes + f.size > targetFileBytes {
                bins.append(current)
                current = []
                bytes = 0
            }
            current.append(f)
            bytes += f.size
        }
        bins.append(current)
        return bins.filter { $0.count >= 2 }
    }

    /// Reads the files of `bin` and commits them as one file, removing them.
    private func rewrite(_ bin: [AddAction], snapshot: Snapshot) throws -> (CommitResult, [AddAction], Int64) {
        let writer = try TableWriter(table: table, snapshot: snapshot, options: writerOptions)
        let dataColumns = snapshot.dataSchema.names
        var scan = try TableScan(snapshot: snapshot, columns: dataColumns, onlyPaths: Set(bin.map(\.path)))
        var rows: Int64 = 0
        do {
            for file in scan.files {
                try scan.forEachBatch(in: file) { batch in
                    try writer.write(batch, rows: 0..<batch.rowCount, partition: file.partitionValues)
                    rows += Int64(batch.rowCount)
                }
            }
            let result = try writer.commit(removing: bin, operation: "OPTIMIZE", dataChange: false)
            var added: [AddAction] = []
            if let v = result.version {
                for case .add(let a) in try LogReplay.readCommit(table.log, version: v) { added.append(a) }
            }
            return (result, added, rows)
        } catch {
            writer.abort()
            throw error
        }
    }
}
