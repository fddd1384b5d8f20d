import Dispatch
import FSCore
import FSTable
import Synchronization

/// Writes the emitted chunks of a trigger on a background thread while the engine merges the
/// next ones (and reads and folds the next input version).
///
/// ```
///  caller:  emit chunk₁ ── emit chunk₂ ── emit chunk₃ ── … ── finish() ── commit
///  queue:             write₁ ────── write₂ ────── write₃ ──────┘
/// ```
/// Merging slices and encoding Parquet pages each take about half of the job's serial CPU time,
/// so on two cores overlapping them shortens a trigger by about the smaller of the two.
///
/// The `TableWriter` is handed over: from `submit` until `finish` returns, only the pipeline's
/// serial queue touches it (the dispatch group orders its writes before `finish` returns, so the
/// caller may commit right after). At most `maxInFlight` chunks wait, which bounds the memory
/// the overlap adds to that many chunks of `WindowedAggregator.emitChunkRows` rows.
final class OnlineOutputPipeline: @unchecked Sendable {
    private let writer: TableWriter
    private let queue = DispatchQueue(label: "fs.online.output")
    private let group = DispatchGroup()
    private let slots: DispatchSemaphore
    /// The first write failure; later chunks are dropped once it is set.
    private let failure = Mutex<(any Error)?>(nil)
    private let rows = Atomic<Int>(0)

    init(writer: TableWriter, maxInFlight: Int = 1) {
        self.writer = writer
        slots = DispatchSemaphore(value: Swift.max(1, maxInFlight))
    }

    /// Queues `batch` (the engine's output, windows ascending) for `OnlineOutput.write`.
    /// Throws a failure of an earlier chunk at once, so a failing trigger stops emitting early.
    func submit(_ batch: RecordBatch) throws {
        if let e = failure.withLock({ $0 }) { throw e }
        slots.wait()
        group.enter()
        queue.async { [self] in
            defer {
                slots.signal()
                group.leave()
            }
            guard failure.withLock({ $0 == nil }) else { return }
            do {
                let n = try OnlineOutput.write(batch, to: writer)
                rows.add(n, ordering: .relaxed)
            } catch {
                failure.withLock { if $0 == nil { $0 = error } }
            }
        }
    }

    /// Waits until every queued chunk is written; returns the rows written since the last
    /// `finish` and rethrows the first failure. The writer is the caller's again afterwards.
    func finish() throws -> Int {
        group.wait()
        if let e = failure.withLock({ f -> (any Error)? in defer { f = nil }; return f }) { throw e }
        return rows.exchange(0, ordering: .relaxed)
    }
}
