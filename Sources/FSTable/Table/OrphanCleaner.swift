import FSCore

/// Deletes what a crashed writer left under `_staging/` (§3.7, §3.10): files no commit can
/// ever name, since a writer moves a file out of staging before committing it.
///
/// Only files older than `gracePeriodMillis` go — the grace period protects files a concurrent
/// writer is still writing. Nothing outside `_staging/` is touched: a file in a partition
/// directory may be referenced by a snapshot a reader still uses (a tombstone within
/// `delta.deletedFileRetentionDuration`) or by a commit newer than ours, so deleting committed
/// or placed data is left to an explicit `Vacuum`, which honours the retention.
public struct OrphanCleaner: Sendable {
    /// Minimum age of a staged file before it is deleted.
    public var gracePeriodMillis: Int64
    public var clock: any WallClock

    /// One hour: far longer than any writer takes between writing a file and committing it.
    public static let defaultGracePeriodMillis: Int64 = 3_600_000

    public init(gracePeriodMillis: Int64 = OrphanCleaner.defaultGracePeriodMillis, clock: any WallClock = SystemWallClock()) {
        self.gracePeriodMillis = gracePeriodMillis
        self.clock = clock
    }

    /// Deletes the stale staged files of the table at `root`; returns their paths relative to
    /// the root (`_staging/…`).
    @discardableResult
    public func clean(root: String) throws -> [String] {
        let staging = LogPath(root: root).stagingDirectory
        guard FileSystem.isDirectory(staging) else { return [] }
        let now = clock.nowMicros() / 1000
        var deleted: [String] = []
        for rel in try FileSystem.walkFiles(staging) {
            let path = staging + "/" + rel
            guard let attrs = try? FileSystem.attributes(path), attrs.modifiedMillis < now - gracePeriodMillis else { continue }
            try FileSystem.removeFile(path)
            deleted.append(LogPath.stagingDirectoryName + "/" + rel)
        }
        return deleted.sorted()
    }
}
