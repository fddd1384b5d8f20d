import FSCore
import FSKafka
import FSTable
import Synchronization

/// Writes the chunks of each micro-batch into the data table on two background threads (lanes,
/// each writing the days given to it), and commits the micro-batches, in order, on a third one,
/// while the ingest thread polls and parses what comes next.
///
/// ```
///  ingest thread:   parse c1 │ parse c2 │ parse c3 ─ enqueue commit 1 │ parse c4 (batch 2) │ parse c5 …
///  lane 1:                   │ c1: days 1, 3 │ c2: day 3 │ c3 … │ stage 1 ─┐ c4: days 5, 6 │ …
///  lane 2:                   │ c1: day 2 │ c2: days 2, 4 │ c3 … │ stage 1 ─┤ c4: day 7 │ …
///  committer queue:                                               the lane staging last ─► commit 1: quarantine,
///                                                                 finish both lanes' day files, fsync, rename,
///                                                                 one log entry ─► completed ─► ingest thread:
///                                                                 counters, group offsets
/// ```
/// Why: parsing JSON and encoding Parquet are each about half of the work, and a commit
/// (finishing ~25 day files — their last pages compressed, footers, fsyncs —, renames, the log
/// entry) used to stop the writer, and soon the parser, for its whole duration. Now a lane
/// only hands the batch's open files over (`TableWriter.stage`) and encodes the next batch
/// while they are finished and committed; it waits for the commit only when the two batches'
/// files together would pass its share of the memory budget, or when it closes the next batch
/// before the previous one is in.
///
/// Why two lanes: with one writer thread, its own encoding was the critical path — while the
/// parser waited at the hand-off, the writer was running, not blocked, ~70% of that time
/// (bench/ANALYSIS.md, issue 15 eighth passes). Both lanes get every chunk and split it by day
/// alike; `DayLanes` gives each day to one lane for the whole micro-batch, so a day is still
/// one file per batch with its rows in the same order. Each lane has half the budget
/// (`TableWriter.makeLane(oneOf:)`), so together they hold what the one writer held.
///
/// Exactly-once is unchanged: batch N's files are staged by each lane after its last chunk and
/// before batch N+1's first, the lane that stages last queues the commit of both (so commits are
/// queued in batch order), commits run one at a time in that order on the committer queue (each
/// on the snapshot the previous one produced) as one log entry, and each carries the txn
/// versions the ingest thread fixed when it closed the batch. After the first failure of any
/// queue every later commit is dropped (a later commit must never land after a failed earlier
/// one; a dropped staged commit deletes its files) and the error is rethrown to the ingest
/// thread by its next `collect`.
///
/// Invariant that makes `@unchecked Sendable` sound: after `init`, each lane's `TableWriter` is
/// touched only by its lane's tasks, the data `TableWriter` (which only commits) and the
/// quarantine writer only by `committer`'s tasks; the phase times and finished commits are
/// behind mutexes.
final class ChunkWriter: @unchecked Sendable {
    private let writer: TableWriter
    private let quarantineWriter: TableWriter
    private let lanes: [Lane]
    /// Commits staged batches, one at a time, in order.
    private let committer: BackgroundWriter
    /// Lane-thread seconds (`write`, `stage`, `commitWait`), summed over the lanes.
    private let writeTimes = Mutex(IngestPhases())
    /// Committer-thread seconds (`quarantineCommit`, `dataCommit`, `commitWait`).
    private let commitTimes = Mutex(IngestPhases())
    /// Finished commits not yet collected by the ingest thread.
    private let completed = Mutex<[Commit]>([])

    /// One writer thread and its lane of the data table.
    private final class Lane: @unchecked Sendable {
        let index: Int
        let writer: TableWriter
        let background: BackgroundWriter
        /// Which lane writes each day of the micro-batch (lane thread only; every lane keeps the
        /// same copy, decided from the same chunks).
        var days: DayLanes

        init(index: Int, lanes: Int, writer: TableWriter, maxInFlight: Int) {
            self.index = index
            self.writer = writer
            self.days = DayLanes(lanes: lanes)
            background = BackgroundWriter(label: "fs-ingest.chunk-writer.\(index)", maxInFlight: maxInFlight)
        }

        /// Writes the days of `batch` that are this lane's.
        func write(_ batch: RecordBatch) throws {
            try writer.write(batch) { [self] directory, rows in days.lane(of: directory, rows: rows) == index }
        }
    }

    /// The lanes' staged commits of one micro-batch, gathered until the last lane staged.
    private final class StagedBatch: Sendable {
        private let staged: Mutex<[StagedCommit?]>

        init(lanes: Int) { staged = Mutex(Array(repeating: nil, count: lanes)) }

        /// Adds lane `lane`'s staged commit; returns all of them, in lane order, once every lane's is in.
        func add(_ s: StagedCommit, lane: Int) -> [StagedCommit]? {
            staged.withLock { all in
                all[lane] = s
                let done = all.compactMap { $0 }
                return done.count == all.count ? done : nil
            }
        }
    }

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
        /// Table version written (set on the committer thread).
        var version: Int64? = nil
        /// Set on the committer thread when the batch was dropped: a txn had moved (another
        /// member owns the partition now), so nothing of the batch was committed.
        var fence: TxnFence? = nil
    }

    /// `lanes` (≥ 1) writer threads, each a `TableWriter.makeLane(oneOf:)` of `writer` with up to
    /// `maxInFlight` chunks queued.
    init(writer: TableWriter, quarantineWriter: TableWriter, lanes: Int = 2, maxInFlight: Int = 2) throws {
        self.writer = writer
        self.quarantineWriter = quarantineWriter
        let count = max(1, lanes)
        self.lanes = try (0..<count).map { Lane(index: $0, lanes: count, writer: try writer.makeLane(oneOf: count), maxInFlight: maxInFlight) }
        // No commit waits behind the running one: a lane hands batch N+1's files over only once
        // batch N's commit returned, so at most two batches' files are held (and each lane's
        // budget waits for the older one before they pass it together).
        self.committer = BackgroundWriter(label: "fs-ingest.committer", maxInFlight: 1)
    }

    /// Queues `batch` for writing on every lane (each writes its days); blocks while a lane has
    /// `maxInFlight` tasks pending. Returns the seconds spent blocked.
    @discardableResult
    func submit(_ batch: RecordBatch) -> Double {
        var waited = 0.0
        for lane in lanes {
            waited += lane.background.enqueue { [self] in
                let t0 = monotonicSeconds()
                defer { writeTimes.withLock { $0.write += monotonicSeconds() - t0 } }
                try lane.write(batch)
            }
        }
        return waited
    }

    /// Queues the commit of the micro-batch whose chunks were submitted before; returns the
    /// seconds spent blocked. Its outcome comes back through `collect`.
    @discardableResult
    func submitCommit(_ commit: Commit) -> Double {
        let batch = StagedBatch(lanes: lanes.count)
        var waited = 0.0
        for lane in lanes {
            waited += lane.background.enqueue { [self] in
                guard !committer.hasFailed else { return }  // nothing after a failed commit
                let t0 = monotonicSeconds()
                lane.days.startMicroBatch()
                let staged = lane.writer.stage()
                let t1 = monotonicSeconds()
                // The last lane to stage queues the commit of all (a failed lane never stages: the
                // others' staged files are deleted when `batch` is freed).
                guard let all = batch.add(staged, lane: lane.index) else {
                    writeTimes.withLock { $0.stage += t1 - t0 }
                    return
                }
                let waited = committer.enqueue { [self] in
                    var done = commit
                    (done.version, done.fence) = try run(commit, all)
                    completed.withLock { $0.append(done) }
                }
                writeTimes.withLock { $0.stage += t1 - t0; $0.commitWait += waited }
            }
        }
        return waited
    }

    /// Quarantine first, then the data table (the source of truth); see `IngestJob`. Either
    /// commit finding a txn moved since the batch began (fenced, or already past ours) drops
    /// the rest of the batch: another member owns the partition now.
    private func run(_ c: Commit, _ staged: [StagedCommit]) throws -> (Int64?, TxnFence?) {
        let t0 = monotonicSeconds()
        if let q = c.quarantine {
            try quarantineWriter.write(q)
            let r = try quarantineWriter.commit(txns: c.quarantineTxns, expectedTxns: c.expectedQuarantineTxns, operation: "STREAMING UPDATE")
            if let f = fence(r, c.expectedQuarantineTxns) {
                for s in staged { writer.discard(s) }
                return (nil, f)
            }
            if let t = r.existingTxn { throw concurrentWriter(quarantineWriter, t, c.quarantineTxns) }
        }
        let t1 = monotonicSeconds()
        commitTimes.withLock { $0.quarantineCommit += t1 - t0 }
        let r = try writer.commit(lanes: staged, txns: c.dataTxns, expectedTxns: c.expectedDataTxns, operation: "STREAMING UPDATE")
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
        if let failure = committer.failure ?? lanes.lazy.compactMap(\.background.failure).first { throw failure }
        return []
    }

    /// Waits until every queued write and commit ran; returns the seconds waited. Errors surface
    /// through the `collect` that follows.
    @discardableResult
    func drain() -> Double { lanes.reduce(0) { $0 + $1.background.drain() } + committer.drain() }

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

/// Which lane writes each day (partition directory) of a micro-batch: a day seen for the first
/// time goes to the lane with the fewest rows given so far in the batch (ties to the lower
/// lane), and stays there until `startMicroBatch`.
///
/// Every lane keeps its own copy and feeds it every chunk's days in the same order (ascending,
/// from `PartitionSplitter`), so all copies agree without a lock; balancing by rows given, not
/// rows written, is what keeps them equal. A day is written by one lane per batch: one file per
/// day and batch, as with one writer.
struct DayLanes {
    private let lanes: Int
    private var laneOfDay: [String: Int] = [:]
    /// Rows given to each lane in the micro-batch.
    private var rows: [Int]

    init(lanes: Int) {
        self.lanes = max(1, lanes)
        rows = Array(repeating: 0, count: self.lanes)
    }

    /// The lane of `day`, which has `rows` more rows in the chunk at hand.
    mutating func lane(of day: String, rows n: Int) -> Int {
        let l: Int
        if let known = laneOfDay[day] {
            l = known
        } else {
            l = rows.indices.min { (rows[$0], $0) < (rows[$1], $1) } ?? 0
            laneOfDay[day] = l
        }
        rows[l] += n
        return l
    }

    /// Forgets the days: the next batch places them afresh.
    mutating func startMicroBatch() {
        laneOfDay.removeAll(keepingCapacity: true)
        for i in rows.indices { rows[i] = 0 }
    }
}
