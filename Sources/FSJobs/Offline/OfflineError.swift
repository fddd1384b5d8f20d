import FSCore

/// Why an offline run cannot start or finish; each names the flag or table and what to do.
public enum OfflineError: CategorizedError, Equatable {
    /// No Delta table and no Parquet files at `--input-table`.
    case inputMissing(path: String, reason: String)
    /// A column named by a flag is not in the input.
    case unknownColumn(flag: String, problem: String)
    /// The time field has a type the range cannot be applied to.
    case badTimeField(name: String, type: DataType)
    /// The output table exists with other columns (another feature set).
    case outputMismatch(path: String, reason: String)

    public var exitStatus: ExitStatus {
        switch self {
        case .outputMismatch: return .dataError
        default: return .usage
        }
    }

    public var description: String {
        switch self {
        case .inputMissing(let p, let r):
            return "--input-table \(p): no input there (\(r)); point it at a Delta table or a hive-partitioned Parquet directory"
        case .unknownColumn(let flag, let problem):
            return "\(flag): \(problem)"
        case .badTimeField(let n, let t):
            return "--time-field: column \(n) is \(t); it must be a timestamp or a date"
        case .outputMismatch(let p, let r):
            return "--output-table \(p): the existing table has other columns (\(r)); write this feature set to a new output table"
        }
    }
}
