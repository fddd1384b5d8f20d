import Dispatch
import FSCore
import FSTable

/// Reads a micro-batch's input files one ahead: while the job's thread folds and emits file i,
/// a background thread decodes file i + 1 (Parquet pages, ZSTD) into its batches.
///
/// ```
///  job thread:  wait(0) ─ fold 0, emit ─ wait(1) ─ fold 1, emit ─ wait(2) ─ …
///  reader:      read 0 ─┴─ read 1 ──────────┴─ read 2 ──────────┴─ read 3 …
/// ```
/// Why: the job's thread is the serial part of the run (read + fold + emit, while two output
/// lanes encode): reading was ~15% of its perf samples at 1M events (365 day files), and the
/// lanes have nothing to do until the first file is folded. The batches are the same, in the
/// same order, as `TableScan.forEachBatch(in:)` on the caller's thread; at most two files'
/// batches are held (a day file of the bench is ~2.7k rows of four columns).
final class OnlineInputPrefetch: @unchecked Sendable {
    /// One file's read, written by the reader thread before it signals `done`.
    private final class Slot: @unchecked Sendable {
        let done = DispatchSemaphore(value: 0)
        var result: Result<[RecordBatch], any Error>?
    }

    private let queue = DispatchQueue(label: "fs.online.read")
    /// The scan's copy the reader thread reads with (touched on `queue` only).
    private var scan: TableScan
    private let files: [ScanFile]
    /// The read of file `next.index` under way.
    private var next: (index: Int, slot: Slot)?

    /// Starts reading `files[0]` through `scan`.
    init(scan: TableScan, files: [ScanFile]) {
        self.scan = scan
        self.files = files
        if !files.isEmpty { next = (0, start(0)) }
    }

    private func start(_ i: Int) -> Slot {
        let slot = Slot(), file = files[i]
        queue.async { [self] in
            slot.result = Result {
                var batches: [RecordBatch] = []
                try scan.forEachBatch(in: file) { batches.append($0) }
                return batches
            }
            slot.done.signal()
        }
        return slot
    }

    /// The batches of `files[i]` (files are taken in order, each once), starting the read of
    /// `files[i + 1]`; rethrows the read's failure.
    func batches(ofFile i: Int) throws -> [RecordBatch] {
        precondition(next?.index == i, "input files taken out of order: \(i) after \(String(describing: next?.index))")
        let slot = next!.slot
        next = i + 1 < files.count ? (i + 1, start(i + 1)) : nil
        slot.done.wait()
        return try slot.result!.get()
    }
}
