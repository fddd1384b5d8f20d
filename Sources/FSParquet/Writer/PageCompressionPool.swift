import Dispatch
import Synchronization

/// Background threads that compress data pages while the caller keeps encoding.
///
/// ZSTD takes about 70% of the writer's CPU time, so compressing on other cores roughly halves
/// the wall time of a file on two cores. Each page goes to its column's serial `Lane` (column i
/// mod n) or, in a pool that balances its lanes, to the lane with the fewest bytes queued; the
/// column chunk appends its pages in submission order whichever lane finishes first
/// (`ColumnChunkBuilder.deliver`), so the file's bytes do not depend on scheduling. A semaphore
/// bounds the pages in flight (each holds a copy of its body), so memory stays at about
/// `maxInFlight` pages.
///
/// One pool may serve many files in turn (`ParquetWriterOptions.compressionPool`: a table
/// writer's day files): the lanes are then created once, and the page-body copies are
/// recycled instead of allocated (and faulted in) per page — a 1M-event ingest writes
/// thousands of pages of up to 1 MiB.
package final class PageCompressionPool: Sendable, Equatable {
    private let lanes: [Lane]
    /// Limits the page bodies waiting for compression.
    package let slots: DispatchSemaphore
    /// Copies of compressed pages' bodies, kept for the next pages (at most `maxSpares`).
    private let spareBodies = Mutex<[[UInt8]]>([])
    private let maxSpares: Int
    /// Pages go to the least busy lane, not only to their column's (`leastBusyLane`).
    private let balancesLanes: Bool

    /// One serial queue with the compression state its tasks reuse: a compressor per setting
    /// and the output scratch.
    ///
    /// Why per lane and not per column writer: a table writer opens a file per day partition,
    /// ~650 files of ~25 columns for 1M events, and a fresh `ZSTD_CCtx` and scratch per column
    /// chunk allocated, zeroed and faulted in its hash tables and a page-sized output buffer
    /// every time (most of the compression threads' page faults and memset in the 1M profile).
    /// A lane's state is touched only by tasks running on its queue, one at a time, which is
    /// what makes `@unchecked Sendable` sound.
    package final class Lane: @unchecked Sendable {
        package let queue: DispatchQueue
        /// Page bytes queued on this lane and not compressed yet (`leastBusyLane`).
        package let queuedBytes = Atomic<Int>(0)
        /// Compressed output of the page being stored; grows, never shrinks.
        package var scratch: [UInt8] = []
        private var compressors: [(setting: ParquetCompression, compressor: PageCompressor)] = []

        init(label: String) { queue = DispatchQueue(label: label) }

        /// This lane's compressor for `setting`, created on first use (call on `queue` only).
        package func compressor(for setting: ParquetCompression) -> PageCompressor {
            if let c = compressors.first(where: { $0.setting == setting }) { return c.compressor }
            let c = Codecs.compressor(for: setting)
            compressors.append((setting, c))
            return c
        }
    }

    /// - Parameters:
    ///   - workers: serial lanes (at least 1).
    ///   - maxInFlight: pages submitted but not yet compressed, over all columns.
    ///   - balancesLanes: each page goes to the lane with the fewest bytes queued instead of its
    ///     column's (same bytes written). For writers whose ZSTD work is mostly one column
    ///     (fs-ingest's `items`: 813 of ~1,100 MB per 1M events). Off by default: every lane then
    ///     needs a compressor and a scratch for every column's setting, which cost fs-agg-online
    ///     ~4 MiB of its ~53 MiB peak for no gain.
    package init(workers: Int, maxInFlight: Int, balancesLanes: Bool = false) {
        self.balancesLanes = balancesLanes
        lanes = (0..<Swift.max(1, workers)).map { Lane(label: "fs.parquet.compress.\($0)") }
        slots = DispatchSemaphore(value: Swift.max(1, maxInFlight))
        maxSpares = Swift.max(1, maxInFlight) + lanes.count
    }

    /// The writers' pool: four pages in flight per lane, enough to keep every lane busy while
    /// the writer encodes the next page, and the bound every writer of the project uses.
    package convenience init(workers: Int, balancesLanes: Bool = false) {
        self.init(workers: workers, maxInFlight: 4 * workers, balancesLanes: balancesLanes)
    }

    /// A copy of `body` for a compression task, in a recycled buffer when one is spare.
    package func copy(_ body: UnsafeRawBufferPointer) -> [UInt8] {
        var buffer = spareBodies.withLock { $0.popLast() } ?? []
        buffer.removeAll(keepingCapacity: true)
        buffer.append(contentsOf: body)
        return buffer
    }

    /// Returns a body copy whose page is compressed, for `copy` to reuse.
    package func recycle(_ buffer: [UInt8]) {
        spareBodies.withLock { if $0.count < maxSpares { $0.append(buffer) } }
    }

    /// A page body taken from its writer's sink for a compression task (see `take`).
    package struct TakenBody: @unchecked Sendable {
        /// Holds the page; touched only by the task until it is recycled.
        package let sink: ByteSink
    }

    /// Spare sinks for `take`, at most `maxSpares`.
    private let spareSinks = Mutex<[TakenBody]>([])

    /// Takes `sink`'s memory and contents for a compression task and gives `sink` the smallest
    /// spare buffer of at least its capacity instead (empty; a new one when none is spare): no copy of the
    /// body, and the writer's next page is encoded into memory that is already faulted in.
    package func take(_ sink: ByteSink) -> TakenBody {
        let spare = spareSinks.withLock { all -> TakenBody? in
            // The smallest that fits: a larger one would count against the writer's budget.
            var best: Int?
            for i in all.indices where all[i].sink.capacity >= sink.capacity {
                if best.map({ all[i].sink.capacity < all[$0].sink.capacity }) ?? true { best = i }
            }
            return best.map { all.remove(at: $0) }
        } ?? TakenBody(sink: ByteSink(capacity: sink.capacity))
        spare.sink.removeAll()
        sink.swapStorage(with: spare.sink)
        return spare
    }

    /// Returns a taken body whose page is compressed, for `take` to reuse.
    package func recycle(_ taken: TakenBody) {
        spareSinks.withLock { if $0.count < maxSpares { $0.append(taken) } }
    }

    /// Lane states lent to writers' threads for the pages they compress themselves.
    private let inlineLanes = Mutex<[Lane]>([])

    /// Runs `body` with a lane state no other thread uses meanwhile (its compressors and
    /// scratch), borrowed from the pool and given back after: a writer compresses its small
    /// pages on its own thread with a compressor that is already set up.
    package func withInlineLane<T, E: Error>(_ body: (Lane) throws(E) -> T) throws(E) -> T {
        let lane = inlineLanes.withLock { $0.popLast() } ?? Lane(label: "fs.parquet.compress.inline")
        defer { inlineLanes.withLock { $0.append(lane) } }
        return try body(lane)
    }

    /// Pools are the same only when they are one object (options holding one compare equal).
    package static func == (a: PageCompressionPool, b: PageCompressionPool) -> Bool { a === b }

    /// The lane of column `index`: its home lane, where its pages go when no lane is less busy.
    package func lane(forColumn index: Int) -> Lane { lanes[index % lanes.count] }

    /// The lane with the fewest page bytes queued; `home` when it has no more than any other,
    /// or when the pool does not balance its lanes.
    package func leastBusyLane(preferring home: Lane) -> Lane {
        guard balancesLanes else { return home }
        var best = home, least = home.queuedBytes.load(ordering: .relaxed)
        for lane in lanes where lane !== home {
            let queued = lane.queuedBytes.load(ordering: .relaxed)
            if queued < least { (best, least) = (lane, queued) }
        }
        return best
    }
}
