import FSCore
import Foundation
import Testing
@testable import FSJobs

/// fs-agg-offline against PySpark on the same seeded input (scripts/golden/offline_goldens.py):
/// 48 features — every operation, periods, customs with FILTER / CASE / DISTINCT — over a date
/// range and a date-time range; doubles to 1e-9 relative.
@Suite struct OfflineDifferentialTests {
    @Test(arguments: ["dates", "datetimes"], [1, 3])
    func everyFeatureEqualsPySparksResult(caseName: String, threads: Int) throws {
        let expected = try OfflineFixture.lines("expected-\(caseName).jsonl")
        let header = try #require(expected.first)
        let start = try #require(header["start"]?.stringValue), end = try #require(header["end"]?.stringValue)
        let dir = try OfflineFixture.temporaryDirectory()
        defer { try? FileSystem.removeTree(dir) }
        let input = try OfflineFixture.makeInput(try OfflineFixture.ordersBatch(), in: dir)
        let summary = try OfflineFixture.run([
            "dev", "--master-mode", "local[\(threads)]", "--input-table", input, "--output-table", dir + "/out",
            "--agg-field", "customer_id", "--time-field", "order_created_at", "--start-date", start, "--end-date", end,
            "--aggregations", OfflineFixture.directory + "/definitions.json",
        ])
        #expect(summary.features == 48)
        let range = try OfflineRange(start: start, end: end)
        let d = range.outputDay
        let out = try OfflineFixture.output(dir + "/out", year: d.year, month: d.month, day: d.day)
        let rows = Array(expected.dropFirst())
        #expect(out.rowCount == rows.count)
        guard out.rowCount == rows.count else { return }
        var mismatches: [String] = []
        for (i, want) in rows.enumerated() {
            guard case .object(let pairs) = want else { continue }
            for (name, value) in pairs {
                guard let col = out.column(named: name) else { mismatches.append("missing column \(name)"); continue }
                if !Self.matches(col[i], value) { mismatches.append("row \(i) key \(want["customer_id"] ?? .null) \(name): fs \(col[i]) spark \(value)") }
            }
        }
        #expect(mismatches.isEmpty, "\(mismatches.prefix(20).joined(separator: "\n"))")
    }

    /// Equality with 1e-9 relative tolerance for doubles; NaN and infinities written as strings.
    static func matches(_ got: Value, _ want: JSONValue) -> Bool {
        switch (got, want) {
        case (.null, .null): return true
        case (.double(let g), .string(let s)):
            switch s {
            case "NaN": return g.isNaN
            case "Infinity": return g == .infinity
            case "-Infinity": return g == -.infinity
            default: return false
            }
        case (.double(let g), _):
            guard let w = want.doubleValue else { return false }
            return g == w || abs(g - w) <= 1e-9 * max(abs(g), abs(w))
        case (.int64(let g), _): return want.int64Value == g
        case (.int32(let g), _): return want.int64Value == Int64(g)
        case (.string(let g), .string(let w)): return g == w
        case (.boolean(let g), .bool(let w)): return g == w
        default: return false
        }
    }
}
