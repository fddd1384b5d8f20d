import FSCore

/// Every file-name rule of a Delta table, in one place (docs/table-format.md §3.1, §3.5, §3.8).
///
/// ```
/// <root>/_delta_log/00000000000000000007.json              commit v7 (20-digit zero-padded)
/// <root>/_delta_log/00000000000000000010.checkpoint.parquet classic V1 checkpoint of v10
/// <root>/_delta_log/_last_checkpoint                        hint: newest checkpoint
/// <root>/_delta_log/_commit_<uuid>.json.tmp                 commit body before link(2)
/// <root>/_staging/part-00000-<uuid>.c000.zstd.parquet       data file being written
/// <root>/fs_year=2019/fs_month=1/part-00000-<uuid>.c000.zstd.parquet   committed data file
/// ```
///
/// Temporary names start with `_` and end in `.tmp`, so they can never match `^\d{20}\.json$`
/// nor a checkpoint name, and every reader (Delta or plain Parquet) ignores them.
public struct LogPath: Sendable, Hashable {
    /// The table directory (no trailing slash).
    public let root: String

    public init(root: String) {
        var r = root
        while r.count > 1 && r.hasSuffix("/") { r.removeLast() }
        self.root = r
    }

    /// Name of the log directory inside the table.
    public static let logDirectoryName = "_delta_log"
    /// Name of the directory where data files are written before they are moved into place.
    public static let stagingDirectoryName = "_staging"
    /// Name of the checkpoint hint file inside the log directory.
    public static let lastCheckpointName = "_last_checkpoint"

    public var logDirectory: String { root + "/" + LogPath.logDirectoryName }
    public var stagingDirectory: String { root + "/" + LogPath.stagingDirectoryName }
    public var lastCheckpointFile: String { logDirectory + "/" + LogPath.lastCheckpointName }

    /// `_delta_log/%020d.json`.
    public func commitFile(_ version: Int64) -> String { logDirectory + "/" + LogPath.commitFileName(version) }

    /// `_delta_log/%020d.checkpoint.parquet`.
    public func checkpointFile(_ version: Int64) -> String { logDirectory + "/" + LogPath.checkpointFileName(version) }

    /// A fresh temporary name for a commit body; never a valid commit name.
    public func newCommitTempFile() -> String { logDirectory + "/_commit_" + makeUUID() + ".json.tmp" }

    /// A fresh temporary name for a checkpoint being written; renamed into place when complete.
    public func newCheckpointTempFile() -> String { logDirectory + "/_checkpoint_" + makeUUID() + ".parquet.tmp" }

    /// Absolute path of a data file given its (decoded) path relative to the table root.
    public func dataFile(_ relativePath: String) -> String { root + "/" + relativePath }

    /// A fresh staging path for a data file named `name`.
    public func stagingFile(_ name: String) -> String { stagingDirectory + "/" + name }

    public static func commitFileName(_ version: Int64) -> String { zeroPadded(version) + ".json" }
    public static func checkpointFileName(_ version: Int64) -> String { zeroPadded(version) + ".checkpoint.parquet" }

    /// A new data file name: `part-00000-<uuid>.c000.zstd.parquet` (Spark's pattern; the UUID
    /// makes it unique, so a file is never overwritten).
    public static func newDataFileName(part: Int = 0, compression: String = "zstd") -> String {
        "part-" + zeroPadded(Int64(part), width: 5) + "-" + makeUUID() + ".c000." + compression + ".parquet"
    }

    /// The version of a commit file name (`^\d{20}\.json$`), or nil.
    public static func commitVersion(fileName: String) -> Int64? {
        let u = Array(fileName.utf8)
        guard u.count == 25, fileName.hasSuffix(".json") else { return nil }
        return digitsValue(u[0..<20])
    }

    /// A checkpoint file name: `N.checkpoint.parquet` (single part) or
    /// `N.checkpoint.P.K.parquet` (part P of K, 1-based). nil for anything else (V2 UUID
    /// checkpoints included, which need the v2Checkpoint feature we do not implement).
    public static func checkpoint(fileName: String) -> CheckpointName? {
        let u = Array(fileName.utf8)
        guard u.count > 20, let v = digitsValue(u[0..<20]) else { return nil }
        let rest = String(decoding: u[20...], as: UTF8.self)
        if rest == ".checkpoint.parquet" { return CheckpointName(version: v, part: 1, parts: 1) }
        guard rest.hasPrefix(".checkpoint."), rest.hasSuffix(".parquet") else { return nil }
        let middle = rest.dropFirst(".checkpoint.".count).dropLast(".parquet".count).split(separator: ".", omittingEmptySubsequences: false)
        guard middle.count == 2, let p = Int(middle[0]), let k = Int(middle[1]), p >= 1, k >= 1, p <= k else { return nil }
        return CheckpointName(version: v, part: p, parts: k)
    }

    /// True for a path component readers must skip: `_`- or `.`-prefixed (Delta "Data Files",
    /// Hive, Spark, pyarrow all ignore them).
    public static func isHidden(component: some StringProtocol) -> Bool {
        component.hasPrefix("_") || component.hasPrefix(".")
    }

    static func zeroPadded(_ v: Int64, width: Int = 20) -> String {
        let s = String(v)
        return s.count >= width ? s : String(repeating: "0", count: width - s.count) + s
    }

    private static func digitsValue(_ bytes: ArraySlice<UInt8>) -> Int64? {
        var v: Int64 = 0
        for c in bytes {
            guard c >= 48, c <= 57 else { return nil }
            let (m, o1) = v.multipliedReportingOverflow(by: 10)
            let (a, o2) = m.addingReportingOverflow(Int64(c - 48))
            if o1 || o2 { return nil }
            v = a
        }
        return v
    }
}

/// A parsed checkpoint file name.
public struct CheckpointName: Sendable, Hashable {
    public var version: Int64
    /// 1-based part number; 1 of 1 for a single-file checkpoint.
    public var part: Int
    public var parts: Int
}
