import FSCore
import Testing
@testable import FSExpr

/// Column resolution, Spark's implicit casts as explicit nodes, and the aggregate rules.
struct BinderTests {
    static let schema = Schema([
        Field("order_total_amount", .double), Field("quantity", .int32), Field("merchant_id", .int64),
        Field("origin_platform", .string), Field("created_at", .timestamp), Field("order_date", .date),
        Field("is_paid", .boolean), Field("items", .string), Field("total-amount", .double),
    ])

    func bind(_ text: String, _ mode: Binder.Mode = .scalar) throws -> BoundExpr {
        try Binder(schema: Self.schema).bind(text, mode: mode)
    }

    func bindError(_ text: String, _ mode: Binder.Mode = .scalar) -> ExprError? {
        do { _ = try bind(text, mode); return nil } catch let e as ExprError { return e } catch { return nil }
    }

    @Test(arguments: [
        ("quantity + merchant_id", "(+:int64 (cast:int64 #1 quantity:int32) #2 merchant_id:int64)"),
        ("quantity / 2", "(/:double (cast:double #1 quantity:int32) 2.0:double)"),
        ("quantity div 2", "(div:int64 (cast:int64 #1 quantity:int32) 2:int64)"),
        ("origin_platform + 1", "(+:double (cast:double #3 origin_platform:string) 1.0:double)"),
        ("origin_platform = 1", "(= (cast:int32 #3 origin_platform:string) 1:int32)"),
        ("order_date = '2024-01-01'", "(= #5 order_date:date 2024-01-01:date)"),
        ("created_at > order_date", "(> #4 created_at:timestamp (cast:timestamp #5 order_date:date))"),
        ("CASE WHEN is_paid THEN quantity ELSE 0.5 END", "(case:double (when #6 is_paid:boolean (cast:double #1 quantity:int32)) (else 0.5:double))"),
        ("CASE WHEN order_total_amount > 50 THEN order_total_amount ELSE 0 END", "(case:double (when (> #0 order_total_amount:double 50.0:double) #0 order_total_amount:double) (else 0.0:double))"),
        ("coalesce(quantity, merchant_id)", "(coalesce:int64 (cast:int64 #1 quantity:int32) #2 merchant_id:int64)"),
        ("`total-amount` * 2", "(*:double #8 total-amount:double 2.0:double)"),
        ("ORDER_TOTAL_AMOUNT", "#0 order_total_amount:double"),
        ("1 + 2 * 3", "7:int32"),
        ("quantity IN (1, 2.5)", "(in (cast:double #1 quantity:int32) 1.0:double 2.5:double)"),
        ("order_date + INTERVAL 2 DAYS", "(date_add:date #5 order_date:date 2:int32)"),
        ("created_at - INTERVAL 1 HOUR", "(timestamp_add_micros:timestamp #4 created_at:timestamp -3600000000:int64)"),
        ("NULL + quantity", "(+:int32 NULL:int32 #1 quantity:int32)"),
    ])
    func insertsSparkImplicitCasts(text: String, tree: String) throws {
        #expect(try bind(text).description == tree)
    }

    @Test func unknownColumnListsTheClosestNames() {
        let e = bindError("order_total_amont + 1")
        #expect(e?.kind == .unknownColumn)
        #expect(e?.column == 1)
        #expect(e?.message == "unknown column 'order_total_amont'; did you mean 'order_total_amount'?")
        #expect(e?.description == "unknown column 'order_total_amont'; did you mean 'order_total_amount'? at column 1\n  order_total_amont + 1\n  ^")
    }

    @Test func unknownColumnWithNothingCloseListsAllColumns() {
        let e = bindError("1 + zzz")
        #expect(e?.column == 5)
        #expect(e?.message.hasPrefix("unknown column 'zzz'; columns are: 'order_total_amount', 'quantity'") == true)
    }

    @Test func unknownFunctionSuggestsNames() {
        let e = bindError("lenght(items)")
        #expect(e?.kind == .unknownFunction)
        #expect(e?.message == "unknown function 'lenght'; did you mean 'length'?")
    }

    @Test(arguments: [
        ("is_paid + 1", "'+' needs numbers, found boolean"),
        ("CAST(quantity AS DATE)", "cannot cast int32 to DATE"),
        ("if(quantity, 1, 2)", "expected boolean, found int32"),
        ("greatest(quantity, items)", "greatest(...) mixes int32 and string, which have no common type"),
        ("order_total_amount div 2", "div needs integer operands, found double and int32"),
        ("abs(1, 2)", "abs(...) takes 1 argument, got 2"),
        ("order_date - order_date", "subtracting dates gives an interval, which fs does not support; use datediff(end, start)"),
        ("quantity + INTERVAL 1 DAY", "cannot add an INTERVAL to int32"),
        ("collect_set(quantity)", "collect_set(...) is only supported inside size(...): fs has no array type"),
        ("size(items)", "size(...) supports split(...), collect_set(...) and collect_list(...) only: fs has no array type"),
        ("items RLIKE '('", "invalid regular expression '('"),
        ("upper(items) FILTER (WHERE is_paid)", "FILTER is only allowed in aggregate functions, not in upper(...)"),
        ("to_date(items, 'yyyy-MMM')", "invalid datetime pattern 'yyyy-MMM': month names (MMM) are not supported"),
        ("get_json_object(items, '$.a[*]')", "unsupported JSON path '$.a[*]' (use $.name, $['name'], $[index])"),
    ])
    func rejectsTypeErrors(text: String, message: String) {
        let e = bindError(text)
        #expect(e?.kind == .type || e?.kind == .aggregate)
        #expect(e?.message == message)
    }

    @Test func aggregatesAreRejectedInScalarExpressions() {
        let e = bindError("quantity + sum(order_total_amount)")
        #expect(e?.kind == .aggregate)
        #expect(e?.column == 12)
        #expect(e?.message == "aggregate function sum(...) is not allowed here (a per-row expression is expected)")
    }

    @Test func nestedAggregatesAreRejected() {
        let e = bindError("sum(max(quantity))", .aggregate)
        #expect(e?.kind == .aggregate)
        #expect(e?.column == 5)
        #expect(e?.message == "aggregate function max(...) cannot be nested inside another aggregate")
    }

    @Test func columnsOutsideAggregatesAreRejectedInAggregateMode() {
        let e = bindError("sum(order_total_amount) / quantity", .aggregate)
        #expect(e?.kind == .aggregate)
        #expect(e?.column == 27)
        #expect(e?.message == "column 'quantity' must be inside an aggregate function such as sum(...) or first(...)")
    }

    @Test func aggregateModeNeedsAnAggregate() {
        let e = bindError("order_total_amount + 1", .aggregate)
        #expect(e?.kind == .aggregate)
        let f = bindError("1 + 1", .aggregate)
        #expect(f?.message == "an aggregate expression needs an aggregate function such as sum(...) or count(*)")
    }

    @Test func aggregateCallsGetSlotsTypesAndFilters() throws {
        let e = try bind("SUM(quantity) / COUNT(*) + avg(order_total_amount) FILTER (WHERE origin_platform = 'IOS')", .aggregate)
        let calls = e.aggregateCalls
        #expect(calls.map(\.function) == [.sum, .countStar, .avg])
        #expect(calls.map(\.resultType) == [.int64, .int64, .double])
        #expect(calls[0].arguments.first?.type == .int64)
        #expect(calls[2].filter?.description == "(= #3 origin_platform:string 'IOS')")
        #expect(e.type == .double)
    }

    @Test(arguments: [
        ("count(DISTINCT merchant_id)", AggregateFunction.count, DataType.int64, true),
        ("count(1)", .countStar, .int64, false),
        ("mean(quantity)", .avg, .double, false),
        ("stddev(order_total_amount)", .stddevSamp, .double, false),
        ("variance(quantity)", .varSamp, .double, false),
        ("min(origin_platform)", .min, .string, false),
        ("max(created_at)", .max, .timestamp, false),
        ("first(items, true)", .first, .string, false),
        ("last_value(quantity)", .last, .int32, false),
        ("max_by(items, created_at)", .maxBy, .string, false),
        ("count_if(is_paid)", .countIf, .int64, false),
        ("every(is_paid)", .boolAnd, .boolean, false),
        ("any(is_paid)", .boolOr, .boolean, false),
        ("approx_count_distinct(merchant_id)", .approxCountDistinct, .int64, false),
        ("approx_percentile(quantity, 0.5)", .percentileApprox, .int32, false),
        ("skewness(quantity)", .skewness, .double, false),
        ("kurtosis(quantity)", .kurtosis, .double, false),
        ("corr(quantity, order_total_amount)", .corr, .double, false),
        ("covar_samp(quantity, order_total_amount)", .covarSamp, .double, false),
        ("covar_pop(quantity, order_total_amount)", .covarPop, .double, false),
        ("sum(order_total_amount)", .sum, .double, false),
        ("sum(CAST(order_total_amount AS DOUBLE))", .sum, .double, false),
    ])
    func bindsEveryAggregateWithSparkResultType(text: String, function: AggregateFunction, type: DataType, distinct: Bool) throws {
        let calls = try bind(text, .aggregate).aggregateCalls
        #expect(calls.count == 1)
        #expect(calls.first?.function == function)
        #expect(calls.first?.resultType == type)
        #expect(calls.first?.isDistinct == distinct)
    }

    @Test func aggregateParametersAreLiterals() throws {
        let p = try bind("percentile_approx(order_total_amount, 0.9, 100)", .aggregate).aggregateCalls[0]
        #expect(p.parameters == [.double(0.9), .int64(100)])
        let h = try bind("approx_count_distinct(items)", .aggregate).aggregateCalls[0]
        #expect(h.parameters == [.double(0.05)])
        let f = try bind("first(items) IGNORE NULLS", .aggregate).aggregateCalls[0]
        #expect(f.ignoreNulls)
        #expect(bindError("percentile_approx(quantity, quantity)", .aggregate)?.message == "the percentage of percentile_approx must be a constant")
        #expect(bindError("percentile_approx(quantity, 1.5)", .aggregate)?.message == "the percentage of percentile_approx must be a constant between 0.0 and 1.0")
    }

    @Test func sizeOfCollectSetIsAnIntOverTheAggregateCount() throws {
        let e = try bind("size(collect_set(merchant_id))", .aggregate)
        #expect(e.type == .int32)
        #expect(e.aggregateCalls.map(\.function) == [.collectSet])
        #expect(e.aggregateCalls[0].resultType == .int64)
    }

    @Test func currentDateWithoutParenthesesIsTheFunction() throws {
        #expect(try bind("current_date").description == "(current_date:date)")
        #expect(try bind("datediff(current_date(), order_date)").type == .int32)
    }
}

/// The name helpers other layers use instead of their own copies.
@Suite struct NameHelperTests {
    let schema = Schema([Field("a b", .int64), Field("x`y", .double), Field("amount", .double), Field("k", .string)])

    @Test func referencedColumnsCoverAggregateArgumentsAndFiltersOnceInFirstOrder() throws {
        let e = try Binder(schema: schema).bind("sum(amount) FILTER (WHERE `a b` > 1) + max(amount) + count(k)", mode: .aggregate)
        #expect(e.referencedColumns == ["amount", "a b", "k"])
        let calls = e.aggregateCalls
        #expect(calls.first?.referencedColumns == ["amount", "a b"])
        #expect(try Binder(schema: schema).bind("1 + 2", mode: .scalar).referencedColumns == [])
    }

    @Test func aQuotedIdentifierBindsToExactlyThatColumn() throws {
        #expect(Identifier.quoted("x`y") == "`x``y`")
        for f in schema.fields {
            let bound = try Binder(schema: schema).bind(Identifier.quoted(f.name), mode: .scalar)
            #expect(bound.referencedColumns == [f.name])
        }
    }

    @Test func suggestionsAreTheClosestNamesByEditDistance() {
        #expect(closestNames(to: "amont", in: ["amount", "k", "a b"]) == ["amount"])
        #expect(closestNames(to: "zzzzzz", in: ["amount"]) == [])
        #expect(editDistance(Array("kitten"), Array("sitting")) == 3)
        #expect(editDistance([], Array("abc")) == 3)
    }
}
