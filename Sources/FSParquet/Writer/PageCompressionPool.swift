import Dispatch

/// Background threads that compress data pages while the caller keeps encoding.
///
/// ZSTD takes about 70% of the writer's CPU time, so compressing on other cores roughly halves
/// the wall time of a file on two cores. Each column chunk is bound to one serial queue (column
/// i to queue i mod n), so its pages are compressed and appended in order by one thread at a
/// time and the file's bytes do not depend on scheduling. A semaphore bounds the pages in flight
/// (each holds a copy of its body), so memory stays at about `maxInFlight` pages.
package final class PageCompressionPool: Sendable {
    private let queues: [DispatchQueue]
    /// Limits the page bodies waiting for compression.
    package let slots: DispatchSemaphore

    /// - Parameters:
    ///   - workers: serial queues (at least 1).
    ///   - maxInFlight: pages submitted but not yet compressed, over all columns.
    package init(workers: Int, maxInFlight: Int) {
        queues = (0..<Swift.max(1, workers)).map { DispatchQueue(label: "fs.parquet.compress.\($0)") }
        slots = DispatchSemaphore(value: Swift.max(1, maxInFlight))
    }

    /// The queue of column `index`.
    package func queue(forColumn index: Int) -> DispatchQueue { queues[index % queues.count] }
}
