#if canImport(Glibc)
import Glibc
#endif

/// SIGTERM/SIGINT handling of a streaming job.
///
/// The first signal only raises a flag: the job finishes the micro-batch in flight, commits it
/// and exits 0. A second signal means "now": the process exits at once with 143 (SIGTERM) or
/// 130 (SIGINT) — safe, because an uncommitted batch is simply re-read on restart.
package enum StopSignal {
    nonisolated(unsafe) private static var received: Int32 = 0

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
        let s = received
        return s == 0 ? nil : s
    }

    fileprivate static func note(_ sig: Int32) {
        if received != 0 { _exit(128 + sig) }
        received = sig
    }
}

private func stopSignalHandler(_ sig: Int32) { StopSignal.note(sig) }
