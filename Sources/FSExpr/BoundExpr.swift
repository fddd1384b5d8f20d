import FSCore

/// A typed, resolved expression: the binder's output and the evaluator's input.
///
/// Every implicit cast of Spark's (non-ANSI) coercion rules is an explicit `.cast` node, so the
/// evaluator's kernels only ever see operands of one physical type: arithmetic operands have the
/// result's type, both sides of a comparison share a type, every CASE branch has the CASE's
/// type. Columns are referenced by position in the bound schema.
public indirect enum BoundExpr: Sendable, Equatable, CustomStringConvertible {
    /// Column `index` of the input batch.
    case column(index: Int, name: String, type: DataType)
    /// A constant; `.null` values carry the type they stand for.
    case literal(Value, type: DataType)
    /// Spark's non-ANSI `CAST`: invalid input gives NULL, never an error.
    case cast(BoundExpr, to: DataType)
    /// Arithmetic on operands already cast to `type` (for `div`, both are `int64`; for `/`,
    /// both are `double`). Integer overflow wraps; a zero divisor gives NULL.
    case arithmetic(ArithmeticOperator, BoundExpr, BoundExpr, type: DataType)
    /// Unary minus (wrapping for integers).
    case negate(BoundExpr)
    /// Comparison of two operands of the same type; doubles use Spark's order (NaN = NaN,
    /// NaN above everything, -0.0 = 0.0), strings compare by UTF-8 bytes.
    case compare(ComparisonOperator, BoundExpr, BoundExpr)
    /// Three-valued logic: `false AND NULL` is false, `true OR NULL` is true.
    case and(BoundExpr, BoundExpr)
    case or(BoundExpr, BoundExpr)
    case not(BoundExpr)
    /// `x IS NULL` (never NULL itself). `IS NOT NULL` is `.not(.isNull(x))`.
    case isNull(BoundExpr)
    /// `x IN (items)`, items cast to x's type: NULL when no item matches and x or an item is NULL.
    case inList(BoundExpr, [BoundExpr])
    /// `LIKE` / `RLIKE` on strings.
    case match(BoundExpr, pattern: BoundExpr, kind: MatchKind)
    /// `CASE WHEN c1 THEN r1 … ELSE otherwise END`; a missing ELSE is a typed NULL literal.
    case caseWhen([BoundWhen], otherwise: BoundExpr, type: DataType)
    /// A scalar function over arguments already cast to the types it expects.
    case function(ScalarFunction, [BoundExpr], type: DataType)
    /// The finalized result of aggregate call number `slot` of the enclosing expression. Only
    /// post-aggregation evaluation can read it (see `AggregateCall`).
    case aggregate(AggregateCall, slot: Int)

    /// The Spark type of the value this node produces.
    public var type: DataType {
        switch self {
        case .column(_, _, let t), .literal(_, let t), .cast(_, let t), .arithmetic(_, _, _, let t),
             .caseWhen(_, _, let t), .function(_, _, let t):
            return t
        case .negate(let x): return x.type
        case .compare, .and, .or, .not, .isNull, .inList, .match: return .boolean
        case .aggregate(let call, _): return call.resultType
        }
    }

    /// The direct children, in evaluation order.
    public var children: [BoundExpr] {
        switch self {
        case .column, .literal, .aggregate: return []
        case .cast(let x, _), .negate(let x), .not(let x), .isNull(let x): return [x]
        case .arithmetic(_, let l, let r, _), .compare(_, let l, let r), .and(let l, let r), .or(let l, let r): return [l, r]
        case .inList(let x, let items): return [x] + items
        case .match(let x, let p, _): return [x, p]
        case .caseWhen(let bs, let e, _): return bs.flatMap { [$0.condition, $0.result] } + [e]
        case .function(_, let args, _): return args
        }
    }

    /// True when an aggregate call appears anywhere in the tree.
    public var containsAggregate: Bool {
        if case .aggregate = self { return true }
        return children.contains { $0.containsAggregate }
    }

    /// The aggregate calls of the tree ordered by slot: `aggregateCalls[k]` is the call whose
    /// finalized column post-aggregation evaluation reads as slot `k`.
    public var aggregateCalls: [AggregateCall] {
        var found: [(Int, AggregateCall)] = []
        collectAggregates(into: &found)
        return found.sorted { $0.0 < $1.0 }.map(\.1)
    }

    private func collectAggregates(into found: inout [(Int, AggregateCall)]) {
        if case .aggregate(let call, let slot) = self {
            found.append((slot, call))
            return
        }
        for c in children { c.collectAggregates(into: &found) }
    }

    /// True when the node reads no column and no aggregate (a candidate for constant folding).
    public var isConstant: Bool {
        switch self {
        case .column, .aggregate: return false
        case .function(let f, _, _) where f.isNondeterministic: return false
        default: return children.allSatisfy(\.isConstant)
        }
    }

    /// Prefix rendering for tests and debug output: `(+:int64 (cast:int64 #0 a) 1L)`.
    public var description: String {
        switch self {
        case .column(let i, let n, let t): return "#\(i)\(n.isEmpty ? "" : " \(n)"):\(t)"
        case .literal(let v, let t):
            if case .string(let s) = v { return "'\(s)'" }
            return v.isNull ? "NULL:\(t)" : "\(v):\(t)"
        case .cast(let x, let t): return "(cast:\(t) \(x))"
        case .arithmetic(let op, let l, let r, let t): return "(\(op.rawValue):\(t) \(l) \(r))"
        case .negate(let x): return "(neg \(x))"
        case .compare(let op, let l, let r): return "(\(op.rawValue) \(l) \(r))"
        case .and(let l, let r): return "(and \(l) \(r))"
        case .or(let l, let r): return "(or \(l) \(r))"
        case .not(let x): return "(not \(x))"
        case .isNull(let x): return "(is-null \(x))"
        case .inList(let x, let items): return "(in \(x) " + items.map(\.description).joined(separator: " ") + ")"
        case .match(let x, let p, let k): return "(\(k) \(x) \(p))"
        case .caseWhen(let bs, let e, let t):
            return "(case:\(t)" + bs.map { " (when \($0.condition) \($0.result))" }.joined() + " (else \(e)))"
        case .function(let f, let args, let t): return "(\(f.rawValue):\(t)" + args.map { " \($0)" }.joined() + ")"
        case .aggregate(let call, let slot): return "(agg#\(slot) \(call))"
        }
    }
}

/// One `WHEN condition THEN result` of a bound CASE.
public struct BoundWhen: Sendable, Equatable {
    public var condition: BoundExpr
    public var result: BoundExpr
    public init(condition: BoundExpr, result: BoundExpr) { self.condition = condition; self.result = result }
}

/// Arithmetic and bitwise operators after binding.
public enum ArithmeticOperator: String, Sendable, Equatable {
    case add = "+", subtract = "-", multiply = "*"
    /// `/`: always on doubles.
    case divide = "/"
    /// `%`: sign of the dividend (Java), NULL for a zero divisor.
    case remainder = "%"
    /// `div`: on int64, truncating, NULL for a zero divisor.
    case integralDivide = "div"
    case bitwiseAnd = "&", bitwiseOr = "|", bitwiseXor = "^"
}

/// Comparison operators after binding.
public enum ComparisonOperator: String, Sendable, Equatable {
    case equal = "=", notEqual = "!=", less = "<", lessOrEqual = "<=", greater = ">", greaterOrEqual = ">="
    /// `<=>`: NULL-safe equality, never NULL.
    case nullSafeEqual = "<=>"
}
