import FSCore

/// Builds the accumulator that computes `spec`, after validating it.
///
/// DISTINCT: `count`, `sum`, `avg`, the moments, `count_if` and `percentile_approx` go through an
/// exact `DistinctAccumulator`; for `min`, `max`, `bool_and`, `bool_or` and
/// `approx_count_distinct` DISTINCT changes nothing and is dropped; `first`/`last`/`max_by`/
/// `min_by` and the two-variable statistics reject it (their meaning depends on row order or
/// pairs, and Spark's own plans for them are not useful features).
public func makeAccumulator(_ spec: AggregateSpec) throws(AggregateError) -> any Accumulator {
    try spec.validate()
    let k = spec.kind
    if k == .collectSetSize { return DistinctAccumulator(spec) }
    if spec.isDistinct {
        switch k {
        case .min, .max, .boolAnd, .boolOr, .approxCountDistinct:
            var plain = spec
            plain.isDistinct = false
            return try makeAccumulator(plain)
        case .first, .last, .maxBy, .minBy, .corr, .covarSamp, .covarPop, .countStar, .collectListSize:
            throw .badParameter(k, "DISTINCT is not supported")
        default:
            if k == .percentileApprox { _ = try PercentileAccumulator(spec) }
            return DistinctAccumulator(spec)
        }
    }
    switch k {
    case .countStar, .count, .countIf, .collectListSize: return CountAccumulator(spec)
    case .sum: return spec.argumentTypes[0] == .double ? SumDoubleAccumulator(spec) as any Accumulator : SumInt64Accumulator(spec)
    case .avg: return AverageAccumulator(spec)
    case .min, .max: return ExtremumAccumulator(spec)
    case .stddevSamp, .stddevPop, .varSamp, .varPop, .skewness, .kurtosis: return MomentAccumulator(spec)
    case .corr, .covarSamp, .covarPop: return CoMomentAccumulator(spec)
    case .first, .last: return FirstLastAccumulator(spec)
    case .maxBy, .minBy: return ExtremumByAccumulator(spec)
    case .boolAnd, .boolOr: return BooleanAccumulator(spec)
    case .approxCountDistinct: return try HyperLogLogAccumulator(spec)
    case .percentileApprox: return try PercentileAccumulator(spec)
    case .collectSetSize: return DistinctAccumulator(spec)
    }
}
