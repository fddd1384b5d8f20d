import FSCore
import FSExpr

#if canImport(Glibc)
import Glibc
#elseif canImport(Darwin)
import Darwin
#endif

/// Issue 3's filter+arithmetic figure: `CASE WHEN order_total_amount > 50 THEN
/// order_total_amount ELSE 0 END` over `rows` in-memory doubles, in batches of `batchRows`.
///
/// `fs` parses and binds the expression once (untimed, as a job does at startup), then times
/// `Evaluator.evaluate` on every batch; `hand` times a hand-written loop writing the same output
/// arrays. Each output batch is consumed inside the timed loop, by the same code on both sides,
/// as an aggregation would consume it (and then dropped, so its memory is reused rather than
/// faulted in anew): the checksum — the sum of every output value in row order, plus the count
/// of rows that took the THEN branch — lets the harness require the two outputs to be equal.
struct ExprEvalWorkload {
    var implementation: BenchImplementation
    var rows: Int
    var batchRows: Int
    var seed: UInt64

    static let expression = "CASE WHEN order_total_amount > 50 THEN order_total_amount ELSE 0 END"

    func run() throws -> JSONValue {
        let batches = Self.amountBatches(rows: rows, batchRows: batchRows, seed: seed)
        var checksum = Checksum()
        let seconds: Double
        switch implementation {
        case .fs:
            let schema = Schema([Field("order_total_amount", .double)])
            let bound = try Binder(schema: schema).bind(Self.expression)
            let context = EvaluationContext(nowMicros: 0)
            let columns = batches.map { [Column(type: .double, values: .double($0))] }
            let watch = Stopwatch()
            for (i, c) in columns.enumerated() {
                let out = Evaluator.evaluate(bound, columns: c, rowCount: batches[i].count, context: context)
                guard out.validity == nil, let values = out.doubles else {
                    throw BenchDataError(description: "expr-eval: the result is \(out.type) with nulls=\(out.hasNulls), expected non-null doubles")
                }
                checksum.add(values)
            }
            seconds = watch.seconds
        case .hand:
            let watch = Stopwatch()
            for amounts in batches {
                checksum.add(Self.handKernel(amounts))
            }
            seconds = watch.seconds
        }
        return .object([
            ("seconds", .double(seconds)),
            ("rows", .int(Int64(rows))),
            ("batch_rows", .int(Int64(batchRows))),
            ("rows_per_s", .double(seconds > 0 ? Double(rows) / seconds : 0)),
            ("checksum", .double(checksum.sum)),
            ("then_rows", .int(Int64(checksum.nonZero))),
        ])
    }

    /// The consumer of every output batch: the sum of its values and how many are not zero.
    struct Checksum {
        var sum = 0.0
        var nonZero = 0

        @inline(never)
        mutating func add(_ values: [Double]) {
            var s = sum, n = nonZero
            values.withUnsafeBufferPointer { p in
                for x in p {
                    s += x
                    n += x != 0 ? 1 : 0
                }
            }
            sum = s
            nonZero = n
        }
    }

    /// The hand-written bar: one pass, no nulls to consider (the input has none).
    @inline(never)
    static func handKernel(_ amounts: [Double]) -> [Double] {
        [Double](unsafeUninitializedCapacity: amounts.count) { out, initialized in
            amounts.withUnsafeBufferPointer { a in
                for i in 0..<a.count {
                    let x = a[i]
                    out[i] = x > 50 ? x : 0
                }
            }
            initialized = amounts.count
        }
    }

    /// Order-like amounts (seeded): 15 plus an exponential tail with mean 35, in cents, capped
    /// at 2000 — about 37% of the rows exceed 50, so the CASE takes both branches throughout.
    static func amountBatches(rows: Int, batchRows: Int, seed: UInt64) -> [[Double]] {
        var rng = SplitMix64(seed: seed)
        var batches: [[Double]] = []
        var start = 0
        while start < rows {
            let n = Swift.min(batchRows, rows - start)
            var batch = [Double](repeating: 0, count: n)
            for i in 0..<n {
                let u = (Double(rng.next() >> 11) + 0.5) / 9_007_199_254_740_992.0  // (0, 1)
                let amount = 15 + 35 * -log(u)
                batch[i] = (Swift.min(amount, 2000) * 100).rounded() / 100
            }
            batches.append(batch)
            start += n
        }
        return batches
    }
}
