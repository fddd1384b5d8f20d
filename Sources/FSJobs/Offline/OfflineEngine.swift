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
    /// Threads that read, and the units of work they shared.
    var workers = 1
    var units = 0
}

/// A unit of work of the pass: a whole file, or one row group of a file when the scan has too
/// few files to keep every thread busy.
struct ScanUnit: Sendable, Equatable {
    var fileIndex: Int
    /// nil = every row group of the file.
    var rowGroups: Range<Int>?
    /// Compressed bytes, for balancing and progress.
    var bytes: Int64
}

/// One pass over the scan's files: every feature and every period folded at once, on
/// `threads` workers, each with its own `GroupedAggregator`, merged at the end.
///
/// ```
///  files ─► units (a file each; a row group each when files < 4 × threads)
///        ──LPT by bytes──► worker k: scan copy ──batch──► rows in [start, end) ──► period masks
///                                                       ──► plan.update(&agg_k)
///  agg_0.merge(agg_1 … agg_n) ──► one table, memory ∝ distinct keys
/// ```
/// Row stamps are `(file index << 32) + row in file`, so `first`/`last` pick the same row
/// whatever the thread count and split.
struct OfflineEngine {
    let plan: FeaturePlan
    let range: OfflineRange
    /// Position of the time field in `plan.schema`.
    let timeIndex: Int
    let threads: Int
    let nowMicros: Int64
    let logger: Logger

    /// Units per thread below which files are split into row groups.
    static let unitsPerThread = 4

    /// The units of work: one per file, or one per row group when there are fewer than
    /// `unitsPerThread × threads` files (a single big file is then still read on all cores).
    static func units(of scan: TableScan, threads: Int) throws -> [ScanUnit] {
        let files = scan.files
        if threads <= 1 || files.count >= threads * unitsPerThread {
            return files.enumerated().map { ScanUnit(fileIndex: $0.offset, rowGroups: nil, bytes: $0.element.sizeBytes) }
        }
        var units: [ScanUnit] = []
        for (i, f) in files.enumerated() {
            for (g, bytes) in try scan.rowGroupBytes(of: f).enumerated() {
                units.append(ScanUnit(fileIndex: i, rowGroups: g..<(g + 1), bytes: bytes))
            }
        }
        return units
    }

    func run(scan: TableScan) throws -> OfflinePassResult {
        let files = scan.files
        let units = try Self.units(of: scan, threads: threads)
        let workers = max(1, min(threads, units.count))
        let shares = Self.assign(units.map(\.bytes), workers: workers)
        let slots = WorkerSlots(count: workers)
        let splitsFiles = units.contains { $0.rowGroups != nil }
        let progress = ScanProgress(totalUnits: units.count, totalBytes: units.reduce(0) { $0 + max(1, $1.bytes) },
                                    unitName: splitsFiles ? "row groups" : "files",
                                    style: ProgressStyle.detect(logLevel: logger.logLevel), logger: logger)
        DispatchQueue.concurrentPerform(iterations: workers) { w in
            var myScan = scan
            var result = OfflinePassResult(aggregator: plan.makeAggregator())
            do {
                for u in shares[w] {
                    let unit = units[u]
                    var rows: Int64 = 0
                    try myScan.forEachBatch(in: files[unit.fileIndex], rowGroups: unit.rowGroups) { batch, firstRow in
                        fold(batch, into: &result, firstRowStamp: (Int64(unit.fileIndex) << 32) + firstRow)
                        rows += Int64(batch.rowCount)
                    }
                    progress.unitDone(bytes: max(1, unit.bytes), rows: rows)
                }
                result.rowGroupsRead = myScan.metrics.rowGroupsRead
                result.rowGroupsSkipped = myScan.metrics.rowGroupsSkipped
                slots.set(w, .success(result))
            } catch {
                slots.set(w, .failure(error))
            }
        }
        progress.finish()
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
        var result = merged ?? OfflinePassResult(aggregator: plan.makeAggregator())
        result.workers = workers
        result.units = units.count
        return result
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
