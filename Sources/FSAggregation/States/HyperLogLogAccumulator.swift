import FSCore

/// `approx_count_distinct(x[, rsd])`: HyperLogLog++ exactly as Spark computes it.
///
/// Same hash (XXH64, seed 42, over Spark's binary form of the value), same precision
/// (p = ceil(2·log2(1.106 / rsd)), 9 for the default rsd 0.05, i.e. 512 registers), same
/// estimator (linear counting while it is below Spark's threshold or the raw estimate is
/// ≤ 2.5·m, else the raw estimate minus the empirical bias interpolated from Spark's own tables,
/// `HyperLogLogBiasTables`). So the
/// estimate equals Spark's for the same multiset of values, and the error bound is Spark's:
/// relative standard deviation `rsd`. Registers are one byte each, `m` per group in one
/// contiguous array; merge is a register-wise max (exact, order-free).
public struct HyperLogLogAccumulator: Accumulator {
    public let spec: AggregateSpec
    /// Precision: 2^p registers per group.
    public let precision: Int
    /// `groupCount * (1 << precision)` registers, group g at `g << precision`.
    public private(set) var registers: [UInt8] = []

    public init(_ spec: AggregateSpec) throws(AggregateError) {
        self.spec = spec
        precision = try spec.hyperLogLogPrecision()
    }

    private var m: Int { 1 << precision }
    public var groupCount: Int { registers.count >> precision }

    public mutating func resize(groupCount n: Int) {
        if n > groupCount { registers.append(contentsOf: repeatElement(0, count: (n - groupCount) << precision)) }
    }

    public mutating func update(_ arguments: [Column], groups: UnsafeBufferPointer<UInt32>, selection: Validity?, firstRowStamp: Int64) {
        let col = arguments[0]
        let sel = effectiveSelection(selection, arguments)
        let p = precision
        registers.withUnsafeMutableBufferPointer { regs in
            @inline(__always) func add(_ g: Int, _ hash: UInt64) {
                let idx = Int(hash >> UInt64(64 - p))
                let w = (hash << UInt64(p)) | (1 << UInt64(p - 1))
                let pw = UInt8(w.leadingZeroBitCount + 1)
                let at = g << p + idx
                if pw > regs[at] { regs[at] = pw }
            }
            switch col.values {
            case .int32(let v): forEachSelectedRow(count: groups.count, sel) { i in add(Int(groups[i]), XXH64.hash(int32: v[i])) }
            case .int64(let v): forEachSelectedRow(count: groups.count, sel) { i in add(Int(groups[i]), XXH64.hash(int64: v[i])) }
            case .double(let v): forEachSelectedRow(count: groups.count, sel) { i in add(Int(groups[i]), XXH64.hash(double: v[i])) }
            case .boolean(let v): forEachSelectedRow(count: groups.count, sel) { i in add(Int(groups[i]), XXH64.hash(int32: v[i] ? 1 : 0)) }
            case .string(let s):
                s.bytes.withUnsafeBufferPointer { bytes in
                    s.offsets.withUnsafeBufferPointer { off in
                        forEachSelectedRow(count: groups.count, sel) { i in
                            let b = UnsafeBufferPointer(rebasing: bytes[off[i]..<off[i + 1]])
                            add(Int(groups[i]), XXH64.hash(bytes: b))
                        }
                    }
                }
            }
        }
    }

    public mutating func merge(_ other: HyperLogLogAccumulator, groupMap: UnsafeBufferPointer<UInt32>) {
        let m = self.m
        for g in 0..<other.groupCount {
            let t = Int(groupMap[g]) << precision, o = g << precision
            for k in 0..<m where other.registers[o + k] > registers[t + k] { registers[t + k] = other.registers[o + k] }
        }
    }

    /// Spark's `HyperLogLogPlusPlusHelper.query` for group g.
    public func estimate(group g: Int) -> Int64 {
        let m = self.m, p = precision
        let mD = Double(m)
        var zInverse = 0.0, zeros = 0.0
        for k in 0..<m {
            let r = registers[g << p + k]
            zInverse += 1.0 / Double(UInt64(1) << UInt64(r & 63))
            if r == 0 { zeros += 1 }
        }
        let alphaM2: Double
        switch p {
        case 4: alphaM2 = 0.673 * mD * mD
        case 5: alphaM2 = 0.697 * mD * mD
        case 6: alphaM2 = 0.709 * mD * mD
        default: alphaM2 = (0.7213 / (1.0 + 1.079 / mD)) * mD * mD
        }
        let e = alphaM2 / zInverse
        // Linear counting while registers are still empty and either the estimate is under the
        // empirical threshold or the raw estimate is small (e ≤ 2.5·m); otherwise the raw
        // estimate, bias-corrected below 5·m.
        let corrected = (p < 19 && e < 5.0 * mD) ? e - estimateBias(e) : e
        var estimate = corrected
        if zeros > 0 {
            let h = mD * log(mD / zeros)
            if (p < 19 && h <= HyperLogLogBiasTables.thresholds[p - 4]) || e <= 2.5 * mD { estimate = h }
        }
        return Int64((estimate + 0.5).rounded(.down))  // Math.round
    }

    /// Mean bias of the K = 6 raw estimates nearest to `e` (Spark's `estimateBias`).
    private func estimateBias(_ e: Double) -> Double {
        let estimates = HyperLogLogBiasTables.rawEstimates[precision - 4]
        let biases = HyperLogLogBiasTables.biases[precision - 4]
        let count = estimates.count
        // Java's Arrays.binarySearch insertion point (first index with estimates[i] >= e).
        var lo = 0, hi = count
        while lo < hi {
            let mid = (lo + hi) >> 1
            if estimates[mid] < e { lo = mid + 1 } else { hi = mid }
        }
        let nearest = lo
        var low = Swift.max(nearest - 6 + 1, 0)
        var high = Swift.min(low + 6, count)
        func distance(_ i: Int) -> Double { let d = estimates[i] - e; return d * d }
        while high < count && distance(high) < distance(low) { low += 1; high += 1 }
        var sum = 0.0
        for i in low..<high { sum += biases[i] }
        return sum / Double(high - low)
    }

    public func finalize() -> Column {
        Column(type: .int64, values: .int64((0..<groupCount).map { estimate(group: $0) }))
    }

    public func write(group g: Int, to w: inout StateWriter) {
        w.write(UInt8(precision))
        let o = g << precision
        w.write(bytes: registers[o..<(o + m)])
    }

    public mutating func read(group g: Int, from r: inout StateReader) throws(StateDecodingError) {
        let at = r.offset
        let p = try r.readUInt8()
        guard Int(p) == precision else { throw .invalid(offset: at, reason: "HyperLogLog precision \(p), expected \(precision)") }
        let regs = try r.readBytes()
        guard regs.count == m, regs.allSatisfy({ $0 <= 64 }) else { throw .invalid(offset: at, reason: "bad HyperLogLog registers") }
        registers.replaceSubrange((g << precision)..<((g << precision) + m), with: regs)
    }
}

#if canImport(Glibc)
import Glibc
#elseif canImport(Darwin)
import Darwin
#endif
