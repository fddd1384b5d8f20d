import FSCore
import FSExpr

/// The grouped-aggregation workload, callable from `fs-bench`:
/// `SUM(CASE WHEN order_total_amount > 50 THEN order_total_amount ELSE 0 END)` grouped by an
/// int64 key, run three ways over the same in-memory arrays:
///
/// - `plan`: the real path — `FeaturePlan` (binder, vectorized evaluator, `GroupKeyTable`,
///   `SumDoubleAccumulator`) over batches of `batchRows` rows;
/// - `handOpenAddressing`: a hand-written loop with its own linear-probing table (key → group
///   id) adding into a `[Double]` — the bar the issue sets ("within 2×");
/// - `handDictionary`: the same loop with a Swift `Dictionary<Int64, Int>` for the ids.
///
/// Each returns its wall time and a checksum (sum of all group sums) so the caller can verify
/// the three agree.
public enum GroupedAggregationBenchmark {
    public struct Measurement: Sendable, CustomStringConvertible {
        public var name: String
        public var seconds: Double
        public var groups: Int
        public var checksum: Double
        public var description: String { "\(name): \(seconds) s, \(groups) groups, checksum \(checksum)" }
    }

    /// The expression under test.
    public static let expression = "SUM(CASE WHEN order_total_amount > 50 THEN order_total_amount ELSE 0 END)"

    /// Deterministic input: `rows` amounts in [0, 100) and keys drawn from `distinctKeys` values.
    public static func generate(rows: Int, distinctKeys: Int, seed: UInt64 = 42) -> (keys: [Int64], amounts: [Double]) {
        var rng = SplitMix64(seed: seed)
        func next() -> UInt64 { rng.next() }
        var keys = [Int64](repeating: 0, count: rows)
        var amounts = [Double](repeating: 0, count: rows)
        for i in 0..<rows {
            keys[i] = Int64(next() % UInt64(distinctKeys)) &* 7_919 &+ 1_000_003
            amounts[i] = Double(next() % 10_000) / 100
        }
        return (keys, amounts)
    }

    /// Runs the three variants (plan first) and returns their measurements.
    public static func run(keys: [Int64], amounts: [Double], batchRows: Int = 65_536) throws -> [Measurement] {
        [try runPlan(keys: keys, amounts: amounts, batchRows: batchRows),
         runHandOpenAddressing(keys: keys, amounts: amounts),
         runHandDictionary(keys: keys, amounts: amounts)]
    }

    public static func runPlan(keys: [Int64], amounts: [Double], batchRows: Int) throws -> Measurement {
        let schema = Schema([Field("customer_id", .int64), Field("order_total_amount", .double)])
        let plan = try FeaturePlan(definitions: [.custom(AggCustomAction(featureName: "f", expression: expression))],
                                   schema: schema, groupBy: "customer_id")
        // Slicing into batches is input preparation (a scan produces batches), not timed.
        var batches: [RecordBatch] = []
        var start = 0
        while start < keys.count {
            let end = Swift.min(start + batchRows, keys.count)
            batches.append(RecordBatch(schema: schema, columns: [
                Column(type: .int64, values: .int64(Array(keys[start..<end]))),
                Column(type: .double, values: .double(Array(amounts[start..<end]))),
            ]))
            start = end
        }
        let clock = ContinuousClock()
        let t0 = clock.now
        var table = plan.makeAggregator()
        for b in batches { plan.update(&table, batch: b) }
        let out = plan.finish(table)
        let elapsed = clock.now - t0
        let sums = out.columns[1].doubles ?? []
        return Measurement(name: "plan", seconds: seconds(elapsed), groups: out.rowCount, checksum: sums.reduce(0, +))
    }

    public static func runHandOpenAddressing(keys: [Int64], amounts: [Double]) -> Measurement {
        let clock = ContinuousClock()
        let t0 = clock.now
        var cap = 1024
        var slots = [Int32](repeating: -1, count: cap)
        var slotKeys = [Int64](repeating: 0, count: cap)
        var sums: [Double] = []
        var groupKeys: [Int64] = []
        @inline(__always) func mix(_ k: Int64) -> Int {
            var h = UInt64(bitPattern: k) &* 0x9E37_79B9_7F4A_7C15
            h ^= h >> 32
            return Int(truncatingIfNeeded: h)
        }
        for i in 0..<keys.count {
            let k = keys[i]
            var at = mix(k) & (cap - 1)
            var g: Int32 = -1
            while slots[at] >= 0 {
                if slotKeys[at] == k { g = slots[at]; break }
                at = (at + 1) & (cap - 1)
            }
            if g < 0 {
                g = Int32(sums.count)
                sums.append(0)
                groupKeys.append(k)
                slots[at] = g
                slotKeys[at] = k
                if sums.count * 2 > cap {
                    cap *= 2
                    slots = [Int32](repeating: -1, count: cap)
                    slotKeys = [Int64](repeating: 0, count: cap)
                    for (gi, gk) in groupKeys.enumerated() {
                        var a = mix(gk) & (cap - 1)
                        while slots[a] >= 0 { a = (a + 1) & (cap - 1) }
                        slots[a] = Int32(gi)
                        slotKeys[a] = gk
                    }
                }
            }
            let x = amounts[i]
            sums[Int(g)] += x > 50 ? x : 0
        }
        let elapsed = clock.now - t0
        return Measurement(name: "hand, open addressing", seconds: seconds(elapsed), groups: sums.count, checksum: sums.reduce(0, +))
    }

    public static func runHandDictionary(keys: [Int64], amounts: [Double]) -> Measurement {
        let clock = ContinuousClock()
        let t0 = clock.now
        var ids: [Int64: Int] = [:]
        var sums: [Double] = []
        for i in 0..<keys.count {
            let g: Int
            if let found = ids[keys[i]] { g = found } else { g = sums.count; ids[keys[i]] = g; sums.append(0) }
            let x = amounts[i]
            sums[g] += x > 50 ? x : 0
        }
        let elapsed = clock.now - t0
        return Measurement(name: "hand, Dictionary", seconds: seconds(elapsed), groups: sums.count, checksum: sums.reduce(0, +))
    }

    static func seconds(_ d: Duration) -> Double { d.inSeconds }
}
