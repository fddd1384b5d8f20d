import FSCore

/// Deletes data files no snapshot will ever reference: what a crashed writer left behind
/// (§3.7, §3.10), and removed files once their tombstone is old enough.
///
/// A file is an orphan when it is under `_staging/`, or is a non-hidden `*.parquet` file in the
/// table's data directories, is referenced neither by a live `add` nor by a tombstone, and was
/// last modified more than `gracePeriodMillis` ago — the grace period protects files a
/// concurrent writer is still writing or has not committed yet. Tombstoned files are deleted
/// once their `deletionTimestamp` is older than `tombstoneRetentionMillis`, so plain-Parquet
/// readers (which list directories) stop seeing replaced data; Delta time travel to versions
/// older than that retention then fails, which fs accepts.
public struct OrphanCleaner: Sendable {
    /// Minimum age of an unreferenced file before it is deleted.
    public var gracePeriodMillis: Int64
    /// Minimum age of a tombstone before its file is deleted; nil keeps removed files forever.
    public var tombstoneRetentionMillis: Int64?
    public var clock: any WallClock

    /// One hour: far longer than any writer takes between writing a file and committing it.
    public static let defaultGracePeriodMillis: Int64 = 3_600_000

    public init(gracePeriodMillis: Int64 = OrphanCleaner.defaultGracePeriodMillis, tombstoneRetentionMillis: Int64? = OrphanCleaner.defaultGracePeriodMillis,
                clock: any WallClock = SystemWallClock()) {
        self.gracePeriodMillis = gracePeriodMillis
        self.tombstoneRetentionMillis = tombstoneRetentionMillis
        self.clock = clock
    }

    /// Deletes the orphans of `snapshot`'s table; returns their paths relative to the root.
    @discardableResult
    public func clean(_ snapshot: Snapshot) throws -> [String] {
        let root = snapshot.root
        let now = clock.nowMicros() / 1000
        let files = try FileSystem.walkFiles(root) { dir in
            let first = dir.split(separator: "/").first.map(String.init) ?? dir
            if first == LogPath.stagingDirectoryName { return true }
            return !dir.split(separator: "/").contains { LogPath.isHidden(component: $0) }
        }
        var deleted: [String] = []
        for rel in files {
            let isStaged = rel.hasPrefix(LogPath.stagingDirectoryName + "/")
            let name = rel.split(separator: "/").last.map(String.init) ?? rel
            if !isStaged && (LogPath.isHidden(component: name) || !name.hasSuffix(".parquet")) { continue }
            if snapshot.files[rel] != nil { continue }
            if let tomb = snapshot.tombstones[rel] {
                guard let retention = tombstoneRetentionMillis, let at = tomb.deletionTimestamp, at < now - retention else { continue }
            }
            let path = root + "/" + rel
            guard let attrs = try? FileSystem.attributes(path), attrs.modifiedMillis < now - gracePeriodMillis else { continue }
            try FileSystem.removeFile(path)
            deleted.append(rel)
        }
        return deleted
    }
}
