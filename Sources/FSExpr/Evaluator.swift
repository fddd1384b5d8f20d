import FSCore

/// Evaluates bound expressions column-at-a-time.
///
/// Each node is dispatched once per batch (a `switch` on the node and on its physical type),
/// then a tight loop runs over the concrete arrays (`[Double]`, `[Int64]`, `StringArray`…).
/// NULLs travel as validity bitmaps and are combined word by word; literals stay scalars and are
/// broadcast inside the kernels. Semantics are Spark's with `spark.sql.ansi.enabled=false`:
/// overflow wraps, a zero divisor gives NULL, a failed cast gives NULL — evaluation never throws.
public enum Evaluator {
    /// The value of `expression` for every row of `batch`.
    public static func evaluate(_ expression: BoundExpr, on batch: RecordBatch, context: EvaluationContext) -> Column {
        evaluate(expression, columns: batch.columns, rowCount: batch.rowCount, context: context)
    }

    /// The value of `expression` for `rowCount` rows of `columns` (the bound schema's order).
    public static func evaluate(_ expression: BoundExpr, columns: [Column], rowCount: Int, context: EvaluationContext) -> Column {
        var frame = Frame(columns: columns, rowCount: rowCount, context: context)
        return frame.eval(expression).materialize(rowCount)
    }

    /// Post-aggregation evaluation: `SUM(x) / COUNT(*)`, `round(avg(x), 2)`,
    /// `size(collect_set(x))` over one row per group. `aggregateResults[k]` holds slot k's
    /// finalized values; the expression must not read input columns outside aggregates (the
    /// binder's `.aggregate` mode guarantees it).
    public static func evaluateAfterAggregation(_ expression: BoundExpr, aggregateResults: [Column], groupCount: Int, nowMicros: Int64 = 0) -> Column {
        let context = EvaluationContext(nowMicros: nowMicros, aggregateResults: aggregateResults)
        return evaluate(expression, columns: [], rowCount: groupCount, context: context)
    }

    /// The rows where `predicate` (a boolean expression) is TRUE.
    public static func selection(_ predicate: BoundExpr, on batch: RecordBatch, context: EvaluationContext) -> SelectionMask {
        precondition(predicate.type == .boolean, "selection needs a boolean predicate, got \(predicate.type)")
        return selectionMask(evaluate(predicate, on: batch, context: context))
    }

    /// TRUE-and-not-NULL flags of a boolean column.
    public static func selectionMask(_ column: Column) -> SelectionMask {
        guard case .boolean(let values) = column.values else { preconditionFailure("selection mask of a \(column.type) column") }
        guard let validity = column.validity else { return SelectionMask(isSelected: values) }
        var out = values
        for i in 0..<out.count where out[i] && !validity.isValid(i) { out[i] = false }
        return SelectionMask(isSelected: out)
    }
}

/// One evaluation: the input columns and the row count every result must have.
struct Frame {
    let columns: [Column]
    let rowCount: Int
    let context: EvaluationContext

    mutating func eval(_ e: BoundExpr) -> Datum {
        switch e {
        case .column(let index, _, _):
            return .column(columns[index])
        case .literal(let v, let t):
            return .scalar(v, t)
        case .aggregate(let call, let slot):
            precondition(slot < context.aggregateResults.count, "aggregate slot \(slot) (\(call.function)) has no finalized column")
            return .column(context.aggregateResults[slot])
        case .cast(let x, let t):
            return mapColumns([eval(x)]) { cols, _ in Casts.cast(cols[0], to: t) }
        case .arithmetic(let op, let l, let r, let t):
            return Kernels.arithmetic(op, eval(l), eval(r), t, rowCount)
        case .negate(let x):
            return Kernels.negate(eval(x))
        case .compare(let op, let l, let r):
            return Kernels.compare(op, eval(l), eval(r), rowCount)
        case .and(let l, let r):
            return Kernels.logic(isAnd: true, eval(l), eval(r), rowCount)
        case .or(let l, let r):
            return Kernels.logic(isAnd: false, eval(l), eval(r), rowCount)
        case .not(let x):
            return Kernels.not(eval(x))
        case .isNull(let x):
            switch eval(x) {
            case .scalar(let v, _): return .scalar(.boolean(v.isNull), .boolean)
            case .column(let c):
                guard let val = c.validity else { return .scalar(.boolean(false), .boolean) }
                return .column(Column(type: .boolean, values: .boolean((0..<c.count).map { !val.isValid($0) })))
            }
        case .inList(let x, let items):
            // Spark's IN is the OR of equalities, with the same NULL rules.
            let dx = eval(x)
            var acc: Datum = .scalar(.boolean(false), .boolean)
            for item in items {
                acc = Kernels.logic(isAnd: false, acc, Kernels.compare(.equal, dx, eval(item), rowCount), rowCount)
            }
            return acc
        case .match(let x, let p, let kind):
            return Patterns.match(eval(x), eval(p), kind, rowCount)
        case .caseWhen(let whens, let otherwise, let t):
            return evalCase(whens, otherwise, t)
        case .function(let f, let args, let t):
            return evalFunction(f, args, t)
        }
    }

    /// Runs `body` over materialized columns; when every input is a scalar, runs it on one row
    /// and returns a scalar (constant propagation for free).
    func mapColumns(_ inputs: [Datum], _ body: ([Column], Int) -> Column) -> Datum {
        if inputs.allSatisfy(\.isScalar) {
            return Datum.fromOneRow(body(inputs.map { $0.materialize(1) }, 1))
        }
        return .column(body(inputs.map { $0.materialize(rowCount) }, rowCount))
    }

    // MARK: CASE

    /// Branches are blended last-to-first, so the first TRUE condition wins and a row whose
    /// conditions are all FALSE/NULL keeps the ELSE value.
    mutating func evalCase(_ whens: [BoundWhen], _ otherwise: BoundExpr, _ t: DataType) -> Datum {
        var conditions: [Datum] = []
        var results: [Datum] = []
        for w in whens {
            conditions.append(eval(w.condition))
            results.append(eval(w.result))
        }
        var acc = eval(otherwise)
        for k in stride(from: whens.count - 1, through: 0, by: -1) {
            acc = Kernels.select(conditions[k], results[k], acc, t, rowCount)
        }
        return acc
    }
}
