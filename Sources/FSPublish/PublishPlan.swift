import FSCore
import FSTable

/// What one historical publish must do, decided from the source log before any data moves.
///
/// ```
///  source versions  (published … current]           output table
///  add (dataChange) in partition P, P untouched ──► append the added files' rows to P
///  remove (dataChange) anywhere in P           ──► rewrite P from the source's live files
///  first publish, or the log range is gone     ──► rewrite every partition
/// ```
/// Removes in the source (an offline re-run replacing a day, a delete) can only be mirrored by
/// rewriting the partition; pure appends copy just the new files, so a re-run after new commits
/// publishes only those.
struct PublishPlan: Equatable {
    enum Mode: String { case initial, incremental, full, upToDate }

    var mode: Mode
    /// Source files (relative paths) whose rows are appended.
    var appendPaths: Set<String>
    /// Partitions (canonical keys) rewritten from the source's live files.
    var rewritePartitions: Set<String>
    /// Every partition of the source and of the output is rewritten (initial or full).
    var rewriteAll: Bool

    static let upToDate = PublishPlan(mode: .upToDate, appendPaths: [], rewritePartitions: [], rewriteAll: false)

    /// Plans the publish of `source` given the last published source version (nil: never).
    /// `commits` are the source's data changes after `published`, in order; nil when the log no
    /// longer holds them (cleaned up after a checkpoint).
    static func make(source: Snapshot, published: Int64?, commits: [TailedCommit]?) -> PublishPlan {
        guard let published else {
            return PublishPlan(mode: .initial, appendPaths: [], rewritePartitions: [], rewriteAll: true)
        }
        if published >= source.version { return .upToDate }
        guard let commits else {
            return PublishPlan(mode: .full, appendPaths: [], rewritePartitions: [], rewriteAll: true)
        }
        var rewrite = Set<String>()
        var added = Set<String>()
        for c in commits {
            for r in c.removes {
                // A remove without partition values cannot be placed: rewrite everything.
                guard let values = r.partitionValues ?? source.files[r.path]?.partitionValues else {
                    return PublishPlan(mode: .full, appendPaths: [], rewritePartitions: [], rewriteAll: true)
                }
                rewrite.insert(partitionKey(values))
                added.remove(r.path)
            }
            for a in c.adds { added.insert(a.path) }
        }
        // Appends only for files still live and outside rewritten partitions.
        let appends = added.filter { path in
            guard let f = source.files[path] else { return false }
            return !rewrite.contains(partitionKey(f.partitionValues))
        }
        return PublishPlan(mode: .incremental, appendPaths: appends, rewritePartitions: rewrite, rewriteAll: false)
    }
}

/// A canonical text key of a partition (`k=v/…` in column order, null as Hive's default name),
/// to compare partitions from different tables' log entries.
func partitionKey(_ values: StringMap) -> String {
    values.entries.map { "\($0.key)=\($0.value.flatMap { $0.isEmpty ? nil : $0 } ?? "__HIVE_DEFAULT_PARTITION__")" }.joined(separator: "/")
}
