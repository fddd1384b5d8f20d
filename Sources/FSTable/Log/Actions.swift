import FSCore

/// The Delta log actions fs reads and writes, and their JSON field names — the one place that
/// knows them ("Delta Table Specification: Actions", docs/table-format.md §3.2).
///
/// One action is one line of a commit file: `{"add":{...}}`. Unknown actions and unknown fields
/// are ignored when replaying (Protocol Evolution) but unknown actions are kept verbatim, so a
/// commit read and rewritten loses nothing.
public enum Action: Sendable, Hashable {
    case commitInfo(JSONValue)
    case `protocol`(ProtocolAction)
    case metadata(MetadataAction)
    case add(AddAction)
    case remove(RemoveAction)
    case txn(TxnAction)
    /// Any other action (`cdc`, `domainMetadata`, ...), kept as written.
    case unknown(name: String, body: JSONValue)

    /// JSON key of each action kind.
    public enum Key {
        public static let commitInfo = "commitInfo"
        public static let `protocol` = "protocol"
        public static let metadata = "metaData"
        public static let add = "add"
        public static let remove = "remove"
        public static let txn = "txn"
    }
}

// The four file and table actions below are built only in FSTable (writers, checkpoints, the
// log reader): their inits are the memberwise ones, defaults on the properties.

/// `protocol`: the reader/writer versions a client needs. fs writes (1, 2).
public struct ProtocolAction: Sendable, Hashable {
    public var minReaderVersion: Int32 = 1
    public var minWriterVersion: Int32 = 2
    /// Table features (only with reader 3 / writer 7); fs writes none.
    public var readerFeatures: [String]?
    public var writerFeatures: [String]?
}

/// `metaData`: table identity, schema and partitioning. A later one replaces the whole thing.
public struct MetadataAction: Sendable, Hashable {
    /// A GUID, constant for the table's life.
    public var id: String
    public var name: String?
    public var description: String?
    /// Always `parquet`.
    public var formatProvider = "parquet"
    public var formatOptions: StringMap = [:]
    /// Spark's JSON schema, partition columns included (see `SparkSchema`).
    public var schemaString: String
    public var partitionColumns: [String]
    /// Table properties such as `delta.checkpointInterval`.
    public var configuration: StringMap = [:]
    /// Milliseconds since the epoch.
    public var createdTime: Int64?
}

/// `add`: a data file becomes part of the table.
public struct AddAction: Sendable, Hashable {
    /// Path relative to the table root, decoded (the JSON holds it URI-encoded).
    public var path: String
    /// Partition column → value serialized as a string (nil = null), in partition column order.
    public var partitionValues: StringMap
    /// Exact file size in bytes.
    public var size: Int64
    /// Milliseconds since the epoch.
    public var modificationTime: Int64
    /// False for rearrangements (compaction) that streaming readers skip.
    public var dataChange = true
    /// Per-file statistics, a JSON document (see `FileStatistics`); a writer's snapshot keeps
    /// it packed (`statisticsText`), and reading it unpacks.
    public var stats: String? {
        get { statisticsText?.text }
        set { statisticsText = newValue.map(FileStatisticsText.init) }
    }
    /// The statistics as held: as written, or packed (`LiveFiles.packsStatistics`).
    var statisticsText: FileStatisticsText?
    public var tags: StringMap?

    init(path: String, partitionValues: StringMap, size: Int64, modificationTime: Int64, dataChange: Bool = true,
         stats: String? = nil, tags: StringMap? = nil) {
        self.path = path
        self.partitionValues = partitionValues
        self.size = size
        self.modificationTime = modificationTime
        self.dataChange = dataChange
        self.statisticsText = stats.map(FileStatisticsText.init)
        self.tags = tags
    }

    /// Equal when every field is, the statistics compared as text (packed or not).
    public static func == (a: AddAction, b: AddAction) -> Bool {
        a.path == b.path && a.partitionValues == b.partitionValues && a.size == b.size && a.modificationTime == b.modificationTime
            && a.dataChange == b.dataChange && a.tags == b.tags && a.stats == b.stats
    }

    public func hash(into hasher: inout Hasher) {
        hasher.combine(path)
        hasher.combine(partitionValues)
        hasher.combine(size)
        hasher.combine(modificationTime)
        hasher.combine(dataChange)
        hasher.combine(stats)
        hasher.combine(tags)
    }
}

/// `remove`: a data file leaves the table (a tombstone; the bytes stay until vacuumed).
public struct RemoveAction: Sendable, Hashable {
    public var path: String
    /// Milliseconds since the epoch.
    public var deletionTimestamp: Int64?
    public var dataChange = true
    public var extendedFileMetadata: Bool?
    public var partitionValues: StringMap?
    public var size: Int64?
}

extension RemoveAction {
    /// The tombstone for a live file, carrying its partition values and size
    /// (`extendedFileMetadata: true`) so readers of the commit alone know what left.
    public init(removing add: AddAction, at millis: Int64, dataChange: Bool = true) {
        self.init(path: add.path, deletionTimestamp: millis, dataChange: dataChange, extendedFileMetadata: true, partitionValues: add.partitionValues, size: add.size)
    }
}

/// `txn`: an application's progress marker (exactly-once writes, §3.7).
public struct TxnAction: Sendable, Hashable {
    public var appId: String
    public var version: Int64
    /// Milliseconds since the epoch.
    public var lastUpdated: Int64?

    public init(appId: String, version: Int64, lastUpdated: Int64? = nil) {
        self.appId = appId
        self.version = version
        self.lastUpdated = lastUpdated
    }
}

/// Why an action line could not be decoded (the log reader adds the file and line).
public struct ActionDecodingError: Error, Equatable, CustomStringConvertible {
    public var reason: String
    public init(_ reason: String) { self.reason = reason }
    public var description: String { reason }
}

// MARK: - JSON

extension Action {
    /// Builds the `commitInfo` fs writes first in every commit.
    public static func commitInfo(timestampMillis: Int64, operation: String, parameters: StringMap = [:], readVersion: Int64? = nil, isBlindAppend: Bool? = nil) -> Action {
        var o: [(String, JSONValue)] = [
            ("timestamp", .int(timestampMillis)),
            ("operation", .string(operation)),
            ("operationParameters", stringMapJSON(parameters)),
        ]
        if let readVersion { o.append(("readVersion", .int(readVersion))) }
        if let isBlindAppend { o.append(("isBlindAppend", .bool(isBlindAppend))) }
        o.append(("engineInfo", .string(fsEngineInfo)))
        return .commitInfo(.object(o))
    }

    /// The `engineInfo` of our commits.
    public static let fsEngineInfo = "fs/0.1.0"

    /// The action as its JSON value `{"<kind>":{...}}`, fields in a fixed order.
    public var json: JSONValue {
        switch self {
        case .commitInfo(let body): return .object([(Key.commitInfo, body)])
        case .protocol(let p):
            var o: [(String, JSONValue)] = [("minReaderVersion", .int(Int64(p.minReaderVersion))), ("minWriterVersion", .int(Int64(p.minWriterVersion)))]
            if let f = p.readerFeatures { o.append(("readerFeatures", .array(f.map { .string($0) }))) }
            if let f = p.writerFeatures { o.append(("writerFeatures", .array(f.map { .string($0) }))) }
            return .object([(Key.protocol, .object(o))])
        case .metadata(let m):
            var o: [(String, JSONValue)] = [("id", .string(m.id))]
            if let n = m.name { o.append(("name", .string(n))) }
            if let d = m.description { o.append(("description", .string(d))) }
            o.append(("format", .object([("provider", .string(m.formatProvider)), ("options", stringMapJSON(m.formatOptions))])))
            o.append(("schemaString", .string(m.schemaString)))
            o.append(("partitionColumns", .array(m.partitionColumns.map { .string($0) })))
            o.append(("configuration", stringMapJSON(m.configuration)))
            if let t = m.createdTime { o.append(("createdTime", .int(t))) }
            return .object([(Key.metadata, .object(o))])
        case .add(let a):
            var o: [(String, JSONValue)] = [
                ("path", .string(PathEscaping.uriEncode(a.path))),
                ("partitionValues", stringMapJSON(a.partitionValues)),
                ("size", .int(a.size)),
                ("modificationTime", .int(a.modificationTime)),
                ("dataChange", .bool(a.dataChange)),
            ]
            if let s = a.stats { o.append(("stats", .string(s))) }
            if let t = a.tags { o.append(("tags", stringMapJSON(t))) }
            return .object([(Key.add, .object(o))])
        case .remove(let r):
            var o: [(String, JSONValue)] = [("path", .string(PathEscaping.uriEncode(r.path)))]
            if let t = r.deletionTimestamp { o.append(("deletionTimestamp", .int(t))) }
            o.append(("dataChange", .bool(r.dataChange)))
            if let e = r.extendedFileMetadata { o.append(("extendedFileMetadata", .bool(e))) }
            if let p = r.partitionValues { o.append(("partitionValues", stringMapJSON(p))) }
            if let s = r.size { o.append(("size", .int(s))) }
            return .object([(Key.remove, .object(o))])
        case .txn(let t):
            var o: [(String, JSONValue)] = [("appId", .string(t.appId)), ("version", .int(t.version))]
            if let l = t.lastUpdated { o.append(("lastUpdated", .int(l))) }
            return .object([(Key.txn, .object(o))])
        case .unknown(let name, let body): return .object([(name, body)])
        }
    }

    /// One line of a commit file (no newline).
    public var jsonLine: String { json.description }

    /// Decodes one action from its JSON value. Unknown fields are ignored; an unknown action
    /// kind becomes `.unknown`.
    public init(json: JSONValue) throws(ActionDecodingError) {
        guard case .object(let pairs) = json, pairs.count == 1, let (kind, body) = pairs.first else {
            throw ActionDecodingError("an action must be an object with exactly one key")
        }
        switch kind {
        case Key.commitInfo: self = .commitInfo(body)
        case Key.protocol:
            let f = try Fields(body, kind)
            self = .protocol(ProtocolAction(
                minReaderVersion: Int32(clamping: try f.int("minReaderVersion")),
                minWriterVersion: Int32(clamping: try f.int("minWriterVersion")),
                readerFeatures: try f.optionalStrings("readerFeatures"),
                writerFeatures: try f.optionalStrings("writerFeatures")))
        case Key.metadata:
            let f = try Fields(body, kind)
            let format = try Fields(f.required("format"), "metaData.format")
            self = .metadata(MetadataAction(
                id: try f.string("id"),
                name: try f.optionalString("name"),
                description: try f.optionalString("description"),
                formatProvider: try format.optionalString("provider") ?? "parquet",
                formatOptions: try format.optionalMap("options") ?? [:],
                schemaString: try f.string("schemaString"),
                partitionColumns: try f.optionalStrings("partitionColumns") ?? [],
                configuration: try f.optionalMap("configuration") ?? [:],
                createdTime: try f.optionalInt("createdTime")))
        case Key.add:
            let f = try Fields(body, kind)
            self = .add(AddAction(
                path: try f.path(),
                partitionValues: try f.optionalMap("partitionValues") ?? [:],
                size: try f.int("size"),
                modificationTime: try f.optionalInt("modificationTime") ?? 0,
                dataChange: try f.optionalBool("dataChange") ?? true,
                stats: try f.optionalString("stats"),
                tags: try f.optionalMap("tags")))
        case Key.remove:
            let f = try Fields(body, kind)
            self = .remove(RemoveAction(
                path: try f.path(),
                deletionTimestamp: try f.optionalInt("deletionTimestamp"),
                dataChange: try f.optionalBool("dataChange") ?? true,
                extendedFileMetadata: try f.optionalBool("extendedFileMetadata"),
                partitionValues: try f.optionalMap("partitionValues"),
                size: try f.optionalInt("size")))
        case Key.txn:
            let f = try Fields(body, kind)
            self = .txn(TxnAction(appId: try f.string("appId"), version: try f.int("version"), lastUpdated: try f.optionalInt("lastUpdated")))
        default:
            self = .unknown(name: kind, body: body)
        }
    }

    /// Decodes one commit-file line.
    public init(line: String) throws(ActionDecodingError) {
        let json: JSONValue
        do { json = try JSONValue.parse(line) } catch { throw ActionDecodingError(error.description) }
        try self.init(json: json)
    }
}

/// `{"k":"v",...}` with null values kept as JSON null.
func stringMapJSON(_ m: StringMap) -> JSONValue {
    .object(m.entries.map { ($0.key, $0.value.map(JSONValue.string) ?? .null) })
}

/// Typed access to the fields of one action body, with errors naming the field.
private struct Fields {
    let pairs: [(String, JSONValue)]
    let kind: String

    init(_ body: JSONValue, _ kind: String) throws(ActionDecodingError) {
        guard case .object(let p) = body else { throw ActionDecodingError("\(kind) must be an object") }
        pairs = p
        self.kind = kind
    }

    func value(_ key: String) -> JSONValue? {
        guard let v = pairs.first(where: { $0.0 == key })?.1, !v.isNull else { return nil }
        return v
    }

    func required(_ key: String) throws(ActionDecodingError) -> JSONValue {
        guard let v = value(key) else { throw ActionDecodingError("\(kind).\(key) is missing") }
        return v
    }

    /// The field `key` as `get` reads it, nil when absent or null; a value `get` refuses is the
    /// error "<kind>.<key> must be <what>". Every typed accessor below is this with its type.
    func optional<T>(_ key: String, _ what: String, _ get: (JSONValue) -> T?) throws(ActionDecodingError) -> T? {
        guard let v = value(key) else { return nil }
        guard let t = get(v) else { throw ActionDecodingError("\(kind).\(key) must be \(what)") }
        return t
    }

    func string(_ key: String) throws(ActionDecodingError) -> String {
        guard let s = try optionalString(key) else { throw ActionDecodingError("\(kind).\(key) is missing") }
        return s
    }

    func optionalString(_ key: String) throws(ActionDecodingError) -> String? { try optional(key, "a string", \.stringValue) }

    func int(_ key: String) throws(ActionDecodingError) -> Int64 {
        guard let i = try optionalInt(key) else { throw ActionDecodingError("\(kind).\(key) is missing") }
        return i
    }

    func optionalInt(_ key: String) throws(ActionDecodingError) -> Int64? { try optional(key, "an integer", \.int64Value) }

    func optionalBool(_ key: String) throws(ActionDecodingError) -> Bool? { try optional(key, "a boolean", \.boolValue) }

    func optionalStrings(_ key: String) throws(ActionDecodingError) -> [String]? {
        try optional(key, "an array of strings") { v in
            v.arrayValue.flatMap { a in
                let strings = a.compactMap(\.stringValue)
                return strings.count == a.count ? strings : nil
            }
        }
    }

    func optionalMap(_ key: String) throws(ActionDecodingError) -> StringMap? {
        guard let v = value(key) else { return nil }
        guard let o = v.objectValue else { throw ActionDecodingError("\(kind).\(key) must be an object") }
        var m = StringMap()
        for (k, e) in o {
            switch e {
            case .null: m.set(k, nil)
            case .string(let s): m.set(k, s)
            // Writers are told to use strings; accept scalars from lenient ones.
            case .int, .double, .bool: m.set(k, e.description)
            default: throw ActionDecodingError("\(kind).\(key).\(k) must be a string")
            }
        }
        return m
    }

    func path() throws(ActionDecodingError) -> String {
        let raw = try string("path")
        guard let decoded = PathEscaping.uriDecode(raw) else { throw ActionDecodingError("\(kind).path is not a valid URI-encoded path: \(raw)") }
        return decoded
    }
}
