import FSCore
import Testing
@testable import FSAggregation

/// Loaded once: input batch and golden cases.
private let goldenInput: RecordBatch? = try? Goldens.inputBatch()
private let goldenCases: [AggregateGolden] = (try? AggregateGolden.parseAll(Goldens.text("aggregates.txt"))) ?? []

/// Compares one fs result with Spark's text. Doubles within 1e-9 relative (Spark and fs may
/// sum in different orders after merges); everything else exactly — including
/// `approx_count_distinct` (same hash, registers and bias tables as Spark) and
/// `percentile_approx` (same Greenwald–Khanna steps as Spark).
func matchesSpark(_ v: Value, _ expected: String) -> Bool {
    if expected == "NULL" { return v.isNull }
    switch v {
    case .double(let d):
        guard let e = Goldens.parseDouble(expected) else { return false }
        return resultsMatch(.double(d), .double(e), relative: 1e-9)
    case .string(let s):
        return (try? JSONValue.parse(expected))?.stringValue == s
    case .null: return false
    default: return v.description == expected
    }
}

@Suite("Aggregates match PySpark")
struct AggregateGoldenTests {
    @Test("the goldens are present and cover every aggregate kind")
    func goldensCoverEveryKind() throws {
        #expect(goldenInput != nil)
        #expect(goldenCases.count >= 120)
        let kinds = Set(goldenCases.map(\.kind))
        for k in AggregateKind.allCases { #expect(kinds.contains(k), "no golden for \(k)") }
        if Goldens.isRecording { Issue.record(Comment(rawValue: Goldens.record(script: "scripts/golden/agg_goldens.py"))) }
    }

    @Test("global, empty and grouped results equal Spark's", arguments: goldenCases)
    func resultsEqualSpark(_ g: AggregateGolden) throws {
        let batch = try #require(goldenInput)
        let types = try g.argumentNames.map { name in try #require(batch.schema.field(named: name)).type }
        let spec = AggregateSpec(g.kind, types, isDistinct: g.isDistinct, ignoreNulls: g.ignoreNulls, parameters: g.parameters)
        #expect(try spec.resultType().sparkSimpleName == g.sparkType, "result type of \(g.sql)")
        let args = try g.argumentNames.map { try #require(batch.column(named: $0)) }
        let selection = try g.filterColumn.map { name -> Validity in
            let c = try #require(batch.column(named: name))
            let b = try #require(c.booleans)
            return Validity((0..<c.count).map { !c.isNull($0) && b[$0] })
        }

        var global = try makeAccumulator(spec)
        global.update(args, rowCount: batch.rowCount, selection: selection)
        var empty = try makeAccumulator(spec)
        empty.resize(groupCount: 1)

        var grouped = try GroupedAggregator(keyType: .string, specs: [spec])
        // Two batches, to exercise state carried across batches with continuing row stamps.
        let half = batch.rowCount / 2
        for range in [0..<half, half..<batch.rowCount] {
            let rows = Array(range)
            grouped.update(keys: try #require(batch.column(named: "k")).gather(rows),
                           arguments: [args.map { $0.gather(rows) }],
                           selections: [selection.map { s in Validity(rows.map { s.isValid($0) }) }])
        }
        let (keys, results) = grouped.finish()
        var actual: [String: Value] = ["*": global.finalizeValue(), "(empty)": empty.finalizeValue()]
        for gi in 0..<keys.count {
            let key: String
            if case .string(let s) = keys[gi] {
                var out = ""
                JSONValue.writeString(s, to: &out)
                key = "k=" + out
            } else {
                key = "k=NULL"
            }
            actual[key] = results[0][gi]
        }
        for (key, expected) in g.expected {
            let got = actual[key] ?? .null
            #expect(matchesSpark(got, expected), "\(g.sql) [\(key)]: fs \(got), Spark \(expected)")
        }
    }

    @Test("XXH64 equals Spark's xxhash64 on every input value")
    func xxhashEqualsSpark() throws {
        let batch = try #require(goldenInput)
        var checked = 0
        for line in try Goldens.text("xxhash64.txt").split(separator: "\n") where !line.hasPrefix("#") {
            let parts = line.split(separator: "\t")
            guard parts.count == 3, let row = Int(parts[1]), let expected = Int64(parts[2]) else { continue }
            let col = try #require(batch.column(named: String(parts[0])))
            let hash: UInt64
            switch col[row] {
            case .int32(let v), .date(let v): hash = XXH64.hash(int32: v)
            case .int64(let v), .timestamp(let v): hash = XXH64.hash(int64: v)
            case .double(let v): hash = XXH64.hash(double: v)
            case .boolean(let b): hash = XXH64.hash(int32: b ? 1 : 0)
            case .string(let s): hash = XXH64.hash(Array(s.utf8))
            case .null: continue
            }
            #expect(Int64(bitPattern: hash) == expected, "\(parts[0])[\(row)] = \(col[row])")
            checked += 1
        }
        #expect(checked > 500)
    }
}

@Suite("Feature plans match PySpark")
struct FeaturePlanGoldenTests {
    @Test("the Spark SQL of every golden, compiled by FeaturePlan, gives Spark's grouped results", arguments: goldenCases)
    func planResultsEqualSpark(_ g: AggregateGolden) throws {
        let batch = try #require(goldenInput)
        let plan = try FeaturePlan(definitions: [.custom(AggCustomAction(featureName: "r", expression: g.sql))],
                                   schema: batch.schema, groupBy: "k")
        #expect(plan.outputSchema.fields[1].type.sparkSimpleName == g.sparkType, "type of \(g.sql)")
        // Two per-thread tables over alternating row blocks, merged, as the offline job does.
        var tables = [plan.makeAggregator(), plan.makeAggregator()]
        let block = 100
        var start = 0
        while start < batch.rowCount {
            let rows = Array(start..<Swift.min(start + block, batch.rowCount))
            plan.update(&tables[(start / block) % 2], batch: batch.gather(rows), firstRowStamp: Int64(start))
            start += block
        }
        var merged = tables[0]
        merged.merge(tables[1])
        let out = plan.finish(merged)
        var actual: [String: Value] = [:]
        for r in 0..<out.rowCount {
            var key = "k=NULL"
            if case .string(let s) = out.columns[0][r] {
                var text = ""
                JSONValue.writeString(s, to: &text)
                key = "k=" + text
            }
            actual[key] = out.columns[1][r]
        }
        for (key, expected) in g.expected where key.hasPrefix("k=") {
            let got = actual[key] ?? .null
            if g.kind == .percentileApprox, !matchesSpark(got, expected) {
                // Merging two GK summaries is approximate (Spark's own merge too): the answer must
                // stay within the rank bound ε·n per merged part of the exact quantile.
                let accuracy = g.parameters.count > 1 ? (g.parameters[1].asDouble ?? 10_000) : 10_000
                let rows = (0..<batch.rowCount).filter { r in
                    let k = batch.columns[0][r]
                    if case .string(let s) = k { var t = ""; JSONValue.writeString(s, to: &t); return "k=" + t == key }
                    return key == "k=NULL"
                }
                let values = try #require(batch.column(named: g.argumentNames[0])).gather(rows)
                let n = Double(values.count - values.nullCount)
                #expect(withinRankBound(got, values, quantile: g.parameters[0].asDouble ?? 0, ranks: 2 * n / accuracy + 1),
                        "\(g.sql) [\(key)]: fs \(got) outside the rank bound (Spark \(expected))")
                continue
            }
            #expect(matchesSpark(got, expected), "\(g.sql) [\(key)]: fs \(got), Spark \(expected)")
        }
    }
}
