import FSCore

/// Compaction by the streaming writers themselves, so a table committed to every second for
/// weeks keeps a bounded number of live files per partition.
///
/// ```
///  TableWriter.commit ──► data commit v ──► among the partitions v wrote to, the one with the
///  fullest size tier of files < targetFileBytes; ≥ minFiles in it? ──► Optimize of that tier,
///  in its own dataChange=false commit(s), on the writer's thread
/// ```
/// Merging one size tier (files within a factor `Optimize.tierFactor` of each other), not every
/// small file, makes it size-tiered: 50 one-batch files become one, 50 of those become one, and
/// so on, so a row is rewritten about once per tier and the live files per partition stay below
/// `minFiles` per tier (a handful of tiers up to the target size).
/// At most one partition per data commit, so a writer never stalls for more than one
/// compaction; another partition past the threshold is compacted after the next commit that
/// writes to it. The compaction conflicts with no append (see `Optimize`); a conflict with
/// another compaction skips it (the next commit tries again), and any failure is reported in
/// `CommitResult.compactionError` without failing the data commit, which is already durable.
///
/// The table property `delta.autoOptimize.autoCompact` is honoured: `false` turns it off for
/// every writer, `true` turns it on (with these defaults) for writers that did not configure it.
public struct AutoCompaction: Sendable, Equatable {
    /// Small files a partition must hold to be compacted (Delta's auto compaction uses 50).
    public var minFiles: Int
    /// A file under this size is small; compacted files aim at it.
    public var targetFileBytes: Int64

    public static let defaultMinFiles = 50

    /// The row-group size of the files auto-compaction writes, at most (the writer's own
    /// `rowGroupBytes`, 128 MiB by default, when smaller). The writer buffers a row group until
    /// it is this large, so with 128 MiB the merge of the largest size tier held the whole
    /// output file in memory: on the long-stream bench (4,000 commits) the compacting ingest
    /// peaked at 102–105 MiB against 76–83 MiB without compaction. Streaming writers compact on
    /// their own thread between commits; their memory should be that of their batches.
    public static let maxRowGroupBytes = 16 << 20

    public init(minFiles: Int = AutoCompaction.defaultMinFiles, targetFileBytes: Int64 = Optimize.defaultTargetFileBytes) {
        self.minFiles = max(minFiles, 2)
        self.targetFileBytes = targetFileBytes
    }

    /// The configuration in force for a writer configured with `configured` on `snapshot`'s table.
    public static func effective(_ configured: AutoCompaction?, _ snapshot: Snapshot) -> AutoCompaction? {
        switch snapshot.metadata.configuration[TableProperty.autoCompact]?.lowercased() {
        case "false": return nil
        case "true": return configured ?? AutoCompaction()
        default: return configured
        }
    }

    /// Compacts the partition among `written` with the most small files, when it has at least
    /// `minFiles`; nil when none qualifies.
    func compactOne(of written: [StringMap], table: DeltaTable, snapshot: Snapshot, writerOptions: TableWriterOptions)
        throws -> (partition: Optimize.PartitionOutcome, snapshot: Snapshot)?
    {
        let partitions = DistinctPartitions(written)
        let distinct = partitions.maps
        var small = [[AddAction]](repeating: [], count: distinct.count)
        for f in snapshot.files.values where f.size < targetFileBytes {
            if let i = partitions.position(of: f.partitionValues) { small[i].append(f) }
        }
        // The partition whose fullest size tier is fullest, if that tier has minFiles files.
        let fullest = small.map { files in files.count < minFiles ? 0 : (Optimize.sizeTiers(files).map(\.count).max() ?? 0) }
        guard let best = fullest.indices.max(by: { fullest[$0] < fullest[$1] }), fullest[best] >= minFiles else { return nil }
        var options = writerOptions
        options.parquet.rowGroupBytes = min(options.parquet.rowGroupBytes, Self.maxRowGroupBytes)
        var optimize = Optimize(table: table, targetFileBytes: targetFileBytes, minFiles: minFiles, maxAttempts: 1, writerOptions: options)
        optimize.mergesOneSizeTier = true
        let (outcome, after) = try optimize.compactTracking(partition: distinct[best], startingFrom: snapshot)
        return (outcome, after)
    }
}
