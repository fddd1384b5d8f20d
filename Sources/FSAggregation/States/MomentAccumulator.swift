import FSCore

/// Central moments of one variable: `stddev_samp`/`stddev`/`std`, `stddev_pop`,
/// `var_samp`/`variance`, `var_pop`, `skewness`, `kurtosis` (excess).
///
/// Same recurrences as Spark's `CentralMomentAgg`: a Welford-style update per value (n, mean,
/// M2, M3, M4) and the Chan/Terriberry pairwise formulas for merge, so a state split across
/// threads or window slices merges to the single-pass result up to rounding. Higher moments are
/// only tracked when the kind needs them. Results (Spark 3+, non-legacy):
/// n = 0 → NULL; `*_samp` with n = 1 → NULL; `skewness`/`kurtosis` with M2 = 0 → NULL.
public struct MomentAccumulator: Accumulator {
    public let spec: AggregateSpec
    public private(set) var n: [Double] = []
    public private(set) var mean: [Double] = []
    public private(set) var m2: [Double] = []
    public private(set) var m3: [Double] = []
    public private(set) var m4: [Double] = []
    /// 2 for variances, 3 for skewness, 4 for kurtosis.
    private let order: Int

    public init(_ spec: AggregateSpec) {
        self.spec = spec
        switch spec.kind {
        case .skewness: order = 3
        case .kurtosis: order = 4
        default: order = 2
        }
    }

    public var groupCount: Int { n.count }

    public mutating func resize(groupCount count: Int) {
        guard count > n.count else { return }
        let add = count - n.count
        n.append(contentsOf: repeatElement(0, count: add))
        mean.append(contentsOf: repeatElement(0, count: add))
        m2.append(contentsOf: repeatElement(0, count: add))
        if order >= 3 { m3.append(contentsOf: repeatElement(0, count: add)) }
        if order >= 4 { m4.append(contentsOf: repeatElement(0, count: add)) }
    }

    public mutating func update(_ arguments: [Column], groups: UnsafeBufferPointer<UInt32>, selection: Validity?, firstRowStamp: Int64) {
        let sel = effectiveSelection(selection, arguments)
        let v = arguments[0].doubleValues()
        let ord = order
        if ord == 2 {
            // Variances and standard deviations, the common case: through raw buffers, since
            // three subscripted arrays of `self` per row each paid a uniqueness check.
            v.withUnsafeBufferPointer { v in
                n.withUnsafeMutableBufferPointer { n in
                    mean.withUnsafeMutableBufferPointer { mean in
                        m2.withUnsafeMutableBufferPointer { m2 in
                            forEachSelectedRow(count: groups.count, sel) { i in
                                let g = Int(groups[i])
                                let newN = n[g] + 1
                                let delta = v[i] - mean[g]
                                let deltaN = delta / newN
                                mean[g] += deltaN
                                m2[g] += delta * (delta - deltaN)
                                n[g] = newN
                            }
                        }
                    }
                }
            }
            return
        }
        forEachSelectedRow(count: groups.count, sel) { i in
            let g = Int(groups[i])
            let newN = n[g] + 1
            let delta = v[i] - mean[g]
            let deltaN = delta / newN
            mean[g] += deltaN
            let newM2 = m2[g] + delta * (delta - deltaN)
            if ord >= 3 {
                let delta2 = delta * delta, deltaN2 = deltaN * deltaN
                let newM3 = m3[g] - 3.0 * deltaN * newM2 + delta * (delta2 - deltaN2)
                if ord >= 4 {
                    m4[g] = m4[g] - 4.0 * deltaN * newM3 - 6.0 * deltaN2 * newM2
                        + delta * (delta * delta2 - deltaN * deltaN2)
                }
                m3[g] = newM3
            }
            m2[g] = newM2
            n[g] = newN
        }
    }

    public mutating func merge(_ other: MomentAccumulator, groupMap: UnsafeBufferPointer<UInt32>) {
        for g in 0..<other.groupCount where other.n[g] > 0 {
            let t = Int(groupMap[g])
            let n1 = n[t], n2 = other.n[g]
            let newN = n1 + n2
            let delta = other.mean[g] - mean[t]
            let deltaN = newN == 0 ? 0 : delta / newN
            let newM2 = m2[t] + other.m2[g] + delta * deltaN * n1 * n2
            if order >= 3 {
                let newM3 = m3[t] + other.m3[g] + deltaN * deltaN * delta * n1 * n2 * (n1 - n2)
                    + 3.0 * deltaN * (n1 * other.m2[g] - n2 * m2[t])
                if order >= 4 {
                    m4[t] = m4[t] + other.m4[g]
                        + deltaN * deltaN * deltaN * delta * n1 * n2 * (n1 * n1 - n1 * n2 + n2 * n2)
                        + 6.0 * deltaN * deltaN * (n1 * n1 * other.m2[g] + n2 * n2 * m2[t])
                        + 4.0 * deltaN * (n1 * other.m3[g] - n2 * m3[t])
                }
                m3[t] = newM3
            }
            mean[t] += deltaN * n2
            m2[t] = newM2
            n[t] = newN
        }
    }

    public func finalize() -> Column {
        let kind = spec.kind
        return makeDoubleColumn(count: groupCount, isNull: { g in
            switch kind {
            case .stddevSamp, .varSamp: return n[g] < 2
            case .skewness, .kurtosis: return n[g] == 0 || m2[g] == 0
            default: return n[g] == 0
            }
        }, value: { g in
            switch kind {
            case .stddevSamp: return (m2[g] / (n[g] - 1)).squareRoot()
            case .stddevPop: return (m2[g] / n[g]).squareRoot()
            case .varSamp: return m2[g] / (n[g] - 1)
            case .varPop: return m2[g] / n[g]
            case .skewness: return n[g].squareRoot() * m3[g] / (m2[g] * m2[g] * m2[g]).squareRoot()
            default: return n[g] * m4[g] / (m2[g] * m2[g]) - 3.0
            }
        })
    }

    public func write(group g: Int, to w: inout StateWriter) {
        w.write(n[g]); w.write(mean[g]); w.write(m2[g])
        if order >= 3 { w.write(m3[g]) }
        if order >= 4 { w.write(m4[g]) }
    }

    public mutating func read(group g: Int, from r: inout StateReader) throws(StateDecodingError) {
        n[g] = try r.readDouble(); mean[g] = try r.readDouble(); m2[g] = try r.readDouble()
        if order >= 3 { m3[g] = try r.readDouble() }
        if order >= 4 { m4[g] = try r.readDouble() }
    }
}

/// Co-moments of two variables: `corr`, `covar_samp`, `covar_pop`, as Spark's
/// `PearsonCorrelation`/`Covariance` (rows where either argument is NULL are skipped).
/// `corr`: n = 0 or 1 → NULL, and NULL when a variable is constant (Spark divides by zero to
/// NULL); `covar_samp`: n < 2 → NULL; `covar_pop`: n = 0 → NULL.
public struct CoMomentAccumulator: Accumulator {
    public let spec: AggregateSpec
    public private(set) var n: [Double] = []
    public private(set) var xMean: [Double] = []
    public private(set) var yMean: [Double] = []
    public private(set) var ck: [Double] = []
    public private(set) var xMk: [Double] = []
    public private(set) var yMk: [Double] = []

    public init(_ spec: AggregateSpec) { self.spec = spec }

    public var groupCount: Int { n.count }

    public mutating func resize(groupCount count: Int) {
        guard count > n.count else { return }
        let add = count - n.count
        for k in [\CoMomentAccumulator.n, \.xMean, \.yMean, \.ck, \.xMk, \.yMk] as [WritableKeyPath<CoMomentAccumulator, [Double]>] {
            self[keyPath: k].append(contentsOf: repeatElement(0, count: add))
        }
    }

    public mutating func update(_ arguments: [Column], groups: UnsafeBufferPointer<UInt32>, selection: Validity?, firstRowStamp: Int64) {
        let sel = effectiveSelection(selection, arguments)
        let xs = arguments[0].doubleValues(), ys = arguments[1].doubleValues()
        forEachSelectedRow(count: groups.count, sel) { i in
            let g = Int(groups[i])
            let x = xs[i], y = ys[i]
            let newN = n[g] + 1
            let dx = x - xMean[g], dxN = dx / newN
            let dy = y - yMean[g], dyN = dy / newN
            let newXMean = xMean[g] + dxN, newYMean = yMean[g] + dyN
            ck[g] += dx * (y - newYMean)
            xMk[g] += dx * (x - newXMean)
            yMk[g] += dy * (y - newYMean)
            xMean[g] = newXMean
            yMean[g] = newYMean
            n[g] = newN
        }
    }

    public mutating func merge(_ other: CoMomentAccumulator, groupMap: UnsafeBufferPointer<UInt32>) {
        for g in 0..<other.groupCount where other.n[g] > 0 {
            let t = Int(groupMap[g])
            let n1 = n[t], n2 = other.n[g], newN = n1 + n2
            let dx = other.xMean[g] - xMean[t], dxN = newN == 0 ? 0 : dx / newN
            let dy = other.yMean[g] - yMean[t], dyN = newN == 0 ? 0 : dy / newN
            ck[t] += other.ck[g] + dx * dyN * n1 * n2
            xMk[t] += other.xMk[g] + dx * dxN * n1 * n2
            yMk[t] += other.yMk[g] + dy * dyN * n1 * n2
            xMean[t] += dxN * n2
            yMean[t] += dyN * n2
            n[t] = newN
        }
    }

    public func finalize() -> Column {
        let kind = spec.kind
        return makeDoubleColumn(count: groupCount, isNull: { g in
            switch kind {
            case .corr:
                if n[g] < 2 { return true }
                let d = (xMk[g] * yMk[g]).squareRoot()
                return d == 0
            case .covarSamp: return n[g] < 2
            default: return n[g] == 0
            }
        }, value: { g in
            switch kind {
            case .corr: return ck[g] / (xMk[g] * yMk[g]).squareRoot()
            case .covarSamp: return ck[g] / (n[g] - 1)
            default: return ck[g] / n[g]
            }
        })
    }

    public func write(group g: Int, to w: inout StateWriter) {
        for v in [n[g], xMean[g], yMean[g], ck[g], xMk[g], yMk[g]] { w.write(v) }
    }

    public mutating func read(group g: Int, from r: inout StateReader) throws(StateDecodingError) {
        n[g] = try r.readDouble(); xMean[g] = try r.readDouble(); yMean[g] = try r.readDouble()
        ck[g] = try r.readDouble(); xMk[g] = try r.readDouble(); yMk[g] = try r.readDouble()
    }
}
