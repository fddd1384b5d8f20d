import ArgumentParser
import FSAggregation
import FSCore

/// The feature-definition flags shared by fs-agg-offline and fs-agg-online, with one validation:
/// `--aggregations FILE` (repeatable) and `--agg 'name=EXPR'` (repeatable), files first, in the
/// order given. Without either, the job's original features.
public struct FeatureOptions: ParsableArguments, Sendable {
    @Option(help: "A feature definitions file (jobs/*.json); repeatable. Without it and without --agg: the original job's features.")
    public var aggregations: [String] = []

    @Option(help: "One custom feature, 'name=EXPR' (a Spark SQL aggregate expression, e.g. 'orders-7d=count(*)'); repeatable.")
    public var agg: [String] = []

    public init() {}

    /// The features in output column order. Refused, naming the flag that brought the feature:
    /// a malformed `--agg`, a bad definitions file (its own message), a name given twice, and a
    /// name that is also one of the job's own output columns (`reservedColumns`: the key, the
    /// window bounds, the partition columns). Names compare case-insensitively, as Delta and
    /// Spark compare column names.
    public func resolve(defaults: [FeatureDefinition], reservedColumns: [String]) throws -> [FeatureDefinition] {
        var sourced: [(definition: FeatureDefinition, flag: String)] = []
        for file in aggregations { sourced += try DefinitionsFile.load(file).map { ($0, "--aggregations") } }
        for (i, text) in agg.enumerated() {
            guard let eq = text.firstIndex(of: "=") else {
                throw UsageError(flag: "--agg", message: "#\(i + 1) '\(text)' is not name=EXPR (e.g. --agg 'orders-7d=count(*)')")
            }
            let name = String(text[..<eq]).trimmingSpaces(), expr = String(text[text.index(after: eq)...]).trimmingSpaces()
            guard !name.isEmpty, !expr.isEmpty else {
                throw UsageError(flag: "--agg", message: "#\(i + 1) '\(text)': both the name and the expression must be non-empty")
            }
            sourced.append((.custom(AggCustomAction(featureName: name, expression: expr)), "--agg"))
        }
        if sourced.isEmpty { return defaults }
        var seen = Set<String>()
        for (d, flag) in sourced {
            let name = d.featureName.lowercased()
            if let reserved = reservedColumns.first(where: { $0.lowercased() == name }) {
                throw UsageError(flag: flag, message: "feature \"\(d.featureName)\" collides with the output column \(reserved)")
            }
            guard seen.insert(name).inserted else { throw UsageError(flag: flag, message: "feature \"\(d.featureName)\" is defined twice") }
        }
        return sourced.map(\.definition)
    }
}
