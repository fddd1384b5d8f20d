import FSCore
import FSTable

/// Which files of the input a publish must read to bring a store from `published` to the
/// snapshot's version, in the order their rows must be fed to `LatestPerKey`.
///
/// The decision is `PublishPlan`'s (the historical publisher's): files added by the new commits;
/// every live file of a partition that lost files (an offline re-run replaced the day); every
/// file on a first publish or when the log no longer holds the commits in between. Files are
/// ordered by the version whose commit added them (older first; unknown — before the log's
/// horizon — first of all), then by path, so the first-seen tie rule means "first committed".
/// (A whole-table read of a log longer than `maxCommitsReadForOrder` commits uses path order.)
struct ChangeReader {
    let snapshot: Snapshot
    let plan: PublishPlan
    /// Relative paths to read, in feeding order.
    let paths: [String]

    init(snapshot: Snapshot, published: Int64?) {
        self.snapshot = snapshot
        let commits = Self.commits(of: snapshot, after: published)
        plan = PublishPlan.make(source: snapshot, published: published, commits: commits)
        var chosen: Set<String>
        if plan.mode == .upToDate {
            chosen = []
        } else if plan.rewriteAll {
            chosen = Set(snapshot.files.keys)
        } else {
            chosen = plan.appendPaths
            for (path, f) in snapshot.files where plan.rewritePartitions.contains(partitionKey(f.partitionValues)) { chosen.insert(path) }
        }
        // Add versions: from the new commits, or for a whole-table read from the log's start —
        // unless the log is long (a stream committing every second for weeks): reading every
        // commit file would cost more than the publish, and path order is then used. Equal
        // times of one key in two files are the only case where the order matters.
        var addedAt: [String: Int64] = [:]
        let history = plan.rewriteAll ? (snapshot.version <= Self.maxCommitsReadForOrder ? Self.commits(of: snapshot, after: -1) : nil) : commits
        for c in history ?? [] { for a in c.adds { addedAt[a.path] = c.version } }
        paths = chosen.sorted { a, b in
            let va = addedAt[a] ?? -1, vb = addedAt[b] ?? -1
            return va != vb ? va < vb : a < b
        }
    }

    /// The longest log whose commits a whole-table read replays to order its files.
    static let maxCommitsReadForOrder: Int64 = 5_000

    /// The data changes after `version` up to the snapshot; nil when the log no longer holds them.
    static func commits(of snapshot: Snapshot, after version: Int64?) -> [TailedCommit]? {
        guard let version, version < snapshot.version else { return [] }
        var tailer = LogTailer(log: LogPath(root: snapshot.root), after: version)
        guard let commits = try? tailer.poll(limit: Int(snapshot.version - version)),
              commits.count == Int(snapshot.version - version) else { return nil }
        return commits
    }

    /// Streams the chosen files' rows (only `columns`), one batch per row group.
    func forEachBatch(columns: [String], _ body: (RecordBatch) throws -> Void) throws {
        try forEachBatch(columns: columns, of: paths[...], body)
    }

    /// As `forEachBatch(columns:_:)` for one share of `paths` (in its order), so that threads can
    /// each read a share through their own scan.
    func forEachBatch(columns: [String], of share: ArraySlice<String>, _ body: (RecordBatch) throws -> Void) throws {
        guard !share.isEmpty else { return }
        var scan = try TableScan(snapshot: snapshot, columns: columns, onlyPaths: Set(share))
        let byPath = Dictionary(uniqueKeysWithValues: scan.files.map { ($0.relativePath, $0) })
        for p in share {
            guard let f = byPath[p] else { continue }
            try scan.forEachBatch(in: f, body)
        }
    }

    /// `paths` cut into at most `count` contiguous, non-empty shares of about equal bytes (the
    /// sizes the log records), in feeding order: share i's rows all come before share i+1's.
    func shares(_ count: Int) -> [ArraySlice<String>] {
        let n = Swift.max(1, Swift.min(count, paths.count))
        guard n > 1 else { return [paths[...]] }
        let sizes = paths.map { Swift.max(1, snapshot.files[$0]?.size ?? 1) }
        let total = sizes.reduce(0, +)
        var result: [ArraySlice<String>] = []
        var start = 0, running: Int64 = 0
        for (i, size) in sizes.enumerated() {
            running += size
            let filesLeft = paths.count - (i + 1), sharesLeft = n - result.count - 1
            // Close the share at its byte quota, or when the files left are just enough for the
            // shares left (each non-empty).
            if sharesLeft > 0, running * Int64(n) >= total * Int64(result.count + 1) || filesLeft == sharesLeft {
                result.append(paths[start...i])
                start = i + 1
            }
        }
        if start < paths.count { result.append(paths[start...]) }
        return result
    }
}
