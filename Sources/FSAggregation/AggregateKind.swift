import FSCore

/// Every aggregate fs computes, named after its Spark SQL function.
///
/// This is the aggregation module's own vocabulary: definition files name operations with it
/// (`AggAction.operation`), and the expression module's aggregate calls are translated to it when
/// a feature plan is compiled. Aliases (`mean`, `std`, `variance`, …) map to one case so that two
/// spellings of one aggregate share one state.
public enum AggregateKind: String, Sendable, Hashable, CaseIterable, CustomStringConvertible {
    case countStar = "count(*)"
    case count
    case sum
    case avg
    case min
    case max
    case stddevSamp = "stddev_samp"
    case stddevPop = "stddev_pop"
    case varSamp = "var_samp"
    case varPop = "var_pop"
    case skewness
    case kurtosis
    case first
    case last
    case maxBy = "max_by"
    case minBy = "min_by"
    case countIf = "count_if"
    case boolAnd = "bool_and"
    case boolOr = "bool_or"
    /// `size(collect_set(x))`: the number of distinct non-null values, as an int.
    case collectSetSize = "size(collect_set)"
    /// `size(collect_list(x))`: the number of non-null values, as an int.
    case collectListSize = "size(collect_list)"
    case approxCountDistinct = "approx_count_distinct"
    case percentileApprox = "percentile_approx"
    case corr
    case covarSamp = "covar_samp"
    case covarPop = "covar_pop"

    public var description: String { rawValue }

    /// Spark's function names (lower case) and the kind each one computes. `count_distinct` is
    /// `count` with DISTINCT; callers check `impliesDistinct(name:)`.
    public static let namesByFunction: [String: AggregateKind] = [
        "count": .count, "count_distinct": .count, "sum": .sum, "avg": .avg, "mean": .avg,
        "min": .min, "max": .max, "stddev": .stddevSamp, "std": .stddevSamp, "stddev_samp": .stddevSamp,
        "stddev_pop": .stddevPop, "variance": .varSamp, "var_samp": .varSamp, "var_pop": .varPop,
        "skewness": .skewness, "kurtosis": .kurtosis, "first": .first, "first_value": .first,
        "last": .last, "last_value": .last, "max_by": .maxBy, "min_by": .minBy, "count_if": .countIf,
        "bool_and": .boolAnd, "every": .boolAnd, "bool_or": .boolOr, "some": .boolOr, "any": .boolOr,
        "collect_set_size": .collectSetSize, "collect_list_size": .collectListSize,
        "approx_count_distinct": .approxCountDistinct, "percentile_approx": .percentileApprox,
        "approx_percentile": .percentileApprox, "corr": .corr, "covar_samp": .covarSamp,
        "covar_pop": .covarPop,
    ]

    /// The kind named `name` (case-insensitive Spark function name), nil if unknown.
    public init?(functionName name: String) {
        guard let k = Self.namesByFunction[name.lowercased()] else { return nil }
        self = k
    }

    /// True for names that mean "DISTINCT" by themselves (`count_distinct`).
    public static func impliesDistinct(name: String) -> Bool { name.lowercased() == "count_distinct" }

    /// Number of value arguments (`count(*)` has none; `corr`, `max_by` have two).
    public var arity: Int {
        switch self {
        case .countStar: return 0
        case .maxBy, .minBy, .corr, .covarSamp, .covarPop: return 2
        default: return 1
        }
    }

    /// The result when no row reached the aggregate: 0 for counts, NULL for everything else
    /// (Spark: `sum` of nothing is NULL, `count` of nothing is 0).
    public var isZeroOnEmpty: Bool {
        switch self {
        case .countStar, .count, .countIf, .collectSetSize, .collectListSize, .approxCountDistinct: return true
        default: return false
        }
    }
}

/// An aggregate call resolved to types: what to compute and over which argument types.
///
/// `parameters` are the constant arguments after the value arguments (`percentile_approx`'s
/// percentage and accuracy, `approx_count_distinct`'s relative standard deviation).
public struct AggregateSpec: Sendable, Hashable, CustomStringConvertible {
    public var kind: AggregateKind
    public var argumentTypes: [DataType]
    public var isDistinct: Bool
    public var ignoreNulls: Bool
    public var parameters: [Value]

    public init(_ kind: AggregateKind, _ argumentTypes: [DataType], isDistinct: Bool = false,
                ignoreNulls: Bool = false, parameters: [Value] = []) {
        self.kind = kind
        self.argumentTypes = argumentTypes
        self.isDistinct = isDistinct
        self.ignoreNulls = ignoreNulls
        self.parameters = parameters
    }

    public var description: String {
        var s = kind.rawValue + "(" + (isDistinct ? "DISTINCT " : "") + argumentTypes.map(\.rawValue).joined(separator: ", ")
        if !parameters.isEmpty { s += "; " + parameters.map(\.description).joined(separator: ", ") }
        s += ")"
        if ignoreNulls { s += " IGNORE NULLS" }
        return s
    }

    /// Spark's result type: counts bigint, `sum` of integers bigint, moments double, `min`/`max`/
    /// `first`/`last`/`percentile_approx` the argument's type, `max_by` the first argument's.
    public func resultType() throws(AggregateError) -> DataType {
        try validate()
        switch kind {
        case .countStar, .count, .countIf, .approxCountDistinct: return .int64
        case .collectSetSize, .collectListSize: return .int32
        case .sum:
            return argumentTypes[0] == .double ? .double : .int64
        case .avg, .stddevSamp, .stddevPop, .varSamp, .varPop, .skewness, .kurtosis, .corr, .covarSamp, .covarPop:
            return .double
        case .min, .max, .first, .last, .maxBy, .minBy, .percentileApprox: return argumentTypes[0]
        case .boolAnd, .boolOr: return .boolean
        }
    }

    /// Checks arity and argument types (the binder normally casts first; this is the last line).
    public func validate() throws(AggregateError) {
        guard argumentTypes.count == kind.arity else {
            throw .wrongArity(kind, expected: kind.arity, got: argumentTypes.count)
        }
        func numeric(_ t: DataType) -> Bool { t.isNumeric }
        switch kind {
        case .sum, .avg, .stddevSamp, .stddevPop, .varSamp, .varPop, .skewness, .kurtosis:
            guard numeric(argumentTypes[0]) else { throw .unsupportedType(kind, argumentTypes[0]) }
        case .corr, .covarSamp, .covarPop:
            for t in argumentTypes where !numeric(t) { throw .unsupportedType(kind, t) }
        case .percentileApprox:
            let t = argumentTypes[0]
            guard numeric(t) || t == .date || t == .timestamp else { throw .unsupportedType(kind, t) }
            _ = try percentileParameters()
        case .countIf, .boolAnd, .boolOr:
            guard argumentTypes[0] == .boolean else { throw .unsupportedType(kind, argumentTypes[0]) }
        case .approxCountDistinct:
            _ = try hyperLogLogPrecision()
        default: break
        }
    }

    /// `percentile_approx(x, percentage[, accuracy])`: percentage in [0, 1], accuracy > 0
    /// (default 10000, Spark's `ApproximatePercentile.DEFAULT_PERCENTILE_ACCURACY`).
    public func percentileParameters() throws(AggregateError) -> (percentage: Double, accuracy: Int64) {
        guard let p = parameters.first?.asDouble else { throw .badParameter(kind, "the percentage must be a constant number") }
        guard p >= 0, p <= 1 else { throw .badParameter(kind, "the percentage \(formatSparkDouble(p)) is not in [0.0, 1.0]") }
        var accuracy: Int64 = 10_000
        if parameters.count > 1 {
            guard let a = parameters[1].asInt64, a > 0, a <= Int64(Int32.max) else {
                throw .badParameter(kind, "the accuracy must be a positive integer literal")
            }
            accuracy = a
        }
        return (p, accuracy)
    }

    /// HyperLogLog++ precision from the relative standard deviation (default 0.05), with
    /// Spark's formula `ceil(2 * log(1.106 / rsd) / log(2))`; Spark requires p ≥ 4.
    public func hyperLogLogPrecision() throws(AggregateError) -> Int {
        var rsd = 0.05
        if let v = parameters.first {
            guard let d = v.asDouble else { throw .badParameter(kind, "the relative standard deviation must be a number") }
            rsd = d
        }
        let p = (2.0 * log(1.106 / rsd) / log(2.0)).rounded(.up)
        guard rsd > 0, p.isFinite, p >= 4, p <= 18 else {
            throw .badParameter(kind, "the relative standard deviation \(formatSparkDouble(rsd)) must give a precision in 4...18; use a value in [0.0009, 0.39]")
        }
        return Int(p)
    }
}

/// An aggregate that cannot be built for its arguments. Raised while compiling definitions, so
/// it is a usage error (exit 64) that names the function.
public enum AggregateError: CategorizedError, Equatable {
    case wrongArity(AggregateKind, expected: Int, got: Int)
    case unsupportedType(AggregateKind, DataType)
    case badParameter(AggregateKind, String)

    public var exitStatus: ExitStatus { .usage }

    public var description: String {
        switch self {
        case .wrongArity(let k, let e, let g): return "\(k) takes \(e) argument\(e == 1 ? "" : "s"), got \(g)"
        case .unsupportedType(let k, let t): return "\(k) does not accept a \(t) argument"
        case .badParameter(let k, let why): return "\(k): \(why)"
        }
    }
}

#if canImport(Glibc)
import Glibc
#elseif canImport(Darwin)
import Darwin
#endif
