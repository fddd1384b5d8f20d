import Dispatch
import FSCore
import FSTable
import Synchronization

/// A first publish's read and reduction, started on another thread before the store has said
/// which source version it holds, and used only if it says "none".
///
/// ```
///  calling thread:  target.prepare ─ publishedVersion ──────────(round trips)──┐
///  other thread:    ChangeReader(snapshot, published: nil) ─ ParallelReduction ─┤
///                                                                              ▼
///  published == nil        ─► take() : the reduction, as if run after the state read
///  published == snapshot   ─► cancel() : nothing to publish, the read stops at its next batch
///  published == p (older)  ─► cancel() (returns at once), read again from p (only what is new)
/// ```
/// Why: a Kafka target learns its published version from the broker, and the first request of a
/// fresh producer waits for the connection, the API versions and the metadata: 6.5–42 ms of wall
/// at ~0 CPU (kafkapub4's phase trace), in series before the table read, which is itself ~25 ms of
/// a 50k-row publish. The decision stays exact — the rows published are always those of
/// `ChangeReader(snapshot, published: <the store's answer>)`; a wrong guess costs only the CPU the
/// read spent until it was cancelled.
final class SpeculativeReduction: Sendable {
    /// The published version this read assumes: a first publish.
    static let assumedPublished: Int64? = nil

    private let cancelled = Atomic<Bool>(false)
    /// Set by the first `take` or `cancel`: the read's thread is done and its result consumed.
    private let settled = Atomic<Bool>(false)
    private let finished = DispatchSemaphore(value: 0)
    private let outcome = Mutex<Result<Reduced, any Error>?>(nil)

    /// What a reduction gives a publish cycle: the files chosen and the newest row per key.
    struct Reduced: @unchecked Sendable {
        // @unchecked: handed from the reading thread to the caller once, after `finished`
        // is signalled, and never touched by the reading thread again.
        var reader: ChangeReader
        var reducer: LatestPerKey
        /// When the read began (`monotonicSeconds`), so the cycle's log line times the read too.
        var startedAt: Double
    }

    /// Starts reading every file of `snapshot` (columns of `source`) on a thread of its own.
    init(snapshot: Snapshot, source: PublishSource, threads: Int) {
        let startedAt = monotonicSeconds()
        DispatchQueue.global(qos: .userInitiated).async { [self] in
            let result = Result { () throws -> Reduced in
                let reader = ChangeReader(snapshot: snapshot, published: Self.assumedPublished)
                let reducer = try ParallelReduction.reduce(reader, source: source, threads: threads) { [self] in
                    cancelled.load(ordering: .relaxed)
                }
                return Reduced(reader: reader, reducer: reducer, startedAt: startedAt)
            }
            outcome.withLock { $0 = result }
            finished.signal()
        }
    }

    /// Waits for the read and returns it, or throws what it threw. Called at most once, and
    /// not after `cancel`.
    func take() throws -> Reduced {
        precondition(!settled.exchange(true, ordering: .relaxed), "a speculative reduction is taken or cancelled once")
        finished.wait()
        guard let result = outcome.withLock({ $0.take() }) else { preconditionFailure("speculative reduction signalled without a result") }
        return try result.get()
    }

    /// Asks the read to stop at its next batch and returns at once: the caller then reads from
    /// the real version without waiting for it (a whole-table `ChangeReader` of a long log
    /// replays up to `maxCommitsReadForOrder` commit files before its first batch, and that is
    /// not interruptible). The thread holds only the snapshot, which is immutable; its result is
    /// dropped. Nothing once the result was taken (so a `defer` can always call it).
    func cancel() {
        if settled.exchange(true, ordering: .relaxed) { return }
        cancelled.store(true, ordering: .relaxed)
    }
}
