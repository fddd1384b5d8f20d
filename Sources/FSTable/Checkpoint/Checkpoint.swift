import FSCore
import FSParquet

/// Classic V1 Delta checkpoints (§3.8): one Parquet row per action of a snapshot, so readers
/// start from version N without replaying N JSON commits.
///
/// ```
///  snapshot v ──► rows: protocol, metaData, txn…, add… (path order), remove… (unexpired)
///             ──► _delta_log/_checkpoint_<uuid>.parquet.tmp ──rename──► %020d.checkpoint.parquet
///             ──► _delta_log/_last_checkpoint  (temp + rename)
/// ```
/// A checkpoint may be overwritten by another writer (same content), so rename is fine here —
/// unlike commits. It is written only after commit v exists.
public enum Checkpoint {
    /// The checkpoint Parquet schema (columns `txn`, `add`, `remove`, `metaData`, `protocol`).
    public static let schema: [ParquetNode] = [
        .group(name: "txn", repetition: .optional, annotation: .none, children: [
            .leaf(name: "appId", type: .string, repetition: .required),
            .leaf(name: "version", type: .int64, repetition: .required),
            .leaf(name: "lastUpdated", type: .int64, repetition: .optional),
        ]),
        .group(name: "add", repetition: .optional, annotation: .none, children: [
            .leaf(name: "path", type: .string, repetition: .required),
            stringMap("partitionValues", .required),
            .leaf(name: "size", type: .int64, repetition: .required),
            .leaf(name: "modificationTime", type: .int64, repetition: .required),
            .leaf(name: "dataChange", type: .boolean, repetition: .required),
            .leaf(name: "stats", type: .string, repetition: .optional),
            stringMap("tags", .optional),
        ]),
        .group(name: "remove", repetition: .optional, annotation: .none, children: [
            .leaf(name: "path", type: .string, repetition: .required),
            .leaf(name: "deletionTimestamp", type: .int64, repetition: .optional),
            .leaf(name: "dataChange", type: .boolean, repetition: .required),
            .leaf(name: "extendedFileMetadata", type: .boolean, repetition: .optional),
            stringMap("partitionValues", .optional),
            .leaf(name: "size", type: .int64, repetition: .optional),
        ]),
        .group(name: "metaData", repetition: .optional, annotation: .none, children: [
            .leaf(name: "id", type: .string, repetition: .required),
            .leaf(name: "name", type: .string, repetition: .optional),
            .leaf(name: "description", type: .string, repetition: .optional),
            .group(name: "format", repetition: .required, annotation: .none, children: [
                .leaf(name: "provider", type: .string, repetition: .required),
                stringMap("options", .required),
            ]),
            .leaf(name: "schemaString", type: .string, repetition: .required),
            .list(name: "partitionColumns", repetition: .required, element: .leaf(name: "element", type: .string, repetition: .required)),
            stringMap("configuration", .required),
            .leaf(name: "createdTime", type: .int64, repetition: .optional),
        ]),
        .group(name: "protocol", repetition: .optional, annotation: .none, children: [
            .leaf(name: "minReaderVersion", type: .int32, repetition: .required),
            .leaf(name: "minWriterVersion", type: .int32, repetition: .required),
        ]),
    ]

    private static func stringMap(_ name: String, _ repetition: ParquetRepetition) -> ParquetNode {
        .stringMap(name: name, repetition: repetition)
    }

    /// The table's tombstone retention (`delta.deletedFileRetentionDuration`, default 1 week).
    public static func tombstoneRetentionMillis(_ snapshot: Snapshot) -> Int64 {
        snapshot.metadata.configuration[TableProperty.deletedFileRetentionDuration].flatMap(parseIntervalMillis) ?? defaultTombstoneRetentionMillis
    }

    /// Default tombstone retention in checkpoints (`delta.deletedFileRetentionDuration`): 1 week.
    public static let defaultTombstoneRetentionMillis: Int64 = 7 * 86_400_000

    /// The actions a checkpoint of `snapshot` holds, in row order: protocol, metaData, txns by
    /// appId, adds by path, removes newer than the retention (tests; `write` streams them).
    /// Removes come by path from a snapshot that holds its tombstones, else in log order from
    /// `log` (default: the snapshot's table), see `LogTombstones`.
    public static func actions(of snapshot: Snapshot, log: LogPath? = nil, nowMillis: Int64) throws -> [Action] {
        var out: [Action] = []
        try forEachAction(of: snapshot, log: log ?? LogPath(root: snapshot.root), nowMillis: nowMillis) { out.append($0) }
        return out
    }

    /// Visits the actions of the checkpoint of `snapshot` in row order, one at a time: only the
    /// sorted keys are materialized, never a second copy of every file and tombstone. A snapshot
    /// without tombstones gets them streamed back from `log` (`LogTombstones`).
    static func forEachAction(of snapshot: Snapshot, log: LogPath, nowMillis: Int64, _ body: (Action) throws -> Void) throws {
        let retention = tombstoneRetentionMillis(snapshot)
        try body(.protocol(snapshot.protocolAction))
        try body(.metadata(snapshot.metadata))
        for appId in snapshot.txns.keys.sorted() { if let t = snapshot.txns[appId] { try body(.txn(t)) } }
        for path in snapshot.files.keys.sorted() { if let a = snapshot.files[path] { try body(.add(a)) } }
        if snapshot.holdsTombstones {
            let cutoff = nowMillis - retention
            try snapshot.tombstones.forEachSortedByPath { (path: String, t: Tombstone) throws in
                if t.isRetained(cutoffMillis: cutoff, nowMillis: nowMillis) { try body(.remove(t.removeAction(path: path))) }
            }
        } else {
            try LogTombstones(log: log, version: snapshot.version).forEachRetained(
                nowMillis: nowMillis, retentionMillis: retention, isLive: { snapshot.files[$0] != nil }) { try body(.remove($0)) }
        }
    }

    /// Rows per row group of a checkpoint. The writer holds one group's rows (as `NestedValue`s,
    /// about 1 KB per `add` besides its statistics) and their shredded columns at a time, so its
    /// memory does not grow with the table; 4,096 rows keep that to a few MB while pages stay
    /// large enough to compress paths well.
    public static let rowsPerGroup = 4_096

    /// Statistics text after which a row group ends before `rowsPerGroup` rows. Wide tables
    /// carry KBs of statistics per file (order events: ~2.5 KB), held in a group's rows, again in
    /// its shredded `stats` column and, from a writer's packed snapshot, unpacked for the rows:
    /// 4,096 such rows were ~30 MB at once, the peak of fs-ingest's ×5 run. 2 MiB keeps a group
    /// of such files at ~800 rows.
    public static let statisticsBytesPerGroup = 2 << 20

    /// Writes the checkpoint of `snapshot` and points `_last_checkpoint` at it. Rows are built
    /// and written `rowsPerGroup` at a time (one row group each).
    @discardableResult
    public static func write(_ snapshot: Snapshot, log: LogPath, nowMillis: Int64, options: ParquetWriterOptions = ParquetWriterOptions(),
                             rowsPerGroup: Int = Checkpoint.rowsPerGroup) throws -> LastCheckpoint {
        let tmp = log.newCheckpointTempFile()
        let writer = try NestedParquetWriter(path: tmp, schema: schema, options: options)
        let summary: ParquetFileSummary
        var adds: Int64 = 0
        do {
            var chunk: [NestedValue] = []
            var statisticsBytes = 0
            chunk.reserveCapacity(rowsPerGroup)
            try forEachAction(of: snapshot, log: log, nowMillis: nowMillis) { (action: Action) throws in
                if case .add(let a) = action {
                    adds += 1
                    statisticsBytes += a.statisticsText?.utf8Count ?? 0
                }
                guard let r = row(action) else { return }
                chunk.append(r)
                if chunk.count >= max(1, rowsPerGroup) || statisticsBytes >= statisticsBytesPerGroup {
                    try writer.writeRowGroup(chunk)
                    chunk.removeAll(keepingCapacity: true)
                    statisticsBytes = 0
                }
            }
            try writer.writeRowGroup(chunk)
            summary = try writer.finish()
            try FileSystem.rename(tmp, log.checkpointFile(snapshot.version))
        } catch {
            writer.discard()
            try? FileSystem.removeFile(tmp)
            throw error
        }
        let last = LastCheckpoint(version: snapshot.version, size: summary.rowCount, sizeInBytes: summary.sizeBytes, numOfAddFiles: adds)
        try FileSystem.replaceFile(log.lastCheckpointFile, Array(last.json.description.utf8))
        try FileSystem.fsyncDirectory(log.logDirectory)
        return last
    }

    // MARK: Rows

    /// One checkpoint row for an action; nil for actions checkpoints exclude.
    static func row(_ action: Action) -> NestedValue? {
        func s(_ v: String) -> NestedValue { .value(.string(v)) }
        func i(_ v: Int64) -> NestedValue { .value(.int64(v)) }
        func opt<T>(_ v: T?, _ f: (T) -> NestedValue) -> NestedValue { v.map(f) ?? .null }
        func map(_ m: StringMap) -> NestedValue { .map(m.entries.map { (key: $0.key, value: $0.value.map { .value(.string($0)) } ?? .null) }) }
        switch action {
        case .txn(let t):
            return .group(["txn": .group(["appId": s(t.appId), "version": i(t.version), "lastUpdated": opt(t.lastUpdated, i)])])
        case .add(let a):
            return .group(["add": .group([
                "path": s(PathEscaping.uriEncode(a.path)), "partitionValues": map(a.partitionValues), "size": i(a.size),
                "modificationTime": i(a.modificationTime), "dataChange": .value(.boolean(a.dataChange)),
                "stats": opt(a.stats, s), "tags": opt(a.tags, map),
            ])])
        case .remove(let r):
            return .group(["remove": .group([
                "path": s(PathEscaping.uriEncode(r.path)), "deletionTimestamp": opt(r.deletionTimestamp, i),
                "dataChange": .value(.boolean(r.dataChange)), "extendedFileMetadata": opt(r.extendedFileMetadata) { .value(.boolean($0)) },
                "partitionValues": opt(r.partitionValues, map), "size": opt(r.size, i),
            ])])
        case .metadata(let m):
            return .group(["metaData": .group([
                "id": s(m.id), "name": opt(m.name, s), "description": opt(m.description, s),
                "format": .group(["provider": s(m.formatProvider), "options": map(m.formatOptions)]),
                "schemaString": s(m.schemaString), "partitionColumns": .list(m.partitionColumns.map(s)),
                "configuration": map(m.configuration), "createdTime": opt(m.createdTime, i),
            ])])
        case .protocol(let p):
            return .group(["protocol": .group(["minReaderVersion": .value(.int32(p.minReaderVersion)), "minWriterVersion": .value(.int32(p.minWriterVersion))])])
        case .commitInfo, .unknown:
            return nil
        }
    }

    /// Actions of checkpoint rows (ours or another writer's: extra columns are ignored).
    static func actions(rows: [NestedValue], file: String) throws(DeltaLogError) -> [Action] {
        var out: [Action] = []
        out.reserveCapacity(rows.count)
        for (n, row) in rows.enumerated() {
            guard case .group(let cols) = row else { throw .corruptCheckpoint(file: file, reason: "row \(n) is not a record") }
            let r = CheckpointRow(file: file, row: n)
            if let g = cols["protocol"], case .group(let p) = g {
                out.append(.protocol(ProtocolAction(
                    minReaderVersion: Int32(clamping: try r.int(p, "minReaderVersion")), minWriterVersion: Int32(clamping: try r.int(p, "minWriterVersion")),
                    readerFeatures: r.strings(p["readerFeatures"]), writerFeatures: r.strings(p["writerFeatures"]))))
            }
            if let g = cols["metaData"], case .group(let m) = g {
                var format: [String: NestedValue] = [:]
                if case .group(let f)? = m["format"] { format = f }
                out.append(.metadata(MetadataAction(
                    id: try r.string(m, "id"), name: r.optionalString(m["name"]), description: r.optionalString(m["description"]),
                    formatProvider: r.optionalString(format["provider"]) ?? "parquet", formatOptions: r.map(format["options"]) ?? [:],
                    schemaString: try r.string(m, "schemaString"), partitionColumns: r.strings(m["partitionColumns"]) ?? [],
                    configuration: r.map(m["configuration"]) ?? [:], createdTime: r.optionalInt(m["createdTime"]))))
            }
            if let g = cols["txn"], case .group(let t) = g {
                out.append(.txn(TxnAction(appId: try r.string(t, "appId"), version: try r.int(t, "version"), lastUpdated: r.optionalInt(t["lastUpdated"]))))
            }
            if let g = cols["add"], case .group(let a) = g {
                out.append(.add(AddAction(
                    path: try r.path(a), partitionValues: r.map(a["partitionValues"]) ?? [:], size: try r.int(a, "size"),
                    modificationTime: r.optionalInt(a["modificationTime"]) ?? 0, dataChange: r.optionalBool(a["dataChange"]) ?? true,
                    stats: r.optionalString(a["stats"]), tags: r.map(a["tags"]))))
            }
            if let g = cols["remove"], case .group(let d) = g {
                out.append(.remove(RemoveAction(
                    path: try r.path(d), deletionTimestamp: r.optionalInt(d["deletionTimestamp"]), dataChange: r.optionalBool(d["dataChange"]) ?? true,
                    extendedFileMetadata: r.optionalBool(d["extendedFileMetadata"]), partitionValues: r.map(d["partitionValues"]), size: r.optionalInt(d["size"]))))
            }
        }
        return out
    }

    /// Parses Spark's interval strings (`interval 1 week`, `interval 7 days`) to milliseconds.
    static func parseIntervalMillis(_ text: String) -> Int64? {
        let words = text.lowercased().split(separator: " ").filter { $0 != "interval" }
        guard words.count == 2, let n = Int64(words[0]) else { return nil }
        let unit: Int64
        switch words[1].hasSuffix("s") ? String(words[1].dropLast()) : String(words[1]) {
        case "millisecond": unit = 1
        case "second": unit = 1_000
        case "minute": unit = 60_000
        case "hour": unit = 3_600_000
        case "day": unit = 86_400_000
        case "week": unit = 7 * 86_400_000
        default: return nil
        }
        return n.multipliedReportingOverflow(by: unit).overflow ? nil : n * unit
    }
}

/// Field access on one checkpoint row with errors naming file and row.
private struct CheckpointRow {
    let file: String
    let row: Int

    func fail(_ reason: String) -> DeltaLogError { .corruptCheckpoint(file: file, reason: "row \(row): \(reason)") }

    func optionalString(_ v: NestedValue?) -> String? {
        if case .value(.string(let s))? = v { return s }
        return nil
    }

    func string(_ g: [String: NestedValue], _ key: String) throws(DeltaLogError) -> String {
        guard let s = optionalString(g[key]) else { throw fail("\(key) is missing") }
        return s
    }

    func optionalInt(_ v: NestedValue?) -> Int64? {
        if case .value(let x)? = v { return x.asInt64 }
        return nil
    }

    func int(_ g: [String: NestedValue], _ key: String) throws(DeltaLogError) -> Int64 {
        guard let i = optionalInt(g[key]) else { throw fail("\(key) is missing") }
        return i
    }

    func optionalBool(_ v: NestedValue?) -> Bool? {
        if case .value(.boolean(let b))? = v { return b }
        return nil
    }

    func strings(_ v: NestedValue?) -> [String]? {
        guard case .list(let items)? = v else { return nil }
        return items.compactMap(optionalString)
    }

    func map(_ v: NestedValue?) -> StringMap? {
        guard case .map(let pairs)? = v else { return nil }
        return StringMap(pairs.map { StringMap.Entry(key: $0.key, value: optionalString($0.value)) })
    }

    func path(_ g: [String: NestedValue]) throws(DeltaLogError) -> String {
        let raw = try string(g, "path")
        guard let p = PathEscaping.uriDecode(raw) else { throw fail("path is not a valid URI-encoded path: \(raw)") }
        return p
    }
}

/// The `_last_checkpoint` hint: `{"version":N,"size":actions,"sizeInBytes":bytes,"numOfAddFiles":adds}`.
public struct LastCheckpoint: Sendable, Equatable {
    public var version: Int64
    public var size: Int64
    public var sizeInBytes: Int64?
    public var numOfAddFiles: Int64?

    public var json: JSONValue {
        var o: [(String, JSONValue)] = [("version", .int(version)), ("size", .int(size))]
        if let b = sizeInBytes { o.append(("sizeInBytes", .int(b))) }
        if let n = numOfAddFiles { o.append(("numOfAddFiles", .int(n))) }
        return .object(o)
    }

    /// Reads the hint; nil when absent or unreadable (it is only a hint).
    public static func read(_ log: LogPath) -> LastCheckpoint? {
        guard let bytes = try? FileSystem.readFile(log.lastCheckpointFile),
              let json = try? JSONValue.parse(String(decoding: bytes, as: UTF8.self)),
              let v = json["version"]?.int64Value else { return nil }
        return LastCheckpoint(version: v, size: json["size"]?.int64Value ?? 0, sizeInBytes: json["sizeInBytes"]?.int64Value, numOfAddFiles: json["numOfAddFiles"]?.int64Value)
    }
}
