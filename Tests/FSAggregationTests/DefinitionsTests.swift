import FSCore
import Testing
@testable import FSAggregation

@Suite("Definitions files")
struct DefinitionsTests {
    @Test("an action and a custom expression parse with their periods")
    func actionAndCustomParse() throws {
        let defs = try DefinitionsFile.parse("""
        [{"featureName": "total-amount-3d", "period": "3 days", "field": "order_total_amount", "operation": "SUM"},
         {"featureName": "n-merchants", "expression": "COUNT(DISTINCT merchant_id)", "period": "12 hours"},
         {"featureName": "uniq", "field": "merchant_id", "operation": "Count_Distinct"}]
        """, file: "jobs/x.json")
        #expect(defs.count == 3)
        #expect(defs[0] == .aggregate(AggAction(featureName: "total-amount-3d", period: .days(3), field: "order_total_amount", operation: .sum)))
        #expect(defs[1] == .custom(AggCustomAction(featureName: "n-merchants", expression: "COUNT(DISTINCT merchant_id)", period: Period(micros: 12 * 3_600_000_000))))
        #expect(defs[2] == .aggregate(AggAction(featureName: "uniq", field: "merchant_id", operation: .count, isDistinct: true)))
    }

    @Test("every original operation name and every aggregate name is accepted, case-insensitively",
          arguments: ["SUM", "MIN", "MAX", "MEAN", "AVG", "COUNT", "count_distinct", "approx_count_distinct", "stddev",
                      "variance", "first", "last", "Stddev_Pop", "var_pop", "skewness", "kurtosis", "bool_and", "count_if"])
    func operationNamesAreAccepted(_ op: String) throws {
        let defs = try DefinitionsFile.parse(#"[{"featureName": "f", "field": "x", "operation": "\#(op)"}]"#, file: "f.json")
        #expect(defs.count == 1)
    }

    @Test("periods use Spark duration words", arguments: [
        ("3 days", Int64(3 * 86_400_000_000)), ("1 day", 86_400_000_000), ("12 hours", 43_200_000_000),
        ("1 week", 604_800_000_000), ("30 minutes", 1_800_000_000), ("2d", 172_800_000_000),
    ])
    func periodsParse(_ text: String, _ micros: Int64) {
        #expect(Period(parsing: text)?.micros == micros)
    }

    @Test("36 hours is one whole day, as the original's toDays")
    func periodTruncatesToWholeDays() {
        #expect(Period(parsing: "36 hours")?.wholeDays == 1)
        #expect(Period(parsing: "3 days")?.description == "3 days")
    }

    @Test("bad definitions name the file, the feature and the problem", arguments: [
        (#"{"a": 1}"#, "jobs/bad.json: expected a JSON array of feature definitions"),
        (#"[]"#, "jobs/bad.json: no feature definitions"),
        (#"[{"field": "x", "operation": "sum"}]"#, "jobs/bad.json: feature #1: missing \"featureName\""),
        (#"[{"featureName": "a", "operation": "sum"}]"#, "jobs/bad.json: feature #1 \"a\": missing \"field\" (or give an \"expression\")"),
        (#"[{"featureName": "a", "field": "x"}]"#, "jobs/bad.json: feature #1 \"a\": missing \"operation\""),
        (#"[{"featureName": "a", "field": "x", "operation": "sun"}]"#, "jobs/bad.json: feature #1 \"a\": unknown operation \"sun\" (did you mean sum?)"),
        (#"[{"featureName": "a", "field": "x", "operation": "sum"}, {"featureName": "a", "field": "y", "operation": "max"}]"#,
         "jobs/bad.json: feature #2 \"a\": duplicate featureName (first defined by feature #1)"),
        (#"[{"featureName": "a", "field": "x", "operation": "sum", "period": "3 parsecs"}]"#,
         "jobs/bad.json: feature #1 \"a\": bad period \"3 parsecs\": expected a positive count and a unit (\"3 days\", \"12 hours\", \"1 week\")"),
        (#"[{"featureName": "a", "field": "x", "operation": "sum", "peroid": "3 days"}]"#,
         "jobs/bad.json: feature #1 \"a\": unknown key \"peroid\" (did you mean \"period\"?)"),
        (#"[{"featureName": "a", "expression": "SUM(x)", "operation": "sum"}]"#,
         "jobs/bad.json: feature #1 \"a\": \"operation\" cannot be combined with \"expression\"; write the aggregate in the expression"),
        (#"[{"featureName": "a", "field": "x", "operation": "corr"}]"#,
         "jobs/bad.json: feature #1 \"a\": operation \"corr\" needs more than one field or a parameter; write it as an \"expression\""),
        (#"[{"featureName": "a", "field": "x", "operation": "sum", "period": "0 days"}]"#,
         "jobs/bad.json: feature #1 \"a\": bad period \"0 days\": expected a positive count and a unit (\"3 days\", \"12 hours\", \"1 week\")"),
        ("[{\"featureName\": ", "jobs/bad.json: invalid JSON at byte 17: unexpected end of input"),
    ])
    func badDefinitionsAreExplained(_ text: String, _ message: String) {
        do {
            _ = try DefinitionsFile.parse(text, file: "jobs/bad.json")
            Issue.record("accepted \(text)")
        } catch {
            #expect(error.description == message)
            #expect(error.exitStatus == .usage)
        }
    }

    @Test("the original feature sets are the defaults")
    func originalFeatureSets() {
        #expect(FeatureDefinition.originalOffline.map(\.featureName) == ["total-amount-3d", "total-avg-3d", "total-amount-1d"])
        #expect(FeatureDefinition.originalOnline.map(\.featureName) == [
            "customer-count-1h", "total-amount-sum-1h", "total-amount-mean-1h", "total-amount-min-1h",
            "total-amount-max-1h", "total-amount-avg-1h",
        ])
    }

    @Test("the committed example definition files load")
    func committedExamplesLoad() throws {
        let root = repositoryRoot()
        let files = try FileSystem.listDirectory(root + "/jobs").filter { $0.hasSuffix(".json") }
        #expect(!files.isEmpty)
        for f in files {
            let defs = try DefinitionsFile.load(root + "/jobs/" + f)
            #expect(defs.count >= 3, "\(f)")
        }
    }
}
