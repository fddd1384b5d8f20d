import FSCore
import FSParquet

/// Reads checkpoint files into actions (all parts, in order).
enum CheckpointReader {
    static func readActions(log: LogPath, files: [String]) throws -> [Action] {
        var out: [Action] = []
        for name in files {
            let path = log.logDirectory + "/" + name
            let (_, rows) = try ParquetFileReader(path: path).readNested()
            out += try Checkpoint.actions(rows: rows, file: path)
        }
        return out
    }
}

