import Dispatch
import FSCore

/// Reads a scan's files one file ahead of the caller, on another thread, so opening a file,
/// decoding its footer and decompressing its chunks overlap with what the caller does with the
/// previous file's rows.
///
/// ```
/// caller:      take(0) fold(0) ── take(1) fold(1) ── take(2) fold(2) …
/// read-ahead:  [read 1] ───────── [read 2] ───────── [read 3] …          (one file ahead)
/// ```
/// Why: fs-agg-online folds on one thread and every other thread encodes its output. Reading
/// its input on the folding thread was ~14% of that thread's profile (footer decoding alone
/// ~5%, with ~6 opens per file) on the bench's 365 day files; ahead, it leaves the folding
/// thread's path. On the 2-core bench host no change in wall time showed (8-round A/Bs within
/// 1%): the run is CPU-bound on both cores there, so it pays where cores are to spare.
///
/// Pull-based, like `PagePrefetcher`: `forEachBatch(file:)` waits for file i and submits file
/// i + 1, so nothing is read once the caller stops; a job still running when the caller throws
/// finishes and its batches are freed with the read-ahead. A result slot is written by the
/// queue before its semaphore is signalled and read by the caller after waiting on it.
///
/// Memory: at most one file's decoded batches ahead. A file larger than `maxAheadBytes` on
/// disk is never read ahead: it is streamed row group by row group on the caller's thread, as
/// `TableScan.forEachBatch(in:)` would. The scan's `metrics` are not counted by the copies the
/// read-ahead reads with.
public final class ScanReadAhead: @unchecked Sendable {
    public let files: [ScanFile]
    private let scan: TableScan
    private let maxAheadBytes: Int64
    private let queue = DispatchQueue(label: "fs.table.scan-read-ahead")
    private let results: UnsafeMutablePointer<Result<[RecordBatch], any Error>?>
    private let ready: [DispatchSemaphore]
    private var submitted: [Bool]

    /// Reads `files` (of `scan`) in this order; the first is submitted at once.
    public init(scan: TableScan, files: [ScanFile], maxAheadBytes: Int64 = 64 << 20) {
        self.scan = scan
        self.files = files
        self.maxAheadBytes = maxAheadBytes
        results = .allocate(capacity: Swift.max(files.count, 1))
        results.initialize(repeating: nil, count: Swift.max(files.count, 1))
        ready = files.map { _ in DispatchSemaphore(value: 0) }
        submitted = Array(repeating: false, count: files.count)
        submit(0)
    }

    deinit {
        // Outstanding jobs hold `self`, so none is running here.
        results.deinitialize(count: Swift.max(files.count, 1))
        results.deallocate()
    }

    private func submit(_ i: Int) {
        guard i < files.count, files[i].sizeBytes <= maxAheadBytes else { return }
        submitted[i] = true
        let file = files[i]
        queue.async { [self] in
            var copy = scan
            let result = Result { () throws -> [RecordBatch] in
                var batches: [RecordBatch] = []
                try copy.forEachBatch(in: file) { batches.append($0) }
                return batches
            }
            results[i] = result
            ready[i].signal()
        }
    }

    /// Calls `body` with each batch of file `i` (one per row group, as `TableScan` reads them).
    /// Files are meant to be taken in order, each once; a file taken again is read again, on the
    /// caller's thread.
    public func forEachBatch(file i: Int, _ body: (RecordBatch) throws -> Void) throws {
        precondition(files.indices.contains(i), "ScanReadAhead: no file \(i) of \(files.count)")
        if i + 1 < files.count && !submitted[i + 1] { submit(i + 1) }
        if submitted[i] {
            submitted[i] = false
            ready[i].wait()
            let r = results[i]!
            results[i] = nil
            for batch in try r.get() { try body(batch) }
        } else {
            var copy = scan
            try copy.forEachBatch(in: files[i], body)
        }
    }
}
