import Dispatch
import FSCore
import FSExpr

#if canImport(Glibc)
import Glibc
#endif

/// Where the offline pass reads its rows: files of known size, each readable whole or by row
/// groups. FSJobs adapts `TableScan` (`TableScanSource`); tests feed batches from memory, so
/// the engine is tested without a table or a job.
package protocol OfflineBatchSource: Sendable {
    associatedtype Reader: OfflineBatchReader
    /// Compressed size of each file, in scan order (a file's index is its row-stamp prefix).
    var fileSizes: [Int64] { get }
    /// Compressed size of each row group of file `index` (for splitting a file between workers).
    func rowGroupBytes(ofFile index: Int) throws -> [Int64]
    /// A reader for one worker (readers are not shared between threads).
    func makeReader() -> Reader
}

/// One worker's reader of an `OfflineBatchSource`.
package protocol OfflineBatchReader {
    /// Calls `body` with each batch of file `index` (only `rowGroups` when given) and the number,
    /// within the file, of the batch's first row.
    mutating func forEachBatch(inFile index: Int, rowGroups: Range<Int>?, _ body: (RecordBatch, Int64) throws -> Void) throws
    var rowGroupsRead: Int { get }
    var rowGroupsSkipped: Int { get }
}

/// Progress of the pass, told per unit of work (the job logs it; tests may ignore it).
package protocol OfflineProgress: AnyObject, Sendable {
    func unitDone(bytes: Int64, rows: Int64)
    func finish()
}

/// The time range of the pass: rows with `start <= time < end` are folded; `periodStarts[i]` is
/// where the plan's period i begins (its rows are those at or after it).
package struct OfflineFoldRange: Sendable, Equatable {
    package var start: Int64
    package var end: Int64
    package var periodStarts: [Int64]

    package init(start: Int64, end: Int64, periodStarts: [Int64]) {
        self.start = start
        self.end = end
        self.periodStarts = periodStarts
    }
}

/// What the parallel pass over the input produced.
package struct OfflinePassResult {
    /// Tables with disjoint keys (one per key partition), or the one merged table.
    package var aggregators: [GroupedAggregator]
    package var rowsRead: Int64 = 0
    package var rowsInRange: Int64 = 0
    package var rowGroupsRead = 0
    package var rowGroupsSkipped = 0
    /// Threads that read, and the units of work they shared.
    package var workers = 1
    package var units = 0
    /// Wall seconds of the parallel read-and-fold and of the merge of the per-thread tables.
    package var foldSeconds = 0.0
    package var mergeSeconds = 0.0
    /// Whether keys were partitioned between shared tables (else per-thread tables, merged).
    package var isPartitioned = false

    /// Distinct keys over all tables.
    package var groupCount: Int { aggregators.reduce(0) { $0 + $1.groupCount } }
}

/// A unit of work of the pass: a whole file, or one row group of a file when the scan has too
/// few files to keep every thread busy.
package struct ScanUnit: Sendable, Equatable {
    package var fileIndex: Int
    /// nil = every row group of the file.
    package var rowGroups: Range<Int>?
    /// Compressed bytes, for balancing and progress.
    package var bytes: Int64
}

/// One pass over the scan's files: every feature and every period folded at once, on
/// `threads` workers, into tables that partition the keys between them (`KeyPartitions`), or,
/// when an aggregate depends on row order, one `GroupedAggregator` per worker merged at the end.
///
/// ```
///  files ─► units (a file each; a row group each when files < 4 × threads), largest first
///        ──queue──► free worker k: scan copy ──batch──► rows in [start, end) ──► period masks
///                                                     ──► plan.update(&agg_k)
///  agg_0.merge(agg_1 … agg_n) ──► one table, memory ∝ distinct keys
/// ```
/// Row stamps are `(file index << 32) + row in file`, so `first`/`last` pick the same row
/// whatever the thread count and split. Which worker folds which unit depends on the machine's
/// load, so floating sums may differ in their last bits between runs (as in Spark).
package struct OfflineEngine {
    let plan: FeaturePlan
    let range: OfflineFoldRange
    /// Position of the time field in `plan.schema`.
    let timeIndex: Int
    let threads: Int
    let nowMicros: Int64

    package init(plan: FeaturePlan, range: OfflineFoldRange, timeIndex: Int, threads: Int, nowMicros: Int64) {
        precondition(range.periodStarts.count == plan.periods.count, "one period start per period of the plan")
        self.plan = plan
        self.range = range
        self.timeIndex = timeIndex
        self.threads = threads
        self.nowMicros = nowMicros
    }

    /// Units per thread below which files are split into row groups.
    static let unitsPerThread = 4

    /// The units of work: one per file, or one per row group when there are fewer than
    /// `unitsPerThread × threads` files (a single big file is then still read on all cores).
    package static func units(of source: some OfflineBatchSource, threads: Int) throws -> [ScanUnit] {
        let files = source.fileSizes
        if threads <= 1 || files.count >= threads * unitsPerThread {
            return files.enumerated().map { ScanUnit(fileIndex: $0.offset, rowGroups: nil, bytes: $0.element) }
        }
        var units: [ScanUnit] = []
        for i in files.indices {
            for (g, bytes) in try source.rowGroupBytes(ofFile: i).enumerated() {
                units.append(ScanUnit(fileIndex: i, rowGroups: g..<(g + 1), bytes: bytes))
            }
        }
        return units
    }

    /// Folds every unit of `source`; `makeProgress(units, bytes, unitName)` gives the progress
    /// sink of the pass (unitName is "files" or "row groups").
    package func run<Source: OfflineBatchSource>(
        _ source: Source, makeProgress: (Int, Int64, String) -> (any OfflineProgress)? = { _, _, _ in nil }
    ) throws -> OfflinePassResult {
        let units = try Self.units(of: source, threads: threads)
        let workers = max(1, min(threads, units.count))
        // Largest units first, handed out one at a time to whichever worker is free: on a busy
        // machine a worker that gets less CPU simply takes fewer units (a static split would
        // leave the others idle waiting for it).
        let order = units.indices.sorted { units[$0].bytes != units[$1].bytes ? units[$0].bytes > units[$1].bytes : $0 < $1 }
        let queue = UnitQueue(count: order.count)
        let slots = WorkerSlots(count: workers)
        let splitsFiles = units.contains { $0.rowGroups != nil }
        let progress = makeProgress(units.count, units.reduce(0) { $0 + max(1, $1.bytes) }, splitsFiles ? "row groups" : "files")
        // Several workers and no row-order-dependent aggregate: keys partitioned between shared
        // tables (no repeated keys, no merge); otherwise one table per worker, merged after.
        // A partition's table is folded, then finished once: its DISTINCT sets are built by one
        // sort at the end. (Per-thread tables are merged, which needs the sets built first.)
        let partitions = workers > 1 && KeyPartitions.isOrderFree(plan)
            ? KeyPartitions(count: workers, make: {
                var table = plan.makeAggregator()
                table.deferDistinctPairs()
                return table
            }) : nil
        let foldStarted = monotonicSeconds()
        DispatchQueue.concurrentPerform(iterations: workers) { w in
            var reader = source.makeReader()
            var result = OfflinePassResult(aggregators: partitions == nil ? [plan.makeAggregator()] : [])
            var pending = PartitionBuffers(count: partitions?.count ?? 0)
            do {
                while let next = queue.take() {
                    let unit = units[order[next]]
                    var rows: Int64 = 0
                    try reader.forEachBatch(inFile: unit.fileIndex, rowGroups: unit.rowGroups) { batch, firstRow in
                        fold(batch, into: &result, firstRowStamp: (Int64(unit.fileIndex) << 32) + firstRow,
                             partitions: partitions, pending: &pending, worker: w)
                        rows += Int64(batch.rowCount)
                    }
                    progress?.unitDone(bytes: max(1, unit.bytes), rows: rows)
                }
                if let partitions { flush(&pending, into: partitions, worker: w, minimumRows: 0) }
                result.rowGroupsRead = reader.rowGroupsRead
                result.rowGroupsSkipped = reader.rowGroupsSkipped
                slots.set(w, .success(result))
            } catch {
                slots.set(w, .failure(error))
            }
        }
        progress?.finish()
        let mergeStarted = monotonicSeconds()
        var merged: OfflinePassResult? = nil
        for w in 0..<workers {
            guard let r = slots.get(w) else { continue }
            let part = try r.get()
            if merged == nil { merged = part; continue }
            if let other = part.aggregators.first { merged?.aggregators[0].merge(other) }
            merged?.rowsRead += part.rowsRead
            merged?.rowsInRange += part.rowsInRange
            merged?.rowGroupsRead += part.rowGroupsRead
            merged?.rowGroupsSkipped += part.rowGroupsSkipped
        }
        var result = merged ?? OfflinePassResult(aggregators: [])
        if let partitions {
            result.aggregators = partitions.finished()
            result.isPartitioned = true
        }
        if result.aggregators.isEmpty { result.aggregators = [plan.makeAggregator()] }
        result.workers = workers
        result.units = units.count
        result.foldSeconds = mergeStarted - foldStarted
        result.mergeSeconds = monotonicSeconds() - mergeStarted
        return result
    }

    /// Folds the rows of `batch` that lie in the range; periods become row masks. With
    /// `partitions`, the rows go to their key partition's shared table (stamps are not needed:
    /// only order-free aggregates run that way); otherwise into `result`'s own table.
    func fold(_ batch: RecordBatch, into result: inout OfflinePassResult, firstRowStamp: Int64,
              partitions: KeyPartitions? = nil, pending: inout PartitionBuffers, worker: Int = 0) {
        let n = batch.rowCount
        result.rowsRead += Int64(n)
        guard n > 0 else { return }
        let times = batch.columns[timeIndex].eventTimeMicros()
        let start = range.start, end = range.end
        var inRange = 0
        times.withUnsafeBufferPointer { t in
            for i in 0..<n where t[i] >= start && t[i] < end { inRange += 1 }
        }
        guard inRange > 0 else { return }
        let rows: RecordBatch
        let rowTimes: [Int64]
        if inRange == n {
            rows = batch
            rowTimes = times
        } else {
            var kept: [Int] = []
            kept.reserveCapacity(inRange)
            times.withUnsafeBufferPointer { t in
                for i in 0..<n where t[i] >= start && t[i] < end { kept.append(i) }
            }
            rows = batch.gather(kept)
            rowTimes = kept.map { times[$0] }
        }
        result.rowsInRange += Int64(inRange)
        let context = EvaluationContext(nowMicros: nowMicros)
        guard let partitions else {
            let masks = range.periodStarts.map { Self.rowsFrom($0, rowTimes) }
            plan.update(&result.aggregators[0], batch: rows, periodMasks: masks, context: context, firstRowStamp: firstRowStamp)
            return
        }
        // The key hashes that pick the partitions go along to the partition's table, which
        // would otherwise hash every key a second time.
        var hashes: [UInt64] = []
        let split = KeyPartitions.partitionRows(of: rows.columns[plan.keyIndex], count: partitions.count, stringHashes: &hashes)
        for (p, picked) in split.enumerated() where !picked.isEmpty {
            if picked.count == inRange {
                pending.append(p, rows, rowTimes, keyHashes: hashes.isEmpty ? nil : hashes)
            } else {
                pending.append(p, rows.gather(picked), picked.map { rowTimes[$0] }, keyHashes: hashes.isEmpty ? nil : picked.map { hashes[$0] })
            }
        }
        flush(&pending, into: partitions, worker: worker, minimumRows: Self.partitionBatchRows)
    }

    /// Rows a worker collects for one key partition before it folds them under the partition's
    /// lock: small batches (a day of 1M orders is ~2,700 rows) would otherwise each pay a lock
    /// round trip. The batches are folded one by one under that lock, not concatenated.
    static let partitionBatchRows = 16_384

    /// Rows a worker may hold for one partition while another worker folds into it, before it
    /// waits for that partition instead of reading on.
    static let partitionBacklogRows = 4 * partitionBatchRows

    /// Folds every partition buffer holding at least `minimumRows` rows into its shared table.
    /// Mid-pass (`minimumRows > 0`), a partition another worker holds is left for the next
    /// flush while its backlog stays under `partitionBacklogRows`: reading the next unit beats
    /// sleeping on the lock (each worker waited ~6% of the pass on it at 10M orders).
    func flush(_ pending: inout PartitionBuffers, into partitions: KeyPartitions, worker: Int, minimumRows: Int) {
        let ready = (0..<partitions.count).filter { pending.rows[$0] > 0 && pending.rows[$0] >= minimumRows }
        guard !ready.isEmpty else { return }
        let urgent = Set(ready.filter { minimumRows == 0 || pending.rows[$0] >= Self.partitionBacklogRows })
        let context = EvaluationContext(nowMicros: nowMicros)
        partitions.update(partitions: ready, startingAt: worker, waitingFor: { urgent.contains($0) }) { p, table in
            for part in pending.take(p) {
                let masks = range.periodStarts.map { Self.rowsFrom($0, part.times) }
                plan.update(&table, batch: part.batch, periodMasks: masks, context: context, firstRowStamp: 0, keyHashes: part.keyHashes)
            }
        }
    }

    /// The rows whose time is at or after `from` (every time is already inside the range).
    static func rowsFrom(_ from: Int64, _ times: [Int64]) -> Validity {
        times.withUnsafeBufferPointer { t in Validity(count: t.count) { t[$0] >= from } }
    }
}

/// One worker's rows waiting for their key partition's table: batches and their row times.
/// They are handed back as the batches they came in, folded one after another under one lock:
/// concatenating them first copied every row's strings once more (~1% of the job at 10M).
package struct PartitionBuffers {
    private var batches: [[Pending]]
    /// One batch, its row times and (string keys) its rows' `GroupKeyTable.stringHash`.
    package typealias Pending = (batch: RecordBatch, times: [Int64], keyHashes: [UInt64]?)
    package private(set) var rows: [Int]

    package init(count: Int) {
        batches = Array(repeating: [], count: count)
        rows = Array(repeating: 0, count: count)
    }

    package mutating func append(_ p: Int, _ batch: RecordBatch, _ batchTimes: [Int64], keyHashes: [UInt64]? = nil) {
        batches[p].append((batch, batchTimes, keyHashes))
        rows[p] += batch.rowCount
    }

    /// Partition p's batches with their times, in the order they came; the buffer is emptied.
    package mutating func take(_ p: Int) -> [Pending] {
        let taken = batches[p]
        batches[p] = []
        rows[p] = 0
        return taken
    }
}

/// The next unit of work for whichever worker asks; nil once every unit is taken. After an
/// error a worker stops taking units, and the others finish the ones they hold.
private final class UnitQueue: @unchecked Sendable {
    private var lock = pthread_mutex_t()
    private var next = 0
    private let count: Int

    init(count: Int) {
        self.count = count
        pthread_mutex_init(&lock, nil)
    }

    deinit { pthread_mutex_destroy(&lock) }

    func take() -> Int? {
        pthread_mutex_lock(&lock)
        defer { pthread_mutex_unlock(&lock) }
        guard next < count else { return nil }
        next += 1
        return next - 1
    }
}

/// One result slot per worker: each written by exactly one task and read only after
/// `concurrentPerform` returned, so the slots never race.
private final class WorkerSlots: @unchecked Sendable {
    private var slots: [Result<OfflinePassResult, any Error>?]
    init(count: Int) { slots = Array(repeating: nil, count: count) }
    func set(_ i: Int, _ r: Result<OfflinePassResult, any Error>) { slots.withUnsafeMutableBufferPointer { $0[i] = r } }
    func get(_ i: Int) -> Result<OfflinePassResult, any Error>? { slots[i] }
}

