import FSCore
import FSKafka
import FSTable
import Synchronization

/// Writes the chunks of each micro-batch into the data table on a background thread, and commits
/// the micro-batches, in order, on a second one, while the ingest thread polls and parses what
/// comes next.
///
/// ```
///  ingest thread:   parse c1 │ parse c2 │ parse c3 ─ enqueue commit 1 │ parse c4 (batch 2) │ parse c5 …
///  writer queue:             │ write c1 │ write c2 │ write c3 │ stage 1 │ write c4 │ write c5 …
///  committer queue:                                              └─► commit 1: quarantine, finish the
///                                                                    day files, fsync, rename, log entry
///                                                                         └─► completed ─► ingest thread:
///                                                                             counters, group offsets
/// ```
/// Why: parsing JSON and encoding Parquet are each about half of the work, and a commit
/// (finishing ~25 day files — their last pages compressed, footers, fsyncs —, renames, the log
/// entry) used to stop the writer, and soon the parser, for its whole duration. Now the writer
/// only hands the batch's open files over (`TableWriter.stage`) and encodes the next batch
/// while they are finished and committed; it waits for the commit only when the two batches'
/// files together would pass the table writer's memory budget, or when it closes the next
/// batch before the previous one is in.
///
/// Exactly-once is unchanged: batch N's files are staged after its last chunk and before batch
/// N+1's first, commits run one at a time in staging order on the committer queue (each on the
/// snapshot the previous one produced), and each carries the txn versions the ingest thread
/// fixed when it closed the batch. After the first failure of either queue every later commit
/// is dropped (a later commit must never land after a failed earlier one; a dropped staged
/// commit deletes its files) and the error is rethrown to the ingest thread by its next
/// `collect`.
///
/// Invariant that makes `@unchecked Sendable` sound: after `init`, the data `TableWriter`'s
/// write side is touched only by `background`'s tasks, its commit side and the quarantine
/// writer only by `committer`'s tasks (see `TableWriter.stage`); the phase times and finished
/// commits are behind mutexes.
final class ChunkWriter: @unchecked Sendable {
    private let writer: TableWriter
    private let quarantineWriter: TableWriter
    private let background: BackgroundWriter
    /// Commits staged batches, one at a time, in order.
    private let committer: BackgroundWriter
    /// Writer-thread seconds (`write`, `stage`).
    private let writeTimes = Mutex(IngestPhases())
    /// Committer-thread seconds (`quarantineCommit`, `dataCommit`, `commitWait`).
    private let commitTimes = Mutex(IngestPhases())
    /// Finished commits not yet collected by the ingest thread.
    private let completed = Mutex<[Commit]>([])

    /// One closed micro-batch: what to commit and what the ingest thread does once it is in.
    struct Commit: Sendable {
        /// Quarantine rows of the batch (nil: none) and the txns that mark them committed.
        var quarantine: RecordBatch?
        var quarantineTxns: [TxnAction]
        /// The data table's txns: the last offset of every partition the batch advanced.
        var dataTxns: [TxnAction]
        /// Data rows the batch wrote (for the summary).
        var rows: Int
        /// Next offsets per partition, committed to the group once the table holds the batch.
        var groupOffsets: [TopicPartitionOffset]
        /// Where each partition's data / quarantine txn stood when the batch began (fencing).
        var expectedDataTxns: [TxnFence] = []
        var expectedQuarantineTxns: [TxnFence] = []
        /// Table version written (set on the writer thread).
        var version: Int64? = nil
        /// Set on the writer thread when the batch was dropped: a txn had moved (another
        /// member owns the partition now), so nothing of the batch was committed.
        var fence: TxnFence? = nil
    }

    init(writer: TableWriter, quarantineWriter: TableWriter, maxInFlight: Int = 2) {
        self.writer = writer
        self.quarantineWriter = quarantineWriter
        self.background = BackgroundWriter(label: "fs-ingest.chunk-writer", maxInFlight: maxInFlight)
        // No commit waits behind the running one: the writer thread hands batch N+1's files over
        // only once batch N's commit returned, so at most two batches' files are held (and the
        // table writer's budget waits for the older one before they pass it together).
        self.committer = BackgroundWriter(label: "fs-ingest.committer", maxInFlight: 1)
    }

    /// Queues `batch` for writing; blocks while `maxInFlight` tasks are pending. Returns the
    /// seconds spent blocked.
    @discardableResult
    func submit(_ batch: RecordBatch) -> Double {
        background.enqueue { [self] in
            let t0 = monotonicSeconds()
            defer { writeTimes.withLock { $0.write += monotonicSeconds() - t0 } }
            try writer.write(batch)
        }
    }

    /// Queues the commit of the micro-batch whose chunks were submitted before; returns the
    /// seconds spent blocked. Its outcome comes back through `collect`.
    @discardableResult
    func submitCommit(_ commit: Commit) -> Double {
        background.enqueue { [self] in
            guard !committer.hasFailed else { return }  // nothing after a failed commit
            let t0 = monotonicSeconds()
            let staged = writer.stage()
            let t1 = monotonicSeconds()
            let waited = committer.enqueue { [self] in
                var done = commit
                (done.version, done.fence) = try run(commit, staged)
                completed.withLock { $0.append(done) }
            }
            writeTimes.withLock { $0.stage += t1 - t0; $0.commitWait += waited }
        }
    }

    /// Quarantine first, then the data table (the source of truth); see `IngestJob`. Either
    /// commit finding a txn moved since the batch began (fenced, or already past ours) drops
    /// the rest of the batch: another member owns the partition now.
    private func run(_ c: Commit, _ staged: StagedCommit) throws -> (Int64?, TxnFence?) {
        let t0 = monotonicSeconds()
        if let q = c.quarantine {
            try quarantineWriter.write(q)
            let r = try quarantineWriter.commit(txns: c.quarantineTxns, expectedTxns: c.expectedQuarantineTxns, operation: "STREAMING UPDATE")
            if let f = fence(r, c.expectedQuarantineTxns) {
                writer.discard(staged)
                return (nil, f)
            }
            if let t = r.existingTxn { throw concurrentWriter(quarantineWriter, t, c.quarantineTxns) }
        }
        let t1 = monotonicSeconds()
        commitTimes.withLock { $0.quarantineCommit += t1 - t0 }
        let r = try writer.commit(staged, txns: c.dataTxns, expectedTxns: c.expectedDataTxns, operation: "STREAMING UPDATE")
        commitTimes.withLock { $0.dataCommit += monotonicSeconds() - t1 }
        if let f = fence(r, c.expectedDataTxns) { return (nil, f) }
        if let t = r.existingTxn { throw concurrentWriter(writer, t, c.dataTxns) }
        return (r.version, nil)
    }

    /// The fence of a dropped commit: its own, or — when the batch states expectations — a txn
    /// already at or past ours (which the commit checks first).
    private func fence(_ r: CommitResult, _ expected: [TxnFence]) -> TxnFence? {
        if let f = r.fence { return f }
        guard let t = r.existingTxn, !expected.isEmpty else { return nil }
        return TxnFence(appId: t.appId, expected: expected.first { $0.appId == t.appId }?.expected, found: t.version)
    }

    private func concurrentWriter(_ w: TableWriter, _ t: TxnAction, _ ours: [TxnAction]) -> IngestError {
        .concurrentWriter(table: w.table.root, appId: t.appId, theirs: t.version, ours: ours.first { $0.appId == t.appId }?.version ?? -1)
    }

    /// The commits finished since the last call, oldest first; throws the writer's failure.
    /// Commits that finished before a failure are returned first; the failure on the next call.
    func collect() throws -> [Commit] {
        let done = completed.withLock { c in defer { c.removeAll() }; return c }
        if !done.isEmpty { return done }
        if let failure = committer.failure ?? background.failure { throw failure }
        return []
    }

    /// Waits until every queued write and commit ran; returns the seconds waited. Errors surface
    /// through the `collect` that follows.
    @discardableResult
    func drain() -> Double { background.drain() + committer.drain() }

    /// The writer and committer threads' phase times so far (call after `drain` for final
    /// figures). Read under the mutexes, not on the queues: `--metrics-file` reads them after
    /// every micro-batch, and a queue sync would wait for the writes and the commit in flight.
    var writerTimes: IngestPhases {
        var p = writeTimes.withLock { $0 }
        let c = commitTimes.withLock { $0 }
        p.quarantineCommit = c.quarantineCommit
        p.dataCommit = c.dataCommit
        return p
    }
}
