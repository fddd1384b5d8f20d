import FSCore

/// Recursive-descent parser for Spark SQL expressions, with Spark's precedence (lowest first):
///
/// ```
/// OR
/// AND
/// NOT
/// predicate suffix: IS [NOT] NULL, [NOT] IN, [NOT] BETWEEN, [NOT] LIKE/RLIKE/REGEXP
/// comparison: = == != <> < <= > >= <=>        (left-associative)
/// |   then ^   then &
/// + - ||
/// * / % DIV
/// unary - + ~
/// postfix ::type
/// primary: literal, column, call, CASE, CAST, (expr)
/// ```
/// Keywords and function names are case-insensitive; identifiers keep their case.
public enum ExpressionParser {
    /// Parses one complete expression.
    /// - Throws: `ExprError` (`.syntax`) pointing at the first token that cannot be parsed.
    public static func parse(_ text: String) throws(ExprError) -> SyntaxNode {
        var p = ParserState(source: text, tokens: try Lexer.tokenize(text))
        if case .end = p.current.kind { throw p.error("empty expression", at: p.current) }
        let node = try p.parseExpression()
        if case .end = p.current.kind { return node }
        throw p.error("unexpected \(p.current.display) after the end of the expression", at: p.current)
    }
}

/// Words that can never start or be an operand; seeing one where an operand belongs is an error
/// rather than a column reference.
private let reservedWords: Set<String> = [
    "AND", "OR", "IS", "IN", "BETWEEN", "LIKE", "RLIKE", "REGEXP", "WHEN", "THEN", "ELSE", "END", "AS",
    "DIV", "FROM", "WHERE", "FILTER", "DISTINCT", "ESCAPE",
]

private struct ParserState {
    let source: String
    let tokens: [Token]
    var pos = 0

    init(source: String, tokens: [Token]) {
        self.source = source
        self.tokens = tokens
    }

    var current: Token { tokens[pos] }
    func peek(_ k: Int) -> Token { tokens[min(pos + k, tokens.count - 1)] }

    mutating func advance() -> Token {
        let t = tokens[pos]
        if pos < tokens.count - 1 { pos += 1 }
        return t
    }

    func error(_ message: String, at token: Token) -> ExprError {
        ExprError(.syntax, message, expression: source, offset: token.offset)
    }

    mutating func acceptKeyword(_ k: String) -> Bool {
        if current.isKeyword(k) { pos += 1; return true }
        return false
    }

    mutating func acceptSymbol(_ s: String) -> Bool {
        if current.isSymbol(s) { pos += 1; return true }
        return false
    }

    mutating func expectKeyword(_ k: String, _ context: String) throws(ExprError) {
        guard acceptKeyword(k) else { throw error("expected \(k) \(context), found \(current.display)", at: current) }
    }

    mutating func expectSymbol(_ s: String, _ context: String) throws(ExprError) {
        guard acceptSymbol(s) else { throw error("expected '\(s)' \(context), found \(current.display)", at: current) }
    }

    // MARK: Boolean levels

    mutating func parseExpression() throws(ExprError) -> SyntaxNode { try parseOr() }

    mutating func parseOr() throws(ExprError) -> SyntaxNode {
        try parseLeftAssociative({ p throws(ExprError) in try p.parseAnd() }) { $0.isKeyword("OR") ? .or : nil }
    }

    mutating func parseAnd() throws(ExprError) -> SyntaxNode {
        try parseLeftAssociative({ p throws(ExprError) in try p.parseNot() }) { $0.isKeyword("AND") ? .and : nil }
    }

    /// `operand (op operand)*`, grouped to the left: the one loop of every binary level.
    mutating func parseLeftAssociative(
        _ operand: (inout Self) throws(ExprError) -> SyntaxNode, _ op: (Token) -> BinaryOperator?
    ) throws(ExprError) -> SyntaxNode {
        var left = try operand(&self)
        while let o = op(current) {
            let t = advance()
            left = SyntaxNode(.binary(o, left, try operand(&self)), offset: t.offset)
        }
        return left
    }

    mutating func parseNot() throws(ExprError) -> SyntaxNode {
        if current.isKeyword("NOT") {
            let op = advance()
            return SyntaxNode(.unary(.not, try parseNot()), offset: op.offset)
        }
        return try parsePredicated()
    }

    // MARK: Predicates

    mutating func parsePredicated() throws(ExprError) -> SyntaxNode {
        let value = try parseComparison()
        let start = current
        if acceptKeyword("IS") {
            let negated = acceptKeyword("NOT")
            if acceptKeyword("NULL") { return SyntaxNode(.isNull(value, negated: negated), offset: start.offset) }
            for (word, truth) in [("TRUE", true), ("FALSE", false)] where acceptKeyword(word) {
                // `x IS [NOT] TRUE` never returns NULL: it is `x <=> TRUE` (negated).
                let cmp = SyntaxNode(.binary(.nullSafeEqual, value, SyntaxNode(.literal(.boolean(truth)), offset: start.offset)), offset: start.offset)
                return negated ? SyntaxNode(.unary(.not, cmp), offset: start.offset) : cmp
            }
            throw error("expected NULL, TRUE or FALSE after IS, found \(current.display)", at: current)
        }
        var negated = false
        if current.isKeyword("NOT"), ["IN", "BETWEEN", "LIKE", "RLIKE", "REGEXP"].contains(where: { peek(1).isKeyword($0) }) {
            _ = advance()
            negated = true
        }
        if acceptKeyword("IN") {
            try expectSymbol("(", "after IN")
            var items: [SyntaxNode] = []
            if current.isSymbol(")") { throw error("IN needs at least one value", at: current) }
            repeat { items.append(try parseExpression()) } while acceptSymbol(",")
            try expectSymbol(")", "to close the IN list")
            return SyntaxNode(.inList(value, items, negated: negated), offset: start.offset)
        }
        if acceptKeyword("BETWEEN") {
            let low = try parseComparison()
            try expectKeyword("AND", "in BETWEEN")
            let high = try parseComparison()
            return SyntaxNode(.between(value, low: low, high: high, negated: negated), offset: start.offset)
        }
        if acceptKeyword("LIKE") {
            let pattern = try parseComparison()
            var escape: Character = "\\"
            if acceptKeyword("ESCAPE") {
                let t = current
                guard case .string(let s) = t.kind, s.count == 1, let e = s.first else {
                    throw error("ESCAPE needs a one-character string, found \(t.display)", at: t)
                }
                _ = advance()
                escape = e
            }
            return SyntaxNode(.match(value, pattern: pattern, kind: .like(escape: escape), negated: negated), offset: start.offset)
        }
        if acceptKeyword("RLIKE") || acceptKeyword("REGEXP") {
            let pattern = try parseComparison()
            return SyntaxNode(.match(value, pattern: pattern, kind: .regex, negated: negated), offset: start.offset)
        }
        return value
    }

    /// Spark's left-associative binary operators, loosest first: comparisons, `|`, `^`, `&`,
    /// additive, multiplicative (`DIV` is the one keyword). `parseBinary(level:)` climbs them.
    static let binaryLevels: [[String: BinaryOperator]] = [
        ["=": .equal, "==": .equal, "!=": .notEqual, "<>": .notEqual, "<": .less, "<=": .lessOrEqual,
         ">": .greater, ">=": .greaterOrEqual, "<=>": .nullSafeEqual],
        ["|": .bitwiseOr],
        ["^": .bitwiseXor],
        ["&": .bitwiseAnd],
        ["+": .add, "-": .subtract, "||": .concat],
        ["*": .multiply, "/": .divide, "%": .remainder, "DIV": .integralDivide],
    ]

    mutating func parseComparison() throws(ExprError) -> SyntaxNode {
        try parseBinary(level: 0)
    }

    // MARK: Arithmetic

    /// One precedence level of `binaryLevels`: operands are the next tighter level (or unary).
    mutating func parseBinary(level: Int) throws(ExprError) -> SyntaxNode {
        guard level < Self.binaryLevels.count else { return try parseUnary() }
        return try parseLeftAssociative({ p throws(ExprError) in try p.parseBinary(level: level + 1) }) { t in
            switch t.kind {
            case .symbol(let s): return Self.binaryLevels[level][s]
            case .word(let w): return Self.binaryLevels[level][w.uppercased()]
            default: return nil
            }
        }
    }

    mutating func parseUnary() throws(ExprError) -> SyntaxNode {
        let t = current
        if acceptSymbol("-") {
            // Spark's grammar folds the sign into a number literal: -2147483648 is an INT.
            switch current.kind {
            case .integer(let digits, let suffix):
                let lit = advance()
                return SyntaxNode(.literal(try integerLiteral("-" + digits, suffix, lit)), offset: t.offset)
            case .decimal(let text, _) where !peek(1).isSymbol("::"):
                let lit = advance()
                guard let v = Double(text.hasPrefix(".") ? "0" + text : text) else { throw error("invalid number literal \(lit.display)", at: lit) }
                return SyntaxNode(.literal(.double(-v)), offset: t.offset)
            default:
                return SyntaxNode(.unary(.negate, try parseUnary()), offset: t.offset)
            }
        }
        if acceptSymbol("+") { return SyntaxNode(.unary(.plus, try parseUnary()), offset: t.offset) }
        if acceptSymbol("~") { return SyntaxNode(.unary(.bitwiseNot, try parseUnary()), offset: t.offset) }
        return try parsePostfix()
    }

    mutating func parsePostfix() throws(ExprError) -> SyntaxNode {
        var node = try parsePrimary()
        while current.isSymbol("::") {
            let t = advance()
            let (name, type) = try parseTypeName()
            node = SyntaxNode(.cast(node, typeName: name, target: type), offset: t.offset)
        }
        return node
    }

    // MARK: Primary

    mutating func parsePrimary() throws(ExprError) -> SyntaxNode {
        let t = current
        switch t.kind {
        case .end:
            throw error("expected an expression, found end of input", at: t)
        case .integer(let digits, let suffix):
            _ = advance()
            return SyntaxNode(.literal(try integerLiteral(digits, suffix, t)), offset: t.offset)
        case .decimal(let text, _):
            _ = advance()
            guard let v = Double(text.hasPrefix(".") ? "0" + text : text) else {
                throw error("invalid number literal \(t.display)", at: t)
            }
            return SyntaxNode(.literal(.double(v)), offset: t.offset)
        case .string(let s):
            _ = advance()
            return SyntaxNode(.literal(.string(s)), offset: t.offset)
        case .quotedIdentifier(let name):
            _ = advance()
            return try parseColumnTail(name, t)
        case .symbol("("):
            _ = advance()
            let inner = try parseExpression()
            try expectSymbol(")", "to close '('")
            return inner
        case .symbol:
            throw error("expected an expression, found \(t.display)", at: t)
        case .word(let w):
            let up = w.uppercased()
            if reservedWords.contains(up) { throw error("expected an expression, found \(t.display)", at: t) }
            switch up {
            case "NULL": _ = advance(); return SyntaxNode(.literal(.null), offset: t.offset)
            case "TRUE": _ = advance(); return SyntaxNode(.literal(.boolean(true)), offset: t.offset)
            case "FALSE": _ = advance(); return SyntaxNode(.literal(.boolean(false)), offset: t.offset)
            case "CASE": return try parseCase()
            case "CAST", "TRY_CAST":
                if peek(1).isSymbol("(") { return try parseCast() }
            case "DATE", "TIMESTAMP", "TIMESTAMP_NTZ", "TIMESTAMP_LTZ":
                if case .string(let s) = peek(1).kind { return try typedLiteral(up, s) }
            case "INTERVAL":
                switch peek(1).kind {
                case .integer, .decimal, .string, .symbol("-"): return try parseInterval()
                default: break
                }
            default: break
            }
            _ = advance()
            if current.isSymbol("(") { return try parseCall(name: w, at: t) }
            return try parseColumnTail(w, t)
        }
    }

    mutating func parseColumnTail(_ first: String, _ t: Token) throws(ExprError) -> SyntaxNode {
        guard current.isSymbol(".") else { return SyntaxNode(.column(name: first, qualifier: nil), offset: t.offset) }
        _ = advance()
        switch current.kind {
        case .word(let w), .quotedIdentifier(let w):
            _ = advance()
            return SyntaxNode(.column(name: w, qualifier: first), offset: t.offset)
        default:
            throw error("expected a column name after '.', found \(current.display)", at: current)
        }
    }

    func integerLiteral(_ digits: String, _ suffix: String?, _ t: Token) throws(ExprError) -> Value {
        switch suffix {
        case "L":
            guard let v = Int64(digits) else { throw error("bigint literal \(t.display) out of range", at: t) }
            return .int64(v)
        case "S":
            guard let v = Int16(digits) else { throw error("smallint literal \(t.display) out of range", at: t) }
            return .int32(Int32(v))
        case "Y":
            guard let v = Int8(digits) else { throw error("tinyint literal \(t.display) out of range", at: t) }
            return .int32(Int32(v))
        default:
            // Spark: INT when it fits, else BIGINT, else DECIMAL (a double here).
            if let v = Int32(digits) { return .int32(v) }
            if let v = Int64(digits) { return .int64(v) }
            return .double(Double(digits) ?? .infinity)
        }
    }

    mutating func typedLiteral(_ keyword: String, _ text: String) throws(ExprError) -> SyntaxNode {
        let kw = advance()
        let lit = advance()
        if keyword == "DATE" {
            guard let d = SparkCast.parseDate(text) else { throw error("invalid DATE literal '\(text)'", at: lit) }
            return SyntaxNode(.literal(.date(d)), offset: kw.offset)
        }
        guard let ts = SparkCast.parseTimestamp(text) else { throw error("invalid TIMESTAMP literal '\(text)'", at: lit) }
        return SyntaxNode(.literal(.timestamp(ts)), offset: kw.offset)
    }

    mutating func parseCase() throws(ExprError) -> SyntaxNode {
        let start = advance()
        var operand: SyntaxNode?
        if !current.isKeyword("WHEN") { operand = try parseExpression() }
        var branches: [WhenClause] = []
        while acceptKeyword("WHEN") {
            let cond = try parseExpression()
            try expectKeyword("THEN", "after WHEN condition")
            let result = try parseExpression()
            branches.append(WhenClause(condition: cond, result: result))
        }
        if branches.isEmpty { throw error("expected WHEN in CASE, found \(current.display)", at: current) }
        var otherwise: SyntaxNode?
        if acceptKeyword("ELSE") { otherwise = try parseExpression() }
        try expectKeyword("END", "to close CASE")
        return SyntaxNode(.caseWhen(operand: operand, branches: branches, otherwise: otherwise), offset: start.offset)
    }

    mutating func parseCast() throws(ExprError) -> SyntaxNode {
        let start = advance()
        try expectSymbol("(", "after CAST")
        let value = try parseExpression()
        try expectKeyword("AS", "in CAST")
        let (name, type) = try parseTypeName()
        try expectSymbol(")", "to close CAST")
        return SyntaxNode(.cast(value, typeName: name, target: type), offset: start.offset)
    }

    /// A SQL type name; DECIMAL/NUMERIC (any precision) map to double, fs's only non-integer
    /// type, and CHAR/VARCHAR(n) to string.
    mutating func parseTypeName() throws(ExprError) -> (String, DataType) {
        let t = current
        guard case .word(let w) = t.kind else { throw error("expected a type name, found \(t.display)", at: t) }
        _ = advance()
        var name = w.lowercased()
        let type: DataType
        switch name {
        case "int", "integer", "smallint", "short", "tinyint", "byte": type = .int32
        case "bigint", "long": type = .int64
        case "double", "float", "real", "decimal", "dec", "numeric": type = .double
        case "string", "varchar", "char": type = .string
        case "boolean", "bool": type = .boolean
        case "date": type = .date
        case "timestamp", "timestamp_ntz", "timestamp_ltz": type = .timestamp
        default: throw error("unknown type '\(w)'", at: t)
        }
        if acceptSymbol("(") {
            var params: [String] = []
            repeat {
                guard case .integer(let d, nil) = current.kind else {
                    throw error("expected an integer type parameter, found \(current.display)", at: current)
                }
                _ = advance()
                params.append(d)
            } while acceptSymbol(",")
            try expectSymbol(")", "to close the type parameters")
            name += "(" + params.joined(separator: ",") + ")"
        }
        return (name, type)
    }

    mutating func parseInterval() throws(ExprError) -> SyntaxNode {
        let start = advance()
        var micros: Int64 = 0
        var wholeDays = true
        var sawUnit = false
        while true {
            let valueToken = current
            var sign = 1.0
            if acceptSymbol("-") { sign = -1 }
            var amount: Double
            switch current.kind {
            case .integer(let d, nil): amount = Double(d) ?? 0; _ = advance()
            case .decimal(let d, nil): amount = Double(d) ?? 0; _ = advance()
            case .string(let s):
                _ = advance()
                let parts = s.split(separator: " ").map(String.init)
                if parts.count >= 2, unitMicros(parts[1]) != nil, parts.count % 2 == 0 {
                    // `INTERVAL '3 days 4 hours'`: value/unit pairs inside the string.
                    var k = 0
                    while k < parts.count {
                        guard let v = Double(parts[k]), let u = unitMicros(parts[k + 1]) else {
                            throw error("invalid INTERVAL string '\(s)'", at: valueToken)
                        }
                        micros += Int64(sign * v * Double(u.micros))
                        wholeDays = wholeDays && u.isDays && v == v.rounded()
                        k += 2
                    }
                    sawUnit = true
                    if case .integer = current.kind { continue }
                    return SyntaxNode(.interval(micros: micros, isWholeDays: wholeDays), offset: start.offset)
                }
                guard let v = Double(s.trimmingSpaces) else { throw error("invalid INTERVAL value '\(s)'", at: valueToken) }
                amount = v
            default:
                if sawUnit { return SyntaxNode(.interval(micros: micros, isWholeDays: wholeDays), offset: start.offset) }
                throw error("expected an INTERVAL value, found \(current.display)", at: current)
            }
            let unitToken = current
            guard case .word(let unitWord) = unitToken.kind else {
                throw error("expected an INTERVAL unit (DAY, HOUR, MINUTE, SECOND, …), found \(unitToken.display)", at: unitToken)
            }
            guard let unit = unitMicros(unitWord) else {
                let up = unitWord.uppercased()
                if up.hasPrefix("YEAR") || up.hasPrefix("MONTH") {
                    throw error("year-month intervals are not supported (use days)", at: unitToken)
                }
                throw error("expected an INTERVAL unit (DAY, HOUR, MINUTE, SECOND, …), found \(unitToken.display)", at: unitToken)
            }
            _ = advance()
            micros += Int64((sign * amount * Double(unit.micros)).rounded(.towardZero))
            wholeDays = wholeDays && unit.isDays && amount == amount.rounded()
            sawUnit = true
            switch current.kind {
            case .integer, .decimal, .string: continue
            case .symbol("-") where peek(1).isNumberToken: continue
            default: return SyntaxNode(.interval(micros: micros, isWholeDays: wholeDays), offset: start.offset)
            }
        }
    }

    func unitMicros(_ word: String) -> (micros: Int64, isDays: Bool)? {
        var u = word.uppercased()
        if u.hasSuffix("S") { u.removeLast() }
        switch u {
        case "WEEK": return (7 * microsPerDay, true)
        case "DAY": return (microsPerDay, true)
        case "HOUR": return (3_600_000_000, false)
        case "MINUTE": return (60_000_000, false)
        case "SECOND": return (1_000_000, false)
        case "MILLISECOND": return (1_000, false)
        case "MICROSECOND": return (1, false)
        default: return nil
        }
    }

    mutating func parseCall(name: String, at t: Token) throws(ExprError) -> SyntaxNode {
        try expectSymbol("(", "after function name")
        var call = FunctionCallSyntax(name: name.lowercased(), arguments: [])
        if acceptKeyword("DISTINCT") { call.isDistinct = true } else { _ = acceptKeyword("ALL") }
        if current.isSymbol("*") && peek(1).isSymbol(")") {
            _ = advance()
            call.isStar = true
        } else if !current.isSymbol(")") {
            repeat { call.arguments.append(try parseExpression()) } while acceptSymbol(",")
        }
        try expectSymbol(")", "to close the arguments of \(name)")
        if current.isKeyword("IGNORE") || current.isKeyword("RESPECT") {
            let ignore = advance().isKeyword("IGNORE")
            try expectKeyword("NULLS", "after \(ignore ? "IGNORE" : "RESPECT")")
            call.ignoreNulls = ignore
        }
        if acceptKeyword("FILTER") {
            try expectSymbol("(", "after FILTER")
            try expectKeyword("WHERE", "in FILTER")
            call.filter = try parseExpression()
            try expectSymbol(")", "to close FILTER")
        }
        if current.isKeyword("OVER") { throw error("window functions (OVER) are not supported", at: current) }
        return SyntaxNode(.call(call), offset: t.offset)
    }
}

private extension Token {
    var isNumberToken: Bool {
        switch kind {
        case .integer, .decimal: return true
        default: return false
        }
    }
}

extension String {
    /// The string without leading/trailing ASCII spaces.
    var trimmingSpaces: String {
        var s = Substring(self)
        while s.first == " " { s.removeFirst() }
        while s.last == " " { s.removeLast() }
        return String(s)
    }
}
