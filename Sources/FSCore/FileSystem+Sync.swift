#if canImport(Glibc)
import Glibc
#elseif canImport(Darwin)
import Darwin
#endif

extension FileSystem {
    /// fsyncs a file that was written and closed earlier, by opening it again.
    ///
    /// Lets a writer close a finished file at once and make it durable later, on another thread
    /// (`TableWriter` syncs the files of a commit in parallel). fsync acts on the file, not on
    /// the descriptor: a fresh descriptor flushes every dirty page of the file, and a writeback
    /// error no descriptor has seen yet is reported to it (Linux ≥ 4.16).
    public static func fsyncFile(_ path: String) throws(IOError) {
        let fd = open(path, O_RDONLY | O_CLOEXEC)
        guard fd >= 0 else { throw IOError(path: path, operation: "open for fsync", errno: errno) }
        defer { close(fd) }
        while fsync(fd) != 0 {
            if errno == EINTR { continue }
            throw IOError(path: path, operation: "fsync", errno: errno)
        }
    }
}
