import FSCore

/// A feature computed by one aggregate over one input field, as the original's
/// `AggAction(featureName, period, field, operation)`: `SUM(order_total_amount)` over the last
/// `period`. Rows outside the period are not fed to the aggregate (the original fed 0.0, which
/// made AVG/MIN/MAX wrong; fs uses a row mask instead — see `FeaturePlan`). Built only by the
/// definitions reader and the original's feature lists in this module: the memberwise init.
public struct AggAction: Sendable, Hashable {
    public var featureName: String
    public var period: Period?
    public var field: String
    public var operation: AggregateKind
    /// `count_distinct` (and only it) asks for DISTINCT.
    public var isDistinct = false
}

/// A feature written as a Spark SQL aggregate expression, as the original's
/// `AggCustomAction(featureName, expr("…"))`, optionally restricted to a period.
public struct AggCustomAction: Sendable, Hashable {
    public var featureName: String
    public var expression: String
    public var period: Period?

    public init(featureName: String, expression: String, period: Period? = nil) {
        self.featureName = featureName
        self.expression = expression
        self.period = period
    }
}

/// One entry of a definitions file.
public enum FeatureDefinition: Sendable, Hashable, CustomStringConvertible {
    case aggregate(AggAction)
    case custom(AggCustomAction)

    public var featureName: String {
        switch self {
        case .aggregate(let a): return a.featureName
        case .custom(let c): return c.featureName
        }
    }

    public var period: Period? {
        switch self {
        case .aggregate(let a): return a.period
        case .custom(let c): return c.period
        }
    }

    public var description: String {
        switch self {
        case .aggregate(let a):
            return "\(a.featureName) = \(a.operation)(\(a.isDistinct ? "DISTINCT " : "")\(a.field))" + (a.period.map { " over \($0)" } ?? "")
        case .custom(let c):
            return "\(c.featureName) = \(c.expression)" + (c.period.map { " over \($0)" } ?? "")
        }
    }

    /// The original offline job's hard-coded features (AggregationsOfflineMain).
    public static let originalOffline: [FeatureDefinition] = [
        .aggregate(AggAction(featureName: "total-amount-3d", period: .days(3), field: "order_total_amount", operation: .sum)),
        .aggregate(AggAction(featureName: "total-avg-3d", period: .days(3), field: "order_total_amount", operation: .avg)),
        .aggregate(AggAction(featureName: "total-amount-1d", period: .days(1), field: "order_total_amount", operation: .sum)),
    ]

    /// The original online job's hard-coded features (AggregationsOnlineMain).
    public static let originalOnline: [FeatureDefinition] = [
        .custom(AggCustomAction(featureName: "customer-count-1h", expression: "COUNT(customer_id)")),
        .custom(AggCustomAction(featureName: "total-amount-sum-1h", expression: "SUM(CAST(order_total_amount AS DOUBLE))")),
        .custom(AggCustomAction(featureName: "total-amount-mean-1h", expression: "MEAN(CAST(order_total_amount AS DOUBLE))")),
        .custom(AggCustomAction(featureName: "total-amount-min-1h", expression: "MIN(CAST(order_total_amount AS DOUBLE))")),
        .custom(AggCustomAction(featureName: "total-amount-max-1h", expression: "MAX(CAST(order_total_amount AS DOUBLE))")),
        .custom(AggCustomAction(featureName: "total-amount-avg-1h", expression: "AVG(CAST(order_total_amount AS DOUBLE))")),
    ]
}
