#if canImport(Glibc)
import Glibc
#elseif canImport(Darwin)
import Darwin
#endif

/// A file opened once for reading by ranges (`pread`), closed when the last reference goes.
///
/// Why: a Parquet reader read its tail, head and footer and then each column chunk through a
/// function that opened and closed the file every time — with the `stat` for its size, ~10
/// system calls per file before the first chunk and 3 per chunk. fs-agg-online's 365
/// input files cost 2,301 opens on the thread that reads them. `pread` at explicit offsets
/// shares no file position, so one handle serves any number of threads.
public final class ReadOnlyFile: Sendable {
    public let path: String
    /// The size when opened.
    public let size: Int
    private let fd: Int32

    public init(_ path: String) throws(IOError) {
        let fd = open(path, O_RDONLY | O_CLOEXEC)
        guard fd >= 0 else { throw IOError(path: path, operation: "open", errno: errno) }
        var st = stat()
        guard fstat(fd, &st) == 0 else {
            let e = errno
            close(fd)
            throw IOError(path: path, operation: "fstat", errno: e)
        }
        self.path = path
        self.fd = fd
        size = Int(st.st_size)
    }

    deinit { close(fd) }

    /// Exactly `count` bytes at `offset` (the array is not zero-filled first: `pread` writes
    /// every byte of it, and a short file is an error).
    public func read(offset: Int, count: Int) throws(IOError) -> [UInt8] {
        var failure: IOError?
        let out = [UInt8](unsafeUninitializedCapacity: count) { buffer, initialized in
            var done = 0
            while done < count {
                let n = pread(fd, buffer.baseAddress! + done, count - done, off_t(offset + done))
                if n < 0 {
                    if errno == EINTR { continue }
                    failure = IOError(path: path, operation: "read", errno: errno)
                    break
                }
                if n == 0 {
                    failure = IOError(path: path, operation: "read (unexpected end of file)", errno: EIO)
                    break
                }
                done += n
            }
            // On a failure the bytes read so far are dropped with the array.
            initialized = failure == nil ? count : 0
        }
        if let failure { throw failure }
        return out
    }
}
