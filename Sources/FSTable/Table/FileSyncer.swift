import Dispatch
import FSCore
import Synchronization

/// fsyncs files and directories on background threads and reports the first failure.
///
/// fsync is I/O-bound and mostly waits for the journal, so syncing a commit's files one after
/// the other costs one disk round trip each (about 5 ms on the bench machine, 2 s for a year
/// of day files). Submitted in parallel, concurrent fsyncs share journal commits, and files
/// finished early are synced while the writer encodes the next ones:
///
/// ```
///  finish file ──► submit(staging, group) ──┐  (queues: more threads than cores, they mostly wait)
///  …encode next files…                      ├─► fsync ─┐
///  commit: group.wait() ◄───────────────────┘          │ first error rethrown, nothing renamed
///          rename into place ──► submit(dirs, group) ──► group.wait() ──► log commit
/// ```
/// Each job runs on one of `threads` serial queues (round robin); a serial queue owns a
/// thread while it drains, so blocking fsyncs never starve the compression pool.
///
/// A commit of many files (a backfill's year of day files) pays a flush and an inode write
/// per file that way: past a threshold, a `Group` leaves its further files to one syncfs of
/// the table's file system at the commit (`Group.admitFile`, `FileSystemSync`).
package final class FileSyncer: Sendable {
    /// Makes one path durable (`FileSystem.fsyncFile` or `fsyncDirectory`; tests inject failures).
    package typealias Sync = @Sendable (_ path: String, _ isDirectory: Bool) throws(IOError) -> Void

    private let queues: [DispatchQueue]
    private let next = Atomic<UInt>(0)
    private let sync: Sync

    /// The fsyncs of one commit: waited for, and failed, together.
    ///
    /// Why separate from the syncer: a pipelined writer (`TableWriter.stage`) has the files of
    /// one commit being synced and renamed while the next commit's files are already being
    /// finished; each commit must wait for its own files only, and a failure of the next
    /// commit's file must not fail this one.
    package final class Group: Sendable {
        fileprivate let group = DispatchGroup()
        fileprivate let failure = Mutex<IOError?>(nil)
        /// The file system opened when the group started, before any of its files was written
        /// (so its `sync` reports their writeback errors); nil: every file is fsynced alone.
        private let fileSystem: FileSystemSync?
        /// Files fsynced alone before the rest are left to `fileSystem`.
        private let threshold: Int
        /// Files admitted so far, and the file systems the commit must sync.
        private let admitted = Mutex<(files: Int, fileSystems: [FileSystemSync])>((0, []))

        /// A group whose files are all fsynced one by one.
        package convenience init() { self.init(fileSystemOf: nil, threshold: nil) }

        /// A group that fsyncs its first `threshold` files one by one and leaves the others to
        /// one syncfs of the file system of directory `root` at the commit (`fileSystems`);
        /// with either nil, or where syncfs does not report writeback errors, every file is
        /// fsynced alone.
        package init(fileSystemOf root: String?, threshold: Int?) {
            if let root, let threshold {
                fileSystem = FileSystemSync(directory: root)
                self.threshold = threshold
            } else {
                fileSystem = nil
                self.threshold = .max
            }
        }

        /// Counts a finished file in; true when it is to be fsynced alone (`FileSyncer.submit`),
        /// false when the group's file system sync covers it — its writeback should be started
        /// (`FileSystemSync.startWriteback`), and the commit syncs `fileSystems` before any
        /// name points at it.
        package func admitFile() -> Bool {
            guard let fileSystem else { return true }
            return admitted.withLock { a in
                a.files += 1
                guard a.files > threshold else { return true }
                if a.files == threshold + 1 { a.fileSystems.append(fileSystem) }
                return false
            }
        }

        /// The file systems to sync before the commit: this group's once it passed its
        /// threshold, and those of the groups it included.
        package var fileSystems: [FileSystemSync] { admitted.withLock { $0.fileSystems } }

        /// Makes this group wait for (and fail with) every fsync submitted to `other` so far: a
        /// lane's staged files join the owner's commit (`TableWriter.adopt`). Nothing may be
        /// submitted to `other` afterwards; its file system sync, if it needs one, becomes this
        /// group's.
        package func include(_ other: Group) {
            // Repeats are harmless: the commit syncs the oldest handle per file system (`FileSystemSync.oldest`).
            let theirs = other.fileSystems
            admitted.withLock { $0.fileSystems.append(contentsOf: theirs) }
            group.enter()
            other.group.notify(queue: .global()) { [self] in
                if let e = other.failure.withLock({ f -> IOError? in defer { f = nil }; return f }) {
                    failure.withLock { if $0 == nil { $0 = e } }
                }
                group.leave()
            }
        }

        /// Blocks until every path submitted to the group is synced; throws the first failure
        /// (and forgets it, so the group can serve again).
        package func wait() throws(IOError) {
            group.wait()
            if let e = failure.withLock({ f -> IOError? in defer { f = nil }; return f }) { throw e }
        }

        /// Blocks until every submitted job ended, dropping failures (abort paths: the files are
        /// being deleted anyway).
        package func drain() {
            group.wait()
            failure.withLock { $0 = nil }
        }
    }

    /// The fsyncs `TableWriter` uses by default.
    package static let system: Sync = { path, isDirectory throws(IOError) in
        if isDirectory { try FileSystem.fsyncDirectory(path) } else { try FileSystem.fsyncFile(path) }
    }

    init(threads: Int = 8, sync: @escaping Sync = FileSyncer.system) {
        queues = (0..<Swift.max(1, threads)).map { DispatchQueue(label: "fs.table.fsync.\($0)") }
        self.sync = sync
    }

    /// Starts making `path` durable; `group.wait` reports the outcome.
    func submit(_ path: String, isDirectory: Bool = false, to group: Group) {
        let q = queues[Int(next.wrappingAdd(1, ordering: .relaxed).oldValue % UInt(queues.count))]
        group.group.enter()
        q.async { [self] in
            defer { group.group.leave() }
            do throws(IOError) { try sync(path, isDirectory) } catch {
                group.failure.withLock { if $0 == nil { $0 = error } }
            }
        }
    }
}
