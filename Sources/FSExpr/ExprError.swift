import FSCore

/// Why an expression was rejected: a syntax error, an unknown column or function, a type
/// mismatch, or a misplaced aggregate.
///
/// Every case points at the offending token: `column` is 1-based and counts characters of the
/// expression text, so the description can print the expression with a caret under the token.
/// Expressions come from definition files or flags, so the category is always `usage` (exit 64).
public struct ExprError: CategorizedError, Equatable {
    /// What kind of problem, for callers that react differently (tests, the definitions loader).
    public enum Kind: String, Sendable, Equatable {
        case syntax
        case unknownColumn
        case unknownFunction
        case type
        case aggregate
    }

    public var kind: Kind
    /// The full expression text as written.
    public var expression: String
    /// 1-based character column of the offending token (`expression.count + 1` = end of input).
    public var column: Int
    /// One-line explanation without position (the description adds it).
    public var message: String

    public init(_ kind: Kind, _ message: String, expression: String, column: Int) {
        self.kind = kind
        self.message = message
        self.expression = expression
        self.column = column
    }

    /// Builds an error from a 0-based character offset into `expression`.
    init(_ kind: Kind, _ message: String, expression: String, offset: Int) {
        self.init(kind, message, expression: expression, column: offset + 1)
    }

    public var exitStatus: ExitStatus { .usage }

    /// The expression with a caret line under the bad token:
    /// ```
    /// unexpected ')' at column 5
    ///   a + )
    ///       ^
    /// ```
    public var description: String {
        let flat = String(expression.map { $0 == "\n" || $0 == "\t" || $0 == "\r" ? " " : $0 })
        return "\(message) at column \(column)\n  \(flat)\n  \(String(repeating: " ", count: max(0, column - 1)))^"
    }
}
