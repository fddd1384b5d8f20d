/// When a commit is followed by a checkpoint.
///
/// Spark checkpoints every `delta.checkpointInterval` (10) commits. Each checkpoint rewrites every
/// live file, so on a streaming table that only grows, the log grows with commits × files: the
/// issue measured 54 KB of `_delta_log` per commit at 4,000 commits of a 50-row stream. fs
/// spaces checkpoints by size instead:
///
/// ```
///  checkpoint after commit v  ⇔  v − lastCheckpoint ≥ minCommits (10)
///                               and JSON bytes since lastCheckpoint ≥ ratio × lastCheckpoint bytes
/// ```
/// Every checkpoint is then paid for by at least `ratio` times its size in JSON commits, so all
/// checkpoints together are at most `1/ratio` times the JSON ever written and `_delta_log/`
/// grows linearly with commits (about (1 + 1/ratio) × the average commit). A reader replays
/// the newest checkpoint plus at most about `ratio` times its size of JSON, so load time stays
/// proportional to the table's size. The first checkpoint comes after `minCommits` commits.
///
/// A table that sets `delta.checkpointInterval` gets Spark's fixed interval: the operator asked
/// for it.
public struct CheckpointPolicy: Sendable, Equatable {
    /// Least commits between two checkpoints.
    public var minCommits: Int64
    /// JSON bytes since the last checkpoint, as a multiple of its size, that call for the next.
    public var ratio: Double

    /// 10 commits (Spark's interval) and a ratio of 1: the log after a checkpoint is about as
    /// large as the checkpoint before the next one is written.
    public static let `default` = CheckpointPolicy(minCommits: 10, ratio: 1.0)

    public init(minCommits: Int64, ratio: Double) {
        self.minCommits = minCommits
        self.ratio = ratio
    }

    /// True when the commit that produced `snapshot` should be followed by a checkpoint.
    public static func shouldCheckpoint(_ snapshot: Snapshot, policy: CheckpointPolicy = .default) -> Bool {
        if let every = snapshot.explicitCheckpointInterval { return snapshot.version % every == 0 }
        guard snapshot.version > 0 else { return false }
        guard let last = snapshot.lastCheckpoint else { return snapshot.version >= policy.minCommits }
        guard snapshot.version - last.version >= policy.minCommits else { return false }
        return Double(snapshot.logBytesSinceCheckpoint) >= policy.ratio * Double(last.bytes)
    }
}
