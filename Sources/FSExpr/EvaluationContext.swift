import FSCore

/// What an evaluation needs besides the input columns: the instant `current_date` /
/// `current_timestamp` return (read once from the injected clock, so one evaluation sees one
/// "now", as a Spark query does) and, after aggregation, the finalized aggregate results.
public struct EvaluationContext: Sendable {
    /// µs since the epoch, UTC.
    public var nowMicros: Int64
    /// Column k holds the finalized values of aggregate slot k (see `BoundExpr.aggregateCalls`),
    /// one row per group. Empty for per-row evaluation.
    public var aggregateResults: [Column]

    public init(nowMicros: Int64, aggregateResults: [Column] = []) {
        self.nowMicros = nowMicros
        self.aggregateResults = aggregateResults
    }

    /// Reads the clock once.
    public init(clock: any WallClock, aggregateResults: [Column] = []) {
        self.init(nowMicros: clock.nowMicros(), aggregateResults: aggregateResults)
    }
}

/// Rows where a predicate is TRUE (NULL and FALSE are both "not selected"): what
/// `FILTER (WHERE …)` feeds to an aggregate and what a WHERE keeps.
public struct SelectionMask: Sendable, Equatable {
    /// One flag per input row.
    public var isSelected: [Bool]
    /// Number of `true` flags.
    public var selectedCount: Int

    public init(isSelected: [Bool]) {
        self.isSelected = isSelected
        var n = 0
        for b in isSelected where b { n += 1 }
        self.selectedCount = n
    }

    /// The selected row numbers, ascending (for `RecordBatch.gather`).
    public var indices: [Int] {
        var out: [Int] = []
        out.reserveCapacity(selectedCount)
        for (i, b) in isSelected.enumerated() where b { out.append(i) }
        return out
    }
}
