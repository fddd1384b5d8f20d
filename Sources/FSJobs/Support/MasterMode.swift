import FSCore

/// The `--master-mode` flag of the original jobs, reinterpreted for one process:
/// `local` = 1 worker thread, `local[N]` = N, `local[*]` = every core.
///
/// Spark's cluster masters (`yarn`, `spark://…`, `k8s://…`) have no meaning here; they are a usage
/// error whose message says how fs scales out instead.
public struct MasterMode: Sendable, Equatable, CustomStringConvertible {
    /// Worker threads the job may use (≥ 1).
    public var threads: Int
    public var text: String

    /// A mode already known to be valid (the tools' `local[*]`).
    init(threads: Int, text: String) {
        self.threads = threads
        self.text = text
    }

    public init(parsing text: String, availableCores: Int = systemCoreCount()) throws(UsageError) {
        let t = text.trimmingSpaces()
        self.text = t
        if t == "local" { threads = 1; return }
        guard t.hasPrefix("local["), t.hasSuffix("]") else {
            throw UsageError(flag: "--master-mode", message: "'\(text)' is not supported: use local, local[N] or local[*]. fs runs one process per job; to scale out, run more processes in the same consumer group (ingest) or split the date range / partitions (offline)")
        }
        let inner = String(t.dropFirst(6).dropLast())
        if inner == "*" { threads = max(1, availableCores); return }
        guard let n = Int(inner), n >= 1, n <= 1024 else {
            throw UsageError(flag: "--master-mode", message: "'\(text)': the thread count in local[N] must be an integer from 1 to 1024, or *")
        }
        threads = n
    }

    public var description: String { "\(text) (\(threads) thread\(threads == 1 ? "" : "s"))" }
}

/// Online cores of this machine.
public func systemCoreCount() -> Int {
    #if canImport(Glibc)
    return Int(sysconf(Int32(_SC_NPROCESSORS_ONLN)))
    #else
    return 1
    #endif
}

extension String {
    /// The string without leading and trailing spaces/tabs (no Foundation).
    package func trimmingSpaces() -> String {
        var s = Substring(self)
        while let f = s.first, f == " " || f == "\t" { s.removeFirst() }
        while let l = s.last, l == " " || l == "\t" { s.removeLast() }
        return String(s)
    }
}

#if canImport(Glibc)
import Glibc
#endif
