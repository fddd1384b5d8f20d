import FSCore

/// Resolves a parsed expression against a table schema and types it with Spark's non-ANSI
/// coercion rules (`spark.sql.ansi.enabled=false`), producing a `BoundExpr` whose every implicit
/// cast is explicit.
///
/// Rules applied (Spark's `TypeCoercion`): integers widen int32 < int64 < double; `/` is always
/// double; `div` is bigint; a string in arithmetic becomes double; a string compared with a
/// number, date, timestamp or boolean is cast to that type; date vs timestamp compares as
/// timestamps; CASE / COALESCE / IN find the wider common type, promoting to string when one
/// side is a string; `greatest`/`least` never promote to string.
public struct Binder: Sendable {
    /// What the top of the expression must be.
    public enum Mode: Sendable, Equatable {
        /// A per-row expression: aggregates are rejected (filters, projections).
        case scalar
        /// An aggregate expression (`AggCustomAction`): at least one aggregate call, and every
        /// column reference inside an aggregate's arguments or FILTER.
        case aggregate
    }

    public let schema: Schema

    public init(schema: Schema) { self.schema = schema }

    /// Parses and binds `text`.
    public func bind(_ text: String, mode: Mode = .scalar) throws(ExprError) -> BoundExpr {
        let node = try ExpressionParser.parse(text)
        return try bind(node, expression: text, mode: mode)
    }

    /// Binds an already parsed expression; `expression` is its text (for error carets).
    public func bind(_ node: SyntaxNode, expression: String, mode: Mode = .scalar) throws(ExprError) -> BoundExpr {
        var state = BindState(schema: schema, source: expression, mode: mode)
        let bound = try state.bind(node)
        if mode == .aggregate, !bound.expr.containsAggregate {
            throw ExprError(.aggregate, "an aggregate expression needs an aggregate function such as sum(...) or count(*)",
                            expression: expression, offset: node.offset)
        }
        return ConstantFolder.fold(bound.expr)
    }
}

/// A bound node during binding; `isNullType` marks a bare `NULL` (Spark's NullType), which
/// takes whatever type its context needs.
struct Typed {
    var expr: BoundExpr
    var isNullType = false
    var type: DataType { expr.type }
    /// For interval literals (only valid on the right of `+`/`-` with a date or timestamp).
    var interval: (micros: Int64, isWholeDays: Bool)?
}

struct BindState {
    let schema: Schema
    let source: String
    let mode: Binder.Mode
    var nextSlot = 0
    var insideAggregate = false

    init(schema: Schema, source: String, mode: Binder.Mode) {
        self.schema = schema
        self.source = source
        self.mode = mode
    }

    func error(_ kind: ExprError.Kind, _ message: String, _ node: SyntaxNode) -> ExprError {
        ExprError(kind, message, expression: source, offset: node.offset)
    }

    // MARK: Nodes

    mutating func bind(_ node: SyntaxNode) throws(ExprError) -> Typed {
        switch node.kind {
        case .literal(let v):
            guard let t = v.type else { return Typed(expr: .literal(.null, type: .string), isNullType: true) }
            return Typed(expr: .literal(v, type: t))
        case .interval(let micros, let days):
            return Typed(expr: .literal(.int64(micros), type: .int64), interval: (micros, days))
        case .column(let name, let qualifier):
            return try bindColumn(name, qualifier: qualifier, node)
        case .unary(let op, let x):
            return try bindUnary(op, x, node)
        case .binary(let op, let l, let r):
            return try bindBinary(op, l, r, node)
        case .isNull(let x, let negated):
            let b = try bind(x)
            let e = BoundExpr.isNull(b.expr)
            return Typed(expr: negated ? .not(e) : e)
        case .inList(let x, let items, let negated):
            var all = [try bind(x)]
            for item in items { all.append(try bind(item)) }
            let t = try commonType(all, node, stringPromotion: true, what: "IN")
            let cast = try all.map { (b) throws(ExprError) in try coerce(b, to: t, node) }
            let e = BoundExpr.inList(cast[0], Array(cast.dropFirst()))
            return Typed(expr: negated ? .not(e) : e)
        case .between(let x, let lo, let hi, let negated):
            // Spark rewrites BETWEEN as `x >= lo AND x <= hi`.
            let bx = try bind(x), bl = try bind(lo), bh = try bind(hi)
            let ge = try comparison(.greaterOrEqual, bx, bl, node)
            let le = try comparison(.lessOrEqual, bx, bh, node)
            let e = BoundExpr.and(ge, le)
            return Typed(expr: negated ? .not(e) : e)
        case .match(let x, let pattern, let kind, let negated):
            let bx = try coerce(try bind(x), to: .string, node)
            let bp = try coerce(try bind(pattern), to: .string, pattern)
            if case .regex = kind, case .literal(.string(let p), _) = bp {
                guard RegexCache.isValid(p) else { throw error(.type, "invalid regular expression '\(p)'", pattern) }
            }
            let e = BoundExpr.match(bx, pattern: bp, kind: kind)
            return Typed(expr: negated ? .not(e) : e)
        case .caseWhen(let operand, let branches, let otherwise):
            return try bindCase(operand, branches, otherwise, node)
        case .cast(let x, let typeName, let target):
            let b = try bind(x)
            return Typed(expr: try explicitCast(b, to: target, typeName: typeName, node))
        case .call(let call):
            return try bindCall(call, node)
        }
    }

    mutating func bindColumn(_ name: String, qualifier: String?, _ node: SyntaxNode) throws(ExprError) -> Typed {
        guard let index = schema.index(of: name) else {
            // `current_date` / `current_timestamp` are functions when written without parentheses.
            let lower = name.lowercased()
            if qualifier == nil, lower == "current_date" || lower == "current_timestamp" {
                return try bindCall(FunctionCallSyntax(name: lower, arguments: []), node)
            }
            let shown = qualifier.map { "\($0).\(name)" } ?? name
            throw error(.unknownColumn, "unknown column '\(shown)'" + suggestionText(name), node)
        }
        if mode == .aggregate && !insideAggregate {
            throw error(.aggregate, "column '\(schema.fields[index].name)' must be inside an aggregate function such as sum(...) or first(...)", node)
        }
        let f = schema.fields[index]
        return Typed(expr: .column(index: index, name: f.name, type: f.type))
    }

    /// `; did you mean 'a', 'b'?` with the schema names closest by edit distance.
    func suggestionText(_ name: String) -> String {
        let close = closestNames(to: name, in: schema.names)
        if close.isEmpty {
            return schema.names.isEmpty ? " (the table has no columns)" : "; columns are: " + schema.names.map { "'\($0)'" }.joined(separator: ", ")
        }
        return "; did you mean " + close.map { "'\($0)'" }.joined(separator: ", ") + "?"
    }

    mutating func bindUnary(_ op: UnaryOperator, _ x: SyntaxNode, _ node: SyntaxNode) throws(ExprError) -> Typed {
        let b = try bind(x)
        switch op {
        case .not:
            return Typed(expr: .not(try coerce(b, to: .boolean, node)))
        case .plus, .negate:
            if let iv = b.interval {
                let m = op == .negate ? 0 &- iv.micros : iv.micros
                return Typed(expr: .literal(.int64(m), type: .int64), interval: (m, iv.isWholeDays))
            }
            let t: DataType
            switch b.type {
            case .int32, .int64, .double: t = b.isNullType ? .double : b.type
            case .string: t = .double
            default: throw error(.type, "cannot apply unary \(op == .negate ? "-" : "+") to \(b.type)", node)
            }
            let e = try coerce(b, to: t, node)
            return Typed(expr: op == .negate ? .negate(e) : e)
        case .bitwiseNot:
            guard b.type == .int32 || b.type == .int64 else { throw error(.type, "~ needs an integer, found \(b.type)", node) }
            // ~x = x ^ -1
            return Typed(expr: .arithmetic(.bitwiseXor, b.expr, .literal(b.type == .int32 ? .int32(-1) : .int64(-1), type: b.type), type: b.type))
        }
    }

    mutating func bindBinary(_ op: BinaryOperator, _ l: SyntaxNode, _ r: SyntaxNode, _ node: SyntaxNode) throws(ExprError) -> Typed {
        let bl = try bind(l), br = try bind(r)
        switch op {
        case .and, .or:
            let a = try coerce(bl, to: .boolean, l), b = try coerce(br, to: .boolean, r)
            return Typed(expr: op == .and ? .and(a, b) : .or(a, b))
        case .equal, .notEqual, .less, .lessOrEqual, .greater, .greaterOrEqual, .nullSafeEqual:
            let cmp: ComparisonOperator
            switch op {
            case .equal: cmp = .equal
            case .notEqual: cmp = .notEqual
            case .less: cmp = .less
            case .lessOrEqual: cmp = .lessOrEqual
            case .greater: cmp = .greater
            case .greaterOrEqual: cmp = .greaterOrEqual
            default: cmp = .nullSafeEqual
            }
            return Typed(expr: try comparison(cmp, bl, br, node))
        case .concat:
            let a = try coerce(bl, to: .string, l), b = try coerce(br, to: .string, r)
            return Typed(expr: .function(.concat, [a, b], type: .string))
        case .add, .subtract:
            if let dated = try dateArithmetic(op, bl, br, node) { return dated }
            return try arithmetic(op == .add ? .add : .subtract, bl, br, node)
        case .multiply: return try arithmetic(.multiply, bl, br, node)
        case .remainder: return try arithmetic(.remainder, bl, br, node)
        case .divide:
            try requireNumeric(bl, node, "/"); try requireNumeric(br, node, "/")
            return Typed(expr: .arithmetic(.divide, try coerce(bl, to: .double, node), try coerce(br, to: .double, node), type: .double))
        case .integralDivide:
            try requireNumeric(bl, node, "div"); try requireNumeric(br, node, "div")
            guard bl.type != .double || bl.isNullType, br.type != .double || br.isNullType else {
                throw error(.type, "div needs integer operands, found \(bl.type) and \(br.type)", node)
            }
            return Typed(expr: .arithmetic(.integralDivide, try coerce(bl, to: .int64, node), try coerce(br, to: .int64, node), type: .int64))
        case .bitwiseAnd, .bitwiseOr, .bitwiseXor:
            let t = try integerType(bl, br, node)
            let aop: ArithmeticOperator = op == .bitwiseAnd ? .bitwiseAnd : op == .bitwiseOr ? .bitwiseOr : .bitwiseXor
            return Typed(expr: .arithmetic(aop, try coerce(bl, to: t, node), try coerce(br, to: t, node), type: t))
        }
    }

    func integerType(_ a: Typed, _ b: Typed, _ node: SyntaxNode) throws(ExprError) -> DataType {
        for x in [a, b] where !x.isNullType && x.type != .int32 && x.type != .int64 {
            throw error(.type, "bitwise operators need integers, found \(x.type)", node)
        }
        return (a.type == .int64 && !a.isNullType) || (b.type == .int64 && !b.isNullType) ? .int64 : .int32
    }

    func requireNumeric(_ b: Typed, _ node: SyntaxNode, _ op: String) throws(ExprError) {
        if b.isNullType || b.type.isNumeric || b.type == .string { return }
        throw error(.type, "'\(op)' needs numbers, found \(b.type)", node)
    }

    /// `+ - * %`: strings become double, then numeric widening.
    mutating func arithmetic(_ op: ArithmeticOperator, _ a: Typed, _ b: Typed, _ node: SyntaxNode) throws(ExprError) -> Typed {
        if a.interval != nil || b.interval != nil {
            throw error(.type, "an INTERVAL can only be added to or subtracted from a date or timestamp", node)
        }
        try requireNumeric(a, node, op.rawValue); try requireNumeric(b, node, op.rawValue)
        let ta = a.isNullType ? nil : (a.type == .string ? DataType.double : a.type)
        let tb = b.isNullType ? nil : (b.type == .string ? DataType.double : b.type)
        let t: DataType
        switch (ta, tb) {
        case (nil, nil): t = .int32
        case (let x?, nil): t = x
        case (nil, let y?): t = y
        case (let x?, let y?): t = numericWiden(x, y)
        }
        return Typed(expr: .arithmetic(op, try coerce(a, to: t, node), try coerce(b, to: t, node), type: t))
    }

    /// `date ± int` (days), `date ± INTERVAL n DAYS` (date), `timestamp|date ± INTERVAL` (timestamp).
    mutating func dateArithmetic(_ op: BinaryOperator, _ a: Typed, _ b: Typed, _ node: SyntaxNode) throws(ExprError) -> Typed? {
        let sub = op == .subtract
        if let iv = b.interval ?? (sub ? nil : a.interval) {
            let base = b.interval != nil ? a : b
            let micros = sub ? 0 &- iv.micros : iv.micros
            switch base.type {
            case .date where iv.isWholeDays:
                let days = Int32(truncatingIfNeeded: micros / microsPerDay)
                return Typed(expr: .function(.dateAdd, [base.expr, .literal(.int32(days), type: .int32)], type: .date))
            case .date, .timestamp, .string:
                let ts = try coerce(base, to: .timestamp, node)
                return Typed(expr: .function(.timestampAddMicros, [ts, .literal(.int64(micros), type: .int64)], type: .timestamp))
            default:
                throw error(.type, "cannot add an INTERVAL to \(base.type)", node)
            }
        }
        if a.interval != nil { throw error(.type, "cannot subtract a date or timestamp from an INTERVAL", node) }
        if a.type == .date && !a.isNullType, b.type == .int32 || b.type == .int64 {
            let days = try coerce(b, to: .int32, node)
            return Typed(expr: .function(sub ? .dateSub : .dateAdd, [a.expr, days], type: .date))
        }
        if !sub, b.type == .date && !b.isNullType, a.type == .int32 || a.type == .int64 {
            return Typed(expr: .function(.dateAdd, [b.expr, try coerce(a, to: .int32, node)], type: .date))
        }
        if sub, a.type == .date || a.type == .timestamp, b.type == .date || b.type == .timestamp, !a.isNullType, !b.isNullType {
            throw error(.type, "subtracting dates gives an interval, which fs does not support; use datediff(end, start)", node)
        }
        if a.type == .date || a.type == .timestamp || b.type == .date || b.type == .timestamp {
            if !(a.isNullType || b.isNullType) {
                throw error(.type, "cannot apply '\(op.rawValue)' to \(a.type) and \(b.type)", node)
            }
        }
        return nil
    }

    /// Both sides cast to the comparison type Spark picks.
    func comparison(_ op: ComparisonOperator, _ a: Typed, _ b: Typed, _ node: SyntaxNode) throws(ExprError) -> BoundExpr {
        if op == .equal || op == .notEqual || op == .nullSafeEqual, !a.isNullType, !b.isNullType {
            // Spark's BooleanEquality: `bool = number` compares the boolean as 1/0.
            if a.type == .boolean, b.type.isNumeric { return .compare(op, .cast(a.expr, to: b.type), b.expr) }
            if b.type == .boolean, a.type.isNumeric { return .compare(op, a.expr, .cast(b.expr, to: a.type)) }
        }
        let t = try comparisonType(a, b, node)
        return .compare(op, try coerce(a, to: t, node), try coerce(b, to: t, node))
    }

    func comparisonType(_ a: Typed, _ b: Typed, _ node: SyntaxNode) throws(ExprError) -> DataType {
        if a.isNullType { return b.type }
        if b.isNullType { return a.type }
        let x = a.type, y = b.type
        if x == y { return x }
        switch (x, y) {
        case _ where x.isNumeric && y.isNumeric: return numericWiden(x, y)
        case (.date, .timestamp), (.timestamp, .date): return .timestamp
        // Spark (non-ANSI): a string against any other atomic type is cast to that type.
        case (.string, _): return y
        case (_, .string): return x
        default:
            throw error(.type, "cannot compare \(x) with \(y)", node)
        }
    }

    mutating func bindCase(_ operand: SyntaxNode?, _ branches: [WhenClause], _ otherwise: SyntaxNode?, _ node: SyntaxNode) throws(ExprError) -> Typed {
        var conditions: [BoundExpr] = []
        var results: [Typed] = []
        let boundOperand = try operand.map { (o) throws(ExprError) in try bind(o) }
        for br in branches {
            let c = try bind(br.condition)
            if let bo = boundOperand {
                conditions.append(try comparison(.equal, bo, c, br.condition))
            } else {
                if c.isNullType { throw error(.type, "a WHEN condition must be boolean, found NULL", br.condition) }
                conditions.append(try coerce(c, to: .boolean, br.condition))
            }
            results.append(try bind(br.result))
        }
        let elseTyped = try otherwise.map { (o) throws(ExprError) in try bind(o) } ?? Typed(expr: .literal(.null, type: .string), isNullType: true)
        let t = try commonType(results + [elseTyped], node, stringPromotion: true, what: "CASE")
        var whens: [BoundWhen] = []
        for (c, r) in zip(conditions, results) { whens.append(BoundWhen(condition: c, result: try coerce(r, to: t, node))) }
        let allNull = (results + [elseTyped]).allSatisfy(\.isNullType)
        return Typed(expr: .caseWhen(whens, otherwise: try coerce(elseTyped, to: t, node), type: t), isNullType: allNull)
    }

    // MARK: Types

    func numericWiden(_ a: DataType, _ b: DataType) -> DataType {
        if a == .double || b == .double { return .double }
        if a == .int64 || b == .int64 { return .int64 }
        return .int32
    }

    /// Spark's `findWiderCommonType`: numeric widening, date+timestamp → timestamp, and (with
    /// `stringPromotion`) anything but boolean with a string → string. NULLs adopt the others' type.
    func commonType(_ items: [Typed], _ node: SyntaxNode, stringPromotion: Bool, what: String) throws(ExprError) -> DataType {
        var result: DataType?
        for item in items where !item.isNullType {
            guard let r = result else { result = item.type; continue }
            let t = item.type
            if r == t { continue }
            if r.isNumeric && t.isNumeric { result = numericWiden(r, t); continue }
            if (r == .date && t == .timestamp) || (r == .timestamp && t == .date) { result = .timestamp; continue }
            if stringPromotion, (r == .string && t != .boolean) || (t == .string && r != .boolean) { result = .string; continue }
            throw error(.type, "\(what) mixes \(r) and \(t), which have no common type", node)
        }
        return result ?? .string
    }

    /// An implicit cast (Spark only inserts casts that are allowed; anything reaching here that
    /// Spark would reject is reported as a type error).
    func coerce(_ b: Typed, to t: DataType, _ node: SyntaxNode) throws(ExprError) -> BoundExpr {
        if b.interval != nil { throw error(.type, "an INTERVAL can only be added to or subtracted from a date or timestamp", node) }
        if b.isNullType { return retypeNull(b.expr, to: t) }
        if b.type == t { return b.expr }
        guard SparkCast.canCast(from: b.type, to: t, implicit: true) else {
            throw error(.type, "expected \(t), found \(b.type)", node)
        }
        return .cast(b.expr, to: t)
    }

    /// A NULL (or CASE of NULLs) given a concrete type.
    func retypeNull(_ e: BoundExpr, to t: DataType) -> BoundExpr {
        if case .caseWhen(let ws, let other, _) = e {
            return .caseWhen(ws.map { BoundWhen(condition: $0.condition, result: retypeNull($0.result, to: t)) }, otherwise: retypeNull(other, to: t), type: t)
        }
        return .literal(.null, type: t)
    }

    func explicitCast(_ b: Typed, to t: DataType, typeName: String, _ node: SyntaxNode) throws(ExprError) -> BoundExpr {
        if b.interval != nil { throw error(.type, "cannot cast an INTERVAL", node) }
        let base = typeName.split(separator: "(").first.map(String.init) ?? typeName
        if ["decimal", "dec", "numeric"].contains(base) {
            // DECIMAL(p, s) (default (10, 0)) is a double rounded HALF_UP to s digits, NULL on overflow.
            let params = typeName.dropFirst(base.count).filter { $0.isNumber || $0 == "," }.split(separator: ",").compactMap { Int32($0) }
            let p = params.first ?? 10, s = params.count > 1 ? params[1] : 0
            let x = try explicitCast(b, to: .double, typeName: "double", node)
            return .function(.toDecimal, [x, .literal(.int32(p), type: .int32), .literal(.int32(s), type: .int32)], type: .double)
        }
        if base == "float" || base == "real" {
            return .function(.toFloat, [try explicitCast(b, to: .double, typeName: "double", node)], type: .double)
        }
        if b.isNullType { return .literal(.null, type: t) }
        if b.type == t { return b.expr }
        guard SparkCast.canCast(from: b.type, to: t, implicit: false) else {
            throw error(.type, "cannot cast \(b.type) to \(typeName.uppercased())", node)
        }
        return .cast(b.expr, to: t)
    }
}
