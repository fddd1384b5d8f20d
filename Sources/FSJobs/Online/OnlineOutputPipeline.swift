import FSAggregation
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
/// `BackgroundWriter` touches it (`finish` drains it, so the caller may commit right after). At
/// most `maxInFlight` chunks wait, which bounds the memory the overlap adds to that many chunks
/// of `WindowedAggregator.emitChunkRows` rows.
final class OnlineOutputPipeline: @unchecked Sendable {
    private let writer: TableWriter
    /// Runs the writes in order; its first failure drops the later chunks.
    private let background: BackgroundWriter
    private let rows = Atomic<Int>(0)

    init(writer: TableWriter, maxInFlight: Int = 1) {
        self.writer = writer
        background = BackgroundWriter(label: "fs.online.output", maxInFlight: maxInFlight)
    }

    /// Queues `batch` (the engine's output, windows ascending) for `OnlineOutput.write`.
    /// Throws a failure of an earlier chunk at once, so a failing trigger stops emitting early.
    func submit(_ batch: RecordBatch) throws { try submit(.rows(batch)) }

    /// Queues emitted windows, rows or runs (`WindowedAggregator.endMicroBatchByRuns(emit:)`).
    func submit(_ batch: EmittedWindows) throws {
        if let e = background.failure { throw e }
        background.enqueue { [self] in
            let n = try OnlineOutput.write(batch, to: writer)
            rows.add(n, ordering: .relaxed)
        }
    }

    /// Waits until every queued chunk is written; returns the rows written since the last
    /// `finish` and rethrows the first failure. The writer is the caller's again afterwards.
    func finish() throws -> Int {
        background.drain()
        if let e = background.takeFailure() { throw e }
        return rows.exchange(0, ordering: .relaxed)
    }
}
