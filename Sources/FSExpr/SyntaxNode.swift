import FSCore

/// One node of a parsed, not yet typed, expression — the parser's output and the binder's input.
///
/// Names are kept as written (case included); the binder decides what they mean. `offset` is the
/// 0-based character position of the node's first token, so later phases can report errors
/// with a caret at the right place.
public struct SyntaxNode: Sendable, Equatable, CustomStringConvertible {
    public var kind: SyntaxKind
    /// 0-based character offset of the token that starts this node (or its operator).
    public var offset: Int

    public init(_ kind: SyntaxKind, offset: Int) {
        self.kind = kind
        self.offset = offset
    }

    /// A compact prefix rendering for tests: `(+ a 1)`, `(call sum distinct a)`.
    public var description: String { kind.description }
}

/// The shapes of parsed expressions. Sugar the binder can expand (BETWEEN, `::`) stays explicit
/// here so that a test of the parser sees exactly what was written.
public indirect enum SyntaxKind: Sendable, Equatable, CustomStringConvertible {
    /// A literal: numbers, strings, booleans, NULL, `DATE '…'`, `TIMESTAMP '…'`. Decimal
    /// literals such as `1.5` arrive as `.double` (fs has no decimal type).
    case literal(Value)
    /// `INTERVAL 3 DAYS` and friends: a day-time interval in microseconds. `isWholeDays` is true
    /// when only DAY/WEEK units were written (Spark then keeps `date + interval` a date).
    case interval(micros: Int64, isWholeDays: Bool)
    /// A column reference; `qualifier` is the `a` of `a.b`.
    case column(name: String, qualifier: String?)
    case unary(UnaryOperator, SyntaxNode)
    case binary(BinaryOperator, SyntaxNode, SyntaxNode)
    case isNull(SyntaxNode, negated: Bool)
    case inList(SyntaxNode, [SyntaxNode], negated: Bool)
    case between(SyntaxNode, low: SyntaxNode, high: SyntaxNode, negated: Bool)
    /// `LIKE` (with an optional one-character escape) or `RLIKE`/`REGEXP`.
    case match(SyntaxNode, pattern: SyntaxNode, kind: MatchKind, negated: Bool)
    /// `CASE [operand] WHEN … THEN … [ELSE …] END`.
    case caseWhen(operand: SyntaxNode?, branches: [WhenClause], otherwise: SyntaxNode?)
    /// `CAST(x AS type)` or `x::type`; `typeName` as written, `target` as resolved.
    case cast(SyntaxNode, typeName: String, target: DataType)
    /// A function call. `isStar` is `count(*)`; `filter` is `FILTER (WHERE …)`;
    /// `ignoreNulls` is `first(x, true)`'s sibling syntax `first(x) IGNORE NULLS`.
    case call(FunctionCallSyntax)

    public var description: String {
        switch self {
        case .literal(let v):
            switch v {
            case .string(let s): return "'" + s + "'"
            case .date: return "DATE'\(v)'"
            case .timestamp: return "TIMESTAMP'\(v)'"
            case .int64(let i): return "\(i)L"
            default: return v.description
            }
        case .interval(let m, let d): return "INTERVAL(\(m)us\(d ? " days" : ""))"
        case .column(let n, let q): return q.map { "\($0).\(n)" } ?? n
        case .unary(let op, let x): return "(\(op.rawValue) \(x))"
        case .binary(let op, let l, let r): return "(\(op.rawValue) \(l) \(r))"
        case .isNull(let x, let neg): return "(\(neg ? "is-not-null" : "is-null") \(x))"
        case .inList(let x, let items, let neg):
            return "(\(neg ? "not-in" : "in") \(x) " + items.map(\.description).joined(separator: " ") + ")"
        case .between(let x, let lo, let hi, let neg): return "(\(neg ? "not-between" : "between") \(x) \(lo) \(hi))"
        case .match(let x, let p, let k, let neg): return "(\(neg ? "not-" : "")\(k) \(x) \(p))"
        case .caseWhen(let op, let bs, let e):
            var s = "(case"
            if let op { s += " \(op)" }
            for b in bs { s += " (when \(b.condition) \(b.result))" }
            if let e { s += " (else \(e))" }
            return s + ")"
        case .cast(let x, _, let t): return "(cast \(x) \(t))"
        case .call(let c): return c.description
        }
    }
}

/// `WHEN condition THEN result`.
public struct WhenClause: Sendable, Equatable {
    public var condition: SyntaxNode
    public var result: SyntaxNode
    public init(condition: SyntaxNode, result: SyntaxNode) { self.condition = condition; self.result = result }
}

/// A parsed function call with the aggregate-only decorations. Only the parser builds one
/// (with the memberwise init).
public struct FunctionCallSyntax: Sendable, Equatable, CustomStringConvertible {
    /// Lower-cased function name.
    public var name: String
    public var arguments: [SyntaxNode]
    public var isDistinct: Bool = false
    /// `count(*)`.
    public var isStar: Bool = false
    /// `FILTER (WHERE condition)`.
    public var filter: SyntaxNode? = nil
    /// `IGNORE NULLS` / `RESPECT NULLS` after `first`/`last`; nil when not written.
    public var ignoreNulls: Bool? = nil

    public var description: String {
        var s = "(call \(name)"
        if isDistinct { s += " distinct" }
        if isStar { s += " *" }
        for a in arguments { s += " \(a)" }
        if let ignoreNulls { s += ignoreNulls ? " ignore-nulls" : " respect-nulls" }
        if let filter { s += " (filter \(filter))" }
        return s + ")"
    }
}

/// Prefix operators.
public enum UnaryOperator: String, Sendable, Equatable {
    case negate = "neg"
    case plus = "pos"
    case not = "not"
    case bitwiseNot = "~"
}

/// Infix operators, by Spark's spelling (`==` and `<>` are normalised to `=` and `!=`).
public enum BinaryOperator: String, Sendable, Equatable {
    case add = "+", subtract = "-", multiply = "*", divide = "/", remainder = "%", integralDivide = "div"
    case concat = "||"
    case bitwiseAnd = "&", bitwiseOr = "|", bitwiseXor = "^"
    case equal = "=", notEqual = "!=", nullSafeEqual = "<=>"
    case less = "<", lessOrEqual = "<=", greater = ">", greaterOrEqual = ">="
    case and = "and", or = "or"
}

/// Pattern matching flavours.
public enum MatchKind: Sendable, Equatable, CustomStringConvertible {
    /// SQL `LIKE` with `%`/`_` and the given escape character (default backslash).
    case like(escape: Character)
    /// `RLIKE` / `REGEXP`: a Java regular expression found anywhere in the string.
    case regex

    public var description: String {
        switch self {
        case .like(let e): return e == "\\" ? "like" : "like-escape-\(e)"
        case .regex: return "rlike"
        }
    }
}
