import FSCore

/// Publishes one log version by put-if-absent on a local file system (§3.5).
///
/// ```
///  actions ──► _delta_log/_commit_<uuid>.json.tmp   O_CREAT|O_EXCL, write, fsync
///                     │ link(2)
///                     ├─ ok ──────► _delta_log/%020d.json   we own version v
///                     └─ EEXIST ──► someone else owns v: caller re-reads and retries at v+1
///  unlink(tmp) whatever happened; fsync(_delta_log)
/// ```
///
/// `rename(2)` would overwrite a concurrent winner's commit, so it is never used here.
public enum LogCommitter {
    /// Writes `actions` as version `version` unless that version exists.
    /// Returns false when another writer already owns it (nothing of ours is left behind).
    public static func tryCommit(_ log: LogPath, version: Int64, actions: [Action]) throws(IOError) -> Bool {
        try tryCommit(log, version: version, body: encode(actions))
    }

    /// The commit-file body of `actions`: one JSON object per line.
    public static func encode(_ actions: [Action]) -> [UInt8] {
        var text = ""
        for a in actions {
            a.json.write(to: &text)
            text += "\n"
        }
        return Array(text.utf8)
    }

    /// Same as `tryCommit(_:version:actions:)` with an already encoded body.
    public static func tryCommit(_ log: LogPath, version: Int64, body: [UInt8]) throws(IOError) -> Bool {
        let tmp = log.newCommitTempFile()
        try FileSystem.writeNewFile(tmp, body)
        let won: Bool
        do {
            won = try FileSystem.linkIfAbsent(tmp, log.commitFile(version))
        } catch {
            try? FileSystem.removeFile(tmp)
            throw error
        }
        try FileSystem.removeFile(tmp)
        try FileSystem.fsyncDirectory(log.logDirectory)
        return won
    }
}
