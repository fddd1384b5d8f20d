import FSCore
import Synchronization

#if canImport(Glibc)
import Glibc
#endif

/// SIGTERM/SIGINT handling of a streaming job.
///
/// The first signal only raises a flag: the job finishes the micro-batch in flight, commits it
/// and exits 0. A second signal means "now": the process exits at once with 143 (SIGTERM) or
/// 130 (SIGINT) — safe, because an uncommitted batch is simply re-read on restart.
///
/// The flag is an `Atomic` (lock-free, so async-signal-safe): the handler writes it on whatever
/// thread the kernel picks while the job's threads read it.
package enum StopSignal {
    private static let received = Atomic<Int32>(0)

    /// Installs the handlers (once per process, before any thread is started) and unblocks
    /// both signals: a parent may have spawned us with them blocked (Foundation's `Process`
    /// inherits the launching thread's mask), which would make SIGTERM wait forever.
    package static func install() {
        signal(SIGTERM, stopSignalHandler)
        signal(SIGINT, stopSignalHandler)
        var set = sigset_t()
        sigemptyset(&set)
        sigaddset(&set, SIGTERM)
        sigaddset(&set, SIGINT)
        pthread_sigmask(SIG_UNBLOCK, &set, nil)
    }

    /// The first signal received, or nil.
    package static var pending: Int32? {
        let s = received.load(ordering: .acquiring)
        return s == 0 ? nil : s
    }

    /// The exit status of a second signal: 130 for SIGINT, 143 for SIGTERM (128 + the number).
    static func exitStatus(forSecond sig: Int32) -> ExitStatus {
        sig == SIGINT ? .interrupted : .terminated
    }

    fileprivate static func note(_ sig: Int32) {
        let (exchanged, _) = received.compareExchange(expected: 0, desired: sig, ordering: .acquiringAndReleasing)
        if !exchanged { _exit(exitStatus(forSecond: sig).rawValue) }
    }
}

private func stopSignalHandler(_ sig: Int32) { StopSignal.note(sig) }
