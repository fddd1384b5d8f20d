import FSCore

/// The aggregate functions fs implements (the binder's vocabulary; FSAggregation owns the
/// states). Raw values are Spark's canonical names.
///
/// Aliases are resolved by the binder: `mean` → `avg`, `stddev`/`std` → `stddevSamp`,
/// `variance` → `varSamp`, `every` → `boolAnd`, `any`/`some` → `boolOr`, `approx_percentile`
/// → `percentileApprox`, `first_value`/`last_value` → `first`/`last`, `count(*)` → `countStar`.
public enum AggregateFunction: String, Sendable, Equatable, Hashable, CaseIterable {
    case count
    /// `count(*)` / `count(1)`: rows, NULLs included. No arguments.
    case countStar = "count_star"
    case sum, avg, min, max
    case stddevSamp = "stddev_samp", stddevPop = "stddev_pop", varSamp = "var_samp", varPop = "var_pop"
    case first, last
    /// `max_by(value, ordering)` / `min_by(value, ordering)`: two arguments.
    case maxBy = "max_by", minBy = "min_by"
    case countIf = "count_if"
    case boolAnd = "bool_and", boolOr = "bool_or"
    /// Only valid as `size(collect_set(x))` / `size(collect_list(x))`: fs has no array type, so
    /// these calls finalize to the element count (int64): distinct non-NULL values / non-NULL
    /// values. Any other use is a bind error.
    case collectSet = "collect_set", collectList = "collect_list"
    case approxCountDistinct = "approx_count_distinct"
    /// `percentile_approx(x, percentage[, accuracy])`: `parameters` = [percentage, accuracy].
    case percentileApprox = "percentile_approx"
    case skewness, kurtosis
    /// Two-argument statistics: `corr(x, y)`, `covar_samp(x, y)`, `covar_pop(x, y)`.
    case corr, covarSamp = "covar_samp", covarPop = "covar_pop"

    /// Number of expression arguments the call takes (literal parameters excluded).
    public var argumentCount: Int {
        switch self {
        case .countStar: return 0
        case .maxBy, .minBy, .corr, .covarSamp, .covarPop: return 2
        default: return 1
        }
    }

    /// Resolves a lower-cased SQL name (including aliases); nil for non-aggregates.
    public init?(sqlName: String) {
        switch sqlName {
        case "count": self = .count
        case "sum": self = .sum
        case "avg", "mean": self = .avg
        case "min": self = .min
        case "max": self = .max
        case "stddev", "std", "stddev_samp": self = .stddevSamp
        case "stddev_pop": self = .stddevPop
        case "variance", "var_samp": self = .varSamp
        case "var_pop": self = .varPop
        case "first", "first_value": self = .first
        case "last", "last_value": self = .last
        case "max_by": self = .maxBy
        case "min_by": self = .minBy
        case "count_if": self = .countIf
        case "bool_and", "every": self = .boolAnd
        case "bool_or", "any", "some": self = .boolOr
        case "collect_set": self = .collectSet
        case "collect_list": self = .collectList
        case "approx_count_distinct": self = .approxCountDistinct
        case "percentile_approx", "approx_percentile": self = .percentileApprox
        case "skewness": self = .skewness
        case "kurtosis": self = .kurtosis
        case "corr": self = .corr
        case "covar_samp": self = .covarSamp
        case "covar_pop": self = .covarPop
        default: return nil
        }
    }
}

/// One aggregate call of a bound expression, with everything a state needs to be built.
///
/// `arguments` are bound per-row expressions over the input batch (already cast: `sum` of an
/// int column receives int64, `avg`/`stddev…` receive double, `count_if`/`bool_*` boolean,
/// `min`/`max`/`first`/`last` the input type). `filter` is the `FILTER (WHERE …)` predicate:
/// only rows where it is TRUE are fed to the state. `resultType` is the type of the finalized
/// column the post-aggregation evaluation expects in this call's slot.
///
/// Only the binder builds one (with the memberwise init); other modules read it.
public struct AggregateCall: Sendable, Equatable, CustomStringConvertible {
    public var function: AggregateFunction
    public var arguments: [BoundExpr]
    public var isDistinct: Bool = false
    public var filter: BoundExpr? = nil
    public var resultType: DataType
    /// `first`/`last` with `ignoreNulls` (second argument `true` or `IGNORE NULLS`).
    public var ignoreNulls: Bool = false
    /// Literal parameters: `percentile_approx` → [percentage (double), accuracy (int64, default
    /// 10000)]; `approx_count_distinct` → [relativeSD (double, default 0.05)]; empty otherwise.
    public var parameters: [Value] = []

    public var description: String {
        var s = function.rawValue + "("
        if isDistinct { s += "DISTINCT " }
        s += arguments.map(\.description).joined(separator: ", ")
        if !parameters.isEmpty { s += "; " + parameters.map(\.description).joined(separator: ", ") }
        s += "):\(resultType)"
        if ignoreNulls { s += " ignore-nulls" }
        if let filter { s += " filter \(filter)" }
        return s
    }
}
