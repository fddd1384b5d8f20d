import FSCore
import FSKafka
import FSTable
import Synchronization

/// Writes the chunks of each micro-batch into the data table and commits the micro-batches, in
/// order, on a background thread, while the ingest thread polls and parses what comes next.
///
/// ```
///  ingest thread:  parse c1 │ parse c2 │ parse c3 ─ enqueue commit 1 │ parse c4 (batch 2) │ parse c5 …
///  writer queue:            │ write c1 │ write c2 │ write c3 │ commit 1 (quarantine, data) │ write c4 …
///                                                                         └─► completed ─► ingest thread:
///                                                                             counters, group offsets
/// ```
/// Why: parsing JSON and encoding Parquet are each about half of the work, and a commit
/// (finishing ~18 day files, their fsyncs, the log entry) used to stop the parser for its whole
/// duration. Now the ingest thread only stops when the writer is `maxInFlight` tasks behind.
///
/// Exactly-once is unchanged: the `BackgroundWriter` is serial, so batch N+1's chunks reach the
/// `TableWriter` only after batch N's commit, and each commit carries the txn versions the
/// ingest thread fixed when it closed the batch. After the first failure every later task is
/// dropped (a later commit must never land after a failed earlier one) and the error is
/// rethrown to the ingest thread by its next `collect`.
///
/// Invariant that makes `@unchecked Sendable` sound: after `init`, both `TableWriter`s and the
/// phase times are touched only by `background`'s tasks; the ingest thread reads the times only
/// through `background.sync`; finished commits are behind a mutex.
final class ChunkWriter: @unchecked Sendable {
    private let writer: TableWriter
    private let quarantineWriter: TableWriter
    private let background: BackgroundWriter
    /// Writer-thread seconds per phase (`write`, `quarantineCommit`, `dataCommit`).
    private var times = IngestPhases()
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
    }

    /// Queues `batch` for writing; blocks while `maxInFlight` tasks are pending. Returns the
    /// seconds spent blocked.
    @discardableResult
    func submit(_ batch: RecordBatch) -> Double {
        background.enqueue { [self] in
            let t0 = monotonicSeconds()
            defer { times.write += monotonicSeconds() - t0 }
            try writer.write(batch)
        }
    }

    /// Queues the commit of the micro-batch whose chunks were submitted before; returns the
    /// seconds spent blocked. Its outcome comes back through `collect`.
    @discardableResult
    func submitCommit(_ commit: Commit) -> Double {
        background.enqueue { [self] in
            var done = commit
            (done.version, done.fence) = try run(commit)
            completed.withLock { $0.append(done) }
        }
    }

    /// Quarantine first, then the data table (the source of truth); see `IngestJob`. Either
    /// commit finding a txn moved since the batch began (fenced, or already past ours) drops
    /// the rest of the batch: another member owns the partition now.
    private func run(_ c: Commit) throws -> (Int64?, TxnFence?) {
        let t0 = monotonicSeconds()
        if let q = c.quarantine {
            try quarantineWriter.write(q)
            let r = try quarantineWriter.commit(txns: c.quarantineTxns, expectedTxns: c.expectedQuarantineTxns, operation: "STREAMING UPDATE")
            if let f = fence(r, c.expectedQuarantineTxns) {
                writer.abort()
                return (nil, f)
            }
            if let t = r.existingTxn { throw concurrentWriter(quarantineWriter, t, c.quarantineTxns) }
        }
        let t1 = monotonicSeconds()
        times.quarantineCommit += t1 - t0
        let r = try writer.commit(txns: c.dataTxns, expectedTxns: c.expectedDataTxns, operation: "STREAMING UPDATE")
        times.dataCommit += monotonicSeconds() - t1
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
        if let failure = background.failure { throw failure }
        return []
    }

    /// Waits until every queued task ran; returns the seconds waited. Errors surface through
    /// the `collect` that follows.
    @discardableResult
    func drain() -> Double { background.drain() }

    /// The writer thread's phase times so far (call after `drain` for final figures).
    var writerTimes: IngestPhases { background.sync { times } }
}
