import FSAggregation
import FSCore

/// The online job's window-state snapshots, one file per committed trigger:
///
///     <checkpoint-dir>/state-<input version, 20 digits>.bin
///         u8 format (1) · i64 input version · bytes WindowedAggregator state · u64 XXH64 of the rest
///
/// A snapshot is written (fsynced, renamed into place) *before* the output commit whose txn
/// carries the same input version. On restart the output's txn names the one snapshot that
/// matches the committed output; newer files belong to commits that never happened and are
/// ignored (and deleted), older ones are kept one generation back and then deleted.
struct OnlineStateStore {
    let directory: String

    func path(forInputVersion v: Int64) -> String {
        let digits = String(v)
        return directory + "/state-" + String(repeating: "0", count: max(0, 20 - digits.count)) + digits + ".bin"
    }

    /// Versions of the snapshots present, ascending.
    func versions() throws -> [Int64] {
        guard FileSystem.isDirectory(directory) else { return [] }
        return try FileSystem.listDirectory(directory).compactMap { name -> Int64? in
            guard name.hasPrefix("state-"), name.hasSuffix(".bin") else { return nil }
            return Int64(name.dropFirst(6).dropLast(4))
        }.sorted()
    }

    func write(inputVersion: Int64, state: [UInt8]) throws {
        try FileSystem.createDirectory(directory)
        var w = StateWriter()
        w.write(UInt8(1))
        w.write(inputVersion)
        w.write(bytes: state)
        let body = w.bytes
        var out = body
        let h = body.withUnsafeBufferPointer { XXH64.hash(bytes: $0, seed: 0) }
        var tail = StateWriter()
        tail.write(h)
        out.append(contentsOf: tail.bytes)
        try FileSystem.replaceFile(path(forInputVersion: inputVersion), out)
        try FileSystem.fsyncDirectory(directory)
    }

    /// The engine state stored for `inputVersion`; errors name the file.
    func read(inputVersion: Int64) throws -> [UInt8] {
        let file = path(forInputVersion: inputVersion)
        guard FileSystem.exists(file) else { throw OnlineError.stateMissing(file: file, inputVersion: inputVersion) }
        let bytes = try FileSystem.readFile(file)
        guard bytes.count > 8 else { throw OnlineError.stateCorrupt(file: file, reason: "only \(bytes.count) bytes") }
        let body = Array(bytes.prefix(bytes.count - 8))
        var tail = StateReader(Array(bytes.suffix(8)))
        let stored = try tail.readUInt64()
        let h = body.withUnsafeBufferPointer { XXH64.hash(bytes: $0, seed: 0) }
        guard stored == h else { throw OnlineError.stateCorrupt(file: file, reason: "checksum mismatch") }
        var r = StateReader(body)
        guard try r.readUInt8() == 1 else { throw OnlineError.stateCorrupt(file: file, reason: "unknown format") }
        guard try r.readInt64() == inputVersion else { throw OnlineError.stateCorrupt(file: file, reason: "written for another input version") }
        let state = try r.readBytes()
        guard r.isAtEnd else { throw OnlineError.stateCorrupt(file: file, reason: "trailing bytes") }
        return state
    }

    /// Deletes snapshots newer than `committed` (never committed) and all but the newest one
    /// older than it.
    func prune(committed: Int64?) throws {
        let all = try versions()
        let older = all.filter { v in committed.map { v < $0 } ?? false }
        for v in all where (committed.map { c in v > c } ?? true) || (older.count > 1 && v < older[older.count - 1]) {
            try FileSystem.removeFile(path(forInputVersion: v))
        }
    }
}

/// Why the online job cannot continue; each names the file or table and what to do.
public enum OnlineError: CategorizedError, Equatable {
    case stateMissing(file: String, inputVersion: Int64)
    case stateCorrupt(file: String, reason: String)
    case inputSchemaChanged(path: String, version: Int64)
    case inputLogTruncated(path: String, after: Int64)
    case inputRewound(path: String, processed: Int64, current: Int64)
    /// The engine handed out windows without a timestamp `window_end` column: a bug, not data.
    case outputWithoutWindowEnd(columns: [String])

    public var exitStatus: ExitStatus {
        switch self {
        case .outputWithoutWindowEnd: return .software
        default: return .dataError
        }
    }

    public var description: String {
        switch self {
        case .stateMissing(let f, let v):
            return "the output says input version \(v) was processed but its window state \(f) is missing; restore the checkpoint directory or start over with a new output table"
        case .stateCorrupt(let f, let r):
            return "window state \(f) is unusable (\(r)); restore the checkpoint directory or start over with a new output table"
        case .inputSchemaChanged(let p, let v):
            return "--input-table \(p): its schema changed at version \(v); the features were compiled for the old one — start a new output table"
        case .inputLogTruncated(let p, let a):
            return "--input-table \(p): the commits after version \(a) are no longer in its log (cleaned up); the rows between cannot be read exactly once — start a new output table"
        case .inputRewound(let p, let done, let cur):
            return "--input-table \(p): its newest version \(cur) is older than version \(done) already processed; was it re-created? start a new output table"
        case .outputWithoutWindowEnd(let columns):
            return "internal error: emitted windows have no timestamp window_end column (columns: \(columns.joined(separator: ", "))); nothing was written"
        }
    }
}
