import Dispatch
import Synchronization
import Testing
@testable import FSTable

/// `StagedCommit.InFlight`: a writer over its budget waits only until the staged files still
/// being finished fit what it has left, not until the whole staged commit settled.
@Suite struct StagedCommitInFlightTests {
    /// Starts `wait(untilHeldAtMost:)` on another thread; the semaphore is signalled when it returns.
    func waiter(_ f: StagedCommit.InFlight, limit: Int) -> DispatchSemaphore {
        let done = DispatchSemaphore(value: 0)
        DispatchQueue.global().async {
            f.wait(untilHeldAtMost: limit)
            done.signal()
        }
        return done
    }

    @Test func aWaiterGoesOnOnceTheStagedFilesFitItsLimitBeforeTheCommitSettles() {
        let f = StagedCommit.InFlight()
        f.enter(100)
        let done = waiter(f, limit: 50)
        #expect(done.wait(timeout: .now() + .milliseconds(50)) == .timedOut)
        f.release(30)  // 70 left: still over
        #expect(done.wait(timeout: .now() + .milliseconds(50)) == .timedOut)
        f.release(30)  // 40 left, the commit not settled
        #expect(done.wait(timeout: .now() + .seconds(10)) == .success)
        #expect(f.heldBytes == 40)
        f.leave(40)
        #expect(f.heldBytes == 0)
    }

    @Test func aLimitBelowZeroWaitsForEveryStagedCommitToSettle() {
        let f = StagedCommit.InFlight()
        f.enter(10)
        let done = waiter(f, limit: -1)
        f.release(10)  // nothing held, but the commit has not settled
        #expect(done.wait(timeout: .now() + .milliseconds(50)) == .timedOut)
        f.leave(0)
        #expect(done.wait(timeout: .now() + .seconds(10)) == .success)
    }

    @Test func nothingInFlightOrUnderTheLimitDoesNotWait() {
        let f = StagedCommit.InFlight()
        f.wait(untilHeldAtMost: -5)  // no staged commit
        f.enter(10)
        f.wait(untilHeldAtMost: 10)
        f.leave(10)
    }
}
