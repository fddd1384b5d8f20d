import FSCore

/// Removes expired log files: commits and checkpoints older than `delta.logRetentionDuration`
/// (30 days by default) that no version within the retention needs (Delta's "metadata
/// cleanup", run after a checkpoint as Spark does).
///
/// ```
///  versions:  0 … c−1 │ c (checkpoint) … v_min−1 │ v_min … latest
///             deleted │ kept: c is the newest     │ committed after now − retention:
///                     │ checkpoint ≤ v_min        │ time travel must keep working
/// ```
/// `v_min` is the oldest commit whose file is younger than the cutoff; everything a snapshot at
/// `v_min` or later needs is checkpoint `c` plus the commits from `c + 1`, so commit files,
/// checkpoints and `.crc` files of versions below `c` go, oldest first (a reader that listed
/// just before finds its newer starting point intact). Nothing is removed without a
/// checkpoint to stand in for it, and never the newest checkpoint's chain.
public struct LogCleanup: Sendable {
    public var clock: any WallClock

    /// Spark's default `delta.logRetentionDuration`: 30 days.
    public static let defaultRetentionMillis: Int64 = 30 * 86_400_000

    public init(clock: any WallClock = SystemWallClock()) { self.clock = clock }

    /// The table's log retention (`delta.logRetentionDuration`, default 30 days).
    public static func retentionMillis(_ snapshot: Snapshot) -> Int64 {
        snapshot.metadata.configuration[TableProperty.logRetentionDuration].flatMap(Checkpoint.parseIntervalMillis) ?? defaultRetentionMillis
    }

    /// False when the table sets `delta.enableExpiredLogCleanup=false`.
    public static func isEnabled(_ snapshot: Snapshot) -> Bool {
        snapshot.metadata.configuration[TableProperty.enableExpiredLogCleanup]?.lowercased() != "false"
    }

    /// What one cleanup removed (file names inside `_delta_log`) and the version the log now
    /// starts at (its oldest checkpoint or commit).
    public struct Result: Sendable, Equatable {
        public var deleted: [String]
        public var oldestVersion: Int64?
    }

    /// Deletes the expired files of `log`, never anything at or above `newestCheckpoint`.
    /// `retentionMillis` defaults to the table's property (read from the newest snapshot's
    /// metadata when nil).
    @discardableResult
    public func clean(_ log: LogPath, newestCheckpoint: Int64? = nil, retentionMillis: Int64? = nil) throws -> Result {
        let listing = try LogReplay.list(log)
        let retention: Int64
        if let r = retentionMillis { retention = r } else { retention = LogCleanup.retentionMillis(try LogReplay.snapshot(log)) }
        let cutoff = clock.nowMicros() / 1000 - retention
        // The oldest commit inside the retention (or past the newest one: all are expired).
        var firstKept = (listing.latestVersion ?? 0) + 1
        for v in listing.commits {
            guard let a = try? FileSystem.attributes(log.commitFile(v)) else { continue }
            if a.modifiedMillis > cutoff { firstKept = v; break }
        }
        let limit = min(firstKept, newestCheckpoint ?? Int64.max)
        guard let keep = listing.checkpoints.last(where: { $0.version <= limit })?.version else {
            return Result(deleted: [], oldestVersion: listing.checkpoints.first?.version ?? listing.commits.first)
        }
        var doomed: [(Int64, String)] = []
        for name in try FileSystem.listDirectory(log.logDirectory) {
            let version: Int64?
            if let v = LogPath.commitVersion(fileName: name) { version = v }
            else if let c = LogPath.checkpoint(fileName: name) { version = c.version }
            else if name.hasSuffix(".crc"), name.utf8.count == 24 { version = Int64(name.prefix(20)) }
            else { version = nil }
            if let v = version, v < keep { doomed.append((v, name)) }
        }
        doomed.sort { ($0.0, $0.1) < ($1.0, $1.1) }
        for (_, name) in doomed { try? FileSystem.removeFile(log.logDirectory + "/" + name) }  // a concurrent cleaner may be first
        if !doomed.isEmpty { try FileSystem.fsyncDirectory(log.logDirectory) }
        return Result(deleted: doomed.map(\.1), oldestVersion: keep)
    }
}
