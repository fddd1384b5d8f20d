import FSCore

/// What can go wrong reading or committing a Delta log, each case naming the table file or
/// version involved, mapped to fs's exit codes.
public enum DeltaLogError: CategorizedError, Equatable {
    /// A log line that is not valid JSON or misses a required field.
    case corruptAction(file: String, line: Int, reason: String)
    /// Versions must be contiguous; `version` is absent while later ones exist.
    case missingVersion(table: String, version: Int64)
    /// The directory has no `_delta_log` with commits.
    case notATable(path: String)
    /// `create` found an existing table whose schema or partitioning differs.
    case incompatibleTable(path: String, reason: String)
    /// The table needs reader/writer features fs does not implement.
    case unsupportedProtocol(reader: Int32, writer: Int32)
    /// `metaData.schemaString` is not a Spark struct schema.
    case invalidSchema(reason: String)
    /// The schema string holds a type fs cannot store.
    case unsupportedType(column: String, type: String)
    /// A concurrent commit made ours invalid (metadata change, removal of the same files,
    /// appends into partitions we replace); retrying blindly would lose or duplicate data.
    case concurrentModification(version: Int64, reason: String)
    /// A checkpoint exists but cannot be used.
    case corruptCheckpoint(file: String, reason: String)
    /// Lost the race for a version more times than allowed.
    case tooManyCommitRetries(attempts: Int)

    public var exitStatus: ExitStatus {
        switch self {
        case .concurrentModification, .tooManyCommitRetries: return .unavailable
        default: return .dataError
        }
    }

    public var description: String {
        switch self {
        case .corruptAction(let file, let line, let reason): return "\(file):\(line): corrupt Delta action: \(reason)"
        case .missingVersion(let table, let version): return "\(table): Delta log version \(version) is missing (versions must be contiguous)"
        case .notATable(let path): return "\(path): not a Delta table (no commits in _delta_log)"
        case .incompatibleTable(let path, let reason): return "\(path): existing table is incompatible: \(reason)"
        case .unsupportedProtocol(let r, let w): return "unsupported Delta protocol: minReaderVersion \(r), minWriterVersion \(w) (fs reads 1, writes 2)"
        case .invalidSchema(let reason): return "invalid Delta schema: \(reason)"
        case .unsupportedType(let column, let type): return "column \(column): unsupported Delta type \(type)"
        case .concurrentModification(let version, let reason): return "concurrent commit \(version) conflicts: \(reason)"
        case .corruptCheckpoint(let file, let reason): return "\(file): corrupt checkpoint: \(reason)"
        case .tooManyCommitRetries(let attempts): return "gave up committing after losing \(attempts) races"
        }
    }
}

/// Errors of the table API (writing batches, scanning), naming the column or path.
public enum TableError: CategorizedError, Equatable {
    /// A batch whose columns do not match the table schema.
    case schemaMismatch(reason: String)
    /// A partition value string that does not parse as the column's type.
    case invalidPartitionValue(column: String, value: String, file: String)
    /// A scan asked for a column the table does not have.
    case unknownColumn(String)
    /// A non-Delta directory that is not hive-partitioned Parquet either.
    case notADataset(path: String, reason: String)
    /// The writer was used after `commit` or `abort`.
    case writerClosed

    public var exitStatus: ExitStatus {
        switch self {
        case .unknownColumn: return .usage
        case .writerClosed: return .software
        default: return .dataError
        }
    }

    public var description: String {
        switch self {
        case .schemaMismatch(let reason): return "batch does not match the table schema: \(reason)"
        case .invalidPartitionValue(let column, let value, let file): return "\(file): partition value \"\(value)\" is not valid for column \(column)"
        case .unknownColumn(let name): return "unknown column \(name)"
        case .notADataset(let path, let reason): return "\(path): \(reason)"
        case .writerClosed: return "table writer used after commit or abort"
        }
    }
}
