import FSCore
import FSJobs

/// Why a publish cannot proceed; each names the table and what to do.
public enum PublishError: CategorizedError, Equatable {
    case schemaMismatch(output: String, reason: String)
    case foreignOutput(output: String)
    case sourceRewound(input: String, published: Int64, current: Int64)
    /// An existing store table whose columns cannot hold the layout (named column, why).
    case incompatibleColumn(table: String, column: String, reason: String)
    /// The store table is already fed by another input table (its `source_table_id`).
    case otherSource(table: String, sourceTableId: String, sourcePath: String)

    public var exitStatus: ExitStatus { .dataError }

    public var description: String {
        switch self {
        case .schemaMismatch(let o, let r):
            return "--output-table \(o): its schema differs from the input's (\(r)); publish to a new output table"
        case .foreignOutput(let o):
            return "--output-table \(o): already holds data that was not published from this input table; choose an empty or new output table"
        case .sourceRewound(let i, let p, let c):
            return "--input-table \(i): its newest version \(c) is older than the version \(p) already published; was it re-created? publish to a new output table"
        case .incompatibleColumn(let t, let c, let r):
            return "--output-table \(t): column \(c) \(r); publish to a new output table or drop it"
        case .otherSource(let t, let id, let p):
            return "--output-table \(t): already published from another input table (\(p), table id \(id)); choose another output table"
        }
    }
}

extension UsageError {
    /// fs-publish's `--input-table` names no table (and `--follow` is off, so it cannot wait).
    static func publishInputMissing(_ path: String) -> UsageError {
        .inputTableMissing(path, remedy: "publish the table a job wrote")
    }
}
