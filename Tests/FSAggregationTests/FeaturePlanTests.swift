import FSCore
import FSExpr
import Testing
@testable import FSAggregation

private let orderSchema = Schema([
    Field("customer_id", .string), Field("order_id", .string), Field("merchant_id", .string),
    Field("order_total_amount", .double), Field("origin_platform", .string), Field("items", .string),
    Field("order_day", .date),
])

/// Six orders of two customers (and one with a NULL customer).
private func orders() -> RecordBatch {
    let rows: [[Value]] = [
        [.string("c1"), .string("o1"), .string("m1"), .double(10), .string("IOS"), .string("[1,2,3]"), .date(100)],
        [.string("c1"), .string("o2"), .string("m2"), .double(60), .string("ANDROID"), .string("[1]"), .date(101)],
        [.string("c2"), .string("o3"), .string("m1"), .double(80), .string("IOS"), .string("[1,2]"), .date(99)],
        [.string("c1"), .string("o4"), .string("m1"), .double(100), .string("IOS"), .string("[]"), .date(98)],
        [.string("c2"), .string("o5"), .null, .null, .string("IOS"), .string("[1,2,3,4]"), .date(101)],
        [.null, .string("o6"), .string("m3"), .double(5), .string("WEB"), .null, .date(101)],
    ]
    let columns = orderSchema.fields.enumerated().map { i, f in Column(f.type, rows.map { $0[i] }) }
    return RecordBatch(schema: orderSchema, columns: columns)
}

private func feature(_ out: RecordBatch, _ name: String, key: Value) -> Value? {
    guard let col = out.column(named: name) else { return nil }
    return (0..<out.rowCount).first { out.columns[0][$0] == key }.map { col[$0] }
}

@Suite("Feature plans")
struct FeaturePlanTests {
    @Test("the original offline features use the period as a row mask, one pass for all periods")
    func originalOfflineFeaturesWithPeriods() throws {
        let plan = try FeaturePlan(definitions: FeatureDefinition.originalOffline, schema: orderSchema, groupBy: "customer_id")
        #expect(plan.periods == [.days(3), .days(1)])
        let batch = orders()
        let days = try #require(batch.column(named: "order_day")?.int32s)
        // end date = day 101: 3 days = days 99...101, 1 day = day 101.
        let masks = [Validity(days.map { $0 >= 99 && $0 <= 101 }), Validity(days.map { $0 == 101 })]
        var table = plan.makeAggregator()
        plan.update(&table, batch: batch, periodMasks: masks)
        let out = plan.finish(table)
        #expect(out.schema.names == ["customer_id", "total-amount-3d", "total-avg-3d", "total-amount-1d"])
        #expect(feature(out, "total-amount-3d", key: .string("c1")) == .double(70))
        #expect(feature(out, "total-avg-3d", key: .string("c1")) == .double(35))  // not dragged towards 0 by o4
        #expect(feature(out, "total-amount-1d", key: .string("c1")) == .double(60))
        #expect(feature(out, "total-amount-1d", key: .string("c2")) == .null)      // only a NULL amount that day
        #expect(feature(out, "total-amount-3d", key: .null) == .double(5))
    }

    @Test("custom expressions: FILTER, CASE, DISTINCT, post-aggregation arithmetic")
    func customExpressions() throws {
        let defs = try DefinitionsFile.parse("""
        [{"featureName": "ios-avg", "expression": "AVG(order_total_amount) FILTER (WHERE origin_platform = 'IOS')"},
         {"featureName": "big", "expression": "SUM(CASE WHEN order_total_amount > 50 THEN order_total_amount ELSE 0 END)"},
         {"featureName": "merchants", "expression": "COUNT(DISTINCT merchant_id)"},
         {"featureName": "many-items", "expression": "SUM(CASE WHEN json_array_length(items) > 2 THEN 1 ELSE 0 END)"},
         {"featureName": "share-ios", "expression": "count_if(origin_platform = 'IOS') / COUNT(*)"},
         {"featureName": "n", "field": "order_id", "operation": "count"}]
        """, file: "inline.json")
        let plan = try FeaturePlan(definitions: defs, schema: orderSchema, groupBy: "customer_id")
        var table = plan.makeAggregator()
        plan.update(&table, batch: orders())
        let out = plan.finish(table)
        #expect(feature(out, "ios-avg", key: .string("c1")) == .double(55))
        #expect(feature(out, "big", key: .string("c1")) == .double(160))
        #expect(feature(out, "merchants", key: .string("c1")) == .int64(2))
        #expect(feature(out, "merchants", key: .string("c2")) == .int64(1))
        #expect(feature(out, "many-items", key: .string("c2")) == .int64(1))
        #expect(feature(out, "share-ios", key: .string("c1")) == .double(2.0 / 3.0))
        #expect(feature(out, "n", key: .string("c2")) == .int64(2))
    }

    @Test("identical aggregate calls over the same period share one state")
    func identicalCallsAreDeduplicated() throws {
        let defs: [FeatureDefinition] = [
            .custom(AggCustomAction(featureName: "a", expression: "SUM(order_total_amount)")),
            .aggregate(AggAction(featureName: "b", field: "order_total_amount", operation: .sum)),
            .custom(AggCustomAction(featureName: "c", expression: "SUM(order_total_amount) / COUNT(*)")),
            .custom(AggCustomAction(featureName: "d", expression: "SUM(order_total_amount)", period: .days(1))),
        ]
        let plan = try FeaturePlan(definitions: defs, schema: orderSchema, groupBy: "customer_id")
        #expect(plan.aggregates.count == 3)  // sum, count(*), sum over 1 day
        #expect(plan.features.map(\.aggregateIndices) == [[0], [0], [0, 1], [2]])
    }

    @Test("the original online features compile and give COUNT as bigint, the rest double")
    func originalOnlineFeatures() throws {
        let plan = try FeaturePlan(definitions: FeatureDefinition.originalOnline, schema: orderSchema, groupBy: "customer_id")
        #expect(plan.outputSchema.fields.map(\.type) == [.string, .int64, .double, .double, .double, .double, .double])
        var table = plan.makeAggregator()
        plan.update(&table, batch: orders())
        let out = plan.finish(table)
        #expect(feature(out, "total-amount-min-1h", key: .string("c1")) == .double(10))
        #expect(feature(out, "total-amount-max-1h", key: .string("c1")) == .double(100))
        #expect(feature(out, "customer-count-1h", key: .string("c2")) == .int64(2))
    }

    @Test("errors name the feature and keep the expression's caret")
    func errorsNameTheFeature() {
        #expect(throws: FeaturePlanError.self) {
            try FeaturePlan(definitions: [.custom(AggCustomAction(featureName: "bad", expression: "SUM(order_totl_amount)"))],
                            schema: orderSchema, groupBy: "customer_id")
        }
        do {
            _ = try FeaturePlan(definitions: [.aggregate(AggAction(featureName: "x", field: "nope", operation: .sum))],
                                schema: orderSchema, groupBy: "customer_id")
            Issue.record("accepted an unknown field")
        } catch {
            #expect(error.description.hasPrefix("feature \"x\": "))
            #expect(error.description.contains("nope"))
            #expect(error.exitStatus == .usage)
        }
        #expect(throws: FeaturePlanError.self) {
            try FeaturePlan(definitions: FeatureDefinition.originalOffline, schema: orderSchema, groupBy: "customer")
        }
    }

    @Test("every committed jobs/*.json compiles against the orders schema")
    func committedDefinitionsCompile() throws {
        let dir = repositoryRoot() + "/jobs"
        for f in try FileSystem.listDirectory(dir) where f.hasSuffix(".json") {
            let defs = try DefinitionsFile.load(dir + "/" + f)
            let plan = try FeaturePlan(definitions: defs, schema: orderSchema, groupBy: "customer_id")
            var table = plan.makeAggregator()
            plan.update(&table, batch: orders(), periodMasks: plan.periods.map { _ in Validity(repeating: true, count: 6) })
            let out = plan.finish(table)
            #expect(out.schema.count == defs.count + 1, "\(f)")
            #expect(out.rowCount == 3, "\(f)")
        }
    }

    @Test("featureColumns are finish's columns after the key, for the online runs that gather keys themselves")
    func featureColumnsAreFinishWithoutTheKey() throws {
        let plan = try FeaturePlan(definitions: FeatureDefinition.originalOnline, schema: orderSchema, groupBy: "customer_id")
        var table = plan.makeAggregator()
        plan.update(&table, batch: orders())
        let (keys, results) = table.finish()
        let full = plan.finish(keys: keys, results: results)
        let features = plan.featureColumns(groupCount: keys.count, results: results)
        #expect(features.count == full.columns.count - 1)
        for (c, column) in features.enumerated() {
            let expected = full.columns[c + 1]
            #expect(column.count == expected.count)
            #expect((0..<column.count).map { "\(column[$0])" } == (0..<expected.count).map { "\(expected[$0])" }, "feature \(c)")
        }
    }

    @Test("an empty batch gives an empty feature table with the full schema")
    func emptyBatchGivesEmptyTable() throws {
        let plan = try FeaturePlan(definitions: FeatureDefinition.originalOnline, schema: orderSchema, groupBy: "customer_id")
        var table = plan.makeAggregator()
        plan.update(&table, batch: RecordBatch.empty(orderSchema))
        let out = plan.finish(table)
        #expect(out.rowCount == 0)
        #expect(out.schema.count == 7)
    }
}
