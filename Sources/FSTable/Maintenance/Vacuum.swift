import FSCore

/// Errors of the maintenance operations, decided at the boundary: a refused retention is a
/// usage error (the operator must say `--force`), a bad `--where` too.
public enum MaintenanceError: CategorizedError, Equatable {
    /// A vacuum retention below the safety floor without `force`.
    case retentionTooShort(hours: Double, minimumHours: Int)
    /// A `--where` that is not a conjunction of comparisons on partition columns.
    case invalidWhere(text: String, reason: String)

    public var exitStatus: ExitStatus { .usage }

    public var description: String {
        switch self {
        case .retentionTooShort(let h, let m):
            return "vacuum retention of \(h) hours is under the \(m)-hour safety floor: readers of older snapshots and writers still committing could lose files; pass --force to vacuum anyway"
        case .invalidWhere(let text, let reason): return "--where \"\(text)\": \(reason)"
        }
    }
}

/// Deletes data files the table no longer references once they are older than the retention —
/// the only way fs deletes committed data (writers never do; `OrphanCleaner` only clears
/// `_staging/`).
///
/// A file under the table's data directories (no `_`/`.`-prefixed component, name `*.parquet`)
/// is deleted when all of:
/// - no live `add` of the newest snapshot names it;
/// - no tombstone younger than the retention names it: a snapshot within the retention may
///   still list it (time travel, a long query, a reader that started before the remove);
/// - its modification time is older than the retention (a writer may have placed it and not
///   committed yet, or committed it in a version newer than our snapshot).
///
/// Retention: `delta.deletedFileRetentionDuration` (7 days by default), or the caller's; under
/// 168 hours is refused without `force`, as Delta does. Not a dry run: the run is recorded as
/// `VACUUM START` / `VACUUM END` commits (commitInfo only, as Delta writes them).
public struct Vacuum: Sendable {
    public var table: DeltaTable
    /// Retention in milliseconds; nil: the table's property.
    public var retentionMillis: Int64?
    public var isDryRun: Bool
    public var isForced: Bool

    /// Delta's safety floor for the retention: one week.
    public static let minimumRetentionHours = 168

    public init(table: DeltaTable, retentionMillis: Int64? = nil, isDryRun: Bool = false, isForced: Bool = false) {
        self.table = table
        self.retentionMillis = retentionMillis
        self.isDryRun = isDryRun
        self.isForced = isForced
    }

    /// The outcome: files (relative paths, sorted) deleted or, in a dry run, to delete.
    public struct Result: Sendable, Equatable {
        public var files: [String]
        public var bytes: Int64
        public var retentionMillis: Int64
        public var isDryRun: Bool
        /// The table version the decision was made on.
        public var version: Int64
    }

    /// The table's retention: `delta.deletedFileRetentionDuration`, default 7 days.
    public static func tableRetentionMillis(_ snapshot: Snapshot) -> Int64 {
        snapshot.metadata.configuration[TableProperty.deletedFileRetentionDuration].flatMap(Checkpoint.parseIntervalMillis) ?? Checkpoint.defaultTombstoneRetentionMillis
    }

    public func run() throws -> Result {
        let snapshot = try table.snapshot()
        let retention = retentionMillis ?? Vacuum.tableRetentionMillis(snapshot)
        if retention < Int64(Vacuum.minimumRetentionHours) * 3_600_000 && !isForced {
            throw MaintenanceError.retentionTooShort(hours: Double(retention) / 3_600_000, minimumHours: Vacuum.minimumRetentionHours)
        }
        let now = table.clock.nowMicros() / 1000
        let cutoff = now - retention
        let files = try FileSystem.walkFiles(snapshot.root) { dir in
            !dir.split(separator: "/").contains { LogPath.isHidden(component: $0) }
        }
        var doomed: [(String, Int64)] = []
        for rel in files {
            let name = rel.split(separator: "/").last.map(String.init) ?? rel
            if LogPath.isHidden(component: name) || !name.hasSuffix(".parquet") { continue }
            if snapshot.files[rel] != nil { continue }
            if let tomb = snapshot.tombstones[rel], (tomb.deletionTimestamp ?? now) > cutoff { continue }
            guard let attrs = try? FileSystem.attributes(snapshot.absolutePath(rel)), attrs.modifiedMillis < cutoff else { continue }
            doomed.append((rel, attrs.size))
        }
        doomed.sort { $0.0 < $1.0 }
        let bytes = doomed.reduce(Int64(0)) { $0 + $1.1 }
        let result = Result(files: doomed.map(\.0), bytes: bytes, retentionMillis: retention, isDryRun: isDryRun, version: snapshot.version)
        if isDryRun { return result }
        let started = try table.commit([], operation: "VACUUM START", base: snapshot, operationParameters: [
            "retentionCheckEnabled": String(!isForced), "specifiedRetentionMillis": String(retention),
            "defaultRetentionMillis": String(Vacuum.tableRetentionMillis(snapshot)),
        ]).snapshot
        var deleted = 0
        for (rel, _) in doomed where (try? FileSystem.removeFile(snapshot.absolutePath(rel))) != nil { deleted += 1 }
        _ = try table.commit([], operation: "VACUUM END", base: started, operationParameters: ["numDeletedFiles": String(deleted), "status": "COMPLETED"])
        return result
    }
}
