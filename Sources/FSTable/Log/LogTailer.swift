import FSCore

/// The data changes of one commit, as a streaming reader consumes them (§3.9).
public struct TailedCommit: Sendable, Equatable {
    public var version: Int64
    /// New files with `dataChange: true`, in commit order. Compaction adds are left out.
    public var adds: [AddAction]
    /// Removals with `dataChange: true` (deletes/updates; Spark's source fails on them unless told
    /// to ignore changes — the caller decides). Compaction removes are left out.
    public var removes: [RemoveAction]
    /// Progress markers written with the data.
    public var txns: [TxnAction]
    /// A schema/properties change: the reader must re-plan or stop.
    public var metadata: MetadataAction?
    public var protocolAction: ProtocolAction?
}

/// Yields the commits after a version as they appear: a streaming reader's view of a table.
///
/// Commit files appear complete (they are published with link(2)), so seeing
/// `%020d.json` for v+1 means it can be read whole. A missing v+1 while a later version
/// exists (log cleanup overtook the reader) is `DeltaLogError.missingVersion`.
public struct LogTailer: Sendable {
    public let log: LogPath
    /// The last version returned (or the starting point).
    public private(set) var lastVersion: Int64

    /// A commit the caller already holds, returned by `poll` when its version comes up
    /// instead of its file being read and parsed again.
    private var known: TailedCommit?

    /// Tails commits after `version` (use -1 to start at the table's creation). `known` is a
    /// commit the caller already read — typically `Snapshot.newestCommit` of the snapshot it
    /// started from, when it tails from before that snapshot.
    public init(log: LogPath, after version: Int64, known: TailedCommit? = nil) {
        self.log = log
        self.lastVersion = version
        self.known = known.flatMap { $0.version > version ? $0 : nil }
    }

    /// Tails a table from just after a snapshot whose files the caller already processed.
    public init(after snapshot: Snapshot) {
        self.init(log: LogPath(root: snapshot.root), after: snapshot.version)
    }

    /// The commits after `lastVersion` that exist now, at most `limit`, in version order.
    /// Empty when nothing new was committed.
    public mutating func poll(limit: Int = Int.max) throws -> [TailedCommit] {
        var out: [TailedCommit] = []
        while out.count < limit {
            let next = lastVersion + 1
            guard FileSystem.exists(log.commitFile(next)) else {
                if let latest = try LogReplay.list(log).commits.last, latest > next {
                    throw DeltaLogError.missingVersion(table: log.root, version: next)
                }
                break
            }
            if let k = known, k.version == next {
                out.append(k)
                known = nil
            } else {
                out.append(LogTailer.dataChanges(of: try LogReplay.readCommit(log, version: next), version: next))
            }
            lastVersion = next
        }
        return out
    }

    /// Filters one commit's actions down to what a streaming reader acts on.
    public static func dataChanges(of actions: [Action], version: Int64) -> TailedCommit {
        var c = TailedCommit(version: version, adds: [], removes: [], txns: [], metadata: nil, protocolAction: nil)
        for a in actions {
            switch a {
            case .add(let add) where add.dataChange: c.adds.append(add)
            case .remove(let r) where r.dataChange: c.removes.append(r)
            case .txn(let t): c.txns.append(t)
            case .metadata(let m): c.metadata = m
            case .protocol(let p): c.protocolAction = p
            default: break
            }
        }
        return c
    }
}
