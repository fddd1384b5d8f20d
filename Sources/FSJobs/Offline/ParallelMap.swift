import Dispatch

/// `body(0) … body(count - 1)` on all cores, results in index order: the offline output's
/// finish, concatenation and key-order gather are a column (or a key partition) per task, and
/// run on one core after the parallel pass otherwise (about a tenth of the job's CPU at 10M
/// orders, all of it on the critical path).
func parallelMap<T: Sendable>(count: Int, _ body: @Sendable (Int) -> T) -> [T] {
    guard count > 1 else { return (0..<count).map(body) }
    let slots = ParallelSlots<T>(count: count)
    DispatchQueue.concurrentPerform(iterations: count) { i in slots.set(i, body(i)) }
    return slots.values()
}

/// One result slot per task: each written by exactly one task and read only after
/// `concurrentPerform` returned, so the slots never race.
private final class ParallelSlots<T>: @unchecked Sendable {
    private let slots: UnsafeMutablePointer<T?>
    private let count: Int

    init(count: Int) {
        self.count = count
        slots = .allocate(capacity: count)
        slots.initialize(repeating: nil, count: count)
    }

    deinit {
        slots.deinitialize(count: count)
        slots.deallocate()
    }

    func set(_ i: Int, _ value: T) { slots[i] = value }

    func values() -> [T] {
        (0..<count).map { i in
            guard let v = slots[i] else { preconditionFailure("parallel task \(i) produced no result") }
            return v
        }
    }
}
