import Dispatch
@testable import FSJobs
import Synchronization
import Testing

/// `BackgroundWriter`: the order, bound and sticky-failure guarantees that ingest's
/// `ChunkWriter` and the online job's `OnlineOutputPipeline` rely on.
@Suite struct BackgroundWriterTests {
    struct Boom: Error, Equatable { var n: Int }

    @Test func tasksRunInSubmissionOrder() {
        let w = BackgroundWriter(label: "test.order", maxInFlight: 3)
        let seen = Mutex<[Int]>([])
        for i in 0..<200 { w.enqueue { seen.withLock { $0.append(i) } } }
        w.drain()
        #expect(seen.withLock { $0 } == Array(0..<200))
        #expect(w.failure == nil)
    }

    @Test func tasksAfterAFailureAreDroppedUntilItIsTaken() {
        let w = BackgroundWriter(label: "test.failure", maxInFlight: 2)
        let ran = Mutex<[Int]>([])
        w.enqueue { ran.withLock { $0.append(1) } }
        w.enqueue { throw Boom(n: 2) }
        w.enqueue { ran.withLock { $0.append(3) } }
        w.enqueue { throw Boom(n: 4) }
        w.drain()
        #expect(ran.withLock { $0 } == [1])
        #expect(w.hasFailed)
        #expect((w.failure as? Boom) == Boom(n: 2))
        #expect((w.takeFailure() as? Boom) == Boom(n: 2))
        #expect(!w.hasFailed)
        w.enqueue { ran.withLock { $0.append(5) } }
        w.drain()
        #expect(ran.withLock { $0 } == [1, 5])
    }

    @Test func enqueueBlocksOnceMaxInFlightTasksArePending() {
        let w = BackgroundWriter(label: "test.bound", maxInFlight: 1)
        let gate = DispatchSemaphore(value: 0)
        w.enqueue { gate.wait() }
        // The first task holds the only slot: a second enqueue returns only after the gate opens.
        let secondQueued = Atomic<Bool>(false)
        let done = DispatchSemaphore(value: 0)
        DispatchQueue.global().async {
            w.enqueue {}
            secondQueued.store(true, ordering: .sequentiallyConsistent)
            done.signal()
        }
        #expect(done.wait(timeout: .now() + .milliseconds(200)) == .timedOut)
        let queuedEarly = secondQueued.load(ordering: .sequentiallyConsistent)
        #expect(!queuedEarly)
        gate.signal()
        done.wait()
        w.drain()
        let queuedAfter = secondQueued.load(ordering: .sequentiallyConsistent)
        #expect(queuedAfter)
    }

    @Test func syncSeesWhatEarlierTasksWrote() {
        final class Box: @unchecked Sendable { var value = 0 }
        let box = Box()
        let w = BackgroundWriter(label: "test.sync", maxInFlight: 2)
        for _ in 0..<50 { w.enqueue { box.value += 1 } }
        #expect(w.sync { box.value } == 50)
    }
}
