import FSCore
import FSParquet

/// Reads checkpoint files into actions (all parts, in order).
enum CheckpointReader {
    /// Every action of the checkpoint (tests, small checkpoints).
    static func readActions(log: LogPath, files: [String]) throws -> [Action] {
        var out: [Action] = []
        try forEachAction(log: log, files: files) { out.append($0) }
        return out
    }

    /// Visits the actions of the checkpoint one row group at a time, so replay holds one
    /// group's rows, not the whole checkpoint twice over (rows, then actions) on top of the
    /// snapshot it builds. Returns the number of actions.
    /// `fields` restricts it to those checkpoint columns (`["remove"]`: the tombstones only).
    @discardableResult
    static func forEachAction(log: LogPath, files: [String], fields: Set<String>? = nil, _ body: (Action) throws -> Void) throws -> Int64 {
        var count: Int64 = 0
        for name in files {
            let path = log.logDirectory + "/" + name
            let reader = try ParquetFileReader(path: path)
            for g in reader.metadata.rowGroups.indices {
                for a in try Checkpoint.actions(rows: reader.readNested(rowGroup: g, fields: fields), file: path) {
                    try body(a)
                    count += 1
                }
            }
        }
        return count
    }
}
