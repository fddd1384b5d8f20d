import Dispatch
import FSCore
import FSTable

/// Writes the chunks of a micro-batch into the data table's `TableWriter` on a background
/// thread, while the ingest thread polls and parses the next chunk.
///
/// ```
///  ingest thread:  poll+parse chunk 1 │ poll+parse chunk 2 │ poll+parse chunk 3 │ drain ─► commit
///  writer queue:                      │ write chunk 1      │ write chunk 2      │ write 3
/// ```
/// Why: parsing JSON and encoding Parquet are each about half of the work; overlapping them
/// uses a second core. Memory stays bounded: at most `maxInFlight` chunks wait or are being
/// written (`submit` blocks beyond that), and each chunk is bounded by the caller.
///
/// Invariant that makes `@unchecked Sendable` sound: between `submit` and `drain`, the
/// `TableWriter` is touched only on `queue`; `drain` (a `queue.sync`) orders every write before
/// the caller's next direct use (the commit).
final class ChunkWriter: @unchecked Sendable {
    let writer: TableWriter
    private let queue = DispatchQueue(label: "fs-ingest.chunk-writer")
    private let slots: DispatchSemaphore
    /// The first write error; later chunks are dropped and `drain` rethrows it.
    private var failure: Error?

    init(writer: TableWriter, maxInFlight: Int = 2) {
        self.writer = writer
        self.slots = DispatchSemaphore(value: max(1, maxInFlight))
    }

    /// Queues `batch` for writing; blocks while `maxInFlight` chunks are pending.
    func submit(_ batch: RecordBatch) {
        slots.wait()
        queue.async { [self] in
            defer { slots.signal() }
            guard failure == nil else { return }
            do { try writer.write(batch) } catch { failure = error }
        }
    }

    /// Waits until every submitted chunk is written; throws the first write error (once).
    func drain() throws {
        let error: Error? = queue.sync {
            defer { failure = nil }
            return failure
        }
        if let error { throw error }
    }
}
