import FSCore
import FSExpr

/// Feature definitions compiled against a table schema: the aggregates to fold (deduplicated),
/// how to evaluate their arguments and masks per batch, and how to turn finalized aggregates
/// into feature columns.
///
///     definitions ──bind──► features: post-aggregation expression, slots → aggregates[k]
///                           aggregates: unique (AggregateCall, period) pairs
///     batch ──► args/FILTER evaluated once per distinct expression ──► GroupedAggregator
///     finish ──► Evaluator.evaluateAfterAggregation per feature ──► (key, feature columns…)
///
/// An `AggAction` becomes the aggregate call `op(field)` bound by the same binder as custom
/// expressions (so casts follow Spark's rules), and its period becomes a row mask: rows outside
/// the period are not fed to the aggregate at all. The original substituted 0.0 for them, which
/// is right for SUM but dragged AVG towards 0 and broke MIN/MAX; fs fixes that.
/// Two features asking for the same call over the same period share one state.
public struct FeaturePlan: Sendable {
    /// One unique aggregate: what to evaluate per row and which state folds it.
    public struct PlannedAggregate: Sendable {
        public var call: AggregateCall
        public var spec: AggregateSpec
        /// Index into `periods`, nil = every row.
        public var periodIndex: Int?
    }

    /// One output feature.
    public struct PlannedFeature: Sendable {
        public var name: String
        /// The bound expression; its aggregate slot k reads `aggregates[aggregateIndices[k]]`.
        public var expression: BoundExpr
        public var aggregateIndices: [Int]
        public var type: DataType { expression.type }
    }

    public let schema: Schema
    /// Position of the grouping column in `schema`.
    public let keyIndex: Int
    public let features: [PlannedFeature]
    public let aggregates: [PlannedAggregate]
    /// Distinct periods, in first-use order: callers pass one row mask per entry.
    public let periods: [Period]

    /// Compiles `definitions` for batches of `schema`, grouped by `groupBy`.
    public init(definitions: [FeatureDefinition], schema: Schema, groupBy: String) throws(FeaturePlanError) {
        guard let keyIndex = schema.index(of: groupBy) else {
            throw FeaturePlanError(feature: nil, problem: "unknown group-by column \"\(groupBy)\"; the table has \(schema.names.joined(separator: ", "))")
        }
        guard schema.fields[keyIndex].type != .double else {
            throw FeaturePlanError(feature: nil, problem: "cannot group by the double column \"\(groupBy)\"")
        }
        let binder = Binder(schema: schema)
        var aggregates: [PlannedAggregate] = []
        var features: [PlannedFeature] = []
        var periods: [Period] = []
        for def in definitions {
            let text = Self.expressionText(def)
            let bound: BoundExpr
            do { bound = try binder.bind(text, mode: .aggregate) } catch {
                throw FeaturePlanError(feature: def.featureName, problem: error.description)
            }
            var periodIndex: Int? = nil
            if let p = def.period {
                if let i = periods.firstIndex(of: p) { periodIndex = i } else { periods.append(p); periodIndex = periods.count - 1 }
            }
            var indices: [Int] = []
            for call in bound.aggregateCalls {
                let spec: AggregateSpec
                do {
                    spec = try Self.spec(for: call)
                    _ = try makeAccumulator(spec)
                } catch {
                    throw FeaturePlanError(feature: def.featureName, problem: error.description)
                }
                if let i = aggregates.firstIndex(where: { $0.call == call && $0.periodIndex == periodIndex }) {
                    indices.append(i)
                } else {
                    aggregates.append(PlannedAggregate(call: call, spec: spec, periodIndex: periodIndex))
                    indices.append(aggregates.count - 1)
                }
            }
            features.append(PlannedFeature(name: def.featureName, expression: bound, aggregateIndices: indices))
        }
        self.schema = schema
        self.keyIndex = keyIndex
        self.features = features
        self.aggregates = aggregates
        self.periods = periods
    }

    /// The Spark SQL text of a definition (`AggAction`s are rewritten as `op(`field`)`).
    static func expressionText(_ def: FeatureDefinition) -> String {
        switch def {
        case .custom(let c): return c.expression
        case .aggregate(let a):
            let field = Identifier.quoted(a.field)
            let distinct = a.isDistinct ? "DISTINCT " : ""
            switch a.operation {
            case .countStar: return "count(*)"
            case .collectSetSize: return "size(collect_set(\(distinct)\(field)))"
            case .collectListSize: return "size(collect_list(\(field)))"
            default: return "\(a.operation.rawValue)(\(distinct)\(field))"
            }
        }
    }

    /// The accumulator spec of a bound aggregate call.
    public static func spec(for call: AggregateCall) throws(AggregateError) -> AggregateSpec {
        let kind: AggregateKind
        switch call.function {
        case .count: kind = .count
        case .countStar: kind = .countStar
        case .sum: kind = .sum
        case .avg: kind = .avg
        case .min: kind = .min
        case .max: kind = .max
        case .stddevSamp: kind = .stddevSamp
        case .stddevPop: kind = .stddevPop
        case .varSamp: kind = .varSamp
        case .varPop: kind = .varPop
        case .first: kind = .first
        case .last: kind = .last
        case .maxBy: kind = .maxBy
        case .minBy: kind = .minBy
        case .countIf: kind = .countIf
        case .boolAnd: kind = .boolAnd
        case .boolOr: kind = .boolOr
        case .collectSet: kind = .collectSetSize
        case .collectList: kind = .collectListSize
        case .approxCountDistinct: kind = .approxCountDistinct
        case .percentileApprox: kind = .percentileApprox
        case .skewness: kind = .skewness
        case .kurtosis: kind = .kurtosis
        case .corr: kind = .corr
        case .covarSamp: kind = .covarSamp
        case .covarPop: kind = .covarPop
        }
        let spec = AggregateSpec(kind, call.arguments.map(\.type), isDistinct: call.isDistinct,
                                 ignoreNulls: call.ignoreNulls, parameters: call.parameters)
        try spec.validate()
        return spec
    }

    /// The output schema: the key column, then one column per feature.
    public var outputSchema: Schema {
        Schema([schema.fields[keyIndex]] + features.map { Field($0.name, $0.type) })
    }

    /// An empty grouped table for this plan.
    public func makeAggregator(expectedGroups: Int = 1024) -> GroupedAggregator {
        // Every spec was validated in init, so this cannot fail.
        guard let a = try? GroupedAggregator(keyType: schema.fields[keyIndex].type, specs: aggregates.map(\.spec), expectedGroups: expectedGroups) else {
            preconditionFailure("validated plan failed to build its aggregator")
        }
        return a
    }

    /// Folds one batch into `aggregator`.
    /// - Parameters:
    ///   - periodMasks: one row mask per entry of `periods` (rows inside that period); may be
    ///     empty when the plan has no periods.
    ///   - context: the evaluation clock (for `current_date()` in arguments or filters).
    public func update(_ aggregator: inout GroupedAggregator, batch: RecordBatch, periodMasks: [Validity] = [],
                       context: EvaluationContext = EvaluationContext(nowMicros: 0), firstRowStamp: Int64? = nil) {
        update(&aggregator, batch: batch, periodMasks: periodMasks, context: context, firstRowStamp: firstRowStamp, keyHashes: nil)
    }

    /// `update` with each row's key hash already computed (`GroupKeyTable.stringHash`).
    package func update(_ aggregator: inout GroupedAggregator, batch: RecordBatch, periodMasks: [Validity],
                        context: EvaluationContext, firstRowStamp: Int64?, keyHashes: [UInt64]?) {
        let inputs = evaluateInputs(batch, periodMasks: periodMasks, context: context)
        aggregator.update(keys: batch.columns[keyIndex], arguments: inputs.arguments, selections: inputs.selections,
                          firstRowStamp: firstRowStamp, keyHashes: keyHashes)
    }

    /// What every aggregate reads from one batch: `arguments[k]` (the evaluated argument
    /// columns of aggregate k, each distinct expression evaluated once) and `selections[k]`
    /// (FILTER ∧ period mask, nil = every row). Drivers that assign group ids themselves (the
    /// online job's window slices) feed these straight to the accumulators.
    public func evaluateInputs(_ batch: RecordBatch, periodMasks: [Validity] = [],
                               context: EvaluationContext = EvaluationContext(nowMicros: 0)) -> (arguments: [[Column]], selections: [Validity?]) {
        precondition(batch.schema == schema, "batch schema \(batch.schema) is not the plan's \(schema)")
        precondition(periodMasks.count == periods.count, "\(periodMasks.count) period masks for \(periods.count) periods")
        var evaluated: [(BoundExpr, Column)] = []
        func column(_ e: BoundExpr) -> Column {
            if case .column(let i, _, _) = e { return batch.columns[i] }
            if let hit = evaluated.first(where: { $0.0 == e }) { return hit.1 }
            let c = Evaluator.evaluate(e, on: batch, context: context)
            evaluated.append((e, c))
            return c
        }
        var arguments: [[Column]] = []
        var selections: [Validity?] = []
        arguments.reserveCapacity(aggregates.count)
        for a in aggregates {
            arguments.append(a.call.arguments.map(column))
            var selection: Validity? = a.periodIndex.map { periodMasks[$0] }
            if let f = a.call.filter {
                let mask = Validity(Evaluator.selectionMask(column(f)).isSelected)
                selection = selection.map { $0.intersection(mask) } ?? mask
            }
            selections.append(selection)
        }
        return (arguments, selections)
    }

    /// The feature table: key column, then each feature evaluated over its finalized aggregates.
    public func finish(_ aggregator: GroupedAggregator, nowMicros: Int64 = 0) -> RecordBatch {
        let (keys, results) = aggregator.finish()
        return finish(keys: keys, results: results, nowMicros: nowMicros)
    }

    /// The feature table from a key column and the finalized column of every aggregate (in
    /// `aggregates` order, one row per group): for drivers that hold accumulators themselves.
    public func finish(keys: Column, results: [Column], nowMicros: Int64 = 0) -> RecordBatch {
        RecordBatch(schema: outputSchema, columns: [keys] + featureColumns(groupCount: keys.count, results: results, nowMicros: nowMicros))
    }

    /// The feature columns alone (`finish` without the key column), for `groupCount` groups:
    /// for drivers that emit the keys in another shape (the online job's runs gather the key
    /// strings once per run piece, not once per group as well).
    public func featureColumns(groupCount: Int, results: [Column], nowMicros: Int64 = 0) -> [Column] {
        precondition(results.count == aggregates.count, "\(results.count) results for \(aggregates.count) aggregates")
        return features.map { f in
            let slots = zip(f.aggregateIndices, f.expression.aggregateCalls).map { index, call in
                conform(results[index], to: call.resultType)
            }
            return Evaluator.evaluateAfterAggregation(f.expression, aggregateResults: slots, groupCount: groupCount, nowMicros: nowMicros)
        }
    }
}

/// Widens a finalized column to the type the binder expects for its slot (an int32 count to
/// bigint, say); identical types pass through.
func conform(_ column: Column, to type: DataType) -> Column {
    if column.type == type { return column }
    let values: ColumnValues
    switch (column.values, type) {
    case (.int32(let v), .int64), (.int32(let v), .timestamp): values = .int64(v.map { Int64($0) })
    case (.int32(let v), .double): values = .double(v.map { Double($0) })
    case (.int64(let v), .double): values = .double(v.map { Double($0) })
    case (.int64(let v), .int32), (.int64(let v), .date): values = .int32(v.map { Int32(truncatingIfNeeded: $0) })
    default: preconditionFailure("no conversion of a \(column.type) aggregate result to \(type)")
    }
    return Column(type: type, values: values, validity: column.validity)
}

/// A definition that does not compile against the table: names the feature and says why
/// (the expression error keeps its caret). Usage error (exit 64).
public struct FeaturePlanError: CategorizedError, Equatable {
    public var feature: String?
    public var problem: String

    public init(feature: String?, problem: String) {
        self.feature = feature
        self.problem = problem
    }

    public var exitStatus: ExitStatus { .usage }
    public var description: String { (feature.map { "feature \"\($0)\": " } ?? "") + problem }
}
