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
///                               and JSON actions since lastCheckpoint ≥ ratio × lastCheckpoint rows
/// ```
/// Every checkpoint is then paid for by at least `ratio` times its size in JSON commits, so all
/// checkpoints together are at most `1/ratio` times the JSON ever written and `_delta_log/`
/// grows linearly with commits (about (1 + 1/ratio) × the average commit).
///
/// The rows rule bounds the writer's time, not the log's bytes. A checkpoint costs time by its
/// rows, and Parquet compresses rows far better than JSON (a tombstone is ~15 bytes in a
/// checkpoint, ~250 in a commit), so the bytes rule alone let a compacting stream, whose
/// tombstones pile up for the 7-day retention, checkpoint every ~10 commits at a cost growing
/// with every tombstone (profiled on fs-ingest: `Checkpoint.write`'s share of the time grew
/// 3–4× over 1,500 commits). Waiting for as many JSON actions as the last checkpoint had rows
/// pays for each checkpoint's rows with as many committed actions, so its amortized cost per
/// commit stays flat.
///
/// A reader replays the newest checkpoint plus about as many JSON actions (and at least as many
/// bytes) as it holds, so load time stays proportional to the table's size. The first
/// checkpoint comes after `minCommits` commits.
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
            && Double(snapshot.actionsSinceCheckpoint) >= policy.ratio * Double(last.rows)
    }
}
