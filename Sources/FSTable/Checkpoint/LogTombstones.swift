import FSCore

/// The tombstones of one table version, read back from the log for a checkpoint of a snapshot
/// that does not hold them (`Snapshot.holdsTombstones`), with memory that does not grow with them.
///
/// ```
///  newest readable checkpoint c ≤ v: its remove rows ──┐
///  commits c+1 … v: their add and remove actions    ───┴─► touches, in log order (seq 0, 1, …)
///
///  pass 1  a 64-bit hash of every touched path, sorted: a hash seen twice marks a candidate
///  pass 2  (only with candidates) the last touch of each candidate path, exactly, by path
///  pass 3  every remove that is its path's last touch, of a file not live at v, within the
///          retention ──► the checkpoint's remove rows (log order)
/// ```
/// A path touched once cannot have been re-added or removed again, so only candidates need
/// their path kept; Delta paths carry a UUID, so candidates are the rare re-added files (and
/// hash collisions, which pass 2 resolves exactly). The passes hold 8 bytes per touch, then the
/// candidates; a held `TombstoneSet` costs about 200 bytes per tombstone all the time.
///
/// The rows are those a snapshot holding its tombstones writes (`Tombstone(remove)`: path,
/// deletion time, size, dataChange; expired ones left out), in log order instead of path order,
/// which no reader depends on. The cost is reading the previous checkpoint and the JSON since
/// it twice (three times with candidates) at each checkpoint; `CheckpointPolicy` spaces
/// checkpoints so that this JSON is about one checkpoint's worth, so the cost per commit stays flat.
struct LogTombstones {
    let log: LogPath
    /// The version whose tombstones these are.
    let version: Int64

    /// Where the touches start: a checkpoint's files (none: commit 0) and the first commit after it.
    private struct Start {
        var checkpointFiles: [String]
        var firstCommit: Int64
    }

    /// Calls `body` with every tombstone of the table at `version` that is still retained at
    /// `nowMillis` under `retentionMillis`, skipping paths `isLive` says are files of that version.
    ///
    /// Starts from the newest complete checkpoint at or below the version whose later commits
    /// all exist; when it cannot be read, from the next older one, or from commit 0.
    func forEachRetained(nowMillis: Int64, retentionMillis: Int64, isLive: (String) -> Bool, _ body: (RemoveAction) throws -> Void) throws {
        let listing = try LogReplay.list(log)
        let commits = Set(listing.commits)
        let starts = listing.checkpoints.reversed().filter { $0.version <= version }.map { Start(checkpointFiles: $0.files, firstCommit: $0.version + 1) }
            + [Start(checkpointFiles: [], firstCommit: 0)]
        var hashes: [Int] = []
        var source: Start?
        var lastError: Error = DeltaLogError.missingVersion(table: log.root, version: 0)
        for start in starts where start.firstCommit > version || (start.firstCommit...version).allSatisfy(commits.contains) {
            hashes.removeAll(keepingCapacity: true)
            do {
                try forEachTouch(from: start) { path, _ in hashes.append(path.hashValue) }
                source = start
                break
            } catch { lastError = error }
        }
        guard let source else { throw lastError }

        hashes.sort()
        var repeated = Set<Int>()
        for i in hashes.indices.dropFirst() where hashes[i] == hashes[i - 1] { repeated.insert(hashes[i]) }
        hashes = []

        var lastTouch: [String: Int] = [:]
        if !repeated.isEmpty {
            var seq = 0
            try forEachTouch(from: source) { path, _ in
                if repeated.contains(path.hashValue) { lastTouch[path] = seq }
                seq += 1
            }
        }

        let cutoff = nowMillis - retentionMillis
        var seq = 0
        try forEachTouch(from: source) { path, remove in
            defer { seq += 1 }
            guard let remove, !isLive(path) else { return }
            if let last = lastTouch[path], last != seq { return }
            let t = Tombstone(remove)
            if t.isRetained(cutoffMillis: cutoff, nowMillis: nowMillis) { try body(t.removeAction(path: path)) }
        }
    }

    /// Visits the touches in log order: the checkpoint's removes, then each commit's adds
    /// (`remove` nil) and removes.
    private func forEachTouch(from start: Start, _ body: (String, RemoveAction?) throws -> Void) throws {
        if !start.checkpointFiles.isEmpty {
            try CheckpointReader.forEachAction(log: log, files: start.checkpointFiles, fields: ["remove"]) { action in
                if case .remove(let r) = action { try body(r.path, r) }
            }
        }
        guard start.firstCommit <= version else { return }
        for v in start.firstCommit...version {
            for action in try LogReplay.readCommit(log, version: v) {
                switch action {
                case .add(let a): try body(a.path, nil)
                case .remove(let r): try body(r.path, r)
                default: break
                }
            }
        }
    }
}
