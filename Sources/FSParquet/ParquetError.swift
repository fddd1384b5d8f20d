import FSCore

/// Everything that can go wrong reading or writing Parquet, naming the file, the column and the
/// byte offset where known, so a user can find the bad file without a debugger.
///
/// All cases are bad data or unsupported input (exit 65), except `io`, which wraps the POSIX
/// failure of the file system layer (exit 74), and `invalidArgument`, which is a caller bug
/// (exit 70): a batch that does not match the writer's schema, a REQUIRED field given a NULL.
public enum ParquetError: CategorizedError, Equatable {
    /// The Thrift compact bytes of a footer or page header do not decode.
    case corruptMetadata(file: String, offset: Int, reason: String)
    /// The file is not Parquet (magic, footer length) or is truncated.
    case corruptFile(file: String, reason: String)
    /// A page's body does not decode (levels, values, codec output size).
    case corruptPage(file: String, column: String, offset: Int, reason: String)
    /// A type, encoding or codec fs does not read.
    case unsupported(file: String, column: String, feature: String)
    /// The caller broke the writer's contract (schema mismatch, NULL in a REQUIRED field, ...).
    case invalidArgument(file: String, column: String, reason: String)
    /// The file system failed underneath the reader or writer.
    case io(IOError)

    public var exitStatus: ExitStatus {
        switch self {
        case .corruptMetadata, .corruptFile, .corruptPage, .unsupported: return .dataError
        case .invalidArgument: return .software
        case .io(let e): return e.exitStatus
        }
    }

    public var description: String {
        switch self {
        case let .corruptMetadata(file, offset, reason):
            return "corrupt Parquet metadata in \(file) at byte \(offset): \(reason)"
        case let .corruptFile(file, reason):
            return "not a valid Parquet file \(file): \(reason)"
        case let .corruptPage(file, column, offset, reason):
            return "corrupt Parquet page in \(file), column \(column), at byte \(offset): \(reason)"
        case let .unsupported(file, column, feature):
            return "unsupported Parquet feature in \(file), column \(column): \(feature)"
        case let .invalidArgument(file, column, reason):
            return "cannot write Parquet \(file), column \(column): \(reason)"
        case .io(let e):
            return e.description
        }
    }
}
