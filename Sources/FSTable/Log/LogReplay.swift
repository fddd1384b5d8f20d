import FSCore

/// What `_delta_log` holds: commit versions and complete checkpoints, both ascending.
public struct LogListing: Sendable, Equatable {
    public var commits: [Int64]
    /// Versions that have a complete checkpoint (all parts present), with their file names.
    public var checkpoints: [(version: Int64, files: [String])]

    public static func == (a: LogListing, b: LogListing) -> Bool {
        a.commits == b.commits && a.checkpoints.map(\.version) == b.checkpoints.map(\.version) && a.checkpoints.map(\.files) == b.checkpoints.map(\.files)
    }

    /// The newest version the log knows (commit or checkpoint); nil for an empty log.
    public var latestVersion: Int64? { [commits.last, checkpoints.last?.version].compactMap { $0 }.max() }
}

/// Reads the log: listing, single commits, and replay into a `Snapshot` (§3.6).
///
/// ```
///  newest usable checkpoint c  (or nothing: start before version 0)
///        │  actions of c
///        ▼
///  c+1.json, c+2.json, … target.json   (every version must exist; a gap names the missing one)
///        │  reconciliation: last protocol/metaData win, add/remove by path, txn by appId
///        ▼
///  Snapshot(version: target)
/// ```
public enum LogReplay {
    /// Lists `_delta_log`. A missing directory is an empty log.
    public static func list(_ log: LogPath) throws(IOError) -> LogListing {
        guard try FileSystem.directoryStatus(log.logDirectory) == true else { return LogListing(commits: [], checkpoints: []) }
        var commits: [Int64] = []
        var parts: [Int64: [CheckpointName: String]] = [:]
        for name in try FileSystem.listDirectory(log.logDirectory) {
            if let v = LogPath.commitVersion(fileName: name) { commits.append(v); continue }
            if let c = LogPath.checkpoint(fileName: name) { parts[c.version, default: [:]][c] = name }
        }
        var checkpoints: [(version: Int64, files: [String])] = []
        for (v, names) in parts {
            // Prefer a single-file checkpoint; otherwise a multi-part set with every part.
            if let single = names.first(where: { $0.key.parts == 1 }) { checkpoints.append((v, [single.value])); continue }
            let byCount = Dictionary(grouping: names, by: { $0.key.parts })
            for (k, group) in byCount.sorted(by: { $0.key < $1.key }) where Set(group.map(\.key.part)) == Set(1...k) {
                checkpoints.append((v, group.sorted { $0.key.part < $1.key.part }.map(\.value)))
                break
            }
        }
        checkpoints.sort { $0.version < $1.version }
        return LogListing(commits: commits.sorted(), checkpoints: checkpoints)
    }

    /// The actions of commit `version`, in file order. Blank lines are skipped; the last line
    /// may lack its newline (delta-rs writes it so).
    public static func readCommit(_ log: LogPath, version: Int64) throws -> [Action] {
        try readCommitSized(log, version: version).actions
    }

    /// The actions of commit `version` and the size of its file in bytes.
    public static func readCommitSized(_ log: LogPath, version: Int64) throws -> (actions: [Action], bytes: Int64) {
        let file = log.commitFile(version)
        let bytes: [UInt8]
        do { bytes = try FileSystem.readFile(file) } catch {
            if error.errno == ENOENT { throw DeltaLogError.missingVersion(table: log.root, version: version) }
            throw error
        }
        return (try parseCommit(bytes, file: file), Int64(bytes.count))
    }

    /// Parses commit-file bytes (newline-delimited JSON actions).
    public static func parseCommit(_ bytes: [UInt8], file: String) throws(DeltaLogError) -> [Action] {
        var actions: [Action] = []
        var lineNumber = 0
        var start = 0
        let result: Result<Void, DeltaLogError> = bytes.withUnsafeBufferPointer { p in
            while start < p.count {
                var end = start
                while end < p.count, p[end] != 10 { end += 1 }
                lineNumber += 1
                var stop = end
                if stop > start, p[stop - 1] == 13 { stop -= 1 }
                let line = UnsafeBufferPointer(rebasing: p[start..<stop])
                start = end + 1
                if line.allSatisfy({ $0 == 32 || $0 == 9 }) { continue }
                do {
                    let json = try JSONValue.parse(utf8: line)
                    actions.append(try Action(json: json))
                } catch let e as JSONParseError {
                    return .failure(.corruptAction(file: file, line: lineNumber, reason: e.description))
                } catch let e as ActionDecodingError {
                    return .failure(.corruptAction(file: file, line: lineNumber, reason: e.reason))
                } catch {
                    return .failure(.corruptAction(file: file, line: lineNumber, reason: "\(error)"))
                }
            }
            return .success(())
        }
        try result.get()
        return actions
    }

    /// Replays the log up to `version` (default: the newest) into a snapshot.
    ///
    /// Starts from the newest complete checkpoint at or below the target; when a checkpoint
    /// cannot be read it falls back to an older one or to version 0. Every JSON version after
    /// the starting point must exist. The directory listing is authoritative on a local file
    /// system (it also finds checkpoints newer than a stale `_last_checkpoint`, as delta-rs
    /// does); `_last_checkpoint` is maintained for readers that cannot list cheaply.
    ///
    /// `holdingTombstones: false` gives a snapshot without tombstones (`Snapshot.holdsTombstones`),
    /// for writers and tailing readers whose memory must not grow with the files the table removed.
    public static func snapshot(_ log: LogPath, at version: Int64? = nil, holdingTombstones: Bool = true) throws -> Snapshot {
        let listing = try list(log)
        guard let latest = listing.latestVersion else { throw DeltaLogError.notATable(path: log.root) }
        let target = version ?? latest
        if target > latest { throw DeltaLogError.missingVersion(table: log.root, version: latest + 1) }
        let commits = Set(listing.commits)
        var lastError: Error?
        for cp in listing.checkpoints.reversed() where cp.version <= target {
            var builder = SnapshotBuilder(holdingTombstones: holdingTombstones)
            let rows: Int64
            do { rows = try CheckpointReader.forEachAction(log: log, files: cp.files) { builder.apply($0) } } catch { lastError = error; continue }
            let bytes = cp.files.reduce(Int64(0)) { $0 + ((try? FileSystem.attributes(log.logDirectory + "/" + $1).size) ?? 0) }
            builder.checkpoint = CheckpointMark(version: cp.version, bytes: bytes, rows: rows)
            return try replayCommits(log, builder: builder, from: cp.version + 1, to: target, commits: commits)
        }
        if !commits.contains(0), let e = lastError { throw e }
        let builder = SnapshotBuilder(holdingTombstones: holdingTombstones)
        return try replayCommits(log, builder: builder, from: 0, to: target, commits: commits)
    }


    private static func replayCommits(_ log: LogPath, builder start: SnapshotBuilder, from: Int64, to target: Int64, commits: Set<Int64>) throws -> Snapshot {
        var builder = start
        if from <= target {
            for v in from...target {
                guard commits.contains(v) else { throw DeltaLogError.missingVersion(table: log.root, version: v) }
                let commit = try readCommitSized(log, version: v)
                for a in commit.actions {
                    builder.apply(a)
                    if case .commitInfo = a {} else { builder.jsonActions += 1 }
                }
                builder.jsonBytes += commit.bytes
                if v == target { builder.newestCommit = LogTailer.dataChanges(of: commit.actions, version: v) }
            }
        }
        return try Snapshot(root: log.root, version: target, builder: builder)
    }
}

#if canImport(Glibc)
import Glibc
#elseif canImport(Darwin)
import Darwin
#endif
