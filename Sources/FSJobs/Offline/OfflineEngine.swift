import Dispatch
import FSAggregation
import FSCore
import FSExpr
import FSTable
import Logging

#if canImport(Glibc)
import Glibc
#endif

/// What the parallel pass over the input produced.
struct OfflinePassResult {
    var aggregator: GroupedAggregator
    var rowsRead: Int64 = 0
    var rowsInRange: Int64 = 0
    var rowGroupsRead = 0
    var rowGroupsSkipped = 0
}

/// One pass over the scan's files: every feature and every period folded at once, on
/// `threads` workers, each with its own `GroupedAggregator`, merged at the end.
///
/// ```
///  files ──LPT by size──► worker k: scan copy ──batch──► rows in [start, end) ──► period masks
///                                                       ──► plan.update(&agg_k)
///  agg_0.merge(agg_1 … agg_n) ──► one table, memory ∝ distinct keys
/// ```
/// Row stamps are `(file index << 32) + row in file`, so `first`/`last` pick the same row
/// whatever the thread count.
struct OfflineEngine {
    let plan: FeaturePlan
    let range: OfflineRange
    /// Position of the time field in `plan.schema`.
    let timeIndex: Int
    let threads: Int
    let nowMicros: Int64
    let logger: Logger

    func run(scan: TableScan) throws -> OfflinePassResult {
        let files = scan.files
        let workers = max(1, min(threads, files.count))
        let shares = Self.assign(files.map(\.sizeBytes), workers: workers)
        let slots = WorkerSlots(count: workers)
        let progress = ProgressReporter(totalFiles: files.count, logger: logger)
        DispatchQueue.concurrentPerform(iterations: workers) { w in
            var myScan = scan
            var result = OfflinePassResult(aggregator: plan.makeAggregator())
            do {
                for fileIndex in shares[w] {
                    var rowOffset: Int64 = 0
                    try myScan.forEachBatch(in: files[fileIndex]) { batch in
                        let stamp = (Int64(fileIndex) << 32) + rowOffset
                        rowOffset += Int64(batch.rowCount)
                        fold(batch, into: &result, firstRowStamp: stamp)
                    }
                    progress.fileDone(rows: rowOffset)
                }
                result.rowGroupsRead = myScan.metrics.rowGroupsRead
                result.rowGroupsSkipped = myScan.metrics.rowGroupsSkipped
                slots.set(w, .success(result))
            } catch {
                slots.set(w, .failure(error))
            }
        }
        var merged: OfflinePassResult? = nil
        for w in 0..<workers {
            guard let r = slots.get(w) else { continue }
            let part = try r.get()
            if merged == nil { merged = part; continue }
            merged?.aggregator.merge(part.aggregator)
            merged?.rowsRead += part.rowsRead
            merged?.rowsInRange += part.rowsInRange
            merged?.rowGroupsRead += part.rowGroupsRead
            merged?.rowGroupsSkipped += part.rowGroupsSkipped
        }
        return merged ?? OfflinePassResult(aggregator: plan.makeAggregator())
    }

    /// Folds the rows of `batch` that lie in the range; periods become row masks.
    func fold(_ batch: RecordBatch, into result: inout OfflinePassResult, firstRowStamp: Int64) {
        let n = batch.rowCount
        result.rowsRead += Int64(n)
        guard n > 0 else { return }
        let times = Self.micros(batch.columns[timeIndex])
        let start = range.startMicros, end = range.endMicros
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
        let masks = plan.periods.map { p in Self.rowsFrom(range.periodStart(p), rowTimes) }
        plan.update(&result.aggregator, batch: rows, periodMasks: masks, context: EvaluationContext(nowMicros: nowMicros), firstRowStamp: firstRowStamp)
    }

    /// The rows whose time is at or after `from` (every time is already inside the range).
    static func rowsFrom(_ from: Int64, _ times: [Int64]) -> Validity {
        var mask = Validity(repeating: false, count: times.count)
        times.withUnsafeBufferPointer { t in
            for i in t.indices where t[i] >= from { mask.set(i, true) }
        }
        return mask
    }

    /// The time column in µs, a date at midnight UTC; NULL (or a column of another type) as
    /// `Int64.min`, which no range contains.
    static func micros(_ c: Column) -> [Int64] {
        let n = c.count
        var out: [Int64]
        switch c.values {
        case .int64(let v) where c.type == .timestamp:
            out = v
        case .int32(let v) where c.type == .date:
            out = v.map { Int64($0) * microsPerDay }
        default:
            return Array(repeating: .min, count: n)
        }
        if let bm = c.validity {
            for i in 0..<n where !bm.isValid(i) { out[i] = .min }
        }
        return out
    }

    /// Longest-processing-time assignment of files (by size) to workers: deterministic and
    /// within 4/3 of the best balance.
    static func assign(_ sizes: [Int64], workers: Int) -> [[Int]] {
        var shares = Array(repeating: [Int](), count: workers)
        var load = Array(repeating: Int64(0), count: workers)
        let order = sizes.indices.sorted { sizes[$0] != sizes[$1] ? sizes[$0] > sizes[$1] : $0 < $1 }
        for i in order {
            var best = 0
            for w in 1..<max(1, workers) where load[w] < load[best] { best = w }
            shares[best].append(i)
            load[best] += max(1, sizes[i])
        }
        return shares.map { $0.sorted() }
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

/// Progress lines on stderr while the workers read: at every 10 % of the files and at least
/// every 5 seconds.
private final class ProgressReporter: @unchecked Sendable {
    private var lock = pthread_mutex_t()
    private let totalFiles: Int
    private let logger: Logger
    private var filesDone = 0
    private var rows: Int64 = 0
    private var lastDecile = 0
    private var lastReport = monotonicSeconds()

    init(totalFiles: Int, logger: Logger) {
        self.totalFiles = totalFiles
        self.logger = logger
        pthread_mutex_init(&lock, nil)
    }

    deinit { pthread_mutex_destroy(&lock) }

    func fileDone(rows fileRows: Int64) {
        pthread_mutex_lock(&lock)
        filesDone += 1
        rows += fileRows
        let decile = totalFiles == 0 ? 10 : filesDone * 10 / totalFiles
        let now = monotonicSeconds()
        let report = decile > lastDecile || now - lastReport >= 5
        if report { lastDecile = decile; lastReport = now }
        let (done, r) = (filesDone, rows)
        pthread_mutex_unlock(&lock)
        if report {
            logger.info("progress \(done * 100 / max(1, totalFiles))%", metadata: ["files": "\(done)/\(totalFiles)", "rows_read": "\(r)"])
        }
    }
}
