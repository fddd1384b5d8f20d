import FSAggregation
import FSCore

/// Issue 3's grouped-update figure: `SUM(CASE WHEN order_total_amount > 50 THEN
/// order_total_amount ELSE 0 END)` grouped by `keys` distinct int64 keys over `rows` in-memory
/// rows — through `FeaturePlan` (`fs`) or a hand-written open-addressing loop (`hand`), both
/// from `GroupedAggregationBenchmark` on its seeded input.
///
/// Both sides create group ids in first-appearance order and add each group's rows in row
/// order, so their checksums (the sum of the group sums in group order) are bit-for-bit equal
/// when the per-group sums are; the harness requires equality.
struct GroupedAggWorkload {
    var implementation: BenchImplementation
    var rows: Int
    var keys: Int
    var batchRows: Int
    var seed: UInt64

    func run() throws -> JSONValue {
        let input = GroupedAggregationBenchmark.generate(rows: rows, distinctKeys: keys, seed: seed)
        let m: GroupedAggregationBenchmark.Measurement
        switch implementation {
        case .fs: m = try GroupedAggregationBenchmark.runPlan(keys: input.keys, amounts: input.amounts, batchRows: batchRows)
        case .hand: m = GroupedAggregationBenchmark.runHandOpenAddressing(keys: input.keys, amounts: input.amounts)
        }
        return .object([
            ("seconds", .double(m.seconds)),
            ("rows", .int(Int64(rows))),
            ("groups", .int(Int64(m.groups))),
            ("rows_per_s", .double(m.seconds > 0 ? Double(rows) / m.seconds : 0)),
            ("checksum", .double(m.checksum)),
        ])
    }
}
