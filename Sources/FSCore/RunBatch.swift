/// Rows given as runs of consecutive rows, for a producer whose rows repeat: the online job's
/// windows of one key that hold the same slices report the same features (about 12 rows per
/// event, but only about one distinct row of features per event).
///
/// Each column is either one value per run (`repeated`: every row of the run holds it) or an
/// integer that starts at a per-run value and grows by a fixed step on each next row of the run
/// (`stepping`: a key's consecutive window bounds). A writer that takes runs (the Parquet
/// writer's `writeRuns`) then does work per run instead of per row; `expanded()` gives the rows.
///
///     runLengths  [3,        2    ]
///     repeated    ["a",      "b"  ]        ─► a a a b b
///     stepping    first [10, 40], step 5   ─► 10 15 20 40 45
public struct RunBatch: Sendable {
    /// The rows' schema (what `expanded()` returns).
    public var schema: Schema
    /// Rows of each run, each at least 1.
    public var runLengths: [Int32]
    /// One per schema field.
    public var columns: [RunColumn]

    public init(schema: Schema, runLengths: [Int32], columns: [RunColumn]) {
        precondition(schema.count == columns.count, "schema has \(schema.count) fields, run batch \(columns.count) columns")
        for (f, c) in zip(schema.fields, columns) {
            precondition(c.runCount == runLengths.count, "column \(f.name) has \(c.runCount) runs, expected \(runLengths.count)")
            precondition(c.type == f.type, "column \(f.name) is \(c.type), schema says \(f.type)")
        }
        precondition(runLengths.allSatisfy { $0 >= 1 }, "a run has no rows")
        self.schema = schema
        self.runLengths = runLengths
        self.columns = columns
    }

    /// Every row a run of its own.
    public init(rows batch: RecordBatch) {
        self.init(schema: batch.schema, runLengths: Array(repeating: 1, count: batch.rowCount), columns: batch.columns.map { .repeated($0) })
    }

    public var runCount: Int { runLengths.count }

    /// Rows of all runs.
    public var rowCount: Int { runLengths.reduce(0) { $0 + Int($1) } }

    /// Rows of `runs` (a range of run positions).
    public func rowCount(runs: Range<Int>) -> Int {
        runLengths[runs].reduce(0) { $0 + Int($1) }
    }

    /// The rows, each run written out (for writers without a run path, readers and tests).
    public func expanded() -> RecordBatch {
        var rowRun: [Int] = []
        rowRun.reserveCapacity(rowCount)
        for (r, n) in runLengths.enumerated() { rowRun.append(contentsOf: repeatElement(r, count: Int(n))) }
        let columns = columns.map { c -> Column in
            switch c {
            case .repeated(let column):
                return column.gather(rowRun)
            case .stepping(let first, let step, let type):
                var out: [Int64] = []
                out.reserveCapacity(rowRun.count)
                for (r, n) in runLengths.enumerated() {
                    var v = first[r]
                    for _ in 0..<n { out.append(v); v &+= step }
                }
                return Column(type: type, values: .int64(out))
            }
        }
        return RecordBatch(schema: schema, columns: columns)
    }
}

/// A column of a `RunBatch`.
public enum RunColumn: Sendable {
    /// One value per run (NULLs allowed), repeated on each row of the run.
    case repeated(Column)
    /// A non-null 64-bit integer column (`type` is int64 or timestamp): row i of run r holds
    /// `first[r] + i * step`.
    case stepping(first: [Int64], step: Int64, type: DataType)

    public var type: DataType {
        switch self {
        case .repeated(let c): return c.type
        case .stepping(_, _, let type): return type
        }
    }

    public var runCount: Int {
        switch self {
        case .repeated(let c): return c.count
        case .stepping(let first, _, _): return first.count
        }
    }
}
