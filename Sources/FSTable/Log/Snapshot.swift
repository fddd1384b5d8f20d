import FSCore

/// The state of a Delta table at one version: the result of log replay (§3.6).
///
/// Live files are keyed by their decoded relative path; `sortedFiles` gives them in path order
/// for deterministic scans. `apply` folds one more commit in, which is how a writer that lost a
/// commit race catches up without replaying from scratch.
public struct Snapshot: Sendable {
    /// The table directory.
    public let root: String
    public private(set) var version: Int64
    public private(set) var protocolAction: ProtocolAction
    public private(set) var metadata: MetadataAction
    /// Full table schema, partition columns included (from `metadata.schemaString`).
    public private(set) var schema: Schema
    /// Live files, tombstones and transactions, with the rules that change them.
    private(set) var live: LiveFiles
    /// Live files by path.
    public var files: [String: AddAction] { live.files }
    /// Removed files by path, within the retention (kept for checkpoints and vacuum decisions;
    /// compact, see `TombstoneSet`). Always empty when `holdsTombstones` is false.
    public var tombstones: TombstoneSet { live.tombstones }
    /// False for the snapshot of a long-running writer (or a tailing reader): it keeps no
    /// tombstone, and its checkpoints read them back from the log (`LogTombstones`).
    ///
    /// A compacting stream removes a file every few seconds and keeps each tombstone for the
    /// 7-day retention, so a snapshot that held them grew with every file the table ever had,
    /// about 200 bytes each (issue #13, item 5); a writer reads tombstones only to write
    /// checkpoints, which are rare and can stream them from the previous checkpoint and the
    /// JSON commits since it. Vacuum, time travel and `fs-table info` replay with tombstones.
    public var holdsTombstones: Bool { live.holdsTombstones }
    /// Latest `txn` per application id.
    public var txns: [String: TxnAction] { live.txns }
    /// The newest checkpoint at or below `version` this snapshot knows of (replay started from
    /// it, or a commit through this snapshot wrote it); nil when there is none.
    public private(set) var lastCheckpoint: CheckpointMark?
    /// Bytes of the JSON commits after `lastCheckpoint` (after version -1 without one): what a
    /// reader replays on top of the checkpoint, the input of `CheckpointPolicy`.
    public private(set) var logBytesSinceCheckpoint: Int64 = 0
    /// Actions (all but `commitInfo`) of the JSON commits after `lastCheckpoint`: the rows a
    /// reader replays on top of it, the other input of `CheckpointPolicy`.
    public private(set) var actionsSinceCheckpoint: Int64 = 0
    /// The data changes of commit `version` when this snapshot was replayed from that commit's
    /// JSON (nil after a checkpoint-only replay or `apply`): a tailing reader that starts at
    /// this snapshot hands it to `LogTailer` instead of parsing the file a second time — the
    /// bench input's one commit of 365 adds is 0.8 MB of JSON, parsed before any row is read.
    public private(set) var newestCommit: TailedCommit?

    /// Reader features fs can honour because they change nothing for it.
    static let supportedReaderFeatures: Set<String> = ["timestampNtz", "vacuumProtocolCheck"]

    /// Builds a snapshot from the actions of a checkpoint and/or commits, in log order.
    init(root: String, version: Int64, actions: some Sequence<Action>, holdingTombstones: Bool = true) throws(DeltaLogError) {
        var builder = SnapshotBuilder(holdingTombstones: holdingTombstones)
        for a in actions { builder.apply(a) }
        try self.init(root: root, version: version, builder: builder)
    }

    init(root: String, version: Int64, builder: SnapshotBuilder) throws(DeltaLogError) {
        guard let p = builder.protocolAction, let m = builder.metadata else {
            throw .corruptAction(file: LogPath(root: root).commitFile(version), line: 0, reason: "no protocol or metaData action up to version \(version)")
        }
        try Snapshot.checkReadable(p)
        self.root = root
        self.version = version
        self.protocolAction = p
        self.metadata = m
        self.schema = try SparkSchema.decode(m.schemaString)
        self.live = builder.live
        self.lastCheckpoint = builder.checkpoint
        self.logBytesSinceCheckpoint = builder.jsonBytes
        self.actionsSinceCheckpoint = builder.jsonActions
        self.newestCommit = builder.newestCommit?.version == version ? builder.newestCommit : nil
        try checkPartitionColumns()
    }

    /// Folds in the actions of commit `version` (which must be `self.version + 1`).
    /// `commitBytes` is the size of the commit file (estimated from the actions when nil); it
    /// only feeds the checkpoint policy.
    ///
    /// All or nothing: a protocol fs cannot read or a schema it cannot decode throws before
    /// anything changes, so a writer may advance its one snapshot in place (no copy of every
    /// file and tombstone per commit, see `DeltaTable.commit(_:operation:advancing:)`).
    public mutating func apply(_ actions: [Action], version newVersion: Int64, commitBytes: Int64? = nil) throws(DeltaLogError) {
        precondition(newVersion == version + 1, "snapshot \(version) cannot apply commit \(newVersion)")
        var newProtocol: ProtocolAction?
        var newMetadata: MetadataAction?
        for a in actions {
            switch a {
            case .protocol(let p):
                try Snapshot.checkReadable(p)
                newProtocol = p
            case .metadata(let m): newMetadata = m
            default: break
            }
        }
        var newSchema: Schema?
        if let m = newMetadata {
            let decoded = try SparkSchema.decode(m.schemaString)
            try Snapshot.checkPartitionColumns(m, decoded)
            newSchema = decoded
        }
        logBytesSinceCheckpoint += commitBytes ?? actions.reduce(0) { $0 + Int64($1.json.description.utf8.count + 1) }
        for a in actions {
            if case .commitInfo = a {} else { actionsSinceCheckpoint += 1 }
            live.apply(a)
        }
        newestCommit = nil
        if let newProtocol { protocolAction = newProtocol }
        if let newMetadata, let newSchema {
            metadata = newMetadata
            schema = newSchema
        }
        version = newVersion
    }

    /// Records that the checkpoint of this snapshot's version was written (`bytes` long,
    /// `rows` actions) at `nowMillis`, and forgets the tombstones it left out as expired — so a long-running
    /// writer's snapshot equals a fresh replay from that checkpoint, and its memory follows the
    /// live files, not every file the table ever removed.
    public mutating func noteCheckpoint(bytes: Int64, rows: Int64 = 0, nowMillis: Int64? = nil) {
        lastCheckpoint = CheckpointMark(version: version, bytes: bytes, rows: rows)
        logBytesSinceCheckpoint = 0
        actionsSinceCheckpoint = 0
        if let now = nowMillis, holdsTombstones {
            let cutoff = now - Checkpoint.tombstoneRetentionMillis(self)
            live.tombstones = live.tombstones.filter { $0.isRetained(cutoffMillis: cutoff, nowMillis: now) }
        }
    }

    /// Takes note of a checkpoint another writer wrote (from `_last_checkpoint`) when it is
    /// newer than ours and not beyond this version: a writer that caught up with winners'
    /// commits would otherwise write the same checkpoint again. The JSON bytes since it are
    /// estimated as the share of ours its versions cover.
    public mutating func adoptCheckpoint(_ hint: LastCheckpoint?) {
        guard let h = hint, h.version <= version, h.version > (lastCheckpoint?.version ?? -1) else { return }
        let since = Double(version - h.version), span = Double(version - (lastCheckpoint?.version ?? -1))
        logBytesSinceCheckpoint = span > 0 ? Int64(Double(logBytesSinceCheckpoint) * since / span) : 0
        actionsSinceCheckpoint = span > 0 ? Int64(Double(actionsSinceCheckpoint) * since / span) : 0
        lastCheckpoint = CheckpointMark(version: h.version, bytes: h.sizeInBytes ?? 0, rows: h.size)
    }

    public var partitionColumns: [String] { metadata.partitionColumns }

    /// The columns stored inside the data files: the schema without partition columns.
    public var dataSchema: Schema {
        let parts = Set(partitionColumns.map { $0.lowercased() })
        return Schema(schema.fields.filter { !parts.contains($0.name.lowercased()) })
    }

    /// The partition columns as typed fields, in partition order.
    public var partitionFields: [Field] { partitionColumns.compactMap { schema.field(named: $0) } }

    /// Live files in path order.
    public var sortedFiles: [AddAction] { files.values.sorted { $0.path < $1.path } }

    /// The last committed version of `appId`, nil if it never committed (§3.7).
    public func txnVersion(appId: String) -> Int64? { txns[appId]?.version }

    /// Table property `delta.checkpointInterval` (default 10, as Spark). With the property
    /// set, a checkpoint follows every that many commits, as in Spark; without it, 10 is the
    /// least number of commits between checkpoints of the size-based `CheckpointPolicy`.
    public var checkpointInterval: Int64 {
        explicitCheckpointInterval ?? 10
    }

    /// `delta.checkpointInterval` when the table sets it (a positive integer), else nil.
    public var explicitCheckpointInterval: Int64? {
        metadata.configuration[TableProperty.checkpointInterval].flatMap { Int64($0) }.flatMap { $0 > 0 ? $0 : nil }
    }

    /// Absolute path of a data file of this table.
    public func absolutePath(_ relativeOrAbsolute: String) -> String {
        relativeOrAbsolute.hasPrefix("/") ? relativeOrAbsolute : root + "/" + relativeOrAbsolute
    }

    static func checkReadable(_ p: ProtocolAction) throws(DeltaLogError) {
        if p.minReaderVersion <= 1 { return }
        if p.minReaderVersion == 3, Set(p.readerFeatures ?? []).isSubset(of: supportedReaderFeatures) { return }
        throw .unsupportedProtocol(reader: p.minReaderVersion, writer: p.minWriterVersion)
    }

    private func checkPartitionColumns() throws(DeltaLogError) {
        try Snapshot.checkPartitionColumns(metadata, schema)
    }

    private static func checkPartitionColumns(_ metadata: MetadataAction, _ schema: Schema) throws(DeltaLogError) {
        for c in metadata.partitionColumns where schema.field(named: c) == nil {
            throw .invalidSchema(reason: "partition column \(c) is not in the schema")
        }
    }
}

/// Names of the table properties (`metaData.configuration`) fs reads.
public enum TableProperty {
    /// Commits between two checkpoints.
    public static let checkpointInterval = "delta.checkpointInterval"
    /// How long tombstones stay in checkpoints and how old an unreferenced file must be before
    /// `vacuum` deletes it (`interval 1 week` style; default 7 days).
    public static let deletedFileRetentionDuration = "delta.deletedFileRetentionDuration"
    /// How long commit files and checkpoints are kept before log cleanup may remove them
    /// (`interval 30 days` style; default 30 days).
    public static let logRetentionDuration = "delta.logRetentionDuration"
    /// Whether log cleanup runs after checkpoints (`true` by default, as in Delta).
    public static let enableExpiredLogCleanup = "delta.enableExpiredLogCleanup"
    /// Databricks' auto-compaction switch; fs's streaming writers honour `false` (and `true`).
    public static let autoCompact = "delta.autoOptimize.autoCompact"
    /// Columns with statistics (default 32).
    public static let dataSkippingNumIndexedCols = "delta.dataSkippingNumIndexedCols"
}

/// Accumulates actions in log order (the reconciliation rules of §3.6).
struct SnapshotBuilder {
    var protocolAction: ProtocolAction?
    var metadata: MetadataAction?
    var live: LiveFiles
    /// The checkpoint replay started from.
    var checkpoint: CheckpointMark?
    /// Bytes of the JSON commits applied after `checkpoint`.
    var jsonBytes: Int64 = 0
    /// Actions (not `commitInfo`) of the JSON commits applied after `checkpoint`.
    var jsonActions: Int64 = 0
    /// The data changes of the last JSON commit applied (see `Snapshot.newestCommit`).
    var newestCommit: TailedCommit?

    init(holdingTombstones: Bool) { live = LiveFiles(holdsTombstones: holdingTombstones) }

    mutating func apply(_ a: Action) {
        switch a {
        case .protocol(let p): protocolAction = p
        case .metadata(let m): metadata = m
        default: live.apply(a)
        }
    }
}

/// A checkpoint's version, size in bytes (all parts together) and rows (actions): what reading
/// it costs in I/O, and what writing it cost in time.
public struct CheckpointMark: Sendable, Equatable {
    public var version: Int64
    public var bytes: Int64
    public var rows: Int64

    public init(version: Int64, bytes: Int64, rows: Int64 = 0) {
        self.version = version
        self.bytes = bytes
        self.rows = rows
    }
}
