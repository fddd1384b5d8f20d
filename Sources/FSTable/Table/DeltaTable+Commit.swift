import FSCore

/// The outcome of `DeltaTable.commit`: expected results are values, not errors.
public struct CommitResult: Sendable {
    /// The version we wrote, or nil when the commit was skipped.
    public var version: Int64?
    /// When skipped: the `txn` already in the table at or beyond ours (the batch is in the table).
    public var existingTxn: TxnAction?
    /// The table after our commit (or as found, when skipped): the base for the next commit.
    public var snapshot: Snapshot
    /// How many commit races were lost before succeeding.
    public var lostRaces: Int
    /// Set when the commit succeeded but the checkpoint after it failed (retried at the next
    /// interval; the commit itself is durable).
    public var checkpointError: String?
    /// Set when a `TableWriter` auto-compacted a partition after this commit (its own,
    /// later `OPTIMIZE` commit; `snapshot` is then the table after it).
    public var compaction: Optimize.PartitionOutcome?
    /// Set when that auto-compaction failed (the data commit itself is durable).
    public var compactionError: String?
    /// Set when the commit was dropped because a txn was not where the caller expected it:
    /// another writer advanced that application since the batch started (writer fencing).
    public var fence: TxnFence?

    public var isCommitted: Bool { version != nil }
}

/// A txn found elsewhere than where a writer's batch started from.
///
/// A streaming writer that lost its Kafka partitions in a rebalance (stalled past the session
/// timeout) may still hold a batch of them; the new owner started from the same table txn and
/// commits its own range. If the stale batch then committed with a higher offset it would
/// duplicate the new owner's rows, and the "already committed" check (table txn ≥ ours) does
/// not catch it. So the writer states where each partition's txn stood when the batch began,
/// and the commit is dropped — as a value, not an error — when the table disagrees.
public struct TxnFence: Sendable, Equatable {
    public var appId: String
    /// The version the batch started from (nil: the application had no txn yet).
    public var expected: Int64?
    /// The version in the table (nil: none).
    public var found: Int64?

    public init(appId: String, expected: Int64?, found: Int64?) {
        self.appId = appId
        self.expected = expected
        self.found = found
    }

    /// The first of `expectations` (appId → version the batch started from) that `snapshot`
    /// contradicts, or nil when every txn is where it was expected.
    public static func check(_ expectations: [TxnFence], in snapshot: Snapshot) -> TxnFence? {
        for e in expectations {
            let found = snapshot.txns[e.appId]?.version
            if found != e.expected { return TxnFence(appId: e.appId, expected: e.expected, found: found) }
        }
        return nil
    }
}

/// What a transaction must not race with, beyond its own actions.
public struct CommitConflicts: Sendable {
    /// Partitions whose content we replace: a concurrent `add` with `dataChange` in one of them
    /// would survive our removes, so it is a conflict.
    public var replacedPartitions: [StringMap]
    /// Where each application's txn must still be (`TxnFence.found` is ignored): a commit that
    /// finds one elsewhere — first or after catching up with a winner — is dropped, `fence` set.
    public var expectedTxns: [TxnFence]

    public init(replacedPartitions: [StringMap] = [], expectedTxns: [TxnFence] = []) {
        self.replacedPartitions = replacedPartitions
        self.expectedTxns = expectedTxns
    }
}

extension DeltaTable {
    /// Commits `actions` (adds, removes, txns; a `commitInfo` is put first) on top of `base`.
    ///
    /// ```
    ///  base.txn[appId] >= ours? ── yes ──► skipped (exactly-once, §3.7)
    ///      │ no
    ///  a txn not where conflicts.expectedTxns says? ── yes ──► dropped, `fence` set (fencing)
    ///      │ no
    ///      ▼
    ///  try version base+1 ── won ──► committed (+ checkpoint by CheckpointPolicy, then log cleanup)
    ///      │ lost
    ///      ▼
    ///  read every newer commit: metaData/protocol change, removal of a file we remove or
    ///  an append into a partition we replace ──► DeltaLogError.concurrentModification;
    ///  their txn[appId] >= ours ──► skipped; a txn moved from where expected ──► fenced;
    ///  otherwise apply them and retry at the next version
    /// ```
    public func commit(_ actions: [Action], operation: String, base: Snapshot, conflicts: CommitConflicts = CommitConflicts(),
                       operationParameters: StringMap = [:], maxLostRaces: Int = 10_000) throws -> CommitResult {
        var snapshot = base
        return try commit(actions, operation: operation, advancing: &snapshot, conflicts: conflicts, operationParameters: operationParameters,
                          maxLostRaces: maxLostRaces)
    }

    /// `commit(_:operation:base:)` for a writer that keeps one snapshot: `snapshot` is advanced
    /// in place through the winners it catches up with and its own commit (on a throw it stays
    /// at the last version it reached, which is a valid snapshot: `Snapshot.apply` is all or
    /// nothing). With the writer holding the only reference, no commit copies the snapshot's
    /// files and tombstones; with `base:` every commit copied them (CPU per commit grew with the
    /// tombstones of a compacting stream, #13).
    package func commit(_ actions: [Action], operation: String, advancing snapshot: inout Snapshot, conflicts: CommitConflicts = CommitConflicts(),
                        operationParameters: StringMap = [:], maxLostRaces: Int = 10_000) throws -> CommitResult {
        let readVersion = snapshot.version
        let ourTxns = actions.compactMap { if case .txn(let t) = $0 { return t } else { return nil } }
        let ourRemoves = Set(actions.compactMap { if case .remove(let r) = $0 { return r.path } else { return nil } })
        if let done = alreadyCommitted(ourTxns, in: snapshot) {
            return CommitResult(version: nil, existingTxn: done, snapshot: snapshot, lostRaces: 0)
        }
        // Applies the commit that won the next version, if any, after checking it against ours.
        func applyNextWinner() throws -> Bool {
            let v = snapshot.version + 1
            guard FileSystem.exists(log.commitFile(v)) else { return false }
            let (winner, bytes) = try LogReplay.readCommitSized(log, version: v)
            try DeltaTable.checkConflicts(winner, version: v, removes: ourRemoves, conflicts: conflicts)
            try snapshot.apply(winner, version: v, commitBytes: bytes)
            return true
        }
        // The end of a commit that writes nothing: ours is already in, or a txn left its fence.
        func settled(lostRaces: Int) -> CommitResult? {
            if let done = alreadyCommitted(ourTxns, in: snapshot) {
                return CommitResult(version: nil, existingTxn: done, snapshot: snapshot, lostRaces: lostRaces)
            }
            guard let fence = TxnFence.check(conflicts.expectedTxns, in: snapshot) else { return nil }
            return CommitResult(version: nil, existingTxn: nil, snapshot: snapshot, lostRaces: lostRaces, fence: fence)
        }
        if !conflicts.expectedTxns.isEmpty {
            // `base` may be older than the table (other members commit too): the fence is
            // judged on the newest version, so catch up first.
            while try applyNextWinner() {}
            if let end = settled(lostRaces: 0) { return end }
        }
        var lost = 0
        while true {
            let version = snapshot.version + 1
            let info = Action.commitInfo(timestampMillis: clock.nowMicros() / 1000, operation: operation, parameters: operationParameters,
                                         readVersion: readVersion, isBlindAppend: ourRemoves.isEmpty)
            let body = [info] + actions.filter { if case .commitInfo = $0 { return false } else { return true } }
            let bytes = LogCommitter.encode(body)
            if try LogCommitter.tryCommit(log, version: version, body: bytes) {
                try snapshot.apply(body, version: version, commitBytes: Int64(bytes.count))
                if lost > 0 && CheckpointPolicy.shouldCheckpoint(snapshot) { snapshot.adoptCheckpoint(LastCheckpoint.read(log)) }
                var result = CommitResult(version: version, existingTxn: nil, snapshot: snapshot, lostRaces: lost)
                if CheckpointPolicy.shouldCheckpoint(snapshot) {
                    do {
                        let now = clock.nowMicros() / 1000
                        let written = try Checkpoint.write(snapshot, log: log, nowMillis: now)
                        result.snapshot.noteCheckpoint(bytes: written.sizeInBytes ?? 0, rows: written.size, nowMillis: now)
                        if LogCleanup.isEnabled(result.snapshot) {
                            do {
                                try LogCleanup(clock: clock).clean(log, newestCheckpoint: version, retentionMillis: LogCleanup.retentionMillis(result.snapshot))
                            } catch { result.checkpointError = "log cleanup: \(error)" }
                        }
                    } catch { result.checkpointError = "\(error)" }
                }
                return result
            }
            lost += 1
            if lost > maxLostRaces { throw DeltaLogError.tooManyCommitRetries(attempts: lost) }
            // Catch up with every winner, checking each for conflicts.
            while try applyNextWinner() {
                if let end = settled(lostRaces: lost) { return end }
            }
        }
    }

    /// The first of `txns` whose application already committed this version or a later one.
    func alreadyCommitted(_ txns: [TxnAction], in snapshot: Snapshot) -> TxnAction? {
        for t in txns {
            if let existing = snapshot.txns[t.appId], existing.version >= t.version { return existing }
        }
        return nil
    }

    /// Rejects a winner's commit that invalidates ours (§3.5, §3.7).
    static func checkConflicts(_ winner: [Action], version: Int64, removes: Set<String>, conflicts: CommitConflicts) throws(DeltaLogError) {
        for a in winner {
            switch a {
            case .metadata: throw .concurrentModification(version: version, reason: "the table metadata (schema or properties) changed")
            case .protocol: throw .concurrentModification(version: version, reason: "the table protocol changed")
            case .remove(let r) where removes.contains(r.path):
                throw .concurrentModification(version: version, reason: "file \(r.path) was removed concurrently")
            case .add(let add) where add.dataChange && !conflicts.replacedPartitions.isEmpty:
                if conflicts.replacedPartitions.contains(where: { samePartition($0, add.partitionValues) }) {
                    throw .concurrentModification(version: version, reason: "data was appended concurrently to replaced partition \(add.partitionValues)")
                }
            default: break
            }
        }
    }

    /// Partition value maps equal regardless of key order ("" and null both mean null).
    static func samePartition(_ a: StringMap, _ b: StringMap) -> Bool {
        guard a.count == b.count else { return false }
        for e in a.entries {
            guard b.contains(e.key) else { return false }
            let x = e.value.flatMap { $0.isEmpty ? nil : $0 }, y = b[e.key].flatMap { $0.isEmpty ? nil : $0 }
            if x != y { return false }
        }
        return true
    }
}
