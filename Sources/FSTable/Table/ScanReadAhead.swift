import Dispatch
import FSCore

/// Reads a scan's files up to two files ahead of the caller, on another thread, so opening a
/// file, decoding its footer and decompressing its chunks overlap with what the caller does
/// with the previous file's rows.
///
/// ```
/// caller:      take(0) fold(0) ── take(1) fold(1) ── take(2) fold(2) …
/// read-ahead:  [read 1][read 2] ── [read 3] ───────── [read 4] …        (two files ahead)
/// ```
/// Why: fs-agg-online folds on one thread and every other thread encodes its output. Reading
/// its input on the folding thread was ~14% of that thread's profile (footer decoding alone
/// ~5%, with ~6 opens per file) on the bench's 365 day files; ahead, it leaves the folding
/// thread's path (one file ahead against none: no change in wall time on the 2-core host, 8
/// rounds). Two files ahead rather than one: the reading thread competes with two output lanes for two
/// cores, and one file ahead often was not read yet when the caller wanted it; the caller then
/// blocked, and a core sat idle until the scheduler ran the reader (two ahead: ~0.04–0.06 s
/// less idle core time per run, wall 1–8% better in three alternating A/Bs of 20–25 rounds,
/// with four output chunks in flight).
///
/// Pull-based, like `PagePrefetcher`: `forEachBatch(file:)` submits files i + 1 and i + 2 and
/// waits for file i, so nothing more is read once the caller stops; a job still running when
/// the caller throws finishes and its batches are freed with the read-ahead. A result slot is written by the
/// queue before its semaphore is signalled and read by the caller after waiting on it.
///
/// Memory: the files read ahead and not taken yet are at most `maxAheadBytes` on disk
/// together (a further file waits until the caller takes one). A file larger than that is
/// never read ahead: it is streamed row group by row group on the caller's thread, as
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
    /// Files read ahead of the one the caller takes next.
    private let maxAheadFiles: Int
    /// On-disk bytes of the files submitted and not taken yet (caller's thread only).
    private var aheadBytes: Int64 = 0

    /// Reads `files` (of `scan`) in this order; the first is submitted at once.
    public init(scan: TableScan, files: [ScanFile], maxAheadBytes: Int64 = 64 << 20, maxAheadFiles: Int = 2) {
        self.scan = scan
        self.files = files
        self.maxAheadBytes = maxAheadBytes
        self.maxAheadFiles = Swift.max(1, maxAheadFiles)
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

    /// Starts reading file `i`; false (nothing started) when that would pass `maxAheadBytes`.
    @discardableResult
    private func submit(_ i: Int) -> Bool {
        guard i < files.count, aheadBytes + files[i].sizeBytes <= maxAheadBytes else { return false }
        submitted[i] = true
        aheadBytes += files[i].sizeBytes
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
        return true
    }

    /// Calls `body` with each batch of file `i` (one per row group, as `TableScan` reads them).
    /// Files are meant to be taken in order, each once; a file taken again is read again, on the
    /// caller's thread.
    public func forEachBatch(file i: Int, _ body: (RecordBatch) throws -> Void) throws {
        precondition(files.indices.contains(i), "ScanReadAhead: no file \(i) of \(files.count)")
        // File i is the caller's from here: its bytes no longer count against the read-ahead.
        let taken = submitted[i]
        if taken {
            submitted[i] = false
            aheadBytes -= files[i].sizeBytes
        }
        for j in (i + 1)..<Swift.min(files.count, i + 1 + maxAheadFiles) where !submitted[j] {
            if !submit(j) { break }
        }
        if taken {
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
