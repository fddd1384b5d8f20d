import FSCore
import Testing
@testable import FSJobs

/// The offline output's parallel steps give what the serial ones gave: results in task order,
/// and key partitions concatenated and sorted exactly as one table would be.
@Suite struct OfflineOutputOrderTests {
    @Test func parallelMapReturnsEveryResultInIndexOrder() {
        for count in [0, 1, 2, 7, 64] {
            #expect(parallelMap(count: count) { $0 * $0 } == (0..<count).map { $0 * $0 })
        }
    }

    @Test func keyPartitionsSortLikeTheirConcatenation() {
        let schema = Schema([Field("customer_id", .string), Field("orders", .int64), Field("amount", .double)])
        var rng = SystemRandomNumberGenerator()
        func table(_ keys: [String?]) -> RecordBatch {
            var k = ColumnBuilder(type: .string)
            for key in keys { if let key { k.append(key) } else { k.appendNull() } }
            let n = Int64(keys.count)
            return RecordBatch(schema: schema, columns: [
                k.finish(),
                Column(type: .int64, values: .int64((0..<n).map { _ in Int64.random(in: 0..<1000, using: &rng) })),
                Column(type: .double, values: .double((0..<n).map { _ in Double.random(in: -5...5, using: &rng) })),
            ])
        }
        // Ties ("b" twice) and a NULL key: order must be nulls first, bytes, ties in row order.
        let parts = [table(["d", "b", nil, "a\u{e9}", "c"]), table(["b", "aa", "z", "A"]), table([])]
        let sorted = OfflineOutput.sortedByKey(parts, schema: schema)
        let expected = OfflineOutput.sortedByKey(RecordBatch.concatenate(parts, schema: schema))
        #expect(sorted == expected)
        #expect(sorted.rowCount == 9)
    }

    @Test func mergingSortedRunsEqualsAStableSortOfTheirConcatenation() {
        var rng = SplitMix64(seed: 4)
        for runCount in [2, 3, 8] {
            let keys = (0..<runCount).map { r in
                Column(type: .int32, values: .int32((0..<(r * 37 % 50)).map { _ in Int32.random(in: -20...20, using: &rng) }),
                       validity: Validity((0..<(r * 37 % 50)).map { _ in Int.random(in: 0..<10, using: &rng) > 0 }))
            }
            let merged = OfflineOutput.mergedOrder(keys, keys.map { $0.ascendingOrder() })
            #expect(merged == Column.concatenate(keys, type: .int32).ascendingOrder(), "\(runCount) runs")
        }
    }
}
