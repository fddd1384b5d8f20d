import FSCore

/// A Delta table on the local file system: creation, snapshots and commits.
///
/// A value type holding only the location and the injected clock; the state lives in the log
/// and is read as a `Snapshot`. Safe to use from several processes at once: commits are
/// put-if-absent and retried (see `commit`).
public struct DeltaTable: Sendable {
    public let log: LogPath
    /// Source of commit timestamps and file modification times.
    public let clock: any WallClock

    public var root: String { log.root }

    public init(root: String, clock: any WallClock = SystemWallClock()) {
        self.log = LogPath(root: root)
        self.clock = clock
    }

    /// True when `path` has a `_delta_log` with at least one commit or checkpoint; false when
    /// there is no `_delta_log`. A `_delta_log` that cannot be read (permissions, I/O, a link
    /// loop) throws the `IOError` naming it: taking it for "no table" would make a writer
    /// create a second table, a reader fall back to reading removed files as live rows, and a
    /// tailing job wait forever.
    public static func exists(at path: String) throws(IOError) -> Bool {
        try LogReplay.list(LogPath(root: path)).latestVersion != nil
    }

    /// Opens an existing table; `DeltaLogError.notATable` when there is none.
    public static func open(at path: String, clock: any WallClock = SystemWallClock()) throws -> DeltaTable {
        let t = DeltaTable(root: path, clock: clock)
        guard try exists(at: path) else { throw DeltaLogError.notATable(path: path) }
        return t
    }

    /// Creates the table (commit 0: commitInfo, protocol 1/2, metaData), or — when it exists
    /// already, including when another process wins the race for version 0 — verifies that
    /// its schema and partition columns are the ones asked for, and opens it.
    ///
    /// `schema` holds every column, partition columns included (Delta's convention).
    public static func create(at path: String, schema: Schema, partitionColumns: [String] = [], configuration: StringMap = [:],
                              clock: any WallClock = SystemWallClock()) throws -> DeltaTable {
        let table = DeltaTable(root: path, clock: clock)
        for c in partitionColumns where schema.field(named: c) == nil {
            throw TableError.schemaMismatch(reason: "partition column \(c) is not in the schema \(schema)")
        }
        if try !exists(at: path) {
            try FileSystem.createDirectory(table.log.logDirectory)
            let now = clock.nowMicros() / 1000
            let metadata = MetadataAction(id: makeUUID(), schemaString: SparkSchema.encode(schema), partitionColumns: partitionColumns,
                                          configuration: configuration, createdTime: now)
            let actions: [Action] = [
                .commitInfo(timestampMillis: now, operation: "CREATE TABLE", parameters: ["mode": "ErrorIfExists", "partitionBy": partitionByParameter(partitionColumns)]),
                .protocol(ProtocolAction()),
                .metadata(metadata),
            ]
            if try LogCommitter.tryCommit(table.log, version: 0, actions: actions) { return table }
        }
        // Someone created it (before us or concurrently): it must be the same table shape.
        let existing = try table.snapshot()
        try verifyCompatible(existing, schema: schema, partitionColumns: partitionColumns)
        return table
    }

    /// Replays the log up to `version` (default newest); `holdingTombstones: false` for a
    /// long-running writer or tailing reader (see `Snapshot.holdsTombstones`).
    public func snapshot(version: Int64? = nil, holdingTombstones: Bool = true) throws -> Snapshot {
        try LogReplay.snapshot(log, at: version, holdingTombstones: holdingTombstones)
    }

    /// Checks an existing table against the shape a creator expects.
    static func verifyCompatible(_ s: Snapshot, schema: Schema, partitionColumns: [String]) throws {
        if s.partitionColumns.map({ $0.lowercased() }) != partitionColumns.map({ $0.lowercased() }) {
            throw DeltaLogError.incompatibleTable(path: s.root, reason: "partition columns are \(s.partitionColumns), expected \(partitionColumns)")
        }
        let have = s.schema.fields.map { "\($0.name.lowercased()):\($0.type)" }
        let want = schema.fields.map { "\($0.name.lowercased()):\($0.type)" }
        if have != want {
            throw DeltaLogError.incompatibleTable(path: s.root, reason: "schema is \(s.schema), expected \(schema)")
        }
    }

    /// Spark's `partitionBy` operation parameter: a JSON array in a string.
    static func partitionByParameter(_ columns: [String]) -> String {
        JSONValue.array(columns.map { .string($0) }).description
    }
}
