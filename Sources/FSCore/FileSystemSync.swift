import CFileSync
import Synchronization
#if canImport(Glibc)
import Glibc
#endif

/// The file system holding a directory, opened to make everything written on it durable at
/// once (syncfs(2)) and to report every writeback error since it was opened.
///
/// Why: making a commit's files durable one fsync at a time costs, per file, a synchronous
/// inode write and a device cache flush, each an I/O round trip that wakes a thread: for
/// fs-agg-online's 365 day files a run made ~750 flushes and ~2,000 wake-ups. Starting each
/// file's writeback when it is finished (`startWriteback`) and one `sync` before the commit
/// write the same data with one flush: 7–9% less CPU time and 6–8% less wall time for that
/// run (bench/ANALYSIS.md, issue 15).
///
/// Errors: syncfs reports a writeback error that happened anywhere on the file system since
/// the descriptor was opened (Linux ≥ 5.8, `errseq` per super block), so a handle must be
/// opened before the files it vouches for are written — `TableWriter` opens one per commit's
/// group of files when the group starts. Errors of other files on the same file system are
/// reported too: the commit then fails, which is safe. Older kernels return success on a
/// writeback error: `init` returns nil there and callers fsync file by file instead.
public final class FileSystemSync: Sendable {
    /// The directory the handle was opened on (error messages).
    public let path: String
    /// Handles opened earlier have smaller numbers: on one file system, a `sync` of the oldest
    /// reports every error the others would (`oldest`).
    public let openedOrder: UInt64
    private let fd: Int32
    private static let opened = Atomic<UInt64>(0)

    /// Opens the file system of directory `path`; nil when the kernel's syncfs does not report
    /// writeback errors or `path` cannot be opened (the caller then syncs file by file).
    public init?(directory path: String) {
        guard Self.isReliable else { return nil }
        let fd = open(path, O_RDONLY | O_DIRECTORY | O_CLOEXEC)
        guard fd >= 0 else { return nil }
        self.path = path
        self.fd = fd
        openedOrder = Self.opened.add(1, ordering: .relaxed).newValue
    }

    deinit { close(fd) }

    /// Writes back everything dirty on the file system, waits, flushes the device; throws a
    /// writeback error that happened since the handle was opened (or since the last `sync`
    /// that reported one). syncfs(2).
    public func sync() throws(IOError) {
        while fs_syncfs(fd) != 0 {
            if errno == EINTR { continue }
            throw IOError(path: path, operation: "syncfs", errno: errno)
        }
    }

    /// The handles to sync so that every one of `handles` has its errors reported: the oldest
    /// per file system (`st_dev` of its directory), since syncfs reports errors per super block.
    public static func oldest(_ handles: [FileSystemSync]) -> [FileSystemSync] {
        var byDevice: [UInt64: FileSystemSync] = [:]
        for h in handles {
            var st = stat()
            let device = fstat(h.fd, &st) == 0 ? UInt64(st.st_dev) : UInt64.max &- h.openedOrder
            if let known = byDevice[device], known.openedOrder <= h.openedOrder { continue }
            byDevice[device] = h
        }
        return byDevice.values.sorted { $0.openedOrder < $1.openedOrder }
    }

    /// Starts writing back the dirty pages of the open file `fd` without waiting
    /// (sync_file_range(2) with SYNC_FILE_RANGE_WRITE), so that a later `sync` finds them
    /// written or under way instead of writing them all at once. Failures are left to `sync`,
    /// which reports writeback errors.
    public static func startWriteback(fd: Int32) {
        _ = fs_start_writeback(fd)
    }

    /// Whether syncfs reports writeback errors: Linux 5.8 or later.
    public static let isReliable: Bool = {
        var u = utsname()
        guard uname(&u) == 0 else { return false }
        let release = withUnsafeBytes(of: &u.release) { String(decoding: $0.prefix { $0 != 0 }, as: UTF8.self) }
        return kernelReportsSyncfsErrors(release: release)
    }()

    /// Parses `major.minor` of a kernel release (`6.1.0-13-amd64`): true from 5.8 on.
    package static func kernelReportsSyncfsErrors(release: String) -> Bool {
        let parts = release.split(whereSeparator: { !$0.isNumber }).prefix(2).compactMap { Int($0) }
        guard parts.count == 2 else { return false }
        return (parts[0], parts[1]) >= (5, 8)
    }
}
