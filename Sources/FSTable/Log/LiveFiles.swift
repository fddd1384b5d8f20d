/// The live files, tombstones and application transactions of a table, and the rules by which
/// `add`, `remove` and `txn` actions change them (§3.6).
///
/// One routine for both ways a snapshot grows — replay from the log (`SnapshotBuilder`) and a
/// writer folding in its own or a winner's commit (`Snapshot.apply`) — so the two cannot drift
/// apart (they once did, when only one of them learned `holdsTombstones`).
struct LiveFiles: Sendable {
    /// Live files by path.
    var files: [String: AddAction] = [:]
    /// Removed files by path; stays empty when `holdsTombstones` is false.
    var tombstones = TombstoneSet()
    /// False: a remove only takes the file out of `files` (see `Snapshot.holdsTombstones`).
    var holdsTombstones: Bool
    /// Latest `txn` per application id.
    var txns: [String: TxnAction] = [:]
    /// Packs the statistics of the files added while the snapshot does not hold tombstones, made
    /// from the first statistics it sees (`FileStatisticsText`).
    private var packer: StatisticsPacker?

    init(holdsTombstones: Bool) { self.holdsTombstones = holdsTombstones }

    /// Whether added files keep their statistics packed: in the snapshot of a long-running
    /// writer or tailing reader (`Snapshot.holdsTombstones` false), whose memory would otherwise
    /// grow by ~2.5 KB with every file the stream writes; snapshots for one-off reads keep the text.
    var packsStatistics: Bool { !holdsTombstones }

    /// Live files before a packing snapshot starts to pack (the first ones stay text, ~2.5 MB at
    /// most for order events). Packing is one zstd call per file at every replay (`zstd -b3 -D`
    /// on these documents: ~450 MB/s, ~6 µs for 2.5 KB, plus loading the reference each time), and
    /// fs-agg-online replays its 365-file input and output tables several times before its first
    /// chunk, on its serial start.
    static let filesBeforePacking = 1_000

    /// Applies one action in log order; protocol, metadata and commit info leave it unchanged.
    mutating func apply(_ a: Action) {
        switch a {
        case .add(var add):
            if packsStatistics, files.count >= Self.filesBeforePacking, let text = add.statisticsText, !text.isPacked {
                if packer == nil, let reference = add.stats { packer = StatisticsPacker(reference: reference) }
                if let packer { add.statisticsText = text.packed(by: packer) }
            }
            files[add.path] = add
            if holdsTombstones { tombstones.remove(path: add.path) }
        case .remove(let r):
            files[r.path] = nil
            if holdsTombstones { tombstones.insert(Tombstone(r), path: r.path) }
        case .txn(let t): txns[t.appId] = t
        case .protocol, .metadata, .commitInfo, .unknown: break
        }
    }
}
