import FSCore

/// Function-call binding: scalar functions (argument casts, result types, sugar) and aggregate
/// calls (slots, result types, nesting rules).
extension BindState {
    mutating func bindCall(_ call: FunctionCallSyntax, _ node: SyntaxNode) throws(ExprError) -> Typed {
        if let agg = AggregateFunction(sqlName: call.name) {
            if agg == .collectSet || agg == .collectList {
                throw error(.type, "\(call.name)(...) is only supported inside size(...): fs has no array type", node)
            }
            return try bindAggregate(agg, call, node, sizeOfCollection: false)
        }
        if call.isDistinct || call.isStar || call.filter != nil || call.ignoreNulls != nil {
            let what = call.isDistinct ? "DISTINCT" : call.isStar ? "'*'" : call.filter != nil ? "FILTER" : "IGNORE NULLS"
            throw error(.type, "\(what) is only allowed in aggregate functions, not in \(call.name)(...)", node)
        }
        if call.name == "size" { return try bindSize(call, node) }
        if call.name == "split" {
            throw error(.type, "split(...) is only supported inside size(...): fs has no array type", node)
        }
        var args: [Typed] = []
        for a in call.arguments { args.append(try bind(a)) }
        return try bindScalar(call.name, args, call, node)
    }

    // MARK: Scalar functions

    private mutating func bindScalar(_ name: String, _ args: [Typed], _ call: FunctionCallSyntax, _ node: SyntaxNode) throws(ExprError) -> Typed {
        func arity(_ range: ClosedRange<Int>) throws(ExprError) {
            guard range.contains(args.count) else {
                let expected = range.lowerBound == range.upperBound ? "\(range.lowerBound)" : range.upperBound == Int.max ? "at least \(range.lowerBound)" : "\(range.lowerBound) to \(range.upperBound)"
                throw error(.type, "\(name)(...) takes \(expected) argument\(range.upperBound == 1 ? "" : "s"), got \(args.count)", node)
            }
        }
        func arg(_ i: Int, _ t: DataType) throws(ExprError) -> BoundExpr {
            try coerce(args[i], to: t, i < call.arguments.count ? call.arguments[i] : node)
        }
        func fn(_ f: ScalarFunction, _ bound: [BoundExpr], _ t: DataType) -> Typed { Typed(expr: .function(f, bound, type: t)) }
        func numericArg(_ i: Int) -> DataType {
            let a = args[i]
            if a.isNullType || a.type == .string { return .double }
            return a.type
        }
        func requireNumericArg(_ i: Int) throws(ExprError) {
            let a = args[i]
            guard a.isNullType || a.type.isNumeric || a.type == .string else {
                throw error(.type, "\(name)(...) needs a number, found \(a.type)", call.arguments[i])
            }
        }

        switch name {
        // Math
        case "abs":
            try arity(1...1); try requireNumericArg(0)
            let t = numericArg(0)
            return fn(.abs, [try arg(0, t)], t)
        case "ceil", "ceiling", "floor":
            try arity(1...1); try requireNumericArg(0)
            let f: ScalarFunction = name == "floor" ? .floor : .ceil
            let t = numericArg(0)
            return fn(f, [try arg(0, t)], .int64)
        case "round", "bround":
            try arity(1...2); try requireNumericArg(0)
            let t = numericArg(0)
            let scale: BoundExpr = args.count == 2 ? try literalArgument(args[1], .int32, call.arguments[1], "the scale of \(name)") : .literal(.int32(0), type: .int32)
            return fn(name == "round" ? .round : .bround, [try arg(0, t), scale], t)
        case "sqrt", "exp", "ln", "log10", "log2", "signum", "sign":
            try arity(1...1); try requireNumericArg(0)
            let f: ScalarFunction
            switch name {
            case "sqrt": f = .sqrt
            case "exp": f = .exp
            case "ln": f = .ln
            case "log10": f = .log10
            case "log2": f = .log2
            default: f = .signum
            }
            return fn(f, [try arg(0, .double)], .double)
        case "log":
            try arity(1...1); try requireNumericArg(0)
            return fn(.ln, [try arg(0, .double)], .double)
        case "pow", "power":
            try arity(2...2); try requireNumericArg(0); try requireNumericArg(1)
            return fn(.pow, [try arg(0, .double), try arg(1, .double)], .double)
        case "greatest", "least":
            try arity(2...Int.max)
            let t = try commonType(args, node, stringPromotion: false, what: "\(name)(...)")
            return fn(name == "greatest" ? .greatest : .least, try args.indices.map { (i) throws(ExprError) in try arg(i, t) }, t)
        case "coalesce", "nvl", "ifnull":
            try arity(name == "coalesce" ? 1...Int.max : 2...2)
            let t = try commonType(args, node, stringPromotion: true, what: "\(name)(...)")
            var out = fn(.coalesce, try args.indices.map { (i) throws(ExprError) in try arg(i, t) }, t)
            out.isNullType = args.allSatisfy(\.isNullType)
            return out
        case "if":
            try arity(3...3)
            let t = try commonType([args[1], args[2]], node, stringPromotion: true, what: "if(...)")
            return Typed(expr: .caseWhen([BoundWhen(condition: try arg(0, .boolean), result: try arg(1, t))], otherwise: try arg(2, t), type: t),
                         isNullType: args[1].isNullType && args[2].isNullType)
        case "nullif":
            try arity(2...2)
            let eq = try comparison(.equal, args[0], args[1], node)
            let t = args[0].type
            return Typed(expr: .caseWhen([BoundWhen(condition: eq, result: .literal(.null, type: t))], otherwise: args[0].expr, type: t),
                         isNullType: args[0].isNullType)
        case "nvl2":
            try arity(3...3)
            let t = try commonType([args[1], args[2]], node, stringPromotion: true, what: "nvl2(...)")
            return Typed(expr: .caseWhen([BoundWhen(condition: .not(.isNull(args[0].expr)), result: try arg(1, t))], otherwise: try arg(2, t), type: t))
        case "isnull":
            try arity(1...1)
            return Typed(expr: .isNull(args[0].expr))
        case "isnotnull":
            try arity(1...1)
            return Typed(expr: .not(.isNull(args[0].expr)))
        case "isnan":
            try arity(1...1); try requireNumericArg(0)
            return fn(.isnan, [try arg(0, .double)], .boolean)
        case "nanvl":
            try arity(2...2); try requireNumericArg(0); try requireNumericArg(1)
            return fn(.nanvl, [try arg(0, .double), try arg(1, .double)], .double)

        // Strings
        case "length", "char_length", "character_length", "len":
            try arity(1...1)
            return fn(.length, [try arg(0, .string)], .int32)
        case "lower", "lcase", "upper", "ucase", "trim", "ltrim", "rtrim":
            try arity(1...1)
            let f: ScalarFunction = ["lower", "lcase"].contains(name) ? .lower : ["upper", "ucase"].contains(name) ? .upper
                : name == "trim" ? .trim : name == "ltrim" ? .ltrim : .rtrim
            return fn(f, [try arg(0, .string)], .string)
        case "substring", "substr":
            try arity(2...3)
            var bound = [try arg(0, .string), try arg(1, .int32)]
            bound.append(args.count == 3 ? try arg(2, .int32) : .literal(.int32(.max), type: .int32))
            return fn(.substring, bound, .string)
        case "left", "right":
            try arity(2...2)
            let n = try arg(1, .int32)
            if name == "left" { return fn(.substring, [try arg(0, .string), .literal(.int32(1), type: .int32), n], .string) }
            // right(s, n) = substring(s, -n) when n > 0, else ''.
            let start = BoundExpr.negate(n)
            let whole = BoundExpr.function(.substring, [try arg(0, .string), start, .literal(.int32(.max), type: .int32)], type: .string)
            return Typed(expr: .caseWhen([BoundWhen(condition: .compare(.lessOrEqual, n, .literal(.int32(0), type: .int32)), result: .literal(.string(""), type: .string))], otherwise: whole, type: .string))
        case "concat":
            return fn(.concat, try args.indices.map { (i) throws(ExprError) in try arg(i, .string) }, .string)
        case "concat_ws":
            try arity(1...Int.max)
            return fn(.concatWs, try args.indices.map { (i) throws(ExprError) in try arg(i, .string) }, .string)
        case "split_part":
            try arity(3...3)
            return fn(.splitPart, [try arg(0, .string), try arg(1, .string), try arg(2, .int32)], .string)
        case "regexp_extract":
            try arity(2...3)
            let pattern = try arg(1, .string)
            if case .literal(.string(let p), _) = pattern, !RegexCache.isValid(p) {
                throw error(.type, "invalid regular expression '\(p)'", call.arguments[1])
            }
            let group = args.count == 3 ? try arg(2, .int32) : .literal(.int32(1), type: .int32)
            return fn(.regexpExtract, [try arg(0, .string), pattern, group], .string)
        case "replace":
            try arity(2...3)
            let rep = args.count == 3 ? try arg(2, .string) : .literal(.string(""), type: .string)
            return fn(.replace, [try arg(0, .string), try arg(1, .string), rep], .string)
        case "instr":
            try arity(2...2)
            return fn(.instr, [try arg(0, .string), try arg(1, .string)], .int32)
        case "lpad", "rpad":
            try arity(2...3)
            let pad = args.count == 3 ? try arg(2, .string) : .literal(.string(" "), type: .string)
            return fn(name == "lpad" ? .lpad : .rpad, [try arg(0, .string), try arg(1, .int32), pad], .string)

        // Casts written as functions.
        case "date", "int", "integer", "bigint", "double", "float", "string", "boolean", "timestamp", "smallint", "tinyint":
            try arity(1...1)
            let target: DataType = ["int", "integer", "smallint", "tinyint"].contains(name) ? .int32 : name == "bigint" ? .int64
                : ["double", "float"].contains(name) ? .double : name == "string" ? .string : name == "boolean" ? .boolean
                : name == "date" ? .date : .timestamp
            return Typed(expr: try explicitCast(args[0], to: target, typeName: name, node))

        // Dates and times
        case "to_date", "to_timestamp":
            try arity(1...2)
            let target: DataType = name == "to_date" ? .date : .timestamp
            if args.count == 1 { return Typed(expr: try explicitCast(args[0], to: target, typeName: name, node)) }
            let pattern = try patternArgument(args[1], call.arguments[1])
            return fn(name == "to_date" ? .toDate : .toTimestamp, [try arg(0, .string), pattern], target)
        case "year", "month", "day", "dayofmonth", "dayofweek", "dayofyear", "quarter":
            try arity(1...1)
            let f: ScalarFunction = name == "year" ? .year : name == "month" ? .month : name == "dayofweek" ? .dayOfWeek
                : name == "dayofyear" ? .dayOfYear : name == "quarter" ? .quarter : .dayOfMonth
            return fn(f, [try arg(0, .date)], .int32)
        case "hour", "minute", "second":
            try arity(1...1)
            return fn(name == "hour" ? .hour : name == "minute" ? .minute : .second, [try arg(0, .timestamp)], .int32)
        case "date_add", "date_sub", "dateadd":
            try arity(2...2)
            guard args[1].isNullType || args[1].type == .int32 || args[1].type == .int64 || args[1].type == .string else {
                throw error(.type, "\(name)(...) needs an integer number of days, found \(args[1].type)", call.arguments[1])
            }
            return fn(name == "date_sub" ? .dateSub : .dateAdd, [try arg(0, .date), try arg(1, .int32)], .date)
        case "datediff":
            try arity(2...2)
            return fn(.dateDiff, [try arg(0, .date), try arg(1, .date)], .int32)
        case "unix_timestamp", "to_unix_timestamp":
            try arity(0...2)
            if args.isEmpty {
                return fn(.unixTimestamp, [.function(.currentTimestamp, [], type: .timestamp)], .int64)
            }
            if args[0].type == .string && !args[0].isNullType || args.count == 2 {
                let pattern = args.count == 2 ? try patternArgument(args[1], call.arguments[1]) : .literal(.string("yyyy-MM-dd HH:mm:ss"), type: .string)
                let parsed = BoundExpr.function(.toTimestamp, [try arg(0, .string), pattern], type: .timestamp)
                return fn(.unixTimestamp, [parsed], .int64)
            }
            return fn(.unixTimestamp, [try arg(0, .timestamp)], .int64)
        case "from_unixtime":
            try arity(1...2)
            let pattern = args.count == 2 ? try patternArgument(args[1], call.arguments[1]) : .literal(.string("yyyy-MM-dd HH:mm:ss"), type: .string)
            return fn(.fromUnixtime, [try arg(0, .int64), pattern], .string)
        case "date_format":
            try arity(2...2)
            return fn(.dateFormat, [try arg(0, .timestamp), try patternArgument(args[1], call.arguments[1])], .string)
        case "current_date", "curdate":
            try arity(0...0)
            return fn(.currentDate, [], .date)
        case "current_timestamp", "now":
            try arity(0...0)
            return fn(.currentTimestamp, [], .timestamp)

        // JSON
        case "json_array_length":
            try arity(1...1)
            return fn(.jsonArrayLength, [try arg(0, .string)], .int32)
        case "get_json_object":
            try arity(2...2)
            let path = try arg(1, .string)
            if case .literal(.string(let p), _) = path, JSONPath(p) == nil {
                throw error(.type, "unsupported JSON path '\(p)' (use $.name, $['name'], $[index])", call.arguments[1])
            }
            return fn(.getJsonObject, [try arg(0, .string), path], .string)
        default:
            throw error(.unknownFunction, "unknown function '\(name)'" + functionSuggestion(name), node)
        }
    }

    func functionSuggestion(_ name: String) -> String {
        let close = closestNames(to: name, in: knownFunctionNames)
        return close.isEmpty ? "" : "; did you mean " + close.map { "'\($0)'" }.joined(separator: ", ") + "?"
    }

    /// A constant argument (scale of round, percentile…), folded and cast to `t`.
    func literalArgument(_ b: Typed, _ t: DataType, _ node: SyntaxNode, _ what: String) throws(ExprError) -> BoundExpr {
        let folded = ConstantFolder.fold(try coerce(b, to: t, node))
        guard case .literal = folded else { throw error(.type, "\(what) must be a constant", node) }
        return folded
    }

    /// A datetime pattern: must be a constant string made of supported letters.
    func patternArgument(_ b: Typed, _ node: SyntaxNode) throws(ExprError) -> BoundExpr {
        let folded = try literalArgument(b, .string, node, "a datetime pattern")
        if case .literal(.string(let p), _) = folded {
            do { _ = try DateTimePattern(p) } catch let e {
                throw error(.type, "invalid datetime pattern '\(p)': \(e.reason)", node)
            }
        }
        return folded
    }

    mutating func bindSize(_ call: FunctionCallSyntax, _ node: SyntaxNode) throws(ExprError) -> Typed {
        guard call.arguments.count == 1 else { throw error(.type, "size(...) takes 1 argument, got \(call.arguments.count)", node) }
        let inner = call.arguments[0]
        if case .call(let c) = inner.kind {
            if let agg = AggregateFunction(sqlName: c.name), agg == .collectSet || agg == .collectList {
                var t = try bindAggregate(agg, c, inner, sizeOfCollection: true)
                // Spark's size() is int.
                t.expr = .cast(t.expr, to: .int32)
                return t
            }
            if c.name == "split", !c.isDistinct, !c.isStar, c.filter == nil {
                guard c.arguments.count == 2 else { throw error(.type, "split(...) takes 2 arguments, got \(c.arguments.count)", inner) }
                let s = try coerce(try bind(c.arguments[0]), to: .string, c.arguments[0])
                let p = try coerce(try bind(c.arguments[1]), to: .string, c.arguments[1])
                if case .literal(.string(let pat), _) = p, !RegexCache.isValid(pat) {
                    throw error(.type, "invalid regular expression '\(pat)'", c.arguments[1])
                }
                return Typed(expr: .function(.splitSize, [s, p], type: .int32))
            }
        }
        throw error(.type, "size(...) supports split(...), collect_set(...) and collect_list(...) only: fs has no array type", node)
    }

    // MARK: Aggregates

    mutating func bindAggregate(_ f: AggregateFunction, _ call: FunctionCallSyntax, _ node: SyntaxNode, sizeOfCollection: Bool) throws(ExprError) -> Typed {
        if mode == .scalar {
            throw error(.aggregate, "aggregate function \(call.name)(...) is not allowed here (a per-row expression is expected)", node)
        }
        if insideAggregate {
            throw error(.aggregate, "aggregate function \(call.name)(...) cannot be nested inside another aggregate", node)
        }
        insideAggregate = true
        defer { insideAggregate = false }

        var function = f
        if call.isStar {
            guard f == .count, !call.isDistinct else { throw error(.type, "'*' is only allowed in count(*)", node) }
            function = .countStar
        } else if call.ignoreNulls != nil && f != .first && f != .last {
            throw error(.type, "IGNORE NULLS is only allowed in first(...) and last(...)", node)
        }
        var args: [Typed] = []
        for a in call.arguments { args.append(try bind(a)) }
        let filter = try call.filter.map { (fl) throws(ExprError) in try coerce(try bind(fl), to: .boolean, fl) }

        func need(_ range: ClosedRange<Int>) throws(ExprError) {
            guard range.contains(args.count) else {
                throw error(.type, "\(call.name)(...) takes \(range.lowerBound == range.upperBound ? "\(range.lowerBound)" : "\(range.lowerBound) to \(range.upperBound)") argument\(range.upperBound == 1 ? "" : "s"), got \(args.count)", node)
            }
        }
        func arg(_ i: Int, _ t: DataType) throws(ExprError) -> BoundExpr { try coerce(args[i], to: t, call.arguments[i]) }
        func numeric(_ i: Int) throws(ExprError) {
            let a = args[i]
            guard a.isNullType || a.type.isNumeric || a.type == .string else {
                throw error(.type, "\(call.name)(...) needs a number, found \(a.type)", call.arguments[i])
            }
        }
        func natural(_ i: Int) -> BoundExpr { args[i].isNullType ? retypeNull(args[i].expr, to: .string) : args[i].expr }

        var bound: [BoundExpr] = []
        var resultType: DataType
        var parameters: [Value] = []
        var ignoreNulls = call.ignoreNulls ?? false
        switch function {
        case .countStar:
            resultType = .int64
        case .count:
            try need(1...1)
            // count(1), count('x'): a non-NULL constant counts every row, as count(*).
            if !call.isDistinct, case .literal(let v, _) = ConstantFolder.fold(args[0].expr), !v.isNull {
                function = .countStar
            } else {
                bound = [natural(0)]
            }
            resultType = .int64
        case .sum:
            try need(1...1); try numeric(0)
            let t: DataType = args[0].type == .int32 || args[0].type == .int64 ? .int64 : .double
            bound = [try arg(0, args[0].isNullType ? .double : t)]
            resultType = args[0].isNullType ? .double : t
        case .avg, .stddevSamp, .stddevPop, .varSamp, .varPop, .skewness, .kurtosis:
            try need(1...1); try numeric(0)
            bound = [try arg(0, .double)]
            resultType = .double
        case .min, .max:
            try need(1...1)
            bound = [natural(0)]
            resultType = bound[0].type
        case .first, .last:
            try need(1...2)
            bound = [natural(0)]
            if args.count == 2 {
                guard case .literal(.boolean(let b), _) = try literalArgument(args[1], .boolean, call.arguments[1], "the ignoreNulls flag of \(call.name)") else {
                    throw error(.type, "the ignoreNulls flag of \(call.name) must be TRUE or FALSE", call.arguments[1])
                }
                ignoreNulls = b
            }
            resultType = bound[0].type
        case .maxBy, .minBy:
            try need(2...2)
            bound = [natural(0), natural(1)]
            resultType = bound[0].type
        case .countIf:
            try need(1...1)
            bound = [try arg(0, .boolean)]
            resultType = .int64
        case .boolAnd, .boolOr:
            try need(1...1)
            bound = [try arg(0, .boolean)]
            resultType = .boolean
        case .collectSet, .collectList:
            try need(1...1)
            precondition(sizeOfCollection, "collect_* bound outside size()")
            bound = [natural(0)]
            resultType = .int64
        case .approxCountDistinct:
            try need(1...2)
            bound = [natural(0)]
            var rsd = 0.05
            if args.count == 2 {
                guard case .literal(.double(let v), _) = try literalArgument(args[1], .double, call.arguments[1], "the relative error of approx_count_distinct"),
                      v > 0, v < 1 else {
                    throw error(.type, "the relative error of approx_count_distinct must be a constant between 0 and 1", call.arguments[1])
                }
                rsd = v
            }
            parameters = [.double(rsd)]
            resultType = .int64
        case .percentileApprox:
            try need(2...3)
            guard args[0].type.isNumeric || args[0].isNullType else {
                throw error(.type, "percentile_approx(...) needs a number, found \(args[0].type)", call.arguments[0])
            }
            let t = args[0].isNullType ? DataType.double : args[0].type
            bound = [try arg(0, t)]
            guard case .literal(.double(let p), _) = try literalArgument(args[1], .double, call.arguments[1], "the percentage of percentile_approx"),
                  p >= 0, p <= 1 else {
                throw error(.type, "the percentage of percentile_approx must be a constant between 0.0 and 1.0", call.arguments[1])
            }
            var accuracy: Int64 = 10_000
            if args.count == 3 {
                guard case .literal(.int64(let a), _) = try literalArgument(args[2], .int64, call.arguments[2], "the accuracy of percentile_approx"),
                      a > 0 else {
                    throw error(.type, "the accuracy of percentile_approx must be a positive integer constant", call.arguments[2])
                }
                accuracy = a
            }
            parameters = [.double(p), .int64(accuracy)]
            resultType = t
        case .corr, .covarSamp, .covarPop:
            try need(2...2); try numeric(0); try numeric(1)
            bound = [try arg(0, .double), try arg(1, .double)]
            resultType = .double
        }
        let aggregateCall = AggregateCall(function: function, arguments: bound, isDistinct: call.isDistinct, filter: filter,
                                          resultType: resultType, ignoreNulls: ignoreNulls, parameters: parameters)
        let slot = nextSlot
        nextSlot += 1
        return Typed(expr: .aggregate(aggregateCall, slot: slot))
    }
}

/// Every function name the binder accepts (for "did you mean" suggestions).
let knownFunctionNames: [String] = [
    "abs", "ceil", "ceiling", "floor", "round", "bround", "sqrt", "exp", "ln", "log", "log10", "log2", "signum", "sign", "pow", "power",
    "greatest", "least", "coalesce", "nvl", "ifnull", "if", "nullif", "nvl2", "isnull", "isnotnull", "isnan", "nanvl",
    "length", "char_length", "character_length", "lower", "lcase", "upper", "ucase", "trim", "ltrim", "rtrim", "substring", "substr",
    "left", "right", "concat", "concat_ws", "split_part", "regexp_extract", "replace", "instr", "lpad", "rpad", "size", "split",
    "date", "int", "bigint", "double", "string", "boolean", "timestamp", "to_date", "to_timestamp", "year", "month", "day",
    "dayofmonth", "dayofweek", "dayofyear", "quarter", "hour", "minute", "second", "date_add", "date_sub", "datediff",
    "unix_timestamp", "from_unixtime", "date_format", "current_date", "current_timestamp", "now", "json_array_length",
    "get_json_object",
] + AggregateFunction.allCases.map(\.rawValue) + ["mean", "stddev", "variance", "std", "every", "any", "some", "approx_percentile"]
