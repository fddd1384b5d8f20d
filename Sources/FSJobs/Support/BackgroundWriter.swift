import Dispatch
import FSCore
import Synchronization

/// Runs a job's table writes (and commits) on one background thread, in submission order, while
/// the job's own thread produces what comes next.
///
/// ```
///  caller:  produce₁ ── enqueue₁ ── produce₂ ── enqueue₂ ── produce₃ ── … ── drain()
///  queue:                 task₁ ──────────────── task₂ ─────────── task₃ ──┘
/// ```
/// Why one type: fs-ingest's `ChunkWriter` (parse ∥ encode) and fs-agg-online's
/// `OnlineOutputPipeline` (merge ∥ encode) both need the same three guarantees, and each had
/// its own copy of them:
/// - **Order**: the queue is serial, so a commit queued after a batch's writes runs after them.
/// - **Bounded memory**: at most `maxInFlight` tasks wait; `enqueue` blocks past that, and the
///   time it blocked is returned (the "writer is behind" phase of a job's timings).
/// - **Sticky failure**: after the first task throws, every later task is dropped — a commit must
///   never land after a failed earlier write — and the error stays until `takeFailure`.
///
/// The tasks own whatever they touch (a `TableWriter` is handed over to the queue until
/// `drain` returns), which is why the closures are `@Sendable`.
final class BackgroundWriter: Sendable {
    private let queue: DispatchQueue
    private let slots: DispatchSemaphore
    /// The first error a task threw (nil: none yet, or taken).
    private let firstFailure = Mutex<(any Error)?>(nil)

    /// `label` names the thread in a debugger or profile; `maxInFlight` (≥ 1) bounds the queued tasks.
    init(label: String, maxInFlight: Int) {
        queue = DispatchQueue(label: label)
        slots = DispatchSemaphore(value: max(1, maxInFlight))
    }

    /// Queues `task`; blocks while `maxInFlight` tasks are pending. Returns the seconds blocked.
    /// The task is skipped when an earlier one failed and the failure was not taken yet.
    @discardableResult
    func enqueue(_ task: @escaping @Sendable () throws -> Void) -> Double {
        var waited = 0.0
        if slots.wait(timeout: .now()) != .success {
            let t0 = monotonicSeconds()
            slots.wait()
            waited = monotonicSeconds() - t0
        }
        queue.async { [self] in
            defer { slots.signal() }
            guard !hasFailed else { return }
            do { try task() } catch { firstFailure.withLock { if $0 == nil { $0 = error } } }
        }
        return waited
    }

    /// Whether a task failed (and the failure was not taken yet).
    var hasFailed: Bool { firstFailure.withLock { $0 != nil } }

    /// The first failure, without clearing it (later tasks stay dropped).
    var failure: (any Error)? { firstFailure.withLock { $0 } }

    /// Returns the first failure and clears it, so the queue accepts work again (fs-agg-online
    /// rethrows a trigger's failure and may be retried by its caller).
    func takeFailure() -> (any Error)? {
        firstFailure.withLock { f in defer { f = nil }; return f }
    }

    /// Waits until every queued task ran; returns the seconds waited.
    @discardableResult
    func drain() -> Double {
        let t0 = monotonicSeconds()
        queue.sync {}
        return monotonicSeconds() - t0
    }

    /// Runs `body` on the writer thread after the queued tasks (to read state only tasks write).
    func sync<T>(_ body: () throws -> T) rethrows -> T {
        try queue.sync(execute: body)
    }
}
